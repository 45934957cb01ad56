import AugProNumerics
import AugProTestSupport
import AugProWriter
import Foundation
import Synchronization
import Testing

/// A row with one column of every encoding the writer produces.
struct AllTypesRow: Sendable, Equatable {
    var count: Int64
    var label: Int32
    var weight: Float
    var title: String
    var ids: [Int32]
    var bytes: [UInt8]
    var values: [Float]
    var wide: [Int64]
}

/// Writes ``AllTypesRow`` with column names chosen so that storage order differs from the
/// declaration order.
struct AllTypesEncoder: MDSRowEncoder {
    /// The names in the order Python's `sorted()` gives.
    static let sortedNames = ["bytes", "count", "ids", "label", "title", "values", "weight", "wide"]

    let schema = try! MDSSchema([
        MDSColumn("weight", .float32), MDSColumn("count", .int64), MDSColumn("wide", .ndarray(.int64)),
        MDSColumn("title", .str), MDSColumn("label", .int32), MDSColumn("ids", .ndarray(.int32)),
        MDSColumn("bytes", .ndarray(.uint8)), MDSColumn("values", .ndarray(.float32)),
    ])

    func encode(_ row: AllTypesRow, into sample: inout MDSSampleBuilder) throws {
        try sample.append(array: row.bytes)
        sample.append(int64: row.count)
        try sample.append(array: row.ids)
        sample.append(int32: row.label)
        sample.append(string: row.title)
        try sample.append(array: row.values)
        sample.append(float32: row.weight)
        try sample.append(array: row.wide)
    }
}

/// A row of an `id` int64 + `text` str dataset, whose encoded size the tests compute by hand.
struct IDTextRow: Sendable {
    var id: Int64
    var text: String
}

struct IDTextEncoder: MDSRowEncoder {
    let schema = try! MDSSchema([MDSColumn("id", .int64), MDSColumn("text", .str)])

    func encode(_ row: IDTextRow, into sample: inout MDSSampleBuilder) throws {
        sample.append(int64: row.id)
        sample.append(string: row.text)
    }

    /// Spec size of a sample: one u32 length (text is the only variable column) + 8 + UTF-8 bytes.
    static func sampleSize(_ row: IDTextRow) -> Int { 4 + 8 + row.text.utf8.count }
}

enum MDSTest {
    static let readerScript = TestEnvironment.packageRoot.appendingPathComponent("Tests/AugProWriterTests/mds_reader.py")

    /// Every sample as the independent Python reader decodes it (JSON objects), in order.
    static func pythonSamples(_ directory: URL, withShard: Bool = false) throws -> [[String: Any]] {
        let output = try TestEnvironment.runPython(
            readerScript, arguments: [directory.path] + (withShard ? ["--with-shard"] : []))
        return try String(decoding: output, as: UTF8.self).split(separator: "\n").map { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        }
    }

    /// The Python reader's exit status and standard error (for datasets that must be rejected).
    static func pythonReaderResult(_ directory: URL) throws -> TestEnvironment.ProcessResult {
        guard let python = TestEnvironment.python else { throw TestEnvironmentError.missingPython }
        return try TestEnvironment.runCapturing(python, arguments: [readerScript.path, directory.path])
    }

    /// Writes `rows` synchronously and returns the summary.
    @discardableResult
    static func write<E: MDSRowEncoder>(
        _ rows: [E.Row], encoder: E, to directory: URL, compression: ShardCompression = .none,
        shardSize: Int = WriterOptions.defaultShardSize, hashes: [DigestAlgorithm] = [.sha1]
    ) throws -> MDSWriteSummary {
        let options = try WriterOptions(
            path: directory.path, compression: compression, shardSize: shardSize, hashes: hashes, overwrite: true)
        let writer = try MDSDatasetWriter(options: options, schema: encoder.schema)
        for row in rows {
            try writer.write { try encoder.encode(row, into: &$0) }
        }
        return try writer.finish()
    }

    static func files(_ directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    static func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }
    static func float(_ value: Any?) -> Float? { (value as? NSNumber).map { Float($0.doubleValue) } }
    static func ints(_ value: Any?) -> [Int64]? { (value as? [Any])?.compactMap(int) }
    static func floats(_ value: Any?) -> [Float]? { (value as? [Any])?.compactMap(float) }

    /// Deterministic pseudo-random values for test inputs.
    typealias Numbers = SeededRandom
}

/// Values collected from callbacks that may run on other tasks.
final class Collected<Value: Sendable>: Sendable {
    private let storage = Mutex<[Value]>([])

    func append(_ value: Value) { storage.withLock { $0.append(value) } }
    var values: [Value] { storage.withLock { $0 } }
}
