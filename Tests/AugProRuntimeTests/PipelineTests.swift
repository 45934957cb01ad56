import AugProRuntime
import Synchronization
import Testing

/// Emits the integers 0..<count in batches of `context.batchSize`. `started` counts batches whose
/// send began, `sent` those whose send returned.
private struct CountingSource: SourceStage {
    let count: Int
    let started = Milestones()
    let sent = Milestones()
    var name: String { "counter" }

    func run(output: StageOutput<Int>, context: StageContext) async throws {
        var next = 0
        while next < count {
            try context.checkStop()
            let batch = Array(next..<min(count, next + context.batchSize))
            next += batch.count
            started.advance()
            try await output.send(batch)
            sent.advance()
        }
    }
}

/// Squares each element; spins a data-dependent time so that workers finish out of order.
private struct Square: BatchTransform {
    var name: String { "square" }
    func transform(_ batch: [Int], context: StageContext) throws -> [Int] {
        var spin = 0
        for _ in 0..<((batch.first ?? 0) % 3 * 20_000) { spin &+= 1 }
        return batch.map { $0 * $0 + (spin & 0) }
    }
}

private struct FailAt: BatchTransform {
    let value: Int
    var name: String { "fail-at" }
    struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
    func transform(_ batch: [Int], context: StageContext) throws -> [Int] {
        if batch.contains(value) { throw Boom() }
        return batch
    }
}

/// Collects everything it receives. Before taking batch `n` (0-based) it awaits `beforeTaking(n)`,
/// which lets a test hold the consumer at a chosen point; `received` counts batches taken.
private struct Collect: Stage {
    typealias Output = Never
    let sink: Collected
    var beforeTaking: @Sendable (Int) async -> Void = { _ in }
    var afterTaking: @Sendable (Int) -> Void = { _ in }
    var name: String { "collect" }

    func run(input: StageInput<Int>, output: StageOutput<Never>, context: StageContext) async throws {
        var taken = 0
        while true {
            await beforeTaking(taken)
            guard let batch = try await input.next() else { return }
            afterTaking(taken)
            taken += 1
            sink.append(batch)
            sink.received.advance()
        }
    }
}

private final class Collected: Sendable {
    private let values = Mutex<[Int]>([])
    let received = Milestones()
    var all: [Int] { values.withLock { $0 } }
    var count: Int { values.withLock { $0.count } }
    func append(_ batch: [Int]) { values.withLock { $0 += batch } }
}

@Suite("Pipeline runtime")
struct PipelineTests {
    @Test("several workers keep input order", arguments: [1, 2, 4])
    func orderedWorkers(workers: Int) async throws {
        let sink = Collected()
        let pipeline = try Pipeline(
            nodes: [
                PipelineNode(source: CountingSource(count: 1000)),
                PipelineNode(Square(), workers: workers),
                PipelineNode(Collect(sink: sink)),
            ], channelCapacity: 2)
        let reports = try await pipeline.run(context: StageContext(seed: 1, batchSize: 7))
        #expect(sink.all == (0..<1000).map { $0 * $0 })
        #expect(reports.map(\.name) == ["counter", "square", "collect"])
        #expect(reports[1].examplesIn == 1000 && reports[1].examplesOut == 1000)
    }

    @Test("a held consumer holds the producer back: the links are bounded")
    func backPressure() async throws {
        let sink = Collected()
        let source = CountingSource(count: 400)
        let capacity = 2
        let batches = 40
        let lead = Mutex(0)
        let collect = Collect(
            sink: sink,
            // Hold each take until the producer has had every chance to run ahead: at first until
            // it filled the link, then until it started the batch about to be taken.
            beforeTaking: { taken in
                await source.started.reached(min(batches, taken == 0 ? capacity : taken + 1))
            },
            afterTaking: { taken in lead.withLock { $0 = max($0, source.started.count - taken) } })
        let pipeline = try Pipeline(
            nodes: [PipelineNode(source: source), PipelineNode(collect)], channelCapacity: capacity)
        _ = try await pipeline.run(context: StageContext(seed: 1, batchSize: 10))
        #expect(sink.count == 400)
        // The link holds `capacity` batches, plus the one whose send is suspended.
        #expect(lead.withLock { $0 } <= capacity + 1, "producer ran \(lead.withLock { $0 }) batches ahead")
    }

    @Test("the first failure is reported once, naming its stage, and stops the run")
    func firstFailureNamesStage() async throws {
        let sink = Collected()
        let pipeline = try Pipeline(
            nodes: [
                PipelineNode(source: CountingSource(count: 10_000)),
                PipelineNode(FailAt(value: 500), workers: 2),
                PipelineNode(Collect(sink: sink)),
            ], channelCapacity: 2)
        do {
            _ = try await pipeline.run(context: StageContext(seed: 1, batchSize: 10))
            Issue.record("the pipeline should have failed")
        } catch let failure as StageFailure {
            #expect(failure.stage == "fail-at")
            #expect(failure.description == "fail-at: boom")
        }
        #expect(sink.all == Array(0..<sink.count) && sink.count <= 500)
    }

    @Test("a stage that cannot take the previous stage's output is refused before running")
    func typeMismatch() throws {
        struct Strings: SourceStage {
            var name: String { "strings" }
            func run(output: StageOutput<String>, context: StageContext) async throws {}
        }
        #expect(throws: PipelineError.self) {
            try Pipeline(
                nodes: [
                    PipelineNode(source: Strings()),
                    PipelineNode(Collect(sink: Collected())),
                ], channelCapacity: 2)
        }
    }

    @Test("a stop request lets in-flight batches through, then fails instead of ending the input", arguments: [1, 2])
    func stopDrains(workers: Int) async throws {
        let sink = Collected()
        let context = StageContext(seed: 1, batchSize: 10)
        let source = CountingSource(count: 1_000_000)
        let gate = Gate()
        // The consumer takes nothing until the stop was requested, so batches are queued on every
        // link and in the workers when the source stops (4 batches fit whatever the workers).
        let collect = Collect(sink: sink, beforeTaking: { _ in await gate.pass() })
        let pipeline = try Pipeline(
            nodes: [PipelineNode(source: source), PipelineNode(Square(), workers: workers), PipelineNode(collect)],
            channelCapacity: 2)
        let task = Task { try await pipeline.run(context: context) }
        await source.started.reached(4)
        context.requestStop()
        gate.open()
        let result = await task.result
        #expect(throws: StageFailure.self) { try result.get() }
        if case .failure(let failure as StageFailure) = result {
            #expect(failure.stage == "counter" && failure.underlying is StopRequested)
        }
        // Everything produced before the stop reached the sink, in order.
        let sent = source.sent.count
        #expect(sent >= 4 && source.started.count == sent)
        #expect(sink.all == (0..<(10 * sent)).map { $0 * $0 })
    }

    @Test("cancellation is not mistaken for the end of input")
    func cancellation() async throws {
        let sink = Collected()
        let pipeline = try Pipeline(
            nodes: [
                PipelineNode(source: CountingSource(count: 1_000_000)),
                PipelineNode(Square(), workers: 2),
                PipelineNode(Collect(sink: sink)),
            ], channelCapacity: 2)
        let task = Task { try await pipeline.run(context: StageContext(seed: 1, batchSize: 10)) }
        await sink.received.reached(3)
        task.cancel()
        let result = await task.result
        #expect(throws: (any Error).self) { try result.get() }
        #expect(sink.count < 1_000_000)
        #expect(sink.all == (0..<sink.count).map { $0 * $0 })
    }
}
