import AugProRuntime

/// The parsed `index.json` of an MDS dataset.
public struct MDSIndex: Sendable, Decodable, Equatable {
    public var shards: [MDSShardInfo]
    public var version: Int

    /// What makes the index unsafe to follow, or nil: every file it names must be a plain,
    /// distinct file name in the dataset folder (not `index.json`), and sizes and counts must
    /// fit the format (a raw shard addresses its samples with u32 offsets).
    var problem: String? {
        let names = shards.flatMap { [$0.rawData.basename] + ($0.zipData.map { [$0.basename] } ?? []) }
        if let problem = DatasetFiles.listProblem(names + ["index.json"]) {
            return "shard file names: \(problem)"
        }
        for (position, shard) in shards.enumerated() {
            guard shard.samples >= 0, (0...Int(UInt32.max)).contains(shard.rawData.bytes), shard.file.bytes >= 0 else {
                return "shard \(position) (\(DatasetFiles.escaped(shard.file.basename))): samples and bytes must be non-negative and a raw shard at most \(UInt32.max) bytes"
            }
        }
        return nil
    }
}

/// One file of a shard as `index.json` records it.
public struct MDSFileInfo: Sendable, Decodable, Equatable {
    public var basename: String
    public var bytes: Int
    public var hashes: [String: String]
}

/// One shard's entry in `index.json`.
public struct MDSShardInfo: Sendable, Decodable, Equatable {
    public var columnEncodings: [String]
    public var columnNames: [String]
    public var columnSizes: [Int?]
    public var compression: String?
    public var format: String
    public var hashes: [String]
    public var rawData: MDSFileInfo
    public var zipData: MDSFileInfo?
    public var samples: Int
    public var sizeLimit: Int?
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case columnEncodings = "column_encodings", columnNames = "column_names", columnSizes = "column_sizes"
        case compression, format, hashes, samples, version
        case rawData = "raw_data", zipData = "zip_data", sizeLimit = "size_limit"
    }

    /// The file on disk: the compressed one when the shard is compressed.
    public var file: MDSFileInfo { zipData ?? rawData }

    /// The config Streaming embeds in the raw shard, re-serialized as `json.dumps(sort_keys=True)`.
    var expectedConfigText: String {
        func strings(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        return pythonJSONDumps(.object([
            "column_encodings": strings(columnEncodings),
            "column_names": strings(columnNames),
            "column_sizes": .array(columnSizes.map { $0.map(JSONValue.int) ?? .null }),
            "compression": compression.map(JSONValue.string) ?? .null,
            "format": .string(format),
            "hashes": strings(hashes),
            "size_limit": sizeLimit.map(JSONValue.int) ?? .null,
            "version": .int(version),
        ]))
    }
}
