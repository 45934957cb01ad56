import AugProRecords
import AugProRuntime
import Synchronization

/// The first stage: streams a TSV, CSV or JSON Lines corpus (optionally `.zst`) as batches of
/// ``TextRecord``, in file order, with memory bounded by the chunk size and `max_line_bytes`.
///
/// Bad rows fail the run with `FILE:LINE: reason`, or in `skip` mode go to `rejects.jsonl` and
/// are counted in the report. Empty lines are skipped and counted as `blank_lines`.
///
/// Rules: TSV/CSV rows must have the header's column count; text (and text pair) must be valid
/// UTF-8 and not only whitespace; in JSON Lines, text fields must be strings, the label a string
/// or integer, the id an integer (or integer string), a wanted key may appear once, and other
/// keys are validated as JSON and ignored. Line endings are `\n` or `\r\n` (not a lone `\r`).
public struct ReaderStage: SourceStage {
    public typealias Output = TextRecord

    public let name = "reader"
    public let options: ReaderOptions
    /// Bytes per read from the file (tests use tiny chunks so records straddle them).
    public let chunkSize: Int
    /// Records with a smaller ``TextRecord/ordinal`` are parsed (so ids, counts and
    /// `rejects.jsonl` come out as in a full run) but not emitted: a resumed run starts here.
    public let startOrdinal: Int64
    /// A worker's part of the input (nil: all of it): parsing starts at its position and stops at
    /// its last ordinal.
    public let range: ReaderRange?
    private let statistics = Statistics()

    /// Checks the options (not the file: see ``checkInput()``).
    public init(options: ReaderOptions, chunkSize: Int = 1 << 20, startOrdinal: Int64 = 0, range: ReaderRange? = nil) throws {
        try options.validate()
        _ = try options.resolvedFormat()
        self.options = options
        self.chunkSize = max(1, chunkSize)
        self.range = range
        self.startOrdinal = max(0, startOrdinal, range?.ordinals.lowerBound ?? 0)
    }

    /// Opens the file and reads its header, so that a missing file or column fails before the
    /// pipeline starts.
    public func checkInput() throws {
        let parser = try CorpusParser(options: options, chunkSize: min(chunkSize, 1 << 16))
        try parser.close()
    }

    public func run(output: StageOutput<TextRecord>, context: StageContext) async throws {
        let total = try fileSize(options.path)
        context.progress.setTotalBytes(total)
        let parser = try CorpusParser(options: options, chunkSize: chunkSize)
        let end = range?.ordinals.upperBound ?? .max
        do {
            if let range { try parser.restrict(to: range) }
            var more = Int64(parser.counts.read) < end
            while more {
                try context.checkStop()
                let limit = Int(min(Int64(max(1, context.batchSize)), end - Int64(parser.counts.read)))
                var batch: [TextRecord] = []
                batch.reserveCapacity(limit)
                more = try parser.next(into: &batch, limit: limit) && Int64(parser.counts.read) < end
                let seen = parser.counts
                statistics.counts.withLock { $0 = seen }
                context.progress.setBytesRead(parser.fileBytesRead)
                if let first = batch.first, first.ordinal < startOrdinal {
                    batch.removeAll { $0.ordinal < startOrdinal }
                }
                context.progress.addExamplesRead(batch.count)
                try await output.send(batch)
            }
        } catch {
            try? parser.close()
            let seen = parser.counts
            statistics.counts.withLock { $0 = seen }
            throw error
        }
        try parser.close()
    }

    /// `read`, `rejected`, `blank_lines`, `bytes_read` (of the file), `format`, `compressed`,
    /// `rejects` (the file's path) when rows were rejected, and `resumed_over` (records parsed
    /// but not emitted) when starting after ordinal 0.
    public func reportDetails() -> [String: JSONValue] {
        let seen = statistics.counts.withLock { $0 }
        var details: [String: JSONValue] = [
            "read": .int(seen.read),
            "rejected": .int(seen.rejected),
            "blank_lines": .int(seen.blankLines),
            "bytes_read": .int(seen.fileBytes),
            "format": .string((try? options.resolvedFormat().rawValue) ?? "unknown"),
            "compressed": .bool(options.isCompressed),
        ]
        if seen.rejected > 0, let url = options.rejectsURL {
            details["rejects"] = .string(url.path)
        }
        if startOrdinal > 0 { details["resumed_over"] = .int(min(seen.read, Int(startOrdinal))) }
        return details
    }

    /// The counts shared between the running stage and the report.
    private final class Statistics: Sendable {
        let counts = Mutex(ReaderCounts())
    }
}
