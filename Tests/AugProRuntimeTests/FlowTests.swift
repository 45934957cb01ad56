import AugProRuntime
import AugProTestSupport
import Testing

/// Holds every take until its gate opens.
private struct HeldSink: Stage {
    typealias Output = Never
    let gate: Gate
    var name: String { "held" }
    func run(input: StageInput<Int>, output: StageOutput<Never>, context: StageContext) async throws {
        await gate.pass()
        while try await input.next() != nil {}
    }
}

private struct Identity: BatchTransform {
    var name: String { "identity" }
    func transform(_ batch: [Int], context: StageContext) throws -> [Int] { batch }
}

@Suite("Flow sampling")
struct FlowTests {
    @Test("rates come from counter deltas; the bottleneck is the stage with a full input and an empty output")
    func meter() throws {
        var meter = FlowMeter(smoothing: .zero)
        let start = ContinuousClock.now
        func at(_ seconds: Int, _ links: [(Int, Int, Int)]) -> FlowSnapshot {
            FlowSnapshot(
                time: start + .seconds(seconds), stages: ["reader", "teacher", "writer"],
                links: links.map { LinkSample(bufferedBatches: $0.0, capacity: 4, examplesSent: $0.1, examplesReceived: $0.2) })
        }
        #expect(meter.record(at(0, [(4, 100, 60), (0, 50, 50)])) == nil)
        let first = meter.record(at(2, [(4, 300, 260), (1, 250, 240)]))
        let reading = try #require(first)
        #expect(reading.stages.map(\.name) == ["reader", "teacher", "writer"])
        #expect(reading.stages[0].examplesOutPerSecond == 100)
        #expect(reading.stages[1].examplesInPerSecond == 100 && reading.stages[1].examplesOutPerSecond == 100)
        #expect(reading.stages[2].examplesInPerSecond == 95)
        #expect(reading.linkOccupancy == [1, 0.25])
        #expect(reading.bottleneck == 1)
        // Every link fills up: the writer holds the run back.
        let second = meter.record(at(3, [(4, 400, 360), (4, 400, 300)]))
        let later = try #require(second)
        #expect(later.bottleneck == 2)
    }

    @Test("a running pipeline exposes its links: a held sink fills the links and is named the bottleneck")
    func liveLinks() async throws {
        let gate = Gate()
        let progress = ProgressCounters()
        #expect(progress.flowSnapshot() == nil)
        let pipeline = try Pipeline(
            nodes: [
                PipelineNode(source: ArraySource(Array(0..<200), name: "numbers")),
                PipelineNode(Identity(), workers: 1),
                PipelineNode(HeldSink(gate: gate)),
            ], channelCapacity: 2)
        let run = Task { try await pipeline.run(context: StageContext(seed: 1, batchSize: 10, progress: progress)) }
        // Both links fill (2 batches each) while the sink holds; then nothing more can move.
        var meter = FlowMeter(smoothing: .zero)
        var full: FlowSnapshot?
        while full == nil {
            if let now = progress.flowSnapshot(), now.links.map(\.bufferedBatches) == [2, 2] { full = now }
            await Task.yield()
        }
        let snapshot = try #require(full)
        #expect(snapshot.stages == ["numbers", "identity", "held"])
        _ = meter.record(snapshot)
        var later = snapshot
        later.time = snapshot.time + .seconds(1)
        let recorded = meter.record(later)
        let reading = try #require(recorded)
        #expect(reading.bottleneck == 2)
        gate.open()
        _ = try await run.value
        let end = try #require(progress.flowSnapshot())
        #expect(end.links.map(\.examplesReceived) == [200, 200] && end.links.map(\.bufferedBatches) == [0, 0])
    }
}

@Suite("Flow sampling: finished stages")
struct FinishedStageTests {
    @Test("a source that has finished reading is not the bottleneck, however empty its output")
    func finishedSourceIsNotTheBottleneck() throws {
        var meter = FlowMeter(smoothing: .zero)
        let start = ContinuousClock.now
        func at(_ seconds: Int) -> FlowSnapshot {
            FlowSnapshot(
                time: start + .seconds(seconds), stages: ["reader", "projector", "writer"],
                links: [
                    LinkSample(bufferedBatches: 0, capacity: 4, examplesSent: 400, examplesReceived: 400, producerFinished: true),
                    LinkSample(bufferedBatches: 2, capacity: 4, examplesSent: 100 * seconds, examplesReceived: 100 * seconds),
                ])
        }
        _ = meter.record(at(0))
        let recorded = meter.record(at(1))
        let reading = try #require(recorded)
        #expect(reading.stages[0].pressure == 1)
        // Without the finished mark the reader (empty output, pressure 1) would win.
        #expect(reading.bottleneck == 2, "the writer has input queued and the reader is done")
    }
}
