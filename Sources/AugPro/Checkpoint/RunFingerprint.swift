import AugProNumerics
import AugProReader
import Foundation

/// Which input file a run reads, identified well enough to notice that it changed.
public struct InputIdentity: Sendable, Equatable, Codable {
    public var path: String
    public var bytes: Int
    /// Modification time, in nanoseconds since 1970.
    public var modifiedNanoseconds: Int64
    /// SHA-256 of the first and of the last `InputIdentity.blockSize` bytes.
    public var headSHA256: String
    public var tailSHA256: String

    public static let blockSize = 1 << 20

    enum CodingKeys: String, CodingKey {
        case path, bytes
        case modifiedNanoseconds = "modified_ns"
        case headSHA256 = "head_sha256"
        case tailSHA256 = "tail_sha256"
    }

    /// Reads the identity of the file at `url`.
    public init(of url: URL) throws {
        let path = url.standardizedFileURL.path
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw CheckpointError("\(path): cannot read the input file: \(String(cString: strerror(errno)))")
        }
        if let problem = ReaderOptions.inputFileProblem(path) { throw CheckpointError("\(path): \(problem)") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CheckpointError("\(path): cannot open the input file")
        }
        defer { try? handle.close() }
        self.path = path
        bytes = Int(info.st_size)
        modifiedNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let head = try handle.read(upToCount: Self.blockSize) ?? Data()
        try handle.seek(toOffset: UInt64(max(0, bytes - Self.blockSize)))
        let tail = try handle.readToEnd() ?? Data()
        headSHA256 = DigestAlgorithm.sha256.hexDigest(of: [UInt8](head))
        tailSHA256 = DigestAlgorithm.sha256.hexDigest(of: [UInt8](tail))
    }

    /// `input.KEY → value` lines, for listing differences.
    var fields: [String: String] {
        [
            "input.path": path, "input.bytes": String(bytes), "input.modified_ns": String(modifiedNanoseconds),
            "input.head_sha256": headSHA256, "input.tail_sha256": tailSHA256,
        ]
    }
}

/// What makes two runs produce the same dataset: the canonical config and the input identity.
///
/// The canonical config is every setting after defaults, `${VAR}` and `--set`, flattened to
/// `key path → value` (`stages[2].interpolator.window → 256`) by reflecting over the decoded
/// config, so settings added later are covered without listing them here. Settings that
/// cannot change the output bytes are left out: `workers` (ordered workers keep batches),
/// `channel_capacity`, the writer's `path` (or `--output`) and the projector's `cache` folder.
public struct RunFingerprint: Sendable, Equatable {
    public var config: [String: String]
    public var configSHA256: String
    public var input: InputIdentity

    /// Key paths (last component) that do not affect the output.
    static let ignoredKeys: Set<String> = ["workers", "channel_capacity", "stage_locations", "cache"]

    public init(config: PipelineConfig, inputPath: URL) throws {
        var flat: [String: String] = [:]
        Self.flatten(config, path: "", into: &flat)
        flat = flat.filter { key, _ in
            let last = key.split(separator: ".").last.map { String($0.split(separator: "[").first ?? "") } ?? key
            return !Self.ignoredKeys.contains(last) && !(key.hasPrefix("stages[") && key.hasSuffix(".writer.path"))
        }
        self.config = flat
        let canonical = flat.keys.sorted().map { "\($0)=\(flat[$0]!)\n" }.joined()
        configSHA256 = DigestAlgorithm.sha256.hexDigest(of: Array(canonical.utf8))
        input = try InputIdentity(of: inputPath)
    }

    /// The keys whose values differ from `checkpoint`'s, as `key: old → new` lines.
    public func differences(from checkpoint: RunCheckpoint) -> [String] {
        func compare(_ old: [String: String], _ new: [String: String]) -> [String] {
            Set(old.keys).union(new.keys).sorted().compactMap { key in
                old[key] == new[key] ? nil : "\(key): \(old[key] ?? "(unset)") → \(new[key] ?? "(unset)")"
            }
        }
        return compare(checkpoint.config, config) + compare(checkpoint.input.fields, input.fields)
    }

    static func flatten(_ value: Any, path: String, into result: inout [String: String]) {
        switch value {
        case let url as URL:
            result[path] = url.standardizedFileURL.path
            return
        case let text as String:
            result[path] = text
            return
        case is Bool, is Int, is Int32, is Int64, is UInt64, is Double, is Float:
            result[path] = "\(value)"
            return
        case let choice as any RawRepresentable where choice.rawValue is String:
            result[path] = choice.rawValue as? String
            return
        default:
            break
        }
        let mirror = Mirror(reflecting: value)
        func join(_ label: String) -> String { path.isEmpty ? snakeCase(label) : path + "." + snakeCase(label) }
        switch mirror.displayStyle {
        case .optional:
            if let wrapped = mirror.children.first { flatten(wrapped.value, path: path, into: &result) } else { result[path] = "null" }
        case .collection:
            if mirror.children.isEmpty { result[path] = "[]" }
            for (index, child) in mirror.children.enumerated() { flatten(child.value, path: "\(path)[\(index)]", into: &result) }
        case .set:
            result[path] = "{" + mirror.children.map { "\($0.value)" }.sorted().joined(separator: ", ") + "}"
        case .dictionary:
            var entries: [String: String] = [:]
            for child in mirror.children {
                let pair = Array(Mirror(reflecting: child.value).children)
                if pair.count == 2 { flatten(pair[1].value, path: join("\(pair[0].value)"), into: &entries) }
            }
            result.merge(entries) { first, _ in first }
        case .enum where mirror.children.isEmpty:
            result[path] = "\(value)"
        default:
            if mirror.children.isEmpty { result[path] = "\(value)" }
            for (index, child) in mirror.children.enumerated() {
                let label = child.label.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 } ?? String(index)
                flatten(child.value, path: join(label), into: &result)
            }
        }
    }

    /// `maxLineBytes` → `max_line_bytes`.
    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                if !result.isEmpty { result += "_" }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
