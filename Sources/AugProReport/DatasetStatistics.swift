import AugProRuntime
import AugProWriter
import Foundation

/// Figures of a written dataset, computed from its shards alone (read back through
/// ``MDSDatasetReader``): what the report plots.
///
/// An augmentation's *dominant source* is `source_a` when `mix_lambda ≥ 0.5`, else `source_b`.
/// Changed positions, label flips and cosine-to-source compare an augmentation with it; positions
/// are compared index by index, and positions only one of the two sequences has count as changed.
/// Teacher confidence and entropy are those of `softmax(teacher_logits)` (temperature 1), or of
/// `teacher_probs` when the dataset has no logits.
public struct DatasetStatistics: Sendable {
    public var originals = 0
    public var augmentations = 0
    /// λ of each augmentation.
    public var lambda = Histogram(lower: 0, upper: 1, bins: 10)
    /// Positions differing from the dominant source, per augmentation.
    public var changedPositions = IntegerCounts()
    /// Augmentations whose dominant source is not in the dataset (not compared).
    public var sourcesMissing = 0
    /// Classification teachers: highest class probability, originals and augmentations.
    public var confidence: (originals: Histogram, augmented: Histogram)?
    /// Classification teachers: entropy of the class distribution in nats, over `[0, ln classes]`.
    public var entropy: (originals: Histogram, augmented: Histogram)?
    /// Classification teachers: augmentations compared, and those whose argmax differs from their
    /// dominant source's.
    public var labelFlips: (compared: Int, flipped: Int)?
    /// Embedding teachers: cosine similarity of each augmentation's embedding to its dominant source's.
    public var cosineToSource: Histogram?
    /// The first augmentations (in dataset order) whose two sources are in the dataset.
    public var examples: [ExampleMix] = []

    /// One augmentation beside its sources, as token ids.
    public struct ExampleMix: Sendable {
        public var id: Int64
        public var lambda: Double
        public var sourceA: Int64
        public var sourceB: Int64
        public var tokens: [Int32]
        public var tokensA: [Int32]
        public var tokensB: [Int32]
    }

    /// What is kept per sample until every source is known.
    private struct Kept {
        var tokens: [Int32]
        var argmax: Int?
        var unitEmbedding: [Double]?
    }

    public init() {}

    /// Reads every sample of the dataset at `path`.
    public init(datasetAt path: String, exampleCount: Int = 12) throws {
        let reader = try MDSDatasetReader(path: path)
        var originalsById: [Int64: Kept] = [:]
        var pending: [(kept: Kept, lambda: Double, a: Int64, b: Int64, id: Int64)] = []
        var classes: Int?
        var confidence: [(Double, Bool)] = []
        var entropy: [(Double, Bool)] = []
        try reader.forEachSample { sample in
            let tokens = Self.integers(sample["input_ids"]).map { Int32(truncatingIfNeeded: $0) }
            let isOriginal = Self.string(sample["kind"]) == "original"
            var kept = Kept(tokens: tokens)
            if let distribution = Self.distribution(sample) {
                classes = distribution.count
                kept.argmax = distribution.indices.max { distribution[$0] < distribution[$1] }
                confidence.append((distribution.max() ?? 0, isOriginal))
                entropy.append((distribution.reduce(0) { $1 > 0 ? $0 - $1 * log($1) : $0 }, isOriginal))
            }
            if let embedding = Self.doubles(sample["teacher_embedding"]) {
                let norm = embedding.reduce(0) { $0 + $1 * $1 }.squareRoot()
                kept.unitEmbedding = norm > 0 ? embedding.map { $0 / norm } : embedding
            }
            let id = Int64(Self.integer(sample["id"]) ?? -1)
            if isOriginal {
                originals += 1
                originalsById[id] = kept
            } else {
                augmentations += 1
                let lambda = Self.double(sample["mix_lambda"]) ?? .nan
                self.lambda.add(lambda)
                pending.append((
                    kept, lambda, Int64(Self.integer(sample["source_a"]) ?? -1),
                    Int64(Self.integer(sample["source_b"]) ?? -1), id))
            }
        }
        if let classes {
            let top = log(Double(max(2, classes)))
            var byKind = (Histogram(lower: 0, upper: 1, bins: 20), Histogram(lower: 0, upper: 1, bins: 20))
            for (value, isOriginal) in confidence { isOriginal ? byKind.0.add(value) : byKind.1.add(value) }
            self.confidence = byKind
            byKind = (Histogram(lower: 0, upper: top, bins: 20), Histogram(lower: 0, upper: top, bins: 20))
            for (value, isOriginal) in entropy { isOriginal ? byKind.0.add(value) : byKind.1.add(value) }
            self.entropy = byKind
            labelFlips = (0, 0)
        }
        if pending.contains(where: { $0.kept.unitEmbedding != nil }) {
            cosineToSource = Histogram(lower: -1, upper: 1, bins: 40)
        }
        for mix in pending {
            let dominantId = mix.lambda >= 0.5 ? mix.a : mix.b
            guard let dominant = originalsById[dominantId] else {
                sourcesMissing += 1
                continue
            }
            changedPositions.add(Self.changedPositions(mix.kept.tokens, dominant.tokens))
            if let argmax = mix.kept.argmax, let sourceArgmax = dominant.argmax {
                labelFlips!.compared += 1
                if argmax != sourceArgmax { labelFlips!.flipped += 1 }
            }
            if let embedding = mix.kept.unitEmbedding, let sourceEmbedding = dominant.unitEmbedding,
                embedding.count == sourceEmbedding.count
            {
                // Clamped: rounding can put the cosine of near-identical vectors just past ±1.
                let cosine = zip(embedding, sourceEmbedding).reduce(0) { $0 + $1.0 * $1.1 }
                cosineToSource?.add(min(1, max(-1, cosine)))
            }
            if examples.count < exampleCount, let a = originalsById[mix.a], let b = originalsById[mix.b] {
                examples.append(ExampleMix(
                    id: mix.id, lambda: mix.lambda, sourceA: mix.a, sourceB: mix.b,
                    tokens: mix.kept.tokens, tokensA: a.tokens, tokensB: b.tokens))
            }
        }
    }

    /// Positions where `tokens` and `source` differ, index by index; extra positions count.
    public static func changedPositions(_ tokens: [Int32], _ source: [Int32]) -> Int {
        zip(tokens, source).filter { $0 != $1 }.count + abs(tokens.count - source.count)
    }

    /// The teacher's class distribution: softmax of the logits, else the stored probabilities.
    private static func distribution(_ sample: [String: JSONValue]) -> [Double]? {
        if let logits = doubles(sample["teacher_logits"]), !logits.isEmpty {
            let top = logits.max()!
            let exps = logits.map { exp($0 - top) }
            let sum = exps.reduce(0, +)
            return exps.map { $0 / sum }
        }
        if let probs = doubles(sample["teacher_probs"]), !probs.isEmpty { return probs }
        return nil
    }

    static func string(_ value: JSONValue?) -> String? {
        if case .string(let text)? = value { return text }
        return nil
    }

    static func integer(_ value: JSONValue?) -> Int? {
        if case .int(let number)? = value { return number }
        return nil
    }

    static func double(_ value: JSONValue?) -> Double? {
        switch value {
        case .double(let number)?: return number
        case .int(let number)?: return Double(number)
        default: return nil
        }
    }

    static func integers(_ value: JSONValue?) -> [Int] {
        guard case .array(let values)? = value else { return [] }
        return values.compactMap(integer)
    }

    static func doubles(_ value: JSONValue?) -> [Double]? {
        guard case .array(let values)? = value else { return nil }
        return values.map { double($0) ?? .nan }
    }
}
