import Foundation
import Synchronization

/// Counters of one link, updated with relaxed atomic adds by its two ends (one add per batch, no
/// lock) and read at any time by the progress display.
final class LinkFlow: Sendable {
    /// Batches the link holds before the producer waits.
    let capacity: Int
    private let batchesSent = Atomic<Int>(0)
    private let batchesReceived = Atomic<Int>(0)
    private let examplesSentValue = Atomic<Int>(0)
    private let examplesReceivedValue = Atomic<Int>(0)
    private let producerFinished = Atomic<Bool>(false)

    init(capacity: Int) {
        self.capacity = capacity
    }

    var examplesSent: Int { examplesSentValue.load(ordering: .relaxed) }
    var examplesReceived: Int { examplesReceivedValue.load(ordering: .relaxed) }

    /// A batch of `count` examples is being queued (it occupies the link from now on).
    func sending(_ count: Int) {
        batchesSent.add(1, ordering: .relaxed)
        examplesSentValue.add(count, ordering: .relaxed)
    }

    /// Queuing the batch announced by ``sending(_:)`` failed.
    func sendFailed(_ count: Int) {
        batchesSent.subtract(1, ordering: .relaxed)
        examplesSentValue.subtract(count, ordering: .relaxed)
    }

    /// The producer ended the link (it sends nothing more).
    func finished() {
        producerFinished.store(true, ordering: .relaxed)
    }

    /// The consumer took a batch of `count` examples.
    func received(_ count: Int) {
        batchesReceived.add(1, ordering: .relaxed)
        examplesReceivedValue.add(count, ordering: .relaxed)
    }

    var sample: LinkSample {
        let received = batchesReceived.load(ordering: .relaxed)
        let sent = batchesSent.load(ordering: .relaxed)
        return LinkSample(
            bufferedBatches: max(0, sent - received), capacity: capacity,
            examplesSent: examplesSent, examplesReceived: examplesReceived,
            producerFinished: producerFinished.load(ordering: .relaxed))
    }
}

/// One link's counters at one moment.
public struct LinkSample: Sendable, Equatable {
    /// Batches queued and not yet taken by the consumer (a producer waiting to queue counts).
    public var bufferedBatches: Int
    /// Batches the link holds before the producer waits.
    public var capacity: Int
    public var examplesSent: Int
    public var examplesReceived: Int
    /// Whether the producing stage has ended (it sends nothing more).
    public var producerFinished: Bool

    public init(bufferedBatches: Int, capacity: Int, examplesSent: Int, examplesReceived: Int, producerFinished: Bool = false) {
        self.bufferedBatches = bufferedBatches
        self.capacity = capacity
        self.examplesSent = examplesSent
        self.examplesReceived = examplesReceived
        self.producerFinished = producerFinished
    }

    /// How full the link is, 0 (empty) to 1 (full).
    public var occupancy: Double { min(1, Double(bufferedBatches) / Double(max(1, capacity))) }
}

/// The pipeline's flow at one moment: stage names and the links between them
/// (`links[i]` connects `stages[i]` to `stages[i + 1]`).
public struct FlowSnapshot: Sendable, Equatable {
    public var time: ContinuousClock.Instant
    public var stages: [String]
    public var links: [LinkSample]

    public init(time: ContinuousClock.Instant, stages: [String], links: [LinkSample]) {
        self.time = time
        self.stages = stages
        self.links = links
    }
}

/// The links of the running pipeline, registered once when it starts (a lock taken per sample by
/// the reader, never by the stages).
final class FlowRegistry: Sendable {
    private let current = Mutex<(stages: [String], links: [LinkFlow])?>(nil)

    func attach(stages: [String], links: [LinkFlow]) {
        current.withLock { $0 = (stages, links) }
    }

    func snapshot() -> FlowSnapshot? {
        guard let (stages, links) = current.withLock({ $0 }) else { return nil }
        return FlowSnapshot(time: .now, stages: stages, links: links.map(\.sample))
    }
}

/// Per-stage throughput and the bottleneck stage, from successive ``FlowSnapshot``s.
///
/// Rates and link occupancies are smoothed exponentially over `smoothing`. A stage's pressure is
/// the occupancy of its input link minus that of its output link (a source counts its input as
/// full, a sink its output as empty): the bottleneck has work queued before it and an idle stage
/// after it, so it is the stage of highest pressure among those still working (a stage whose
/// output link is finished, or a sink whose finished input is empty, is done).
public struct FlowMeter: Sendable {
    /// One stage's figures.
    public struct StageFlow: Sendable, Equatable {
        public var name: String
        /// Examples taken from the input link per second (sent, for a source).
        public var examplesInPerSecond: Double
        /// Examples sent to the output link per second (taken, for a sink).
        public var examplesOutPerSecond: Double
        /// Input occupancy minus output occupancy, −1 to 1.
        public var pressure: Double
    }

    /// The smoothed view after the latest snapshot.
    public struct Reading: Sendable, Equatable {
        public var stages: [StageFlow]
        /// Smoothed occupancy of each link, 0 to 1.
        public var linkOccupancy: [Double]
        /// Index in `stages` of the bottleneck.
        public var bottleneck: Int
    }

    public let smoothing: Duration
    private var previous: FlowSnapshot?
    private var inRates: [Double] = []
    private var outRates: [Double] = []
    private var occupancy: [Double] = []

    public init(smoothing: Duration = .seconds(3)) {
        self.smoothing = smoothing
    }

    /// Folds in a snapshot; returns nil for the first one (no interval to measure rates over yet).
    public mutating func record(_ snapshot: FlowSnapshot) -> Reading? {
        defer { previous = snapshot }
        let stageCount = snapshot.stages.count
        guard let previous, previous.stages == snapshot.stages, snapshot.links.count == stageCount - 1 else {
            occupancy = snapshot.links.map(\.occupancy)
            inRates = Array(repeating: 0, count: stageCount)
            outRates = inRates
            return nil
        }
        let interval = (snapshot.time - previous.time).seconds
        guard interval > 0 else { return nil }
        let weight = 1 - exp(-interval / max(1e-3, smoothing.seconds))
        func blend(_ old: Double, _ new: Double) -> Double { old + weight * (new - old) }
        for index in snapshot.links.indices {
            occupancy[index] = blend(occupancy[index], snapshot.links[index].occupancy)
        }
        var stages: [StageFlow] = []
        for index in 0..<stageCount {
            let inLink = index > 0 ? index - 1 : nil
            let outLink = index < stageCount - 1 ? index : nil
            let taken = inLink.map { snapshot.links[$0].examplesReceived - previous.links[$0].examplesReceived }
            let sent = outLink.map { snapshot.links[$0].examplesSent - previous.links[$0].examplesSent }
            inRates[index] = blend(inRates[index], Double(taken ?? sent ?? 0) / interval)
            outRates[index] = blend(outRates[index], Double(sent ?? taken ?? 0) / interval)
            let pressure = (inLink.map { occupancy[$0] } ?? 1) - (outLink.map { occupancy[$0] } ?? 0)
            stages.append(StageFlow(
                name: snapshot.stages[index], examplesInPerSecond: inRates[index],
                examplesOutPerSecond: outRates[index], pressure: pressure))
        }
        let working = stages.indices.filter { index in
            if index < stageCount - 1 { return !snapshot.links[index].producerFinished }
            return !(index > 0 && snapshot.links[index - 1].producerFinished && snapshot.links[index - 1].bufferedBatches == 0)
        }
        let bottleneck = working.max { stages[$0].pressure < stages[$1].pressure } ?? stageCount - 1
        return Reading(stages: stages, linkOccupancy: occupancy, bottleneck: bottleneck)
    }
}
