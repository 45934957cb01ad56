import AugProRuntime
import Synchronization
import Testing

/// Emits the integers 0..<count in batches of `context.batchSize`, recording how far it got.
private struct CountingSource: SourceStage {
    let count: Int
    let produced: Counter
    var name: String { "counter" }

    func run(output: StageOutput<Int>, context: StageContext) async throws {
        var next = 0
        while next < count {
            try context.checkStop()
            let batch = Array(next..<min(count, next + context.batchSize))
            next += batch.count
            produced.set(next)
            try await output.send(batch)
        }
    }
}

/// Squares each element; sleeps a data-dependent time so that workers finish out of order.
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

/// Collects everything it receives; optionally waits before each batch (a slow consumer).
private struct Collect: Stage {
    typealias Output = Never
    let sink: Collected
    let delayNanoseconds: UInt64
    let produced: Counter?
    var name: String { "collect" }

    func run(input: StageInput<Int>, output: StageOutput<Never>, context: StageContext) async throws {
        while let batch = try await input.next() {
            if let produced { sink.recordLead(produced.value - sink.count - batch.count) }
            if delayNanoseconds > 0 { try await Task.sleep(nanoseconds: delayNanoseconds) }
            sink.append(batch)
        }
    }
}

private final class Counter: Sendable {
    private let storage = Atomic<Int>(0)
    var value: Int { storage.load(ordering: .relaxed) }
    func set(_ value: Int) { storage.store(value, ordering: .relaxed) }
}

private final class Collected: Sendable {
    private let values = Mutex<[Int]>([])
    private let lead = Mutex<Int>(0)
    var all: [Int] { values.withLock { $0 } }
    var count: Int { values.withLock { $0.count } }
    var maxLead: Int { lead.withLock { $0 } }
    func append(_ batch: [Int]) { values.withLock { $0 += batch } }
    func recordLead(_ value: Int) { lead.withLock { $0 = max($0, value) } }
}

@Suite("Pipeline runtime")
struct PipelineTests {
    @Test("several workers keep input order", arguments: [1, 2, 4])
    func orderedWorkers(workers: Int) async throws {
        let sink = Collected()
        let pipeline = try Pipeline(
            nodes: [
                PipelineNode(source: CountingSource(count: 1000, produced: Counter())),
                PipelineNode(Square(), workers: workers),
                PipelineNode(Collect(sink: sink, delayNanoseconds: 0, produced: nil)),
            ], channelCapacity: 2)
        let reports = try await pipeline.run(context: StageContext(seed: 1, batchSize: 7))
        #expect(sink.all == (0..<1000).map { $0 * $0 })
        #expect(reports.map(\.name) == ["counter", "square", "collect"])
        #expect(reports[1].examplesIn == 1000 && reports[1].examplesOut == 1000)
    }

    @Test("a slow consumer holds the producer back: the links are bounded")
    func backPressure() async throws {
        let sink = Collected()
        let produced = Counter()
        let pipeline = try Pipeline(
            nodes: [
                PipelineNode(source: CountingSource(count: 400, produced: produced)),
                PipelineNode(Collect(sink: sink, delayNanoseconds: 2_000_000, produced: produced)),
            ], channelCapacity: 2)
        _ = try await pipeline.run(context: StageContext(seed: 1, batchSize: 10))
        #expect(sink.count == 400)
        // Capacity 2 batches plus the one being sent and the one just received: never 40 ahead.
        #expect(sink.maxLead <= 4 * 10, "producer ran \(sink.maxLead) examples ahead")
    }

    @Test("the first failure is reported once, naming its stage, and stops the run")
    func firstFailureNamesStage() async throws {
        let sink = Collected()
        let pipeline = try Pipeline(
            nodes: [
                PipelineNode(source: CountingSource(count: 10_000, produced: Counter())),
                PipelineNode(FailAt(value: 500), workers: 2),
                PipelineNode(Collect(sink: sink, delayNanoseconds: 0, produced: nil)),
            ], channelCapacity: 2)
        do {
            _ = try await pipeline.run(context: StageContext(seed: 1, batchSize: 10))
            Issue.record("the pipeline should have failed")
        } catch let failure as StageFailure {
            #expect(failure.stage == "fail-at")
            #expect(failure.description == "fail-at: boom")
        }
        #expect(sink.count <= 500)
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
                    PipelineNode(Collect(sink: Collected(), delayNanoseconds: 0, produced: nil)),
                ], channelCapacity: 2)
        }
    }

    @Test("a stop request lets in-flight batches through, then fails instead of ending the input")
    func stopDrains() async throws {
        let sink = Collected()
        let produced = Counter()
        let pipeline = try Pipeline(
            nodes: [
                PipelineNode(source: CountingSource(count: 1_000_000, produced: produced)),
                PipelineNode(Square(), workers: 2),
                PipelineNode(Collect(sink: sink, delayNanoseconds: 1_000_000, produced: nil)),
            ], channelCapacity: 2)
        let context = StageContext(seed: 1, batchSize: 10)
        let task = Task { try await pipeline.run(context: context) }
        try await Task.sleep(nanoseconds: 50_000_000)
        context.requestStop()
        let result = await task.result
        #expect(throws: StageFailure.self) { try result.get() }
        if case .failure(let failure as StageFailure) = result {
            #expect(failure.stage == "counter" && failure.underlying is StopRequested)
        }
        // Everything produced before the stop reached the sink, in order.
        #expect(sink.count == produced.value)
        #expect(sink.all == (0..<produced.value).map { $0 * $0 })
    }

    @Test("cancellation is not mistaken for the end of input")
    func cancellation() async throws {
        let sink = Collected()
        let pipeline = try Pipeline(
            nodes: [
                PipelineNode(source: CountingSource(count: 1_000_000, produced: Counter())),
                PipelineNode(Collect(sink: sink, delayNanoseconds: 1_000_000, produced: nil)),
            ], channelCapacity: 2)
        let task = Task { try await pipeline.run(context: StageContext(seed: 1, batchSize: 10)) }
        try await Task.sleep(nanoseconds: 50_000_000)
        task.cancel()
        let result = await task.result
        #expect(throws: (any Error).self) { try result.get() }
        #expect(sink.count < 1_000_000)
    }
}
