import AugProRuntime

/// Counts the projector reports; merged from per-batch counts under a lock.
public struct ProjectorStatistics: Sendable, Equatable {
    public var originals = 0
    public var plans = 0
    public var emittedAugmentations = 0
    public var projectedPositions = 0
    /// Projected positions equal to a's token (including where a and b agree).
    public var positionsFromA = 0
    /// Projected positions equal to b's token only.
    public var positionsFromB = 0
    public var positionsFromNeither = 0
    public var positionsWithEqualSources = 0
    public var fastPathPositions = 0
    public var fallbackPositions = 0
    public var verifiedPositions = 0
    /// Verified positions where the fast path and brute force chose different tokens.
    public var verificationDifferences = 0
    /// Of those, the ones whose score gap is below ``MixProjector/nearTieTolerance`` (relative).
    public var verificationNearTies = 0
    public var duplicatesOfSource = 0
    public var duplicatesOfEarlier = 0
    /// Counts of λ (`mixLambda`) per tenth of [0, 1].
    public var lambdaHistogram = [Int](repeating: 0, count: 10)

    public init() {}

    mutating func merge(_ other: ProjectorStatistics) {
        originals += other.originals
        plans += other.plans
        emittedAugmentations += other.emittedAugmentations
        projectedPositions += other.projectedPositions
        positionsFromA += other.positionsFromA
        positionsFromB += other.positionsFromB
        positionsFromNeither += other.positionsFromNeither
        positionsWithEqualSources += other.positionsWithEqualSources
        fastPathPositions += other.fastPathPositions
        fallbackPositions += other.fallbackPositions
        verifiedPositions += other.verifiedPositions
        verificationDifferences += other.verificationDifferences
        verificationNearTies += other.verificationNearTies
        duplicatesOfSource += other.duplicatesOfSource
        duplicatesOfEarlier += other.duplicatesOfEarlier
        for bin in lambdaHistogram.indices { lambdaHistogram[bin] += other.lambdaHistogram[bin] }
    }

    mutating func countLambda(_ lambda: Float) {
        let bin = min(9, max(0, Int(lambda * 10)))
        lambdaHistogram[bin] += 1
    }

    /// The figures for `report.json`.
    public var json: [String: JSONValue] {
        func share(_ count: Int, of total: Int) -> JSONValue { .double(total > 0 ? Double(count) / Double(total) : 0) }
        return [
            "originals": .int(originals),
            "plans": .int(plans),
            "augmentations_emitted": .int(emittedAugmentations),
            "projected_positions": .int(projectedPositions),
            "share_from_a": share(positionsFromA, of: projectedPositions),
            "share_from_b": share(positionsFromB, of: projectedPositions),
            "share_from_neither": share(positionsFromNeither, of: projectedPositions),
            "positions_with_equal_sources": .int(positionsWithEqualSources),
            "duplicates_dropped": .int(duplicatesOfSource + duplicatesOfEarlier),
            "duplicates_of_source": .int(duplicatesOfSource),
            "duplicates_of_earlier_augmentation": .int(duplicatesOfEarlier),
            "fast_path_positions": .int(fastPathPositions),
            "fallback_positions": .int(fallbackPositions),
            "fallback_rate": share(fallbackPositions, of: fastPathPositions + fallbackPositions),
            "verified_positions": .int(verifiedPositions),
            "verification_differences": .int(verificationDifferences),
            "verification_near_ties": .int(verificationNearTies),
            "lambda_histogram": .object([
                "bin_edges": .array(stride(from: 0, through: 10, by: 1).map { .double(Double($0) / 10) }),
                "counts": .array(lambdaHistogram.map { .int($0) }),
            ]),
        ]
    }
}
