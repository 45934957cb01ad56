import AugProInterpolator
import AugProProjector
import AugProTeacher
import AugProTokenizer
import Foundation

/// `tokenizer:` — BERT WordPiece settings.
public struct TokenizerConfig: Decodable, Sendable {
    /// A `vocab.txt`, a `tokenizer.json`, or a model folder holding either.
    public var vocab: URL
    public var lowercase: Bool?
    public var stripAccents: Bool?
    public var tokenizeChineseChars: Bool?
    public var maxLength: Int
    public var truncation: TruncationStrategy
    public var keepText: Bool
    public var workers: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case vocab, lowercase, truncation, workers
        case stripAccents = "strip_accents"
        case tokenizeChineseChars = "tokenize_chinese_chars"
        case maxLength = "max_length"
        case keepText = "keep_text"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        vocab = try container.decodePath(.vocab, in: decoder, mustExist: true)
        lowercase = try container.decodeIfPresent(Bool.self, forKey: .lowercase)
        stripAccents = try container.decodeIfPresent(Bool.self, forKey: .stripAccents)
        tokenizeChineseChars = try container.decodeIfPresent(Bool.self, forKey: .tokenizeChineseChars)
        maxLength = try container.decodeInt(.maxLength, in: 3...8192, default: 128)
        truncation = try container.decodeEnum(.truncation, default: .longestFirst)
        keepText = try container.decodeIfPresent(Bool.self, forKey: .keepText) ?? false
        workers = try container.decodeInt(.workers, in: 1...64, default: 1)
    }
}

/// `interpolator:` — AugPro-Mix pairing and λ.
public struct InterpolatorConfig: Decodable, Sendable {
    public var method: String
    public var perExample: Int
    public var window: Int
    public var lambda: LambdaDistribution
    public var granularity: MixGranularity
    public var length: MixLength
    public var keepOriginals: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case method, window, lambda, granularity, length
        case perExample = "per_example"
        case keepOriginals = "keep_originals"
    }

    enum LambdaKeys: String, CodingKey, CaseIterable {
        case beta, uniform, fixed
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        method = try container.decodeChoice(.method, ["mixup"], default: "mixup")
        perExample = try container.decodeInt(.perExample, in: 1...64, default: 1)
        window = try container.decodeInt(.window, in: 2...1_000_000, default: 1024)
        granularity = try container.decodeEnum(.granularity, default: .example)
        length = try container.decodeEnum(.length, default: .longer)
        keepOriginals = try container.decodeIfPresent(Bool.self, forKey: .keepOriginals) ?? true
        guard container.contains(.lambda) else {
            lambda = .beta(0.4)
            return
        }
        let lambdaDecoder = try container.superDecoder(forKey: .lambda)
        try lambdaDecoder.rejectUnknownKeys(LambdaKeys.allCases.map(\.rawValue))
        let lambdas = try lambdaDecoder.container(keyedBy: LambdaKeys.self)
        guard lambdas.allKeys.count == 1, let kind = lambdas.allKeys.first else {
            throw lambdaDecoder.issue("expected exactly one of {beta: α}, {uniform: [lo, hi]}, {fixed: x}")
        }
        switch kind {
        case .beta:
            let alpha = try lambdas.decode(Double.self, forKey: .beta)
            guard alpha > 0, alpha.isFinite else { throw lambdas.issue(.beta, "expected α > 0, got \(alpha)") }
            lambda = .beta(alpha)
        case .uniform:
            let bounds = try lambdas.decode([Double].self, forKey: .uniform)
            guard bounds.count == 2, 0 <= bounds[0], bounds[0] <= bounds[1], bounds[1] <= 1 else {
                throw lambdas.issue(.uniform, "expected [lo, hi] with 0 ≤ lo ≤ hi ≤ 1")
            }
            lambda = .uniform(bounds[0], bounds[1])
        case .fixed:
            let value = try lambdas.decode(Double.self, forKey: .fixed)
            guard (0...1).contains(value) else { throw lambdas.issue(.fixed, "expected 0 ≤ x ≤ 1, got \(value)") }
            lambda = .fixed(value)
        }
    }
}

/// `projector:` — nearest-token projection of mixed embeddings.
public struct ProjectorConfig: Decodable, Sendable {
    /// A model folder or `.safetensors` file holding the word-embedding table.
    public var embeddings: URL
    public var tensor: String?
    public var metric: ProjectionMetric
    public var exclude: [String]
    public var dropDuplicates: Bool
    /// `fast` (top-K certificate with exact fallback) or `brute_force`.
    public var search: String
    public var topK: Int
    public var cache: URL?
    public var workers: Int
    /// Also run brute force on every fast-path position and count differences and near-ties.
    public var verify: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case embeddings, tensor, metric, exclude, search, cache, workers, verify
        case dropDuplicates = "drop_duplicates"
        case topK = "top_k"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        embeddings = try container.decodePath(.embeddings, in: decoder, mustExist: true)
        tensor = try container.decodeIfPresent(String.self, forKey: .tensor)
        metric = try container.decodeEnum(.metric, default: .l2)
        exclude = try container.decodeIfPresent([String].self, forKey: .exclude) ?? []
        dropDuplicates = try container.decodeIfPresent(Bool.self, forKey: .dropDuplicates) ?? true
        search = try container.decodeChoice(.search, ["fast", "brute_force"], default: "fast")
        topK = try container.decodeInt(.topK, in: 1...4096, default: 64)
        cache = try container.decodePathIfPresent(.cache, in: decoder, mustExist: false)
        workers = try container.decodeInt(.workers, in: 1...64, default: 1)
        verify = try container.decodeIfPresent(Bool.self, forKey: .verify) ?? false
    }
}

/// `teacher:` — the model that labels every sample.
public struct TeacherConfig: Decodable, Sendable {
    public var kind: String
    public var model: URL
    public var outputs: [TeacherOutput]
    public var temperature: Double
    public var topK: Int?
    public var batchSize: Int
    public var threads: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, model, outputs, temperature, threads
        case topK = "top_k"
        case batchSize = "batch_size"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        kind = try container.decodeChoice(.kind, ["embedded"], default: "embedded")
        model = try container.decodePath(.model, in: decoder, mustExist: true)
        outputs = try container.decodeEnumList(.outputs, default: [.logits])
        temperature = try container.decodeIfPresent(Double.self, forKey: .temperature) ?? 1
        guard temperature > 0, temperature.isFinite else {
            throw container.issue(.temperature, "expected a temperature > 0, got \(temperature)")
        }
        topK = try container.decodeIfPresent(Int.self, forKey: .topK)
        if let topK, topK < 1 { throw container.issue(.topK, "expected top_k ≥ 1 or null, got \(topK)") }
        batchSize = try container.decodeInt(.batchSize, in: 1...4096, default: 32)
        threads = try container.decodeInt(.threads, in: 1...256, default: 2)
    }
}
