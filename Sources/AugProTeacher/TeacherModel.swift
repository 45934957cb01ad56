import AugProNumerics
import Foundation
import Synchronization

/// Who the teacher is, for `report.json`: enough to tell two runs' teachers apart.
public struct TeacherIdentity: Sendable, Equatable {
    /// The model folder's last path component, e.g. `all-MiniLM-L6-v2`.
    public var folderName: String
    /// SHA-256 (hex) of the encoder's `config.json` bytes.
    public var configSHA256: String
    /// SHA-256 (hex) of `model.safetensors` (the mapped bytes the teacher computes with).
    public var weightsSHA256: String
    /// The size of `model.safetensors` in bytes.
    public var weightsBytes: Int
    /// SHA-256 (hex) of the `head:` file, when there is one.
    public var headSHA256: String? = nil
}

/// An embedded BERT-family teacher loaded from a Hugging Face folder: a
/// `BertForSequenceClassification` checkpoint (→ logits) or a sentence-transformers folder
/// (→ pooled, optionally normalised embedding), optionally with a linear classifier head over
/// that embedding (→ logits). Weights stay memory-mapped.
public final class TeacherModel: Sendable {
    /// The folder it was loaded from.
    public let folder: URL
    public let config: BertConfig
    let encoder: BertEncoder
    private let layout: ModelFolder
    private let weightsFile: SafetensorsFile
    private let configURL: URL
    private let identityCache = Mutex<TeacherIdentity?>(nil)
    /// The linear head over the pooled embedding, when one was given.
    let head: EmbeddingHead?
    /// How the sentence embedding is pooled and whether it is L2-normalised (nil pooling: no embedding).
    public let pooling: TeacherPooling?
    public let normalize: Bool
    /// Whether the checkpoint's own `BertForSequenceClassification` head is used for logits.
    private let usesCheckpointClassifier: Bool

    /// The precision of the encoder's Linear layers.
    public let precision: TeacherPrecision
    private let selfCheck = Mutex<Int8SelfCheck?>(nil)
    /// For int8: the load-time self-check against float32 on the calibration batch.
    public var int8Check: Int8SelfCheck? { selfCheck.withLock { $0 } }

    /// Loads and validates `folder`; with `head`, also the classifier over the pooled embedding.
    /// `pooling` / `normalize` override the folder's sentence-transformers config (defaults
    /// without one: mean, not normalised). Throws ``TeacherError`` naming what is missing or
    /// unsupported, or, for int8, when the quantized model misses the accuracy bound on its
    /// calibration batch (`refusesInaccurateInt8: false` keeps such a model, for measurements
    /// only; the check's result is still in ``int8Check``).
    public init(
        folder: URL, precision: TeacherPrecision = .fp32, refusesInaccurateInt8: Bool = true,
        head headURL: URL? = nil, pooling: TeacherPooling? = nil, normalize: Bool? = nil
    ) throws {
        self.folder = folder
        layout = try ModelFolder(folder: folder)
        let pools = layout.pooling != nil || headURL != nil || pooling != nil
        self.pooling = pools ? (pooling ?? layout.pooling ?? .mean) : nil
        self.normalize = normalize ?? layout.normalize
        configURL = layout.encoderFolder.appendingPathComponent("config.json")
        config = try BertConfig(url: configURL)
        let weightsURL = layout.encoderFolder.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weightsURL.path) else {
            throw TeacherError.file(weightsURL.path, "missing: the teacher needs its weights as model.safetensors")
        }
        weightsFile = try SafetensorsFile(url: weightsURL)
        try TeacherChecks.checkLayers(config, configPath: configURL.path, weights: weightsFile)
        try TeacherChecks.requireFiniteWeights(weightsFile)
        let weights = try BertWeights(file: weightsFile, config: config)
        self.precision = precision
        encoder = BertEncoder(config: config, weights: weights, precision: precision)
        let hiddenSize = config.hiddenSize
        head = try headURL.map { try EmbeddingHead(url: $0, width: hiddenSize) }
        let isClassifier = config.architectures.contains("BertForSequenceClassification")
        usesCheckpointClassifier = head == nil && layout.pooling == nil && isClassifier
        if head == nil && self.pooling == nil && !isClassifier {
            throw TeacherError.file(
                folder.path,
                "no supported head: expected a sentence-transformers folder (modules.json with a Pooling module), a BertForSequenceClassification config or a head: file; architectures are \(config.architectures)")
        }
        if usesCheckpointClassifier {
            guard weights.pooler != nil, let classifier = weights.classifier, classifier.weight.shape[0] > 0 else {
                throw TeacherError.file(weightsURL.path, "BertForSequenceClassification needs pooler.dense.* and classifier.* tensors")
            }
            if let labels = config.id2label, labels.count != classifier.weight.shape[0] {
                throw TeacherError.file(configURL.path, "id2label has \(labels.count) labels but the classifier has \(classifier.weight.shape[0]) outputs")
            }
        }
        if precision == .int8 {
            let check = Int8SelfCheck(model: self, weights: weights)
            selfCheck.withLock { $0 = check }
            if refusesInaccurateInt8 { try check.enforce(folder: folder) }
        }
    }

    /// The vocabulary size token ids must stay below.
    public var vocabularySize: Int { config.vocabularySize }
    /// The longest sequence the position embeddings allow.
    public var maxSequenceLength: Int { config.maxPositions }
    /// Label names by class id, when the config has them.
    public var id2label: [String]? { head == nil ? config.id2label : nil }
    /// Whether the model has a classification head (logits / probs): a `head:` file, or a
    /// `BertForSequenceClassification` checkpoint used without pooling.
    public var producesLogits: Bool { head != nil || usesCheckpointClassifier }
    /// Whether the model pools a sentence embedding.
    public var producesEmbedding: Bool { pooling != nil }
    /// The number of classes (logit width), or nil without a classifier.
    public var labelCount: Int? {
        head?.labelCount ?? (producesLogits ? encoder.weights.classifier?.weight.shape[0] : nil)
    }
    /// The `head:` file, when there is one.
    public var headURL: URL? { head?.url }
    /// The embedding width.
    public var embeddingSize: Int { config.hiddenSize }

    /// Hashes the config and the weights (reads the whole weights file on the first call only).
    public func identity() throws -> TeacherIdentity {
        if let cached = identityCache.withLock({ $0 }) { return cached }
        let identity = try computeIdentity()
        identityCache.withLock { $0 = identity }
        return identity
    }

    private func computeIdentity() throws -> TeacherIdentity {
        let configBytes = [UInt8](try Data(contentsOf: configURL))
        var weights = SHA256()
        weightsFile.withFileBytes { weights.update($0) }
        return TeacherIdentity(
            folderName: folder.standardizedFileURL.lastPathComponent,
            configSHA256: hexString(SHA256.hash(configBytes)),
            weightsSHA256: weights.hexDigest(),
            weightsBytes: weightsFile.byteCount,
            headSHA256: try head?.sha256())
    }

    /// The head outputs of one packed batch.
    struct Outputs {
        var logits: [[Float]]?
        var embeddings: [[Float]]?
    }

    /// Runs the encoder and the requested heads over validated sequences.
    func predict(_ sequences: [BertEncoder.Sequence], logits: Bool, embedding: Bool, threads: Int = 1) -> Outputs {
        heads(encoder.encode(sequences, threads: threads), logits: logits, embedding: embedding)
    }

    /// The requested heads over encoder states.
    func heads(_ states: BertEncoder.Output, logits: Bool, embedding: Bool) -> Outputs {
        var outputs = Outputs()
        let pooled = (embedding || (logits && head != nil))
            ? pooling.map { pooling in OperatorProfile.measure(.heads) { pool(states, pooling) } } : nil
        if logits { outputs.logits = head.map { $0.logits(pooled ?? []) } ?? classify(states) }
        if embedding { outputs.embeddings = pooled }
        return outputs
    }

    /// Pooler (dense + tanh on `[CLS]`) then classifier, for every sequence at once.
    private func classify(_ states: BertEncoder.Output) -> [[Float]] {
        guard let pooler = encoder.weights.pooler, let classifier = encoder.weights.classifier else { return [] }
        let count = states.offsets.count - 1
        let width = states.width
        let labels = classifier.weight.shape[0]
        var first = [Float](repeating: 0, count: count * width)
        for index in 0..<count {
            let start = states.offsets[index] * width
            first[(index * width)..<((index + 1) * width)] = states.hidden[start..<(start + width)]
        }
        var pooled = [Float](repeating: 0, count: count * width)
        var scores = [Float](repeating: 0, count: count * labels)
        first.withUnsafeBufferPointer { input in
            pooled.withUnsafeMutableBufferPointer { output in
                Kernels.linear(input.baseAddress!, rows: count, inputWidth: width, pooler, output: output.baseAddress!)
                for index in output.indices { output[index] = Foundation.tanh(output[index]) }
            }
        }
        pooled.withUnsafeBufferPointer { input in
            scores.withUnsafeMutableBufferPointer { output in
                Kernels.linear(input.baseAddress!, rows: count, inputWidth: width, classifier, output: output.baseAddress!)
            }
        }
        return (0..<count).map { Array(scores[($0 * labels)..<(($0 + 1) * labels)]) }
    }

    /// cls / mean / max pooling over each sequence's token states, then optional L2 normalisation.
    private func pool(_ states: BertEncoder.Output, _ pooling: ModelFolder.Pooling) -> [[Float]] {
        let width = states.width
        return (0..<(states.offsets.count - 1)).map { index in
            let rows = states.rows(index)
            var vector = [Float](repeating: pooling == .max ? -.infinity : 0, count: width)
            states.hidden.withUnsafeBufferPointer { hidden in
                switch pooling {
                case .cls:
                    for column in 0..<width { vector[column] = hidden[rows.lowerBound * width + column] }
                case .mean:
                    for row in rows {
                        for column in 0..<width { vector[column] += hidden[row * width + column] }
                    }
                    let inverse = 1 / Float(rows.count)
                    for column in 0..<width { vector[column] *= inverse }
                case .max:
                    for row in rows {
                        for column in 0..<width { vector[column] = max(vector[column], hidden[row * width + column]) }
                    }
                }
            }
            if normalize {
                let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
                let inverse = 1 / max(norm, 1e-12)
                for column in 0..<width { vector[column] *= inverse }
            }
            return vector
        }
    }
}
