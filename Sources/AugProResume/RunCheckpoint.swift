import AugProNumerics
import AugProWriter
import Foundation

/// The contents of `checkpoint.json` in an output folder: what the run is (config and input
/// fingerprints), what it has durably committed, and where a resumed run restarts.
///
/// Rewritten atomically (temporary file, fsync, rename, fsync of the folder) after every shard
/// commit, so it never lists a shard that is not complete on disk. Its bytes depend only on the
/// config, the input and the committed shards, so an interrupted-and-resumed run ends with the
/// same file as an uninterrupted one.
public struct RunCheckpoint: Sendable, Equatable, Codable {
    /// The run's state: `running` until `index.json` is written, then `finished`.
    public enum State: String, Sendable, Codable {
        case running, finished
    }

    public static let currentVersion = 1
    public static let fileName = "checkpoint.json"

    public var version: Int
    public var state: State
    /// SHA-256 over the canonical config lines (`key=value`, sorted); see ``RunFingerprint``.
    public var configSHA256: String
    /// The canonical config, flattened to `key path → value`, to name what changed.
    public var config: [String: String]
    public var input: InputIdentity
    /// Input ordinals the restart position is rounded down to (the mixup window, or the batch size).
    public var restartGranule: Int64
    /// Where a resumed run restarts, covering every shard in `shards`.
    public var restart: RestartPoint
    /// The committed shards, in order.
    public var shards: [ShardCommit]

    enum CodingKeys: String, CodingKey {
        case version, state, config, input, restart, shards
        case configSHA256 = "config_sha256"
        case restartGranule = "restart_granule"
    }

    /// A new checkpoint for a run that has committed nothing yet.
    public init(fingerprint: RunFingerprint, restartGranule: Int64) {
        version = Self.currentVersion
        state = .running
        configSHA256 = fingerprint.configSHA256
        config = fingerprint.config
        input = fingerprint.input
        self.restartGranule = restartGranule
        restart = .beginning
        shards = []
    }

    /// Samples in the committed shards.
    public var committedSamples: Int { shards.last.map { $0.lastRow + 1 } ?? 0 }

    /// The checkpoint of `folder`, or nil when it has none.
    public static func load(from folder: URL) throws -> RunCheckpoint? {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let checkpoint: RunCheckpoint
        do {
            checkpoint = try JSONDecoder().decode(RunCheckpoint.self, from: Data(contentsOf: url))
        } catch {
            throw CheckpointError("\(url.path): not a readable augpro checkpoint (\(error)); use --overwrite to start over")
        }
        guard checkpoint.version == currentVersion else {
            throw CheckpointError(
                "\(url.path): checkpoint version \(checkpoint.version) is not supported (expected \(currentVersion)); use --overwrite to start over"
            )
        }
        return checkpoint
    }

    /// The file's bytes: sorted keys, pretty-printed, newline-terminated.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// Writes `checkpoint.json` into `folder` atomically and durably.
    public func save(to folder: URL) throws {
        let bytes = [UInt8](try encoded())
        try bytes.withUnsafeBytes { try AtomicFileWriter(directory: folder.path).write(Self.fileName, parts: [$0]) }
    }
}

/// A checkpoint problem: refused resume, mismatch, corruption, or a failed write.
public struct CheckpointError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
