import AugProNumerics
import AugProWriter
import Foundation

/// `reader:` — where the corpus is and which fields to take.
public struct ReaderConfig: Decodable, Sendable {
    public var path: URL
    public var format: String?
    public var text: String
    public var textPair: String?
    public var label: String?
    public var labels: [String]?
    public var id: String?
    /// Column names for a TSV/CSV without a header row.
    public var columns: [String]?
    public var onError: String
    public var maxLineBytes: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case path, format, text, label, labels, id, columns
        case textPair = "text_pair"
        case onError = "on_error"
        case maxLineBytes = "max_line_bytes"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decodePath(.path, in: decoder, mustExist: true)
        format = try container.decodeIfPresent(String.self, forKey: .format)
        if let format, !["tsv", "csv", "jsonl"].contains(format) {
            throw container.issue(.format, "expected one of tsv | csv | jsonl, got `\(format)`")
        }
        text = try container.decode(String.self, forKey: .text)
        textPair = try container.decodeIfPresent(String.self, forKey: .textPair)
        label = try container.decodeIfPresent(String.self, forKey: .label)
        labels = try container.decodeIfPresent([String].self, forKey: .labels)
        if let labels {
            guard !labels.isEmpty, Set(labels).count == labels.count else {
                throw container.issue(.labels, "expected a non-empty list of distinct label names")
            }
            guard label != nil else { throw container.issue(.labels, "`labels` needs `label` (the label column)") }
        }
        id = try container.decodeIfPresent(String.self, forKey: .id)
        columns = try container.decodeIfPresent([String].self, forKey: .columns)
        onError = try container.decodeChoice(.onError, ["fail", "skip"], default: "fail")
        maxLineBytes = try container.decodeInt(.maxLineBytes, in: 16...(1 << 30), default: 1 << 20)
    }
}

/// `writer:` — the MDS dataset to write.
public struct WriterConfig: Decodable, Sendable {
    public var path: URL
    public var compression: ShardCompression
    public var shardSize: Int
    public var hashes: [DigestAlgorithm]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case path, compression, hashes
        case shardSize = "shard_size"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decodePath(.path, in: decoder, mustExist: false)
        let compressionText = try container.decodeIfPresent(String.self, forKey: .compression) ?? "zstd:3"
        do {
            compression = try ShardCompression(parsing: compressionText)
        } catch {
            throw container.issue(.compression, "expected zstd:N with N in 1...22, or none; got `\(compressionText)`")
        }
        if let bytes = try? container.decodeIfPresent(Int.self, forKey: .shardSize) {
            shardSize = bytes
        } else if let text = try container.decodeIfPresent(String.self, forKey: .shardSize) {
            guard let bytes = try? parseByteSize(text) else {
                throw container.issue(.shardSize, "expected a size like 64MB, 512KiB or 1048576; got `\(text)`")
            }
            shardSize = bytes
        } else {
            shardSize = WriterOptions.defaultShardSize
        }
        guard (1024...WriterOptions.maximumShardSize).contains(shardSize) else {
            throw container.issue(.shardSize, "expected a size from 1KB to 4GiB, got \(shardSize) bytes")
        }
        hashes = try container.decodeEnumList(.hashes, default: [.sha1])
    }
}
