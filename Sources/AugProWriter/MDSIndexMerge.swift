import AugProRuntime
import Foundation

/// Joins datasets that live in subfolders of one folder into one dataset: a top-level
/// `index.json` listing every part's shards, in part order, with basenames that point into the
/// parts (`part-0/shard.00000.mds.zstd`), as MosaicML Streaming allows. Shard files are not
/// copied or changed.
public enum MDSIndexMerge {
    /// What a merge wrote.
    public struct Summary: Sendable, Equatable {
        public var shards: Int
        public var samples: Int
    }

    /// Writes `folder/index.json` for `parts` (paths relative to `folder`, each a dataset with
    /// its own `index.json`). Every part must decode and have the same columns.
    @discardableResult
    public static func merge(into folder: String, parts: [String]) throws -> Summary {
        var entries: [JSONValue] = []
        var columns: [[String]]?
        var samples = 0
        for part in parts {
            if let problem = DatasetFiles.basenameProblem(part) {
                throw MDSFileError(path: folder, reason: "part \(problem)")
            }
            let partPath = folder + "/" + part
            let reader = try MDSDatasetReader(path: partPath)
            samples += reader.sampleCount
            let bytes = try readIndex(of: partPath)
            guard let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                  let shards = object["shards"] as? [[String: Any]] else {
                throw MDSFileError(path: partPath + "/index.json", reason: "expected an object with a shards list")
            }
            for shard in shards {
                var entry = shard
                for key in ["raw_data", "zip_data"] {
                    guard var file = entry[key] as? [String: Any], let name = file["basename"] as? String else { continue }
                    file["basename"] = part + "/" + name
                    entry[key] = file
                }
                let layout = [shard["column_names"], shard["column_encodings"]].map { ($0 as? [String]) ?? [] }
                if let columns, columns != layout {
                    throw MDSFileError(path: partPath, reason: "its columns differ from the first part's")
                }
                columns = layout
                entries.append(try jsonValue(entry, at: partPath + "/index.json"))
            }
        }
        let text = pythonJSONDumps(.object(["shards": .array(entries), "version": .int(2)]))
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBytes { try AtomicFileWriter(directory: folder).write("index.json", parts: [$0]) }
        return Summary(shards: entries.count, samples: samples)
    }

    private static func readIndex(of folder: String) throws -> [UInt8] {
        do {
            return try DatasetFiles.read(folder: folder, basename: "index.json", maxBytes: MDSDatasetReader.maximumIndexBytes)
        } catch {
            throw MDSFileError(path: folder + "/index.json", reason: error.reason)
        }
    }

    /// The JSON value of a `JSONSerialization` result (integers stay integers).
    private static func jsonValue(_ object: Any, at path: String) throws -> JSONValue {
        switch object {
        case is NSNull: return .null
        case let text as String: return .string(text)
        case let number as NSNumber:
            // Foundation on Linux parses true/false as objCType "c" and integers as "i"/"q".
            let type = String(cString: number.objCType)
            if type == "c" { return .bool(number.boolValue) }
            if ["s", "i", "l", "q", "C", "S", "I", "L", "Q"].contains(type) { return .int(number.intValue) }
            return .double(number.doubleValue)
        case let list as [Any]: return .array(try list.map { try jsonValue($0, at: path) })
        case let members as [String: Any]: return .object(try members.mapValues { try jsonValue($0, at: path) })
        default: throw MDSFileError(path: path, reason: "unexpected JSON value \(type(of: object))")
        }
    }
}
