import AugProConfig
import AugProResume
import AugProRecords
import AugProRuntime
import AugProWriter
import Foundation

/// A pipeline built from a ``PipelineConfig``: the runnable stage chain plus what the CLI needs
/// to describe and report it.
public struct AssembledPipeline: Sendable {
    public let pipeline: Pipeline
    public let config: PipelineConfig
    /// The output folder (the writer's `path`, or `--output`).
    public let outputDirectory: URL
    /// One line per stage: `reader (raw text records) → …`.
    public let chain: [String]
    /// The reader's input file, for progress and the report.
    public let inputPath: URL
    /// Facts about models and tables for `report.json` (teacher identity, embedding source).
    public let models: [String: JSONValue]
    /// The tokenizer's vocabulary path as configured, when the pipeline tokenizes.
    public let tokenizer: String?
}

/// Turns a validated config into stages: each stage kind builds its own node(s) from its
/// settings (``StageSettings/assemble(in:)``); the assembler checks where sources and sinks
/// stand, puts an ordinal batcher before stages whose output depends on batch makeup, and
/// checks that each stage accepts what the previous one produces.
public struct PipelineAssembler {
    /// Where the output goes instead of the writer's `path` (`--output`).
    public var outputOverride: URL?
    /// Replace an existing dataset in the output folder (`--overwrite`).
    public var overwrite: Bool
    /// The pipeline file, named in messages.
    public var file: String
    /// Where to restart and how to record commits (see ``CheckpointSession/wiring``).
    public var checkpoint: CheckpointWiring?

    public init(file: String, outputOverride: URL? = nil, overwrite: Bool = false) {
        self.file = file
        self.outputOverride = outputOverride
        self.overwrite = overwrite
    }

    /// Builds every stage (loading vocabularies, tables and models) and the chain between them.
    public func assemble(_ config: PipelineConfig) throws -> AssembledPipeline {
        guard let sinkFolder = config.stages.first(where: { $0.settings.role == .sink })?.settings.outputFolder else {
            throw AssemblyError("\(file): the last stage must be a writer")
        }
        let output = (outputOverride ?? sinkFolder).standardizedFileURL
        var assembly = StageAssembly(
            file: file, seed: config.seed, batchSize: config.batchSize, outputDirectory: output, overwrite: overwrite,
            startOrdinal: checkpoint?.restart.ordinal ?? 0, restartGranule: checkpoint?.granule ?? config.restartGranule)
        if let checkpoint {
            assembly[WriterResume.self] = WriterResume(
                committed: checkpoint.committed, restart: checkpoint.restart, onShardCommitted: checkpoint.onShardCommitted)
        }
        var nodes: [PipelineNode] = []
        /// The config stage index of each node (inserted batchers count as their stage's).
        var stageOfNode: [Int] = []
        var chain: [String] = []

        for (index, stage) in config.stages.enumerated() {
            let location = "\(file):\(config.stageLocations[index]): stages[\(index)].\(stage.kind)"
            func fail(_ message: String) -> AssemblyError { AssemblyError("\(location): \(message)") }
            let settings = stage.settings
            guard index == 0 || settings.role != .source else { throw fail("a \(stage.kind) can only be the first stage") }
            guard index == config.stages.count - 1 || settings.role != .sink else {
                throw fail("a \(stage.kind) can only be the last stage")
            }
            do {
                var placed: [PipelineNode] = []
                if settings.dependsOnBatchMakeup, let batcher = OrdinalBatching.node(
                    after: assembly.previousOutput, batchSize: config.batchSize, granule: assembly.restartGranule)
                {
                    placed.append(batcher)
                }
                placed += try settings.assemble(in: &assembly)
                nodes += placed
                stageOfNode += Array(repeating: index, count: placed.count)
                assembly.previousOutput = nodes.last?.outputType
            } catch {
                throw fail("\(error)")
            }
            chain.append("\(stage.kind) → \(nodes.last?.outputType.map(Self.describe) ?? "MDS shards in \(output.path)")")
        }
        let pipeline: Pipeline
        do {
            pipeline = try Pipeline(nodes: nodes, channelCapacity: config.channelCapacity, describe: Self.describe)
        } catch let error as PipelineError {
            if let (error, index) = Self.renumbered(error, nodes: nodes, stageOfNode: stageOfNode) {
                throw AssemblyError("\(file):\(config.stageLocations[index]): \(error)")
            }
            throw AssemblyError("\(file): \(error)")
        }
        guard let inputPath = config.stages.first?.settings.inputFile, config.stages.first?.settings.role == .source else {
            throw AssemblyError("\(file): the first stage must be a reader")
        }
        return AssembledPipeline(
            pipeline: pipeline, config: config, outputDirectory: output, chain: chain,
            inputPath: inputPath, models: assembly.models, tokenizer: assembly.vocabulary?.source)
    }

    /// Human names of the element types flowing between stages.
    public static func describe(_ type: Any.Type) -> String {
        StageAssembly.describe(type)
    }

    /// A chain error with the node index turned back into the config's stage index, naming the
    /// previous configured stage rather than an inserted batcher.
    static func renumbered(
        _ error: PipelineError, nodes: [PipelineNode], stageOfNode: [Int]
    ) -> (error: PipelineError, stage: Int)? {
        guard case let .typeMismatch(index, stage, expects, _, produces) = error, stageOfNode.indices.contains(index) else {
            return nil
        }
        let stageIndex = stageOfNode[index]
        let previousNode = nodes[..<index].indices.last { stageOfNode[$0] != stageIndex } ?? index - 1
        let renumbered = PipelineError.typeMismatch(
            index: stageIndex, stage: stage, expects: expects, previous: nodes[previousNode].name, produces: produces)
        return (renumbered, stageIndex)
    }
}

/// A pipeline that cannot be built, with the file and stage it concerns.
public struct AssemblyError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
