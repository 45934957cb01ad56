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
    /// Commits of an interrupted run to continue after (see ``MDSDatasetWriter``); the input
    /// must then start at row `resuming.last!.lastRow + 1`.
    public let resuming: [ShardCommit]
    private let onShardCommitted: (@Sendable (ShardCommit) -> Void)?
    private let state: SummaryBox

    /// - Parameters:
    ///   - encoder: the row encoder, which fixes the dataset's columns.
    ///   - onShardCommitted: called (on the writer's task) after each shard file is durably in place.
    public init(
        name: String = "writer", options: WriterOptions, encoder: some MDSRowEncoder<Row>,
        resuming: [ShardCommit] = [], onShardCommitted: (@Sendable (ShardCommit) -> Void)? = nil
    ) {
        self.name = name
        self.options = options
        self.encoder = encoder
        self.resuming = resuming
        self.onShardCommitted = onShardCommitted
        self.state = SummaryBox(resuming)
    }

    public func run(input: StageInput<Row>, output: StageOutput<Never>, context: StageContext) async throws {
        let state = self.state
        let userCallback = onShardCommitted
        let writer = try MDSDatasetWriter(options: options, schema: encoder.schema, resuming: resuming) { commit in
            state.value.withLock { $0.shards.append(commit) }
            userCallback?(commit)
        }
        do {
            while let batch = try await input.next() {
                for row in batch {
                    try writer.write { try encoder.encode(row, into: &$0) }
                }
                context.progress.addSamplesWritten(batch.count)
            }
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
