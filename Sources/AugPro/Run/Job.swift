import AugProConfig
import AugProResume
import AugProRuntime
import Foundation

/// What `augpro run` is asked to do: the pipeline file, its `--set` overrides, where the output
/// goes, and how an existing output folder is treated.
public struct JobRequest: Sendable {
    /// The pipeline file.
    public var pipeline: URL
    /// The pipeline file as the user named it, for messages.
    public var pipelineName: String
    public var overrides: [String]
    /// `--output`: write here instead of the writer's `path`.
    public var output: URL?
    public var mode: OutputMode
    public var environment: [String: String]
    public var registry: StageRegistry

    public init(
        pipeline: URL, pipelineName: String? = nil, overrides: [String] = [], output: URL? = nil,
        mode: OutputMode = .fresh, environment: [String: String] = ProcessInfo.processInfo.environment,
        registry: StageRegistry = .standard
    ) {
        self.pipeline = pipeline
        self.pipelineName = pipelineName ?? pipeline.path
        self.overrides = overrides
        self.output = output
        self.mode = mode
        self.environment = environment
        self.registry = registry
    }
}

/// A job made ready to run: its config loaded, its checkpoint opened (and, to resume, checked),
/// its stages built and its output folder prepared. Nothing has run yet.
public struct Job: Sendable {
    public let runner: JobRunner
    public let checkpoint: CheckpointSession

    /// What ``prepare(_:)`` found: a job to run, or a finished run with nothing to resume.
    public enum Preparation: Sendable {
        case ready(Job)
        /// `--resume` of a run whose checkpoint says it is complete.
        case alreadyComplete(folder: URL, shards: Int, samples: Int)
    }

    /// Load → open the checkpoint → assemble → prepare the output folder. Every step throws an
    /// error naming the file (and line) or folder it concerns; no file is touched before the
    /// config, the checkpoint and every stage have been checked.
    public static func prepare(_ request: JobRequest) throws -> Preparation {
        let config = try PipelineLoader(environment: request.environment, registry: request.registry)
            .load(request.pipeline, overrides: request.overrides)
        var assembler = PipelineAssembler(
            file: request.pipelineName, outputOverride: request.output, overwrite: request.mode != .fresh)
        guard let output = (request.output ?? config.outputFolder)?.standardizedFileURL, let input = config.inputFile else {
            _ = try assembler.assemble(config)
            throw AssemblyError("\(request.pipelineName): the pipeline needs a reader first and a writer last")
        }
        let checkpoint = try CheckpointSession.open(
            config: config, inputPath: input, output: output, mode: request.mode, environment: request.environment)
        if checkpoint.isFinished {
            return .alreadyComplete(
                folder: output, shards: checkpoint.start.shards.count, samples: checkpoint.start.committedSamples)
        }
        assembler.checkpoint = checkpoint.wiring
        let assembled = try assembler.assemble(config)
        try checkpoint.prepareFolder()
        let runner = JobRunner(job: assembled, pipelineFile: request.pipeline, checkpoint: checkpoint)
        return .ready(Job(runner: runner, checkpoint: checkpoint))
    }

    /// The line announcing a resumed run, or nil for a fresh one.
    public var resumeNote: String? {
        guard checkpoint.resumed else { return nil }
        let start = checkpoint.start
        return
            "resuming: \(start.shards.count) shards (\(start.committedSamples) samples) kept, restarting at input example \(start.restart.ordinal)"
    }

    /// Runs the stages to the end and writes `report.json`.
    public func run() async throws -> RunSummary {
        try await runner.run()
    }
}
