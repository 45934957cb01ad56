import AugProRecords

/// Counts the interpolator reports.
public struct InterpolatorStatistics: Sendable, Equatable {
    public var examples = 0
    public var blocks = 0
    public var mixesPlanned = 0
    public var originalsPassed = 0
    /// Examples alone in their (final) block, which therefore got no augmentation.
    public var examplesWithoutPartner = 0

    public init() {}
}

/// The synchronous core of mixup interpolation, independent of channels and batching.
///
/// Input positions are cut into fixed blocks `[k·window, (k+1)·window)` (positions are the
/// reader ordinals when samples carry them, else positions in this stream). Once a block is full
/// (or the input ends) every member gets `perExample` augmentations; augmentation r of the
/// member with example id `id` pairs it with another member of the same block chosen by a
/// ``CounterRandom`` stream over (seed, id, r), and draws its λ from another such stream, so
/// plans depend only on the seed, the ids and the block layout — never on how the input was
/// batched. A run resumed at a block boundary reproduces them. Each example's output group
/// (its original, when kept, then its augmentations in index order) is returned whole.
public struct MixupPlanner: Sendable {
    public let options: InterpolatorOptions
    public let specials: SpecialTokenIDs
    public let seed: UInt64
    public private(set) var statistics = InterpolatorStatistics()
    private var block: [TokenSample] = []

    /// Throws ``InterpolatorOptionsError`` for invalid options.
    public init(options: InterpolatorOptions, specials: SpecialTokenIDs, seed: UInt64) throws {
        try options.validate()
        self.options = options
        self.specials = specials
        self.seed = seed
        block.reserveCapacity(options.window)
    }

    /// Buffers `samples` and returns the output groups of every block they completed.
    public mutating func add(_ samples: [TokenSample]) -> [[MixItem]] {
        var groups: [[MixItem]] = []
        for sample in samples {
            if let first = block.first, let key = blockKey(first), key != blockKey(sample) {
                groups += flushBlock()
            }
            block.append(sample)
            if block.count == options.window { groups += flushBlock() }
        }
        return groups
    }

    /// The block of a sample with a reader ordinal: `ordinal / window`, so blocks stay aligned
    /// with the input even when earlier rows were dropped or the run was resumed.
    private func blockKey(_ sample: TokenSample) -> Int64? {
        sample.provenance.ordinal >= 0 ? sample.provenance.ordinal / Int64(options.window) : nil
    }

    /// Returns the groups of the final, partial block.
    public mutating func finish() -> [[MixItem]] {
        block.isEmpty ? [] : flushBlock()
    }

    private mutating func flushBlock() -> [[MixItem]] {
        defer { block.removeAll(keepingCapacity: true) }
        statistics.blocks += 1
        statistics.examples += block.count
        if block.count == 1 { statistics.examplesWithoutPartner += 1 }
        return block.indices.map { member in
            var group: [MixItem] = []
            if options.keepOriginals {
                group.append(.original(block[member]))
                statistics.originalsPassed += 1
            }
            guard block.count > 1 else { return group }
            for augmentation in 0..<options.perExample {
                group.append(.mix(plan(member: member, augmentation: augmentation)))
                statistics.mixesPlanned += 1
            }
            return group
        }
    }

    /// The block index of the partner of `member` for `augmentation`: never `member` itself.
    public static func partner(
        member: Int, blockSize: Int, seed: UInt64, id: Int64, augmentation: Int
    ) -> Int {
        var random = CounterRandom(seed: seed, id: id, stream: .partner, index: UInt64(augmentation))
        let draw = random.nextInt(below: blockSize - 1)
        return draw >= member ? draw + 1 : draw
    }

    private func plan(member: Int, augmentation: Int) -> MixPlan {
        let a = block[member]
        let b = block[MixupPlanner.partner(
            member: member, blockSize: block.count, seed: seed, id: a.id, augmentation: augmentation)]
        let aligned = SegmentAlignment(
            a: a.inputIds, b: b.inputIds, specials: specials, length: options.length, maxLength: options.maxLength)
        let lambdas = drawLambdas(id: a.id, augmentation: augmentation, count: aligned.tokensA.count)
        var sum: Float = 0
        var projected = 0
        for (lambda, isFixed) in zip(lambdas, aligned.fixed) where !isFixed {
            sum += lambda
            projected += 1
        }
        let meanLambda = projected > 0 ? sum / Float(projected) : (lambdas.first ?? 1)
        let provenance = Provenance(
            kind: .augproMix, sourceA: a.id, sourceB: b.id,
            mixLambda: options.granularity == .example ? (lambdas.first ?? 1) : meanLambda,
            augmentationIndex: Int32(augmentation), ordinal: a.provenance.ordinal)
        return MixPlan(
            provenance: provenance, tokensA: aligned.tokensA, tokensB: aligned.tokensB, lambdas: lambdas,
            fixed: aligned.fixed, tokenTypeIds: aligned.tokenTypeIds, padded: aligned.padded, originalA: a.inputIds, originalB: b.inputIds)
    }

    /// λ for every aligned position: one value repeated (example granularity) or one draw per
    /// position from a stream over (seed, id, augmentation, position) (token granularity).
    private func drawLambdas(id: Int64, augmentation: Int, count: Int) -> [Float] {
        switch options.granularity {
        case .example:
            var random = CounterRandom(seed: seed, id: id, stream: .lambda, index: UInt64(augmentation))
            return [Float](repeating: options.lambda.sample(&random), count: count)
        case .token:
            return (0..<count).map { position in
                var random = CounterRandom(
                    seed: seed, id: id, stream: .tokenLambda, index: UInt64(augmentation) << 32 | UInt64(position))
                return options.lambda.sample(&random)
            }
        }
    }
}
