import AugProRuntime

/// Counts the projector reports; merged from per-batch counts under a lock.
public struct ProjectorStatistics: Sendable, Equatable {
    public var originals = 0
    /// Mix plans received (the planned mixes).
    public var plans = 0
    /// Augmentations kept and emitted.
    public var emittedAugmentations = 0
    /// Mixed (non-fixed) positions of every plan.
    public var projectedPositions = 0
    /// Kept positions equal to a's token (including where a and b agree).
    public var positionsFromA = 0
    /// Kept positions equal to b's token only.
    public var positionsFromB = 0
    public var positionsFromNeither = 0
    /// Positions dropped by the `[PAD]`-as-end rule (where `[PAD]` won, and the rest of the segment).
    public var positionsEndedByPad = 0
    /// Segments the `[PAD]`-as-end rule cut short.
    public var segmentsEndedByPad = 0
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
    /// Kept augmentations by token edit distance to the nearer source, in the bins of
    /// ``changedPositionBins``.
    public var changedPositions = [Int](repeating: 0, count: ProjectorStatistics.changedPositionBins.count)
    /// Counts of λ (`mixLambda`) per tenth of [0, 1].
    public var lambdaHistogram = [Int](repeating: 0, count: 10)

    /// Names of the changed-position bins: 0 (kept only without `drop_duplicates`), 1, 2, 3–5, 6+.
    public static let changedPositionBins = ["0", "1", "2", "3-5", "6+"]
    /// Below this share of planned mixes kept, the run warns.
    public static let lowYieldShare = 0.2

    public init() {}

    mutating func merge(_ other: ProjectorStatistics) {
        originals += other.originals
        plans += other.plans
        emittedAugmentations += other.emittedAugmentations
        projectedPositions += other.projectedPositions
        positionsFromA += other.positionsFromA
        positionsFromB += other.positionsFromB
        positionsFromNeither += other.positionsFromNeither
        positionsEndedByPad += other.positionsEndedByPad
        segmentsEndedByPad += other.segmentsEndedByPad
        positionsWithEqualSources += other.positionsWithEqualSources
        fastPathPositions += other.fastPathPositions
        fallbackPositions += other.fallbackPositions
        verifiedPositions += other.verifiedPositions
        verificationDifferences += other.verificationDifferences
        verificationNearTies += other.verificationNearTies
        duplicatesOfSource += other.duplicatesOfSource
        duplicatesOfEarlier += other.duplicatesOfEarlier
        for bin in changedPositions.indices { changedPositions[bin] += other.changedPositions[bin] }
        for bin in lambdaHistogram.indices { lambdaHistogram[bin] += other.lambdaHistogram[bin] }
    }

    mutating func countLambda(_ lambda: Float) {
        let bin = min(9, max(0, Int(lambda * 10)))
        lambdaHistogram[bin] += 1
    }

    /// Counts a kept position by the source its token came from.
    mutating func countSource(token: Int32, a: Int32, b: Int32) {
        if a == b { positionsWithEqualSources += 1 }
        if token == a {
            positionsFromA += 1
        } else if token == b {
            positionsFromB += 1
        } else {
            positionsFromNeither += 1
        }
    }

    /// Counts a kept augmentation whose nearer source is `distance` edits away (capped at 6).
    mutating func countChange(_ distance: Int) {
        let bin = switch distance {
        case ...0: 0
        case 1: 1
        case 2: 2
        case 3...5: 3
        default: 4
        }
        changedPositions[bin] += 1
    }

    /// The share of planned mixes kept.
    public var keptShare: Double { plans > 0 ? Double(emittedAugmentations) / Double(plans) : 0 }

    /// The share of kept augmentations at least 2 edits from their nearer source.
    public var shareChangedByTwoOrMore: Double {
        emittedAugmentations > 0 ? Double(changedPositions[2...].reduce(0, +)) / Double(emittedAugmentations) : 0
    }

    /// A one-line warning when fewer than ``lowYieldShare`` of the planned mixes were kept.
    public var lowYieldWarning: String? {
        guard plans > 0, keptShare < Self.lowYieldShare else { return nil }
        return "only \(emittedAugmentations) of \(plans) planned mixes (\(percent(keptShare))) were kept; "
            + "\(duplicatesOfSource) copied a source and \(duplicatesOfEarlier) repeated an earlier augmentation "
            + "(try interpolator granularity: token, or a λ nearer 0.5)"
    }

    private func percent(_ share: Double) -> String {
        "\((share * 1000).rounded() / 10) %"
    }

    /// The yield figures: planned, kept, duplicates, changed positions.
    public var yieldJSON: [String: JSONValue] {
        var figures: [String: JSONValue] = [
            "mixes_planned": .int(plans),
            "kept": .int(emittedAugmentations),
            "kept_share": .double(keptShare),
            "duplicates_of_source": .int(duplicatesOfSource),
            "duplicates_of_earlier_augmentation": .int(duplicatesOfEarlier),
            "changed_positions": .object(Dictionary(uniqueKeysWithValues: zip(
                Self.changedPositionBins, changedPositions.map { JSONValue.int($0) }))),
            "share_changed_2_or_more": .double(shareChangedByTwoOrMore),
        ]
        if let warning = lowYieldWarning { figures["warning"] = .string(warning) }
        return figures
    }

    /// The figures for `report.json`.
    public var json: [String: JSONValue] {
        func share(_ count: Int, of total: Int) -> JSONValue { .double(total > 0 ? Double(count) / Double(total) : 0) }
        return [
            "originals": .int(originals),
            "plans": .int(plans),
            "augmentations_emitted": .int(emittedAugmentations),
            "yield": .object(yieldJSON),
            "projected_positions": .int(projectedPositions),
            "share_from_a": share(positionsFromA, of: projectedPositions),
            "share_from_b": share(positionsFromB, of: projectedPositions),
            "share_from_neither": share(positionsFromNeither, of: projectedPositions),
            "share_ended_by_pad": share(positionsEndedByPad, of: projectedPositions),
            "positions_ended_by_pad": .int(positionsEndedByPad),
            "segments_ended_by_pad": .int(segmentsEndedByPad),
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

    /// The token edit distance (substitutions, insertions, deletions) between `x` and `y`, or
    /// `cap` when it is at least `cap`: a DP over the diagonal band |i − j| ≤ cap only.
    public static func editDistance(_ x: [Int32], _ y: [Int32], cap: Int) -> Int {
        guard abs(x.count - y.count) < cap else { return cap }
        let m = y.count
        var previous = (0...m).map { min($0, cap) }
        var current = [Int](repeating: cap, count: m + 1)
        for i in 1...max(1, x.count) where !x.isEmpty {
            let low = max(1, i - cap)
            let high = min(m, i + cap)
            current[0] = min(i, cap)
            if low - 1 >= 1 { current[low - 1] = cap }
            if low <= high {
                for j in low...high {
                    let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                    current[j] = min(cap, substitution, previous[j] + 1, current[j - 1] + 1)
                }
            }
            if high + 1 <= m { current[high + 1] = cap }
            swap(&previous, &current)
        }
        return previous[m]
    }
}
