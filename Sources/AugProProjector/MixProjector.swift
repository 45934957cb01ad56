import AugProRecords
import AugProRuntime
import Foundation
import Synchronization

/// The `projector:` transform: turns each mixup plan into a real token sequence by replacing
/// every mixed position with the token nearest to λ·E[a] + (1−λ)·E[b]; originals pass through.
///
/// Candidates are the whole vocabulary minus bracketed tokens (`[PAD]`, `[unused12]`, …) and the
/// `exclude:` texts; ties go to the lowest id. With `fastPath`, a position is first solved
/// exactly from the top-K lists of its two source tokens: by linearity every candidate scores
/// λ·s_a(w) + (1−λ)·s_b(w), and no token outside topK(a) ∪ topK(b) can beat
/// λ·s_a(K-th) + (1−λ)·s_b(K-th); when the best listed candidate does not reach that bound the
/// position falls back to brute force (blocked `sgemm` with a running argmax).
///
/// `[PAD]` as an end: where one side of a position is padding (``MixPlan/padded``), the
/// position ends its segment when the `[PAD]` side weighs at least ½; otherwise `[PAD]` joins
/// the candidates with its unrestricted metric score and ends the segment when it wins. An
/// ended segment keeps its word pieces before that position and its closing `[SEP]`; a later
/// segment left empty is removed with its `[SEP]`. So no kept token is the neighbour of a
/// mostly-`[PAD]` vector, whatever the metric.
///
/// `dropDuplicates` compares each projection with its sources and with earlier augmentations of
/// the same example in the same batch (the interpolator keeps an example's group in one batch).
public final class MixProjector: BatchTransform {
    public typealias Input = MixItem
    public typealias Output = TokenSample

    /// Relative score gap under which two choices count as a float near-tie.
    public static let nearTieTolerance: Float = 1e-5

    public let options: ProjectorOptions
    public let scorer: TokenScorer
    /// The top-K lists (nil without the fast path).
    public let topK: TopKTable?
    /// Whether the top-K lists came from the cache, and the seconds spent loading or building them.
    public let topKFromCache: Bool
    public let topKSeconds: Double
    /// Why a cache file found under the key was rebuilt instead of used, if one was.
    public let topKRejectedCache: String?
    private let statistics = Mutex(ProjectorStatistics())

    public var name: String { "projector" }

    /// Prepares the projector over `table`, whose row w is the token `vocabulary[w]`. Builds or
    /// loads the top-K lists when `options.fastPath` is set (a V×V pass on first use).
    public init(table: EmbeddingTable, vocabulary: [String], options: ProjectorOptions = ProjectorOptions()) throws {
        guard vocabulary.count == table.vocabularySize else {
            throw ProjectorError("the vocabulary has \(vocabulary.count) tokens but \(table.source) has \(table.vocabularySize) rows")
        }
        guard options.topK >= 1 else { throw ProjectorError("top_k must be at least 1, got \(options.topK)") }
        if let index = table.values.firstIndex(where: { !$0.isFinite }) {
            throw ProjectorError("\(table.source): row \(index / table.dimension) holds a non-finite value (NaN or infinity)")
        }
        let excluded = try MixProjector.excludedTokens(vocabulary: vocabulary, extra: options.exclude)
        guard excluded.contains(false) else { throw ProjectorError("every vocabulary token is excluded") }
        self.options = options
        scorer = TokenScorer(table: table, metric: options.metric, excluded: excluded, vocabularyBlock: options.vocabularyBlock)
        if options.fastPath {
            let loaded = TopKTable.loadOrBuild(
                scorer: scorer, k: options.topK, excluded: excluded, directory: options.resolvedCacheDirectory)
            topK = loaded.table
            topKFromCache = loaded.fromCache
            topKSeconds = loaded.seconds
            topKRejectedCache = loaded.rejectedCache
        } else {
            topK = nil
            topKFromCache = false
            topKSeconds = 0
            topKRejectedCache = nil
        }
    }

    /// Marks bracketed tokens and the `extra` texts; throws for an `extra` text not in the vocabulary.
    public static func excludedTokens(vocabulary: [String], extra: [String]) throws -> [Bool] {
        var excluded = vocabulary.map { $0.count > 2 && $0.hasPrefix("[") && $0.hasSuffix("]") }
        // Keyed by UTF-8 bytes: `String` equality is canonical equivalence (";" == "\u{037E}"),
        // which would merge distinct vocabulary entries.
        var index: [[UInt8]: Int] = [:]
        for (token, text) in vocabulary.enumerated() where index[Array(text.utf8)] == nil { index[Array(text.utf8)] = token }
        for text in extra {
            guard let token = index[Array(text.utf8)] else { throw ProjectorError("exclude: \"\(text)\" is not in the vocabulary") }
            excluded[token] = true
        }
        return excluded
    }

    public func transform(_ batch: [MixItem], context: StageContext) throws -> [TokenSample] {
        var counts = ProjectorStatistics()
        let plans: [MixPlan] = batch.compactMap { if case .mix(let plan) = $0 { plan } else { nil } }
        try plans.forEach(validate)
        let projected = try project(plans, counts: &counts)
        var output: [TokenSample] = []
        output.reserveCapacity(batch.count)
        var earlier: [Int64: [[Int32]]] = [:]
        var planIndex = 0
        for item in batch {
            switch item {
            case .original(let sample):
                counts.originals += 1
                output.append(sample)
            case .mix(let plan):
                let projection = projected[planIndex]
                let ids = projection.inputIds
                planIndex += 1
                counts.plans += 1
                counts.countLambda(plan.provenance.mixLambda)
                if options.dropDuplicates {
                    if ids == plan.originalA || ids == plan.originalB {
                        counts.duplicatesOfSource += 1
                        continue
                    }
                    if earlier[plan.provenance.sourceA, default: []].contains(ids) {
                        counts.duplicatesOfEarlier += 1
                        continue
                    }
                    earlier[plan.provenance.sourceA, default: []].append(ids)
                }
                counts.emittedAugmentations += 1
                counts.countChange(min(
                    ProjectorStatistics.editDistance(ids, plan.originalA, cap: 6), ProjectorStatistics.editDistance(ids, plan.originalB, cap: 6)))
                output.append(TokenSample(
                    id: plan.provenance.sourceA, inputIds: ids, tokenTypeIds: projection.tokenTypeIds, label: -1,
                    provenance: plan.provenance))
            }
        }
        statistics.withLock { $0.merge(counts) }
        return output
    }

    /// Counts so far (summed over every batch and worker).
    public var currentStatistics: ProjectorStatistics { statistics.withLock { $0 } }

    public func reportDetails() -> [String: JSONValue] {
        var details = currentStatistics.json
        details["metric"] = .string(options.metric.rawValue)
        details["fast_path"] = .bool(options.fastPath)
        details["top_k"] = .int(topK?.k ?? 0)
        details["top_k_from_cache"] = .bool(topKFromCache)
        details["top_k_seconds"] = .double(topKSeconds)
        if let topKRejectedCache { details["top_k_cache_rejected"] = .string(topKRejectedCache) }
        details["candidate_tokens"] = .int(scorer.allowedCount)
        return details
    }

    private func validate(_ plan: MixPlan) throws {
        let count = plan.tokensA.count
        guard plan.tokensB.count == count, plan.lambdas.count == count, plan.fixed.count == count,
              plan.tokenTypeIds.count == count, plan.padded.count == count else {
            throw ProjectorError("example \(plan.provenance.sourceA): mix plan arrays differ in length")
        }
        let vocabulary = scorer.table.vocabularySize
        for token in plan.tokensA + plan.tokensB where token < 0 || Int(token) >= vocabulary {
            throw ProjectorError("example \(plan.provenance.sourceA): token id \(token) is outside the embedding table (0..<\(vocabulary))")
        }
    }
}
