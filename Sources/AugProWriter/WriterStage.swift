import AugProRuntime
import Synchronization

/// The pipeline's sink: writes every row it receives into an MDS dataset at `options.path`.
///
/// On the normal end of input it commits the last shard and writes `index.json`. When input
/// fails (cancellation) or a row cannot be encoded, it removes its temporary file and rethrows:
/// shards committed before stay complete under their final names, nothing partial does, and
/// without `index.json` the folder is not a readable dataset.
public struct WriterStage<Row: Sendable>: Stage {
    public typealias Input = Row
    public typealias Output = Never

    public let name: String
    public let options: WriterOptions
    public let encoder: any MDSRowEncoder<Row>
    /// Commits of an interrupted run to continue after (see ``MDSDatasetWriter``).
    public let resuming: [ShardCommit]
    /// The restart point recorded with `resuming.last`: the input starts at its ordinal and its
    /// first `skip` rows (already committed) are checked against the committed bytes and dropped.
    public let restart: RestartPoint
    public let tracking: RestartTracking<Row>?
    /// Input ordinals at whose multiples a new shard starts (`partition_size`), so that a
    /// worker's part and a one-machine run cut the same shards; nil: shards are cut by size only.
    public var shardPartition: Int64?
    private let onShardCommitted: (@Sendable (ShardCommit, RestartPoint) throws -> Void)?
    private let state: SummaryBox

    /// - Parameters:
    ///   - encoder: the row encoder, which fixes the dataset's columns.
    ///   - resuming, restart: what an interrupted run committed and where it said to restart.
    ///   - tracking: how to compute restart points (without it, every point is the beginning).
    ///   - onCommit: called (on the writer's task) after each shard file is durably in place,
    ///     with the restart point covering it; a thrown error fails the run.
    public init(
        name: String = "writer", options: WriterOptions, encoder: some MDSRowEncoder<Row>,
        resuming: [ShardCommit] = [], restart: RestartPoint, tracking: RestartTracking<Row>?,
        onCommit: (@Sendable (ShardCommit, RestartPoint) throws -> Void)?
    ) {
        self.name = name
        self.options = options
        self.encoder = encoder
        self.resuming = resuming
        self.restart = resuming.isEmpty ? .beginning : restart
        self.tracking = tracking
        self.onShardCommitted = onCommit
        self.state = SummaryBox(resuming)
    }

    /// A writer without restart tracking; `onShardCommitted` is called after each commit.
    public init(
        name: String = "writer", options: WriterOptions, encoder: some MDSRowEncoder<Row>,
        resuming: [ShardCommit] = [], onShardCommitted: (@Sendable (ShardCommit) -> Void)? = nil
    ) {
        self.init(
            name: name, options: options, encoder: encoder, resuming: resuming, restart: .beginning, tracking: nil,
            onCommit: onShardCommitted.map { callback in { @Sendable commit, _ in callback(commit) } })
    }

    public func run(input: StageInput<Row>, output: StageOutput<Never>, context: StageContext) async throws {
        let state = self.state
        let userCallback = onShardCommitted
        let resumedRows = resuming.last.map { $0.lastRow + 1 } ?? 0
        var tracker = RestartTracker(granule: tracking?.granule ?? 1, resumedRows: resumedRows, restart: restart)
        let ordinal = tracking?.ordinal
        let writer = try MDSDatasetWriter(options: options, schema: encoder.schema, resuming: resuming) { commit in
            state.value.withLock { $0.shards.append(commit) }
            try userCallback?(commit, tracker.point(committedRows: commit.lastRow + 1))
        }
        var toSkip = restart.skip
        let partition = shardPartition
        var currentUnit: Int64?
        func unit(of row: Row) -> Int64? {
            guard let partition, let value = ordinal?(row), value >= 0 else { return nil }
            return value / partition
        }
        // After a stop request the writer goes on only until its next shard commit.
        var commitsWhenStopSeen: Int?
        do {
            var tail = try CommittedTail(directory: options.path, shards: resuming, count: toSkip, schema: encoder.schema)
            while let batch = try await input.next() {
                if context.stopRequested {
                    let commits = state.value.withLock { $0.shards.count }
                    if let seen = commitsWhenStopSeen, commits > seen { throw StopRequested() }
                    commitsWhenStopSeen = commitsWhenStopSeen ?? commits
                }
                for row in batch {
                    if toSkip > 0 {
                        try tail.check(row, encoder: encoder)
                        toSkip -= 1
                        currentUnit = unit(of: row) ?? currentUnit
                        continue
                    }
                    if let rowUnit = unit(of: row) {
                        if let currentUnit, currentUnit != rowUnit { try writer.startNewShard() }
                        currentUnit = rowUnit
                    }
                    try writer.write { try encoder.encode(row, into: &$0) }
                    tracker.record(ordinal: ordinal?(row) ?? -1)
                }
                context.progress.addSamplesWritten(batch.count)
            }
            guard toSkip == 0 else {
                throw MDSWriterError.resumeMismatch(
                    path: options.path,
                    reason: "the input ended \(toSkip) rows before the end of the committed shards (was the input changed?)")
            }
            // A run asked to stop never finishes the dataset, even when its input ran out.
            try context.checkStop()
            try writer.finish()
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// What was written so far.
    public var summary: MDSWriteSummary { state.value.withLock { $0 } }

    public func reportDetails() -> [String: JSONValue] {
        let summary = self.summary
        return [
            "shards": .int(summary.shards.count),
            "samples": .int(summary.samples),
            "bytes_raw": .int(summary.rawBytes),
            "bytes_zip": options.compression == .none ? .null : .int(summary.fileBytes),
            "path": .string(options.path),
        ]
    }
}

/// The shards a writer stage committed, shared between its task and the report.
private final class SummaryBox: Sendable {
    let value: Mutex<MDSWriteSummary>

    init(_ shards: [ShardCommit]) { value = Mutex(MDSWriteSummary(shards: shards)) }
}
