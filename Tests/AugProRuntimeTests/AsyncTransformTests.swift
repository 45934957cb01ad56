import AugProRuntime
import AugProTestSupport
import Synchronization
import Testing

/// Doubles each element after waiting for the gate of its batch (batch `n` holds element `n`),
/// recording how many batches were in flight at once.
private struct GatedDouble: AsyncBatchTransform {
    let gates: [Gate]
    let started = Milestones()
    let finished = Milestones()
    let inFlight = InFlight()
    var failAt: Int?
    var name: String { "gated-double" }

    struct Refused: Error, CustomStringConvertible { var description: String { "refused" } }

    func transform(_ batch: [Int], context: StageContext) async throws -> [Int] {
        inFlight.enter()
        started.advance()
        await gates[batch[0]].pass()
        inFlight.leave()
        defer { finished.advance() }
        if batch[0] == failAt { throw Refused() }
        return batch.map { $0 * 2 }
    }
}

/// Counts concurrent calls and remembers the most at once.
private final class InFlight: Sendable {
    private let counts = Mutex((now: 0, most: 0))
    var most: Int { counts.withLock { $0.most } }
    func enter() { counts.withLock { $0.now += 1; $0.most = max($0.most, $0.now) } }
    func leave() { counts.withLock { $0.now -= 1 } }
}

private func pipeline(_ transform: GatedDouble, count: Int, maxInFlight: Int, sink: CollectingStage<Int>) throws -> Pipeline {
    try Pipeline(
        nodes: [
            PipelineNode(source: ArraySource(Array(0..<count))),
            PipelineNode(transform, maxInFlight: maxInFlight),
            PipelineNode(sink),
        ], channelCapacity: 2)
}

@Suite("Async transforms")
struct AsyncTransformTests {
    @Test("requests finishing in reverse order leave in input order, never more than max_in_flight at once")
    func reverseCompletions() async throws {
        let count = 9
        let transform = GatedDouble(gates: (0..<count).map { _ in Gate() })
        let sink = CollectingStage<Int>()
        let run = Task { try await pipeline(transform, count: count, maxInFlight: 3, sink: sink).run(context: StageContext(seed: 1, batchSize: 1)) }
        for first in stride(from: 0, to: count, by: 3) {
            await transform.started.reached(first + 3)
            transform.gates[first + 2].open()
            await transform.finished.reached(first + 1)
            transform.gates[first + 1].open()
            await transform.finished.reached(first + 2)
            // Two later batches are finished and held behind the first: the bound of 3 outstanding
            // batches keeps the next one from starting.
            #expect(transform.started.count == first + 3)
            transform.gates[first].open()
            await transform.finished.reached(first + 3)
        }
        let reports = try await run.value
        #expect(sink.received == (0..<count).map { $0 * 2 })
        #expect(transform.inFlight.most == 3)
        #expect(reports[1].details["max_in_flight"] == .int(3))
    }

    @Test("a failed request fails the run naming the stage; earlier batches arrive in order")
    func failure() async throws {
        let count = 6
        var transform = GatedDouble(gates: (0..<count).map { _ in Gate() })
        transform.failAt = 3
        for gate in transform.gates { gate.open() }
        let sink = CollectingStage<Int>()
        do {
            _ = try await pipeline(transform, count: count, maxInFlight: 2, sink: sink).run(context: StageContext(seed: 1, batchSize: 1))
            Issue.record("the run should have failed")
        } catch let failure as StageFailure {
            #expect(failure.description == "gated-double: refused")
        }
        #expect(sink.received == Array(sink.received.indices).map { $0 * 2 } && sink.received.count <= 3)
    }
}
