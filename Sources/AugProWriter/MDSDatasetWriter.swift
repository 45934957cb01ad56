import AugProNumerics
import AugProRuntime
import Foundation

/// What a committed shard is: the facts `index.json` records for it, plus which rows it holds.
/// Handed to the commit callback as soon as the shard's file is durably under its final name.
public struct ShardCommit: Sendable, Equatable, Codable {
    /// The shard's number (0-based), as in `shard.00000.mds`.
    public var index: Int
    /// The uncompressed shard's name (`shard.00000.mds`), and the file's name when compressed.
    public var rawBasename: String
    public var zipBasename: String?
    public var rawBytes: Int
    public var zipBytes: Int?
    /// Hex digests by algorithm name (`sha1`, …) over the raw and over the compressed bytes.
    public var rawHashes: [String: String]
    public var zipHashes: [String: String]?
    public var samples: Int
    /// 0-based ordinals, over the whole dataset, of the first and last row in this shard.
    public var firstRow: Int
    public var lastRow: Int

    /// The name of the file on disk.
    public var basename: String { zipBasename ?? rawBasename }
}

/// Totals of a finished (or stopped) dataset write.
public struct MDSWriteSummary: Sendable, Equatable {
    public var shards: [ShardCommit]
    public var samples: Int { shards.reduce(0) { $0 + $1.samples } }
    public var rawBytes: Int { shards.reduce(0) { $0 + $1.rawBytes } }
    /// Bytes on disk of the shard files (compressed size when compressed).
    public var fileBytes: Int { shards.reduce(0) { $0 + ($1.zipBytes ?? $1.rawBytes) } }
}

/// A dataset-level failure of the writer.
public enum MDSWriterError: Error, CustomStringConvertible, Equatable {
    case outputNotEmpty(path: String, files: [String])
    case shardTooLarge(path: String, bytes: Int)
    case finished
    case resumeMismatch(path: String, reason: String)

    public var description: String {
        switch self {
        case let .outputNotEmpty(path, files):
            "\(path): the output folder already holds a dataset (\(files.prefix(3).joined(separator: ", "))"
                + "\(files.count > 3 ? ", …" : "")); remove it or set overwrite"
        case let .shardTooLarge(path, bytes):
            "\(path): a shard of \(bytes) bytes does not fit MDS's 32-bit offsets; lower shard_size"
        case .finished:
            "the dataset writer was already finished"
        case let .resumeMismatch(path, reason):
            "\(path): cannot resume the dataset: \(reason)"
        }
    }
}

/// Writes an MDS dataset exactly as MosaicML Streaming's `MDSWriter` lays it out: samples are
/// encoded into one buffer, cut into shards at `size_limit`, each shard hashed, compressed,
/// written atomically, and `index.json` written last.
///
/// One deliberate difference: Streaming writes an empty shard when the very first sample of a
/// shard alone exceeds `size_limit`; here such a sample gets a shard of its own instead.
/// Not thread-safe: one owner (the writer stage's task).
public final class MDSDatasetWriter {
    public let options: WriterOptions
    public let schema: MDSSchema
    private let files: AtomicFileWriter
    private let onShardCommitted: ((ShardCommit) throws -> Void)?
    private let shardConfig: [String: JSONValue]
    private let configBytes: [UInt8]
    private var builder: MDSSampleBuilder
    private var sampleSizes: [UInt32] = []
    private var shardBytes: Int
    private var shardEntries: [JSONValue] = []
    private var rowsWritten = 0
    private var isFinished = false
    /// The committed shards so far.
    public private(set) var committed: [ShardCommit] = []

    /// Prepares `options.path` (created when missing; an existing dataset there is an error
    /// unless `options.overwrite`).
    ///
    /// To resume an interrupted run, pass the commits it reported (`resuming`, in order): their
    /// files are kept (and checked by size), every other dataset file in the folder is removed,
    /// shard numbering and row ordinals continue after them, and `index.json` will list them.
    /// The caller then writes the rows after `resuming.last!.lastRow`.
    ///
    /// `onShardCommitted` runs right after each shard file is durably in place; an error it
    /// throws fails the write that committed the shard (the shard stays on disk).
    public init(
        options: WriterOptions, schema: MDSSchema, resuming: [ShardCommit] = [],
        onShardCommitted: ((ShardCommit) throws -> Void)? = nil
    ) throws {
        self.options = options
        self.schema = schema
        self.files = AtomicFileWriter(directory: options.path)
        self.onShardCommitted = onShardCommitted
        let config: [String: JSONValue] = [
            "column_encodings": .array(schema.columns.map { .string($0.encoding.name) }),
            "column_names": .array(schema.columns.map { .string($0.name) }),
            "column_sizes": .array(schema.columns.map { $0.encoding.fixedSize.map(JSONValue.int) ?? .null }),
            "compression": options.compression.indexName.map(JSONValue.string) ?? .null,
            "format": .string("mds"),
            "hashes": .array(options.hashes.map { .string($0.rawValue) }),
            "size_limit": .int(options.shardSize),
            "version": .int(2),
        ]
        self.shardConfig = config
        self.configBytes = Array(pythonJSONDumps(.object(config)).utf8)
        self.shardBytes = 4 + 4 + configBytes.count
        self.builder = MDSSampleBuilder(schema: schema, reservingCapacity: min(options.shardSize, 1 << 26))
        try prepareDirectory(keeping: resuming)
        committed = resuming
        shardEntries = resuming.map(indexEntry)
        rowsWritten = resuming.last.map { $0.lastRow + 1 } ?? 0
    }

    private func prepareDirectory(keeping resumed: [ShardCommit]) throws {
        let manager = FileManager.default
        try manager.createDirectory(atPath: options.path, withIntermediateDirectories: true)
        for (number, commit) in resumed.enumerated() {
            let names = shardNames(number)
            let path = options.path + "/" + commit.basename
            let hashNames = Set(options.hashes.map(\.rawValue))
            guard commit.index == number, commit.rawBasename == names.raw, commit.zipBasename == names.zip,
                  Set(commit.rawHashes.keys) == hashNames
            else {
                throw MDSWriterError.resumeMismatch(
                    path: path, reason: "shard \(number) is not \(names.zip ?? names.raw) with the configured compression and hashes")
            }
            let size = (try? manager.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
            guard size == (commit.zipBytes ?? commit.rawBytes) else {
                throw MDSWriterError.resumeMismatch(
                    path: path, reason: "the committed shard is missing or has \(size.map(String.init) ?? "no") bytes")
            }
        }
        let kept = Set(resumed.map(\.basename))
        let existing = try manager.contentsOfDirectory(atPath: options.path).filter {
            !kept.contains($0) && Self.isDatasetFile($0)
        }.sorted()
        guard !existing.isEmpty else { return }
        guard options.overwrite || !resumed.isEmpty else {
            throw MDSWriterError.outputNotEmpty(path: options.path, files: existing)
        }
        for name in existing {
            try manager.removeItem(atPath: options.path + "/" + name)
        }
    }

    /// Whether `name` is a file this writer makes (other stages may keep files in the same folder).
    static func isDatasetFile(_ name: String) -> Bool {
        let base = name.hasPrefix(".tmp-") ? String(name.dropFirst(5)) : name
        return base == "index.json" || base.hasPrefix("shard.")
    }

    /// Encodes one row with `encode` (which appends every column in schema order) and adds it,
    /// first committing the current shard when the row would take it past `size_limit`.
    public func write(_ encode: (inout MDSSampleBuilder) throws -> Void) throws {
        guard !isFinished else { throw MDSWriterError.finished }
        let start = builder.bytes.count
        builder.sampleIndex = Int64(rowsWritten)
        builder.beginSample()
        do {
            try encode(&builder)
        } catch {
            builder.discardSample()
            throw error
        }
        let length = builder.endSample()
        if !sampleSizes.isEmpty && options.shardSize < shardBytes + length + 4 {
            try commitShard(sampleBytes: start)
            builder.removeFirst(start)
        }
        sampleSizes.append(UInt32(truncatingIfNeeded: length))
        shardBytes += length + 4
        rowsWritten += 1
    }

    /// Commits the last shard and writes `index.json`. Returns what was written.
    @discardableResult
    public func finish() throws -> MDSWriteSummary {
        guard !isFinished else { throw MDSWriterError.finished }
        if !sampleSizes.isEmpty {
            try commitShard(sampleBytes: builder.bytes.count)
            builder.removeFirst(builder.bytes.count)
        }
        let index = pythonJSONDumps(.object(["shards": .array(shardEntries), "version": .int(2)]))
        let bytes = Array(index.utf8)
        try bytes.withUnsafeBytes { try files.write("index.json", parts: [$0]) }
        isFinished = true
        return summary
    }

    /// Stops without writing `index.json`: drops buffered rows and any temporary file. Committed
    /// shards stay (complete, under their final names).
    public func abandon() {
        isFinished = true
        builder.removeFirst(builder.bytes.count)
        sampleSizes.removeAll()
        let next = shardNames(committed.count)
        files.removeTemporary(for: next.zip ?? next.raw)
        files.removeTemporary(for: "index.json")
    }

    /// What has been committed so far.
    public var summary: MDSWriteSummary { MDSWriteSummary(shards: committed) }

    private func shardNames(_ number: Int) -> (raw: String, zip: String?) {
        let digits = String(number)
        let raw = "shard." + String(repeating: "0", count: max(0, 5 - digits.count)) + digits + ".mds"
        return (raw, options.compression.fileExtension.map { raw + "." + $0 })
    }

    private func hexDigests(_ parts: [UnsafeRawBufferPointer]) -> [String: String] {
        Dictionary(uniqueKeysWithValues: options.hashes.map { algorithm in
            var digest = algorithm.makeDigest()
            for part in parts { digest.update(part) }
            return (algorithm.rawValue, digest.hexDigest())
        })
    }

    /// Writes the buffered samples in `builder.bytes[0..<sampleBytes]` as the next shard.
    private func commitShard(sampleBytes: Int) throws {
        let count = sampleSizes.count
        let headerSize = 4 + 4 * (count + 1) + configBytes.count
        let rawSize = headerSize + sampleBytes
        let names = shardNames(committed.count)
        guard rawSize <= WriterOptions.maximumShardSize else {
            throw MDSWriterError.shardTooLarge(path: options.path + "/" + names.raw, bytes: rawSize)
        }
        var header = [UInt8]()
        header.reserveCapacity(headerSize)
        withUnsafeBytes(of: UInt32(count).littleEndian) { header.append(contentsOf: $0) }
        var offset = UInt32(headerSize)
        for size in [0] + sampleSizes {
            offset += size
            withUnsafeBytes(of: offset.littleEndian) { header.append(contentsOf: $0) }
        }
        header.append(contentsOf: configBytes)

        // The raw shard is header + samples; it is hashed, compressed and written from the two
        // parts, never copied into one buffer.
        let (rawHashes, zipped) = try header.withUnsafeBytes { headerBytes in
            try builder.bytes.withUnsafeBytes { all -> ([String: String], [UInt8]?) in
                let parts = [headerBytes, UnsafeRawBufferPointer(rebasing: all[0..<sampleBytes])]
                let hashes = hexDigests(parts)
                if case .zstd(let level) = options.compression {
                    return (hashes, try Zstd.compress(parts: parts, level: Int32(level)))
                }
                try files.write(names.raw, parts: parts)
                return (hashes, nil)
            }
        }
        let zipHashes = zipped.map { data in data.withUnsafeBytes { hexDigests([$0]) } }
        if let zipped, let zipName = names.zip {
            try zipped.withUnsafeBytes { try files.write(zipName, parts: [$0]) }
        }

        let commit = ShardCommit(
            index: committed.count, rawBasename: names.raw, zipBasename: names.zip,
            rawBytes: rawSize, zipBytes: zipped?.count, rawHashes: rawHashes, zipHashes: zipHashes,
            samples: count, firstRow: rowsWritten - count, lastRow: rowsWritten - 1)
        committed.append(commit)
        shardEntries.append(indexEntry(commit))
        sampleSizes.removeAll(keepingCapacity: true)
        shardBytes = 4 + 4 + configBytes.count
        try onShardCommitted?(commit)
    }

    private func indexEntry(_ commit: ShardCommit) -> JSONValue {
        func fileInfo(_ basename: String, _ bytes: Int, _ hashes: [String: String]) -> JSONValue {
            .object([
                "basename": .string(basename), "bytes": .int(bytes),
                "hashes": .object(hashes.mapValues(JSONValue.string)),
            ])
        }
        var entry = shardConfig
        entry["samples"] = .int(commit.samples)
        entry["raw_data"] = fileInfo(commit.rawBasename, commit.rawBytes, commit.rawHashes)
        if let zipName = commit.zipBasename, let zipBytes = commit.zipBytes, let zipHashes = commit.zipHashes {
            entry["zip_data"] = fileInfo(zipName, zipBytes, zipHashes)
        } else {
            entry["zip_data"] = .null
        }
        return .object(entry)
    }
}
