import ArgumentParser
import AugPro
import AugProConfig
import AugProResume
import AugProRuntime
import Dispatch
import Foundation
import Synchronization

/// `augpro run`: runs a pipeline end to end into its output folder.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline: read, tokenize, augment, project, label and write MDS shards.")

    @OptionGroup var options: PipelineOptions

    @Option(help: "Write the dataset here instead of the writer's path.")
    var output: String?

    @Flag(help: "Replace the dataset (and any checkpoint) already in the output folder.")
    var overwrite = false

    @Flag(help: "Continue the interrupted run recorded in the output folder's checkpoint.json.")
    var resume = false

    /// How long in-flight batches may take to reach the writer after SIGINT/SIGTERM.
    static let drainSeconds = 3

    @Option(help: "Run as worker I of N (I/N, or auto from Slurm array or Kubernetes Indexed Job variables): read that part of the input and write OUTPUT/part-I; join the parts with `augpro merge`.")
    var worker: String?

    @Option(help: "Progress display: auto (a bar on a terminal, plain lines otherwise), bar, plain or none.")
    var progress: ProgressStyle = .auto

    func validate() throws {
        guard !(resume && overwrite) else {
            throw ValidationError("--resume and --overwrite exclude each other: pick one")
        }
    }

    func run() async throws {
        try await reportingFailures { try await runJob() }
    }

    private func runJob() async throws {
        var request = JobRequest(
            pipeline: options.pipelineURL, pipelineName: options.pipeline, overrides: options.overrides,
            output: output.map { URL(fileURLWithPath: $0) }, mode: resume ? .resume : overwrite ? .overwrite : .fresh)
        if let worker {
            request.worker = try WorkerAssignment(parsing: worker, environment: ProcessInfo.processInfo.environment)
        }
        let job: Job
        switch try Job.prepare(request) {
        case .alreadyComplete(let folder, let shards, let samples):
            print("\(folder.path): the run is already complete (\(shards) shards, \(samples) samples); nothing to resume")
            return
        case .ready(let ready):
            job = ready
        }
        if let note = job.resumeNote { FileHandle.standardError.write(Data((note + "\n").utf8)) }
        let signals = SignalTrap()
        let display = ProgressDisplay(style: progress.resolved, counters: job.runner.context.progress)
        let task = Task { try await job.run() }
        signals.install { signal in
            // Stop reading and let the batches in flight reach the writer (it commits any shard
            // they complete); the reader ends with an error, so nothing is finished as complete.
            // Whatever is still running after the grace period is cancelled and abandoned.
            job.runner.context.requestStop()
            display.note("received \(signal == SIGINT ? "SIGINT" : "SIGTERM"), stopping")
            Task {
                try? await Task.sleep(for: .seconds(Self.drainSeconds))
                task.cancel()
            }
        }
        display.start()
        let result = await task.result
        display.stop()
        let resumeHint = "resume with: augpro run \(options.pipeline) --resume"
        switch result {
        case .success(let summary):
            printSummary(summary)
            ReportCommand.writeAfterRun(summary.outputDirectory)
        case .failure(let error):
            if let signal = signals.received {
                throw CommandFailure(
                    "interrupted by \(signal == SIGINT ? "SIGINT" : "SIGTERM"); committed shards and checkpoint.json are intact, no partial file is left; \(resumeHint)",
                    exitCode: 128 + signal)
            }
            throw CommandFailure("\(error)\n(the committed shards and checkpoint.json are intact: fix the cause, then \(resumeHint))")
        }
    }

    private func printSummary(_ summary: RunSummary) {
        let writer = summary.details(of: "writer")
        let projector = summary.details(of: "projector")
        var parts = [
            "\(summary.examplesIn) examples in",
            "\(summary.samplesOut) samples out",
        ]
        if case .object(let yield)? = projector["yield"], case .int(let planned)? = yield["mixes_planned"],
           case .int(let kept)? = yield["kept"], case .double(let changed)? = yield["share_changed_2_or_more"] {
            parts.append("\(planned) planned mixes, \(kept) kept (\(Int((changed * 100).rounded())) % of them ≥ 2 tokens from both sources)")
            if case .string(let warning)? = yield["warning"] {
                FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            }
        }
        if case .int(let dropped)? = projector["duplicates_dropped"] { parts.append("\(dropped) duplicates dropped") }
        if case .int(let rejected)? = summary.details(of: "reader")["rejected"], rejected > 0 {
            parts.append("\(rejected) rejected (see rejects.jsonl)")
        }
        parts.append(String(format: "%.1f s, %.0f examples/s", summary.seconds, summary.examplesPerSecond))
        print(parts.joined(separator: ", "))
        let shards = writer["shards"].flatMap { if case .int(let n) = $0 { n } else { nil } } ?? 0
        print("shards: \(summary.outputDirectory.path) (\(shards) shard\(shards == 1 ? "" : "s"), index.json, report.json)")
    }
}

/// How progress is shown.
enum ProgressStyle: String, ExpressibleByArgument, CaseIterable {
    case auto, bar, plain, none

    var resolved: ProgressStyle {
        guard self == .auto else { return self }
        return isatty(STDERR_FILENO) != 0 ? .bar : .plain
    }
}

/// Turns SIGINT and SIGTERM into a callback, remembering which arrived.
final class SignalTrap: @unchecked Sendable {
    private let receivedSignal = Mutex<Int32?>(nil)
    /// Touched only by `install`, from the command's task; kept so the sources stay alive.
    private var sources: [DispatchSourceSignal] = []

    var received: Int32? { receivedSignal.withLock { $0 } }

    func install(_ handler: @escaping @Sendable (Int32) -> Void) {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                let first = receivedSignal.withLock { value -> Bool in
                    defer { value = value ?? signalNumber }
                    return value == nil
                }
                if first { handler(signalNumber) }
            }
            source.resume()
            sources.append(source)
        }
    }
}
