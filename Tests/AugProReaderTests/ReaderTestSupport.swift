import AugProReader
import AugProRecords
import AugProRuntime
import AugProTestSupport
import Foundation
import Synchronization
import Testing

/// A sink that keeps everything it receives, for running the reader through a real pipeline.
final class CollectingSink: Stage, Sendable {
    typealias Input = TextRecord
    typealias Output = Never
    let name = "collector"
    private let received = Mutex<[TextRecord]>([])

    var records: [TextRecord] { received.withLock { $0 } }

    func run(input: StageInput<TextRecord>, output: StageOutput<Never>, context: StageContext) async throws {
        while let batch = try await input.next() {
            received.withLock { $0 += batch }
        }
    }
}

/// What a reader run produced.
struct ReaderRun {
    var records: [TextRecord]
    var details: [String: JSONValue]
    var progress: ProgressCounters

    var rejected: Int? { if case let .int(value) = details["rejected"] { value } else { nil } }
    var blankLines: Int? { if case let .int(value) = details["blank_lines"] { value } else { nil } }
}

/// What the Python reference (`fixtures/reader/scripts/reader_reference.py`) expects.
struct ReferenceResult {
    var records: [TextRecord]
    var rejectedLines: [Int]
    var blankLines: Int
}

enum ReaderHarness {
    static let referenceScript = TestEnvironment.fixture("reader/scripts/reader_reference.py")
    static let zstdScript = TestEnvironment.fixture("reader/scripts/zstd_reference.py")

    /// Runs `ReaderStage` → sink through `Pipeline`; throws the reader's own error on failure.
    static func read(_ options: ReaderOptions, chunkSize: Int = 1 << 20, batchSize: Int = 3) async throws -> ReaderRun {
        try await read(try ReaderStage(options: options, chunkSize: chunkSize), batchSize: batchSize)
    }

    /// Runs a configured `ReaderStage` → sink through `Pipeline`.
    static func read(_ reader: ReaderStage, batchSize: Int = 3) async throws -> ReaderRun {
        let sink = CollectingSink()
        let pipeline = try Pipeline(nodes: [PipelineNode(source: reader), PipelineNode(sink)], channelCapacity: 2)
        let context = StageContext(seed: 1, batchSize: batchSize)
        do {
            _ = try await pipeline.run(context: context)
        } catch let failure as StageFailure {
            throw failure.underlying
        }
        return ReaderRun(records: sink.records, details: reader.reportDetails(), progress: context.progress)
    }

    /// The reference's reading of the same file with the same options.
    static func reference(_ options: ReaderOptions, format: ReaderOptions.Format) throws -> ReferenceResult {
        var arguments: [String: Any] = [
            "path": options.path, "format": format.rawValue, "text": options.text,
            "max_line_bytes": options.maxLineBytes,
        ]
        arguments["columns"] = options.columns
        arguments["text_pair"] = options.textPair
        arguments["label"] = options.label
        arguments["labels"] = options.labels
        arguments["id"] = options.id
        let json = String(decoding: try JSONSerialization.data(withJSONObject: arguments), as: UTF8.self)
        let output = try TestEnvironment.runPython(referenceScript, arguments: [json])
        let parsed = try #require(try JSONSerialization.jsonObject(with: output) as? [String: Any])
        let rows = try #require(parsed["records"] as? [[String: Any]])
        let records = try rows.enumerated().map { ordinal, row in
            TextRecord(
                id: Int64(try #require(row["id"] as? Int)), line: try #require(row["line"] as? Int),
                text: try #require(row["text"] as? String), textPair: row["text_pair"] as? String,
                label: Int32(try #require(row["label"] as? Int)), ordinal: Int64(ordinal))
        }
        return ReferenceResult(
            records: records, rejectedLines: try #require(parsed["rejected_lines"] as? [Int]),
            blankLines: try #require(parsed["blank_lines"] as? Int))
    }

    /// Compresses `source` into `directory` with python zstandard (`mode`: oneshot, stream, concat).
    static func compressed(_ source: URL, into directory: URL, mode: String = "concat") throws -> URL {
        let target = directory.appendingPathComponent(source.lastPathComponent + ".zst")
        _ = try TestEnvironment.runPython(zstdScript, arguments: ["compress", source.path, target.path, mode])
        return target
    }

    /// The rejects file's entries as (line, reason, raw).
    static func rejects(at url: URL) throws -> [(line: Int, reason: String, raw: String)] {
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return (try #require(object["line"] as? Int), try #require(object["reason"] as? String),
                    try #require(object["raw"] as? String))
        }
    }
}
