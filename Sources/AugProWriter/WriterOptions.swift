import AugProNumerics
import Foundation

/// How shard files are compressed.
public enum ShardCompression: Sendable, Equatable {
    /// Raw `shard.NNNNN.mds` files.
    case none
    /// `shard.NNNNN.mds.zstd` files: one zstd frame with the content size recorded, level 1…22.
    case zstd(level: Int)

    /// Parses a config value: `none`, `zstd` (level 3) or `zstd:N` with N in 1…22.
    public init(parsing text: String) throws {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch value {
        case "none", "null", "":
            self = .none
        case "zstd":
            self = .zstd(level: 3)
        default:
            guard value.hasPrefix("zstd:"), let level = Int(value.dropFirst(5)), (1...22).contains(level) else {
                throw WriterOptionsError.badCompression(text)
            }
            self = .zstd(level: level)
        }
    }

    /// The name recorded in `index.json` (`zstd:3`), or nil when uncompressed.
    public var indexName: String? {
        switch self {
        case .none: nil
        case .zstd(let level): "zstd:\(level)"
        }
    }

    /// The extension added to a compressed shard's name.
    var fileExtension: String? {
        switch self {
        case .none: nil
        case .zstd: "zstd"
        }
    }
}

/// Settings of the MDS writer (the `writer` stage of a pipeline).
public struct WriterOptions: Sendable, Equatable {
    /// The output folder; created when missing.
    public var path: String
    public var compression: ShardCompression
    /// A shard is closed before a sample would take it past this many bytes (Streaming's
    /// `size_limit`, counting the header and 4 bytes per sample).
    public var shardSize: Int
    /// Hashes recorded for every shard file, kept sorted and unique.
    public var hashes: [DigestAlgorithm]
    /// When true, `index.json`, `shard.*` and leftover `.tmp-index.json`/`.tmp-shard.*` files in `path` are
    /// deleted before writing; when false their presence is an error.
    public var overwrite: Bool

    /// Streaming's default `size_limit`: 64 MiB.
    public static let defaultShardSize = 1 << 26
    /// The largest shard whose offsets fit MDS's 32-bit fields.
    public static let maximumShardSize = 1 << 32 - 1

    public init(
        path: String, compression: ShardCompression = .zstd(level: 3), shardSize: Int = defaultShardSize,
        hashes: [DigestAlgorithm] = [.sha1], overwrite: Bool = false
    ) throws {
        guard !hashes.isEmpty else { throw WriterOptionsError.noHashes }
        guard (1...Self.maximumShardSize).contains(shardSize) else {
            throw WriterOptionsError.badShardSize(String(shardSize))
        }
        self.path = path
        self.compression = compression
        self.shardSize = shardSize
        self.hashes = Array(Set(hashes)).sorted()
        self.overwrite = overwrite
    }

    /// Parses hash names (`sha1`, `sha256`, `xxh64`) as written in a config.
    public static func parseHashes(_ names: [String]) throws -> [DigestAlgorithm] {
        guard !names.isEmpty else { throw WriterOptionsError.noHashes }
        return try names.map { name in
            guard let algorithm = DigestAlgorithm(rawValue: name.lowercased()) else {
                throw WriterOptionsError.unknownHash(name)
            }
            return algorithm
        }
    }
}

/// An invalid writer setting, naming the value and what is accepted.
public enum WriterOptionsError: Error, CustomStringConvertible, Equatable {
    case badCompression(String)
    case badShardSize(String)
    case noHashes
    case unknownHash(String)

    public var description: String {
        switch self {
        case .badCompression(let text):
            "compression \"\(text)\" is not valid: expected none, zstd or zstd:N with N in 1...22"
        case .badShardSize(let text):
            "shard size \"\(text)\" is not valid: expected a positive byte count up to 4 GiB, "
                + "such as 67108864, 64MB, 512KB or 1GiB"
        case .noHashes:
            "hashes must list at least one of sha1, sha256, xxh64"
        case .unknownHash(let name):
            "hash \"\(name)\" is not supported: expected sha1, sha256 or xxh64"
        }
    }
}

/// Parses a byte count such as `67108864`, `64MB`, `512 KB`, `1GiB` or `1.5mb`.
///
/// Units are case-insensitive and binary, as in MosaicML Streaming (`KB` = `KiB` = 1024 bytes):
/// `B`, `K`/`KB`/`KiB`, `M`/`MB`/`MiB`, `G`/`GB`/`GiB`, `T`/`TB`/`TiB`. The result must be a
/// positive whole number of bytes.
public func parseByteSize(_ text: String) throws -> Int {
    let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
    let numberEnd = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? trimmed.endIndex
    let unit = trimmed[numberEnd...].trimmingCharacters(in: .whitespaces)
    let multipliers: [String: Double] = [
        "": 1, "b": 1,
        "k": 0x1p10, "kb": 0x1p10, "kib": 0x1p10,
        "m": 0x1p20, "mb": 0x1p20, "mib": 0x1p20,
        "g": 0x1p30, "gb": 0x1p30, "gib": 0x1p30,
        "t": 0x1p40, "tb": 0x1p40, "tib": 0x1p40,
    ]
    guard let number = Double(trimmed[..<numberEnd]), let multiplier = multipliers[unit] else {
        throw WriterOptionsError.badShardSize(text)
    }
    let bytes = number * multiplier
    guard bytes >= 1, bytes < 0x1p62, bytes == bytes.rounded(.down) else {
        throw WriterOptionsError.badShardSize(text)
    }
    return Int(bytes)
}
