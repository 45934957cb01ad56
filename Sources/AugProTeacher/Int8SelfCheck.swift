import AugProNumerics
import Foundation

/// The int8 teacher's load-time accuracy check: the quantized encoder and the float32 one run a
/// fixed calibration batch (16 deterministic token sequences of 8–128 tokens); the model is
/// refused unless every sequence's output (the embedding, or for classifiers the mean last
/// hidden state) has cosine ≥ 0.999 to float32 and classifiers keep ≥ 99 % of top-1 labels.
public struct Int8SelfCheck: Sendable, Equatable {
    /// The smallest cosine to float32 accepted.
    public static let cosineBound = 0.999
    /// The smallest top-1 agreement with float32 accepted (classifiers).
    public static let agreementBound = 0.99

    /// The int8 kernel in use (`portable`, `avx2`, `avx512VNNI`).
    public var kernel: String
    /// Calibration sequences compared.
    public var sequences: Int
    /// The smallest per-sequence cosine between int8 and float32 outputs.
    public var minimumCosine: Double
    /// For classifiers: the share of calibration sequences whose top-1 label is unchanged.
    public var top1Agreement: Double?

    init(model: TeacherModel, weights: BertWeights) {
        let reference = BertEncoder(config: model.config, weights: weights, precision: .fp32)
        let batch = Self.calibrationBatch(model.config)
        let exactStates = reference.encode(batch, threads: 2)
        let quantizedStates = model.encoder.encode(batch, threads: 2)
        let exact = model.heads(exactStates, logits: model.producesLogits, embedding: model.producesEmbedding)
        let quantized = model.heads(quantizedStates, logits: model.producesLogits, embedding: model.producesEmbedding)
        kernel = model.encoder.prepared.kernel.map { "\($0)" } ?? "none"
        sequences = batch.count
        if let want = exact.embeddings, let got = quantized.embeddings {
            minimumCosine = zip(want, got).map { Self.cosine($0, $1) }.min() ?? 1
        } else {
            minimumCosine = (0..<batch.count).map { index in
                Self.cosine(Self.meanRow(exactStates, index), Self.meanRow(quantizedStates, index))
            }.min() ?? 1
        }
        if let want = exact.logits, let got = quantized.logits {
            let agreeing = zip(want, got).filter { Self.top1($0) == Self.top1($1) }.count
            top1Agreement = Double(agreeing) / Double(max(1, want.count))
        }
    }

    /// The bounds this check missed, as phrases (empty when it passed).
    public var misses: [String] {
        var misses: [String] = []
        if minimumCosine < Self.cosineBound {
            misses.append("minimum cosine to float32 \(String(format: "%.5f", minimumCosine)) (bound \(Self.cosineBound))")
        }
        if let top1Agreement, top1Agreement < Self.agreementBound {
            misses.append("top-1 agreement \(String(format: "%.1f", 100 * top1Agreement)) % (bound \(Int(100 * Self.agreementBound)) %)")
        }
        return misses
    }

    /// Throws the refusal naming the folder and the missed bounds, unless the check passed.
    func enforce(folder: URL) throws {
        guard misses.isEmpty else {
            throw TeacherError.file(
                folder.path,
                "precision int8 fails its load-time self-check on a \(sequences)-sequence calibration batch: \(misses.joined(separator: ", ")); use precision fp32 for this model")
        }
    }

    /// 16 deterministic sequences of 8…128 tokens (capped by the position limit), ids from an
    /// LCG over the vocabulary above the first 1000 ids when it is large (BERT's reserved ones),
    /// every other sequence a pair (token type 1 on its second half).
    static func calibrationBatch(_ config: BertConfig) -> [BertEncoder.Sequence] {
        var state: UInt64 = 0x5EED_CA1B
        let lowest = config.vocabularySize > 2000 ? 1000 : 0
        return (0..<16).map { index in
            let length = min(config.maxPositions, 8 + index * 8)
            let ids = (0..<length).map { _ -> Int32 in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int32(lowest + Int((state >> 33) % UInt64(config.vocabularySize - lowest)))
            }
            let split = index % 2 == 0 ? length : length / 2
            let types = (0..<length).map { UInt8($0 >= split && config.typeVocabularySize > 1 ? 1 : 0) }
            return BertEncoder.Sequence(inputIds: ids, tokenTypeIds: types)
        }
    }

    static func meanRow(_ states: BertEncoder.Output, _ index: Int) -> [Float] {
        var mean = [Float](repeating: 0, count: states.width)
        for row in states.rows(index) {
            for column in 0..<states.width { mean[column] += states.hidden[row * states.width + column] }
        }
        return mean
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, left = 0.0, right = 0.0
        for (x, y) in zip(a, b) {
            dot += Double(x) * Double(y)
            left += Double(x) * Double(x)
            right += Double(y) * Double(y)
        }
        return dot / max((left * right).squareRoot(), .leastNonzeroMagnitude)
    }

    static func top1(_ logits: [Float]) -> Int {
        logits.indices.max { (logits[$0], -$0) < (logits[$1], -$1) } ?? 0
    }
}
