import Foundation

/// What the teacher stage attaches to each sample.
public enum TeacherOutput: String, Sendable, CaseIterable, Hashable {
    /// Raw classifier logits.
    case logits
    /// `softmax(logits / temperature)`.
    case probs
    /// The sentence-transformers embedding (pooled, normalised when the folder says so).
    case embedding
}

/// How token states become one sentence vector (sentence-transformers' `Pooling` modes).
public enum TeacherPooling: String, Sendable, CaseIterable {
    /// The `[CLS]` token's state.
    case cls
    /// The mean over the sequence's tokens (all of them: sequences are unpadded).
    case mean
    /// The element-wise maximum over the tokens.
    case max
}

/// Settings of the embedded teacher (the `teacher` stage of the YAML config).
public struct TeacherOptions: Sendable, Equatable {
    /// The Hugging Face model folder (config.json + model.safetensors, and for embeddings
    /// modules.json + 1_Pooling/config.json).
    public var modelPath: URL
    /// Which targets to compute; must not be empty.
    public var outputs: Set<TeacherOutput>
    /// Softmax temperature for `probs`; must be > 0.
    public var temperature: Float
    /// When set, also store the top-k logits and their class ids (needs `logits` or `probs`).
    public var topK: Int?
    /// Sequences per forward pass; larger channel batches are split, sorted by length.
    public var batchSize: Int
    /// Threads of the forward pass (each runs whole layers on chunks of sequences; OpenBLAS is
    /// single-threaded inside them).
    public var threads: Int
    /// The precision of the encoder's Linear layers: fp32, or int8 (dynamic quantization with a
    /// load-time accuracy self-check).
    public var precision: TeacherPrecision
    /// A linear classifier head (`weight` [C, D], `bias` [C]) applied to the pooled embedding:
    /// gives a sentence encoder `logits`, `probs` and `top_k` (`head:`).
    public var head: URL?
    /// Overrides the folder's pooling (`pooling:`); without a sentence-transformers config the
    /// default is `mean`.
    public var pooling: TeacherPooling?
    /// Overrides whether the pooled vector is L2-normalised (`normalize:`); without a
    /// sentence-transformers config the default is false.
    public var normalize: Bool?

    public init(
        modelPath: URL, outputs: Set<TeacherOutput> = [.logits], temperature: Float = 1.0,
        topK: Int? = nil, batchSize: Int = 32, threads: Int = 2, precision: TeacherPrecision = .fp32,
        head: URL? = nil, pooling: TeacherPooling? = nil, normalize: Bool? = nil
    ) {
        self.modelPath = modelPath
        self.outputs = outputs
        self.temperature = temperature
        self.topK = topK
        self.batchSize = batchSize
        self.threads = threads
        self.precision = precision
        self.head = head
        self.pooling = pooling
        self.normalize = normalize
    }

    /// Checks the settings that do not need the model; throws naming the offending option.
    public func validate() throws {
        try TeacherTargetSelection(outputs: outputs, temperature: temperature, topK: topK).validate()
        guard batchSize > 0 else { throw TeacherError("teacher: batch_size must be positive, got \(batchSize)") }
        guard threads > 0 else { throw TeacherError("teacher: threads must be positive, got \(threads)") }
    }
}
