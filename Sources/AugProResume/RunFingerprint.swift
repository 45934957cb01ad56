import AugProConfig
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
/// `key path → value` (`stages[2].interpolator.window → 256`) as ``OutputSettings``:
/// each stage kind records its settings under their config keys, and a key declares whether it
/// can change the output (``SettingKey/affectsOutput``: not `workers`, `channel_capacity`, the
/// writer's `path` or the projector's `cache`) and whether it may hold a secret
/// (``SettingKey/isSecret``: never recorded, so `checkpoint.json` holds no credential).
public struct RunFingerprint: Sendable, Equatable {
    public var config: [String: String]
    public var configSHA256: String
    public var input: InputIdentity

    public init(settings: OutputSettings, inputPath: URL) throws {
        let flat = settings.values
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
}
