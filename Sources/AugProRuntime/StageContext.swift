import Synchronization

/// Run-wide facts and shared counters handed to every stage.
public final class StageContext: Sendable {
    /// The pipeline seed: every random choice derives from it and the example id.
    public let seed: UInt64
    /// Examples per channel message.
    public let batchSize: Int
    /// Live counters for progress display.
    public let progress: ProgressCounters
    private let stopFlag = Atomic<Bool>(false)

    public init(seed: UInt64, batchSize: Int, progress: ProgressCounters = ProgressCounters()) {
        self.seed = seed
        self.batchSize = batchSize
        self.progress = progress
    }

    /// Set when the user asked the run to stop (SIGINT/SIGTERM): sources stop producing.
    public var stopRequested: Bool { stopFlag.load(ordering: .relaxed) }

    /// Asks source stages to stop producing.
    public func requestStop() { stopFlag.store(true, ordering: .relaxed) }

    /// Throws ``StopRequested`` once a stop was requested. A source calls this between batches:
    /// ending with an error (not a normal end of input) lets downstream stages process the
    /// batches already in flight and then stop without finishing their output as complete.
    public func checkStop() throws {
        if stopRequested { throw StopRequested() }
    }
}

/// Thrown by a source stage when the run was asked to stop (SIGINT/SIGTERM).
public struct StopRequested: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the run was asked to stop" }
}

/// Counters the progress display reads while the pipeline runs.
public final class ProgressCounters: Sendable {
    private let bytesReadValue = Atomic<Int>(0)
    private let totalBytesValue = Atomic<Int>(0)
    private let examplesReadValue = Atomic<Int>(0)
    private let samplesWrittenValue = Atomic<Int>(0)
    /// The running pipeline's links, registered by ``Pipeline/run(context:)``.
    let flow = FlowRegistry()

    public init() {}

    /// Every link's counters now, or nil before the pipeline started.
    public func flowSnapshot() -> FlowSnapshot? { flow.snapshot() }

    public var bytesRead: Int { bytesReadValue.load(ordering: .relaxed) }
    public var totalBytes: Int { totalBytesValue.load(ordering: .relaxed) }
    public var examplesRead: Int { examplesReadValue.load(ordering: .relaxed) }
    public var samplesWritten: Int { samplesWrittenValue.load(ordering: .relaxed) }

    public func setTotalBytes(_ value: Int) { totalBytesValue.store(value, ordering: .relaxed) }
    public func setBytesRead(_ value: Int) { bytesReadValue.store(value, ordering: .relaxed) }
    public func addExamplesRead(_ count: Int) { examplesReadValue.add(count, ordering: .relaxed) }
    public func addSamplesWritten(_ count: Int) { samplesWrittenValue.add(count, ordering: .relaxed) }
}
