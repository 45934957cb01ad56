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
    /// OpenBLAS threads (process-wide).
    public var threads: Int

    public init(
        modelPath: URL, outputs: Set<TeacherOutput> = [.logits], temperature: Float = 1.0,
        topK: Int? = nil, batchSize: Int = 32, threads: Int = 2
    ) {
        self.modelPath = modelPath
        self.outputs = outputs
        self.temperature = temperature
        self.topK = topK
        self.batchSize = batchSize
        self.threads = threads
    }

    /// Checks the settings that do not need the model; throws naming the offending option.
    public func validate() throws {
        try TeacherTargetSelection(outputs: outputs, temperature: temperature, topK: topK).validate()
        guard batchSize > 0 else { throw TeacherError("teacher: batch_size must be positive, got \(batchSize)") }
        guard threads > 0 else { throw TeacherError("teacher: threads must be positive, got \(threads)") }
    }
}
