import AugProNumerics
import AugProResume
import AugProRuntime
import Foundation

/// What a finished run did: the per-stage reports and the figures of its summary line.
public struct RunSummary: Sendable {
    public var stages: [StageReport]
    public var seconds: Double
    public var examplesIn: Int
    public var samplesOut: Int
    public var outputDirectory: URL

    /// Input examples per second of wall time.
    public var examplesPerSecond: Double { seconds > 0 ? Double(examplesIn) / seconds : 0 }

    /// A stage's report details, by stage name.
    public func details(of stage: String) -> [String: JSONValue] {
        stages.first { $0.name == stage }?.details ?? [:]
    }
}

/// Runs an ``AssembledPipeline`` into its output folder and writes `report.json` beside the shards.
public struct JobRunner: Sendable {
    public let job: AssembledPipeline
    public let pipelineFile: URL
    public let context: StageContext
    /// The run's checkpoint (nil: none is kept); marked finished once `index.json` is written.
    public let checkpoint: CheckpointSession?

    public init(job: AssembledPipeline, pipelineFile: URL, context: StageContext? = nil, checkpoint: CheckpointSession? = nil) {
        self.job = job
        self.pipelineFile = pipelineFile
        self.context = context ?? StageContext(seed: job.config.seed, batchSize: job.config.batchSize)
        self.checkpoint = checkpoint
    }

    /// Refuses a non-empty output folder unless `overwrite`; with it, removes the previous
    /// dataset's files (and only those). See ``DatasetFolder/prepare(_:overwrite:)``.
    public static func prepareOutput(_ folder: URL, overwrite: Bool) throws {
        try DatasetFolder.prepare(folder, overwrite: overwrite)
    }

    /// Runs the pipeline to the end, then writes `report.json`.
    public func run() async throws -> RunSummary {
        let clock = ContinuousClock()
        let start = clock.now
        let stages = try await job.pipeline.run(context: context)
        try checkpoint?.markFinished()
        let seconds = (clock.now - start).seconds
        let summary = RunSummary(
            stages: stages, seconds: seconds, examplesIn: stages.first?.examplesOut ?? 0,
            samplesOut: stages.last?.examplesIn ?? 0, outputDirectory: job.outputDirectory)
        try writeReport(summary)
        return summary
    }

    private func writeReport(_ summary: RunSummary) throws {
        let inputSize = (try? FileManager.default.attributesOfItem(atPath: job.inputPath.path)[.size] as? Int) ?? 0
        let report: JSONValue = .object([
            "pipeline": .string(pipelineFile.path),
            "input": .object(["path": .string(job.inputPath.path), "bytes": .int(inputSize)]),
            "seed": .int(Int(truncatingIfNeeded: job.config.seed)),
            "examples_in": .int(summary.examplesIn),
            "samples_out": .int(summary.samplesOut),
            "rejected": summary.details(of: "reader")["rejected"] ?? .int(0),
            "seconds": .double((summary.seconds * 1000).rounded() / 1000),
            "examples_per_second": .double(summary.examplesPerSecond.rounded()),
            "input_mb_per_second": .double(summary.seconds > 0 ? (Double(inputSize) / 1e6 / summary.seconds * 10).rounded() / 10 : 0),
            "stages": .array(summary.stages.map(\.json)),
            "models": .object(job.models),
            "tokenizer": job.tokenizer.map(JSONValue.string) ?? .null,
            "resume": checkpoint?.reportJSON ?? .null,
        ])
        let url = job.outputDirectory.appendingPathComponent("report.json")
        try Data((report.serialized(pretty: true) + "\n").utf8).write(to: url, options: .atomic)
    }
}
