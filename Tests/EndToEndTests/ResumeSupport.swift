import AugProTestSupport
import Foundation
import Testing

/// SplitMix64: the seeded source of the moments at which the resume tests interrupt a run.
struct SeededMoments {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }
}

/// How one run of the CLI is stopped, counted in shards beyond those in the folder when it starts
/// (so that every run makes progress whatever the machine's speed).
enum Interruption: CustomStringConvertible {
    /// A signal sent once the folder holds `moreShards` more shard files.
    case signal(Int32, moreShards: Int)
    /// The test hook: exit right after the shard `moreShards` past the present ones is renamed,
    /// before the checkpoint update.
    case faultAfterShardRename(moreShards: Int)

    var description: String {
        switch self {
        case let .signal(number, shards): "signal \(number) after \(shards) more shards"
        case let .faultAfterShardRename(shards): "AUGPRO_FAULT_AFTER_SHARD_RENAME at \(shards) more shards"
        }
    }
}

enum ResumeCLI {
    /// Runs `augpro ARGS` to the end with extra environment variables.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> TestEnvironment.ProcessResult {
        try TestEnvironment.runCapturing(CLI.executable, arguments: arguments, environment: environment.merging(["NO_COLOR": "1"]) { $1 })
    }

    /// Names of committed-looking shard files in `folder` (not temporaries).
    static func shardFiles(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasPrefix("shard.") }
    }

    /// Starts `augpro ARGS`, interrupts it as told (a few milliseconds of seeded jitter after
    /// the shard count is reached), and returns its termination status and standard error.
    static func interrupted(
        _ arguments: [String], folder: URL, how: Interruption, jitterMicroseconds: UInt32
    ) throws -> (status: Int32, reason: Process.TerminationReason, stderr: String) {
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        let present = shardFiles(folder).count
        if case .faultAfterShardRename(let more) = how {
            environment["AUGPRO_FAULT_AFTER_SHARD_RENAME"] = String(present + more - 1)
        }
        process.environment = environment
        let errURL = try TestEnvironment.temporaryDirectory("augpro-resume-stderr").appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        if case let .signal(number, more) = how {
            let deadline = Date().addingTimeInterval(120)
            while process.isRunning && shardFiles(folder).count < present + more && Date() < deadline { usleep(1_000) }
            usleep(jitterMicroseconds)
            if process.isRunning { kill(process.processIdentifier, number) }
        }
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason, try String(contentsOf: errURL, encoding: .utf8))
    }

    /// Interrupts a resumable run of `job` into `folder` at each of `interruptions`, then resumes
    /// until it finishes; returns the final run's result and how many runs were interrupted.
    static func runWithInterruptions(
        job: URL, folder: URL, interruptions: [Interruption], moments: inout SeededMoments
    ) throws -> (final: TestEnvironment.ProcessResult, interrupted: Int) {
        let arguments = ["run", job.path, "--output", folder.path, "--resume", "--progress", "none"]
        var count = 0
        for how in interruptions {
            let result = try interrupted(arguments, folder: folder, how: how, jitterMicroseconds: UInt32(moments.below(5_000)))
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            if result.reason == .exit && result.status == 0 { break }
            count += 1
            switch how {
            case .faultAfterShardRename:
                #expect(result.status == 86, "\(how): \(result.stderr)")
            case .signal(let number, _) where number == SIGTERM || number == SIGINT:
                #expect(result.reason == .exit && result.status == 128 + number, "\(how): \(result.stderr)")
                #expect(result.stderr.contains("--resume"), "\(result.stderr)")
                #expect(!names.contains { $0.hasPrefix(".tmp-") }, "\(how) left temporary files: \(names)")
                #expect(!names.contains("index.json"), "an interrupted run must not look finished (\(how))")
            case .signal:
                #expect(result.reason == .uncaughtSignal, "\(how): \(result.stderr)")
            }
        }
        return (try run(arguments), count)
    }
}
