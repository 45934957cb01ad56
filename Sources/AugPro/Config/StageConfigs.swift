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
    public var onError: String
    public var maxLineBytes: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case path, format, text, label, labels, id
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
        onError = try container.decodeChoice(.onError, ["fail", "skip"], default: "fail")
        maxLineBytes = try container.decodeInt(.maxLineBytes, in: 16...(1 << 30), default: 1 << 20)
    }
}

/// `writer:` — the MDS dataset to write.
public struct WriterConfig: Decodable, Sendable {
    public var path: URL
    /// zstd level, or nil for no compression.
    public var zstdLevel: Int?
    public var shardSize: Int
    public var hashes: [String]

    /// Hash algorithms the writer supports and StreamingDataset validates.
    public static let supportedHashes = ["sha1", "sha256", "xxh64"]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case path, compression, hashes
        case shardSize = "shard_size"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        path = try container.decodePath(.path, in: decoder, mustExist: false)
        let compression = try container.decodeIfPresent(String.self, forKey: .compression) ?? "zstd:3"
        if compression == "none" {
            zstdLevel = nil
        } else if compression.hasPrefix("zstd:"), let level = Int(compression.dropFirst(5)), (1...22).contains(level) {
            zstdLevel = level
        } else {
            throw container.issue(.compression, "expected zstd:N with N in 1...22, or none; got `\(compression)`")
        }
        if let bytes = try? container.decodeIfPresent(Int.self, forKey: .shardSize) {
            shardSize = bytes
        } else if let text = try container.decodeIfPresent(String.self, forKey: .shardSize) {
            guard let bytes = ByteSize.parse(text) else {
                throw container.issue(.shardSize, "expected a size like 64MB, 512KiB or 1048576; got `\(text)`")
            }
            shardSize = bytes
        } else {
            shardSize = 64 << 20
        }
        guard shardSize >= 1024 else {
            throw container.issue(.shardSize, "expected at least 1KB, got \(shardSize) bytes")
        }
        hashes = try container.decodeIfPresent([String].self, forKey: .hashes) ?? ["sha1"]
        guard !hashes.isEmpty else { throw container.issue(.hashes, "expected at least one of \(Self.supportedHashes.joined(separator: ", "))") }
        for (index, hash) in hashes.enumerated() where !Self.supportedHashes.contains(hash) {
            throw ConfigIssue(
                codingPath: container.codingPath + [CodingKeys.hashes, AnyKey(intValue: index)],
                message: "expected one of \(Self.supportedHashes.joined(separator: ", ")), got `\(hash)`")
        }
    }
}

/// Parses human byte sizes: `64MB`, `512KiB`, `1GB`, `4096`.
public enum ByteSize {
    /// The number of bytes, or nil when the text is not a size. Units are powers of 1024 whether
    /// written KB or KiB, as in MosaicML Streaming (`64MB` = 2^26, its default `size_limit`).
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber }
        guard let value = Int(digits), !digits.isEmpty else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Int] = [
            "": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
            "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : product
    }
}
