import AugProConfig
import AugProNumerics
import AugProRuntime
import AugProWriter
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How `augpro run` treats an output folder that may hold an earlier run.
public enum OutputMode: Sendable, Equatable {
    /// The folder must be empty or missing (a checkpoint there is refused).
    case fresh
    /// Replace whatever dataset, checkpoint and report the folder holds.
    case overwrite
    /// Continue the run recorded by the folder's checkpoint (or start one in an empty folder).
    case resume
}

/// What ``PipelineAssembler`` needs to build a checkpointed run: where the reader starts, the
/// shards the writer continues after, and the callback recording each new commit.
public struct CheckpointWiring: Sendable {
    public var restart: RestartPoint
    public var committed: [ShardCommit]
    public var granule: Int64
    public var onShardCommitted: @Sendable (ShardCommit, RestartPoint) throws -> Void
}

/// One run's checkpoint in its output folder: decides whether the folder may be used
/// (``open(config:inputPath:output:mode:environment:)``, no side effects), cleans it
/// (``prepareFolder()``), records every commit, and marks the run finished.
///
/// Test hook, compiled only into debug builds (`AUGPRO_FAULT_HOOKS`, set by Package.swift for
/// the debug configuration, so a release binary ignores the variable): with
/// `AUGPRO_FAULT_AFTER_SHARD_RENAME=N` in the environment the process exits with status 86 right
/// after shard N (0-based) is renamed into place and before the checkpoint records it — the
/// moment a crash leaves a complete shard that the checkpoint does not list.
public final class CheckpointSession: Sendable {
    public let folder: URL
    public let mode: OutputMode
    public let fingerprint: RunFingerprint
    public let granule: Int64
    /// The checkpoint the run starts from: empty, or the interrupted run's.
    public let start: RunCheckpoint
    /// Whether the run continues an interrupted one.
    public let resumed: Bool
    private let current: Mutex<RunCheckpoint>
    private let faultAfterShard: Int?

    public static let faultVariable = "AUGPRO_FAULT_AFTER_SHARD_RENAME"
    /// The exit status of the fault hook.
    public static let faultExitStatus: Int32 = 86

    private init(
        folder: URL, mode: OutputMode, fingerprint: RunFingerprint, granule: Int64,
        start: RunCheckpoint, resumed: Bool, faultAfterShard: Int?
    ) {
        self.folder = folder
        self.mode = mode
        self.fingerprint = fingerprint
        self.granule = granule
        self.start = start
        self.resumed = resumed
        self.current = Mutex(start)
        self.faultAfterShard = faultAfterShard
    }

    /// Checks the folder against `mode` and, to resume, the checkpoint against the current
    /// settings and input and the committed shards against their recorded hashes.
    ///
    /// - Parameters:
    ///   - settings: the pipeline's output settings (``OutputSettings``): what the checkpoint
    ///     records and a resume compares.
    ///   - granule: input ordinals restart points are rounded down to.
    public static func open(
        settings: OutputSettings, granule: Int64, inputPath: URL, output: URL, mode: OutputMode,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> CheckpointSession {
        let fingerprint = try RunFingerprint(settings: settings, inputPath: inputPath)
        #if AUGPRO_FAULT_HOOKS
        let fault = environment[faultVariable].flatMap { Int($0) }
        #else
        let fault: Int? = nil
        #endif
        let fresh = RunCheckpoint(fingerprint: fingerprint, restartGranule: granule)
        func session(_ start: RunCheckpoint, resumed: Bool = false) -> CheckpointSession {
            CheckpointSession(
                folder: output, mode: mode, fingerprint: fingerprint, granule: granule,
                start: start, resumed: resumed, faultAfterShard: fault)
        }
        let existing = try RunCheckpoint.load(from: output)
        switch mode {
        case .overwrite:
            return session(fresh)
        case .fresh:
            if let existing {
                let what =
                    existing.state == .finished
                    ? "a finished run's checkpoint"
                    : "an unfinished run (\(existing.shards.count) shards, \(existing.committedSamples) samples committed)"
                throw CheckpointError(
                    "output folder \(output.path) holds \(what): pass --resume to continue it, or --overwrite to start over")
            }
            return session(fresh)
        case .resume:
            guard let existing else {
                let leftovers = datasetFiles(in: output)
                guard leftovers.isEmpty else {
                    throw CheckpointError(
                        "output folder \(output.path) has no \(RunCheckpoint.fileName) to resume from but holds \(leftovers.prefix(3).joined(separator: ", ")): pass --overwrite to replace it"
                    )
                }
                return session(fresh)
            }
            let differences = fingerprint.differences(from: existing)
            guard differences.isEmpty, existing.restartGranule == granule else {
                throw CheckpointError(
                    "\(output.path)/\(RunCheckpoint.fileName): the config or input changed since the checkpoint; differing keys:\n  "
                        + differences.joined(separator: "\n  ") + "\npass --overwrite to start over")
            }
            if existing.state == .running { try verifyShards(existing, in: output) }
            return session(existing, resumed: true)
        }
    }

    /// Whether the checkpoint says the dataset is complete (a resume then has nothing to do).
    public var isFinished: Bool { start.state == .finished && mode == .resume }

    /// Checks every committed shard's size and recorded hashes; throws naming the first bad one.
    public static func verifyShards(_ checkpoint: RunCheckpoint, in folder: URL) throws {
        for shard in checkpoint.shards {
            let path = folder.appendingPathComponent(shard.basename).path
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CheckpointError(
                    "\(path): a committed shard is missing; the run cannot be resumed (pass --overwrite to start over)")
            }
            let expected = shard.zipHashes ?? shard.rawHashes
            let bytes = [UInt8](data)
            let sizeOK = bytes.count == (shard.zipBytes ?? shard.rawBytes)
            let bad = expected.keys.sorted().first { name in
                DigestAlgorithm(rawValue: name).map { $0.hexDigest(of: bytes) != expected[name] } ?? false
            }
            if !sizeOK || bad != nil {
                let reason =
                    sizeOK
                    ? "its \(bad!) does not match the checkpoint"
                    : "it has \(bytes.count) bytes, not \(shard.zipBytes ?? shard.rawBytes)"
                throw CheckpointError(
                    "\(path): a committed shard is corrupted (\(reason)); the run cannot be resumed (pass --overwrite to start over)"
                )
            }
        }
    }

    /// Names of files in `folder` a run writes (dataset, checkpoint, report, rejects, temporaries).
    static func datasetFiles(in folder: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { name in
            DatasetFolder.filePrefixes.contains { name.hasPrefix($0) }
        }.sorted()
    }

    /// Makes the folder ready: for a fresh run, refuses a non-empty folder (or, with overwrite,
    /// removes the old run's files); to resume, removes everything the checkpoint does not list
    /// as committed (temporary files, later shards, `index.json`, report, rejects). Then writes
    /// the checkpoint, so that even a run stopped before its first shard can be resumed.
    public func prepareFolder() throws {
        if resumed {
            let kept = Set(start.shards.map(\.basename) + [RunCheckpoint.fileName])
            for name in Self.datasetFiles(in: folder) where !kept.contains(name) {
                do {
                    try FileManager.default.removeItem(at: folder.appendingPathComponent(name))
                } catch {
                    throw CheckpointError(
                        "\(folder.path)/\(name): cannot remove an uncommitted file: \(error.localizedDescription)")
                }
            }
        } else {
            try DatasetFolder.prepare(folder, overwrite: mode == .overwrite)
        }
        try save(current.withLock { $0 })
    }

    /// The settings for ``PipelineAssembler/checkpoint``.
    public var wiring: CheckpointWiring {
        CheckpointWiring(restart: start.restart, committed: start.shards, granule: granule) { [self] commit, restart in
            try shardCommitted(commit, restart: restart)
        }
    }

    func shardCommitted(_ commit: ShardCommit, restart: RestartPoint) throws {
        #if AUGPRO_FAULT_HOOKS
        if commit.index == faultAfterShard {
            FileHandle.standardError.write(
                Data(
                    "augpro: \(Self.faultVariable)=\(commit.index): exiting after the shard rename, before the checkpoint update\n"
                        .utf8))
            _exit(Self.faultExitStatus)
        }
        #endif
        let next = current.withLock { checkpoint -> RunCheckpoint in
            checkpoint.shards.append(commit)
            checkpoint.restart = restart
            return checkpoint
        }
        try save(next)
    }

    /// Records that `index.json` is written: the dataset is complete.
    public func markFinished() throws {
        let next = current.withLock { checkpoint -> RunCheckpoint in
            checkpoint.state = .finished
            return checkpoint
        }
        try save(next)
    }

    private func save(_ checkpoint: RunCheckpoint) throws {
        do {
            try checkpoint.save(to: folder)
        } catch {
            throw CheckpointError("cannot update the checkpoint: \(error)")
        }
    }

    /// The `resume` entry of `report.json`.
    public var reportJSON: JSONValue {
        .object([
            "resumed": .bool(resumed),
            "restart_ordinal": .int(Int(start.restart.ordinal)),
            "examples_resumed_over": .int(Int(start.restart.ordinal)),
            "shards_kept": .int(start.shards.count),
            "samples_kept": .int(start.committedSamples),
            "samples_regenerated_and_skipped": .int(start.restart.skip),
            "restart_granule": .int(Int(granule)),
        ])
    }
}
