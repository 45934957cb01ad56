import AugProInterpolator
import AugProNumerics
import AugProProjector
import AugProReader
import AugProRecords
import AugProRuntime
import AugProTeacher
import AugProTokenizer
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
}

/// Turns a validated config into stages, checking that each accepts what the previous produces.
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
        guard let writerConfig = config.writer else {
            throw AssemblyError("\(file): the last stage must be a writer")
        }
        let output = (outputOverride ?? writerConfig.path).standardizedFileURL
        var nodes: [PipelineNode] = []
        var chain: [String] = []
        var tokenizer: WordPieceTokenizer?
        var reader: ReaderConfig?
        var teacherColumns: TokenSampleColumns = []
        var models: [String: JSONValue] = [:]

        for (index, stage) in config.stages.enumerated() {
            let location = "\(file):\(config.stageLocations[index]): stages[\(index)].\(stage.kind)"
            func fail(_ message: String) -> AssemblyError { AssemblyError("\(location): \(message)") }
            guard index == 0 || stage.kind != "reader" else { throw fail("a reader can only be the first stage") }
            guard index == config.stages.count - 1 || stage.kind != "writer" else {
                throw fail("a writer can only be the last stage")
            }
            do {
                switch stage {
                case .reader(let options):
                    reader = options
                    let stage = try ReaderStage(
                        options: readerOptions(options, output: output), startOrdinal: checkpoint?.restart.ordinal ?? 0)
                    try stage.checkInput()
                    nodes.append(PipelineNode(source: stage))
                case .tokenizer(let options):
                    let loaded = try WordPieceTokenizer(options: tokenizerOptions(options))
                    tokenizer = loaded
                    nodes.append(PipelineNode(TokenizeTransform(tokenizer: loaded, keepText: options.keepText), workers: options.workers))
                    if options.keepText {
                        teacherColumns.insert(.text)
                        if reader?.textPair != nil { teacherColumns.insert(.textPair) }
                    }
                case .interpolator(let options):
                    guard let tokenizer else { throw fail("needs a tokenizer before it (for [CLS], [SEP] and [PAD])") }
                    nodes.append(PipelineNode(try MixupInterpolator(
                        options: interpolatorOptions(options, maxLength: tokenizer.maxLength),
                        specials: SpecialTokenIDs(
                            cls: tokenizer.specialTokens.cls, sep: tokenizer.specialTokens.sep,
                            pad: tokenizer.specialTokens.pad))))
                case .projector(let options):
                    guard let tokenizer else { throw fail("needs a tokenizer before it (for the vocabulary)") }
                    let table = try EmbeddingTable(path: options.embeddings.path, tensor: options.tensor)
                    guard table.vocabularySize == tokenizer.vocabulary.count else {
                        throw fail("the embedding table has \(table.vocabularySize) rows but the tokenizer's vocabulary has \(tokenizer.vocabulary.count) tokens")
                    }
                    let projector = try MixProjector(
                        table: table, vocabulary: tokenizer.vocabulary,
                        options: projectorOptions(options, output: output))
                    models["embeddings"] = .object([
                        "source": .string(table.source), "rows": .int(table.vocabularySize), "dimension": .int(table.dimension),
                    ])
                    if let batcher = batcherNode(after: nodes.last?.outputType, config: config) { nodes.append(batcher) }
                    nodes.append(PipelineNode(projector, workers: options.workers))
                case .teacher(let options):
                    let transform = try TeacherTransform(options: teacherOptions(options))
                    if let tokenizer, transform.model.vocabularySize != tokenizer.vocabulary.count {
                        throw fail("the teacher's vocabulary has \(transform.model.vocabularySize) tokens but the tokenizer's has \(tokenizer.vocabulary.count); a teacher with another tokenizer is not supported yet")
                    }
                    if let tokenizer, tokenizer.maxLength > transform.model.maxSequenceLength {
                        throw fail("the tokenizer's max_length \(tokenizer.maxLength) exceeds the teacher's max_position_embeddings \(transform.model.maxSequenceLength)")
                    }
                    let identity = try transform.model.identity()
                    models["teacher"] = .object([
                        "folder": .string(identity.folderName), "config_sha256": .string(identity.configSHA256),
                        "weights_sha256": .string(identity.weightsSHA256), "weights_bytes": .int(identity.weightsBytes),
                    ])
                    for output in options.outputs {
                        switch output {
                        case .logits: teacherColumns.insert(.teacherLogits)
                        case .probs: teacherColumns.insert(.teacherProbs)
                        case .embedding: teacherColumns.insert(.teacherEmbedding)
                        }
                    }
                    if options.topK != nil { teacherColumns.insert(.teacherTopK) }
                    if let batcher = batcherNode(after: nodes.last?.outputType, config: config) { nodes.append(batcher) }
                    nodes.append(PipelineNode(transform, workers: 1))
                case .writer(let options):
                    let writerOptions = try WriterOptions(
                        path: output.path, compression: options.compression, shardSize: options.shardSize,
                        hashes: options.hashes, overwrite: overwrite)
                    guard let previous = nodes.last?.outputType else { throw fail("needs a stage before it") }
                    if previous == TextRecord.self {
                        nodes.append(PipelineNode(writerStage(
                            options: writerOptions, encoder: TextRecordEncoder(includesTextPair: reader?.textPair != nil),
                            config: config, ordinal: { $0.ordinal })))
                    } else if previous == TokenSample.self {
                        nodes.append(PipelineNode(writerStage(
                            options: writerOptions, encoder: TokenSampleEncoder(columns: teacherColumns),
                            config: config, ordinal: { $0.provenance.ordinal })))
                    } else {
                        throw fail("cannot write \(Self.describe(previous)): put a projector after the interpolator")
                    }
                }
            } catch let error as AssemblyError {
                throw error
            } catch {
                throw fail("\(error)")
            }
            chain.append("\(stage.kind) → \(nodes.last?.outputType.map(Self.describe) ?? "MDS shards in \(output.path)")")
        }
        let pipeline: Pipeline
        do {
            pipeline = try Pipeline(nodes: nodes, channelCapacity: config.channelCapacity, describe: Self.describe)
        } catch let error as PipelineError {
            if let (error, index) = Self.renumbered(error, nodes: nodes) {
                throw AssemblyError("\(file):\(config.stageLocations[index]): \(error)")
            }
            throw AssemblyError("\(file): \(error)")
        }
        guard let reader else { throw AssemblyError("\(file): the first stage must be a reader") }
        return AssembledPipeline(
            pipeline: pipeline, config: config, outputDirectory: output, chain: chain,
            inputPath: reader.path, models: models)
    }

    /// Human names of the element types flowing between stages.
    public static func describe(_ type: Any.Type) -> String {
        switch type {
        case is TextRecord.Type: "raw text records"
        case is TokenSample.Type: "token sequences"
        case is MixItem.Type: "mix plans"
        default: "\(type)"
        }
    }

    // MARK: Config → stage options

    private func readerOptions(_ config: ReaderConfig, output: URL) -> ReaderOptions {
        ReaderOptions(
            path: config.path.path, format: config.format.flatMap(ReaderOptions.Format.init(name:)),
            columns: config.columns, text: config.text, textPair: config.textPair, label: config.label, labels: config.labels,
            id: config.id, onError: config.onError == "skip" ? .skip : .fail,
            maxLineBytes: config.maxLineBytes, rejectsURL: output.appendingPathComponent("rejects.jsonl"))
    }

    private func tokenizerOptions(_ config: TokenizerConfig) -> TokenizerOptions {
        TokenizerOptions(
            vocabPath: config.vocab.path, lowercase: config.lowercase, stripAccents: config.stripAccents,
            tokenizeChineseChars: config.tokenizeChineseChars, maxLength: config.maxLength,
            truncation: config.truncation, keepText: config.keepText)
    }

    private func interpolatorOptions(_ config: InterpolatorConfig, maxLength: Int) -> InterpolatorOptions {
        InterpolatorOptions(
            perExample: config.perExample, window: config.window, lambda: config.lambda,
            granularity: config.granularity, length: config.length,
            keepOriginals: config.keepOriginals, maxLength: maxLength)
    }

    private func projectorOptions(_ config: ProjectorConfig, output: URL) -> ProjectorOptions {
        ProjectorOptions(
            metric: config.metric, exclude: config.exclude,
            dropDuplicates: config.dropDuplicates, fastPath: config.search == "fast", topK: config.topK,
            cacheDirectory: config.cache, verifyFastPath: config.verify)
    }

    private func teacherOptions(_ config: TeacherConfig) -> TeacherOptions {
        TeacherOptions(
            modelPath: config.model, outputs: Set(config.outputs),
            temperature: Float(config.temperature), topK: config.topK, batchSize: config.batchSize,
            threads: config.threads)
    }
}

/// A pipeline that cannot be built, with the file and stage it concerns.
public struct AssemblyError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
