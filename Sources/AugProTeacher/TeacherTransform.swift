import AugProNumerics
import AugProRecords
import AugProRuntime
import Foundation
import Synchronization

/// The teacher stage: labels every sample with the embedded model's targets
/// (`TokenSample.teacher`: logits, probs = softmax(logits / T), top-k, embedding).
///
/// Padding-free batching: a channel batch is sorted by length and cut into forward passes of
/// `batchSize` sequences; within a pass the tokens are packed without padding and attention
/// runs per sequence at its own length. Outputs come back in input order and do not depend on
/// the grouping beyond float rounding.
public struct TeacherTransform: BatchTransform {
    public typealias Input = TokenSample
    public typealias Output = TokenSample

    public let name = "teacher"
    public let options: TeacherOptions
    /// The loaded model (its `vocabularySize`, `id2label` and `identity()` are for the report).
    public let model: TeacherModel
    private let statistics = Statistics()

    /// Loads the model at `options.modelPath` in `options.precision` and checks the options against it.
    public init(options: TeacherOptions) throws {
        try options.validate()
        try self.init(options: options, model: TeacherModel(
            folder: options.modelPath, precision: options.precision, head: options.head, pooling: options.pooling,
            normalize: options.normalize))
    }

    /// Uses an already loaded model.
    public init(options: TeacherOptions, model: TeacherModel) throws {
        try options.validate()
        let needsLogits = options.outputs.contains(.logits) || options.outputs.contains(.probs)
        if needsLogits, !model.producesLogits {
            throw TeacherError.file(
                model.folder.path,
                "outputs logits/probs need a classifier: a BertForSequenceClassification checkpoint, or head: PATH.safetensors (weight [C, D], bias [C]) over this sentence encoder's embedding")
        }
        if options.outputs.contains(.embedding), !model.producesEmbedding {
            throw TeacherError.file(
                model.folder.path,
                "output embedding needs a sentence-transformers folder (modules.json with a Pooling module) or a pooling: setting; this is a classifier (logits/probs only)")
        }
        if model.precision != options.precision {
            throw TeacherError("teacher: precision \(options.precision.rawValue) requested but the model was loaded in \(model.precision.rawValue)")
        }
        if let topK = options.topK, let labels = model.labelCount, topK > labels {
            throw TeacherError("teacher: top_k \(topK) exceeds the \(labels) labels of \(model.folder.path)")
        }
        self.options = options
        self.model = model
    }

    public func transform(_ batch: [TokenSample], context: StageContext) throws -> [TokenSample] {
        let sequences = try batch.map(validated)
        let order = batch.indices.sorted { (sequences[$0].inputIds.count, $0) < (sequences[$1].inputIds.count, $1) }
        let wantsLogits = options.outputs.contains(.logits) || options.outputs.contains(.probs)
        let wantsEmbedding = options.outputs.contains(.embedding)
        var output = batch
        var paddedTokens = 0
        for start in stride(from: 0, to: order.count, by: options.batchSize) {
            let group = Array(order[start..<min(start + options.batchSize, order.count)])
            let results = model.predict(
                group.map { sequences[$0] }, logits: wantsLogits, embedding: wantsEmbedding, threads: options.threads)
            paddedTokens += group.count * (group.map { sequences[$0].inputIds.count }.max() ?? 0)
            for (position, index) in group.enumerated() {
                let logits = results.logits?[position], embedding = results.embeddings?[position]
                if let problem = TeacherChecks.nonFiniteOutputProblem(logits: logits, embedding: embedding) {
                    throw TeacherError("teacher: \(TeacherChecks.sampleName(batch[index])): \(problem)")
                }
                output[index].teacher = targets(logits: logits, embedding: embedding)
            }
        }
        statistics.record(
            samples: batch.count, tokens: sequences.reduce(0) { $0 + $1.inputIds.count }, paddedTokens: paddedTokens,
            passes: (order.count + options.batchSize - 1) / options.batchSize)
        return output
    }

    /// The configured targets from one sequence's raw head outputs.
    func targets(logits: [Float]?, embedding: [Float]?) -> TeacherTargets {
        TeacherTargetSelection(outputs: options.outputs, temperature: options.temperature, topK: options.topK)
            .targets(logits: logits, embedding: embedding)
    }

    /// Checks a sample against the model's limits; errors name the sample.
    private func validated(_ sample: TokenSample) throws -> BertEncoder.Sequence {
        func fail(_ problem: String) -> TeacherError {
            TeacherError("teacher: \(TeacherChecks.sampleName(sample)): \(problem)")
        }
        let ids = sample.inputIds
        guard !ids.isEmpty else { throw fail("has no tokens") }
        guard ids.count <= model.maxSequenceLength else {
            throw fail("\(ids.count) tokens exceed the model's max_position_embeddings of \(model.maxSequenceLength)")
        }
        guard sample.tokenTypeIds.count == ids.count else {
            throw fail("\(sample.tokenTypeIds.count) token type ids for \(ids.count) tokens")
        }
        if let position = ids.firstIndex(where: { $0 < 0 || Int($0) >= model.vocabularySize }) {
            throw fail("token id \(ids[position]) at position \(position) is outside the vocabulary of \(model.vocabularySize) tokens")
        }
        if let position = sample.tokenTypeIds.firstIndex(where: { Int($0) >= model.config.typeVocabularySize }) {
            throw fail("token type \(sample.tokenTypeIds[position]) at position \(position) exceeds type_vocab_size \(model.config.typeVocabularySize)")
        }
        return BertEncoder.Sequence(inputIds: ids, tokenTypeIds: sample.tokenTypeIds)
    }

    public func reportDetails() -> [String: JSONValue] {
        var details = statistics.details()
        details["model"] = .string(model.folder.path)
        details["vocab_size"] = .int(model.vocabularySize)
        details["outputs"] = .array(options.outputs.map(\.rawValue).sorted().map(JSONValue.string))
        details["precision"] = .string(options.precision.rawValue)
        if let check = model.int8Check {
            details["int8_self_check"] = .object([
                "kernel": .string(check.kernel), "sequences": .int(check.sequences),
                "minimum_cosine": .double(check.minimumCosine),
            ].merging(check.top1Agreement.map { ["top1_agreement": .double($0)] } ?? [:]) { $1 })
        }
        if let labels = model.id2label { details["id2label"] = .array(labels.map(JSONValue.string)) }
        if let pooling = model.pooling {
            details["embedding"] = .object([
                "pooling": .string(pooling.rawValue), "normalize": .bool(model.normalize),
                "dimension": .int(model.embeddingSize),
            ])
        }
        if let head = model.headURL { details["head"] = .string(head.path) }
        do {
            let identity = try model.identity()
            details["identity"] = .object([
                "folder": .string(identity.folderName),
                "config_sha256": .string(identity.configSHA256),
                "weights_sha256": .string(identity.weightsSHA256),
                "weights_bytes": .int(identity.weightsBytes),
                "head_sha256": identity.headSHA256.map(JSONValue.string) ?? .null,
            ])
        } catch {
            details["identity_error"] = .string("\(error)")
        }
        return details
    }

    /// Counters shared by the stage's workers.
    private final class Statistics: Sendable {
        private let counts = Mutex((samples: 0, tokens: 0, paddedTokens: 0, passes: 0))

        func record(samples: Int, tokens: Int, paddedTokens: Int, passes: Int) {
            counts.withLock {
                $0.samples += samples
                $0.tokens += tokens
                $0.paddedTokens += paddedTokens
                $0.passes += passes
            }
        }

        func details() -> [String: JSONValue] {
            counts.withLock {
                [
                    "samples": .int($0.samples), "tokens": .int($0.tokens),
                    "tokens_if_padded_per_pass": .int($0.paddedTokens), "forward_passes": .int($0.passes),
                ]
            }
        }
    }
}
