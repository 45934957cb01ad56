import AugProInterpolator
import AugProRecords
import Foundation
import Testing

private let specials = SpecialTokenIDs(cls: 101, sep: 102, pad: 0)

/// Synthetic examples with distinct ids and one or two segments.
private func syntheticSamples(_ count: Int) -> [TokenSample] {
    (0..<count).map { index in
        let words = (0..<(3 + index % 5)).map { Int32(2000 + index * 7 + $0) }
        var ids: [Int32] = [101] + words + [102]
        var types = [UInt8](repeating: 0, count: ids.count)
        if index % 3 == 0 {
            ids += [Int32(5000 + index), 102]
            types += [1, 1]
        }
        return TokenSample(id: Int64(1000 + index), inputIds: ids, tokenTypeIds: types, label: Int32(index % 2))
    }
}

private func plans(_ items: [MixItem]) -> [MixPlan] {
    items.compactMap { if case .mix(let plan) = $0 { plan } else { nil } }
}

@Suite struct BetaSamplerTests {
    /// Mean α/(α+β) = 1/2 and variance 1/(4(2α+1)) of Beta(α, α), over 200k counter-based draws.
    @Test(arguments: [0.1, 0.4, 1.0, 2.0, 5.0])
    func meanAndVarianceMatchTheory(alpha: Double) {
        let draws = 200_000
        var sum = 0.0
        var sumSquares = 0.0
        for index in 0..<draws {
            var random = CounterRandom(seed: 99, id: Int64(index), stream: .lambda, index: 0)
            let value = random.nextBeta(alpha, alpha)
            #expect(value >= 0 && value <= 1)
            sum += value
            sumSquares += value * value
        }
        let mean = sum / Double(draws)
        let variance = sumSquares / Double(draws) - mean * mean
        let expectedVariance = 1 / (4 * (2 * alpha + 1))
        // Standard error of the mean is sqrt(var/n) ≤ 0.0012; allow ~4 standard errors.
        #expect(abs(mean - 0.5) < 0.005, "mean \(mean) for α = \(alpha)")
        #expect(abs(variance - expectedVariance) / expectedVariance < 0.02, "variance \(variance) vs \(expectedVariance)")
    }

    /// An asymmetric Beta(2, 5): mean 2/7, variance 10/392.
    @Test func asymmetricBeta() {
        var sum = 0.0
        var sumSquares = 0.0
        let draws = 200_000
        var random = CounterRandom(seed: 5, id: 1, stream: .lambda, index: 0)
        for _ in 0..<draws {
            let value = random.nextBeta(2, 5)
            sum += value
            sumSquares += value * value
        }
        let mean = sum / Double(draws)
        #expect(abs(mean - 2.0 / 7.0) < 0.003)
        #expect(abs((sumSquares / Double(draws) - mean * mean) - 10.0 / 392.0) < 0.0008)
    }

    @Test func uniformAndFixedLambda() {
        var random = CounterRandom(seed: 1, id: 2, stream: .lambda, index: 0)
        var sum = 0.0
        for _ in 0..<50_000 {
            let value = Double(LambdaDistribution.uniform(0.2, 0.6).sample(&random))
            #expect(value >= 0.2 && value <= 0.6)
            sum += value
        }
        #expect(abs(sum / 50_000 - 0.4) < 0.003)
        #expect(LambdaDistribution.fixed(0.3).sample(&random) == 0.3)
    }

    @Test func streamsArePureFunctionsOfTheirKey() {
        var first = CounterRandom(seed: 7, id: 42, stream: .lambda, index: 3)
        var second = CounterRandom(seed: 7, id: 42, stream: .lambda, index: 3)
        var other = CounterRandom(seed: 7, id: 42, stream: .partner, index: 3)
        let a = (0..<5).map { _ in first.next() }
        #expect(a == (0..<5).map { _ in second.next() })
        #expect(a != (0..<5).map { _ in other.next() })
    }
}

@Suite struct PlannerTests {
    @Test func partnerIsNeverSelfAndStaysInBlock() throws {
        let samples = syntheticSamples(250)
        let options = InterpolatorOptions(perExample: 4, window: 16)
        let (items, stats) = try MixFixtures.plan(samples, options: options, specials: specials)
        let position = Dictionary(uniqueKeysWithValues: samples.enumerated().map { ($1.id, $0) })
        let mixes = plans(items)
        #expect(mixes.count == 250 * 4)
        for plan in mixes {
            let a = position[plan.provenance.sourceA]!
            let b = position[plan.provenance.sourceB]!
            #expect(a != b)
            #expect(a / 16 == b / 16, "partner outside the block")
        }
        #expect(stats.blocks == 16)
        #expect(stats.examplesWithoutPartner == 0)
        for member in 0..<5 {
            for augmentation in 0..<200 {
                let partner = MixupPlanner.partner(member: member, blockSize: 5, seed: 3, id: Int64(augmentation), augmentation: augmentation)
                #expect(partner != member && (0..<5).contains(partner))
            }
        }
    }

    @Test func outputDoesNotDependOnBatching() throws {
        let samples = syntheticSamples(301)
        for granularity in [MixGranularity.example, .token] {
            let options = InterpolatorOptions(perExample: 3, window: 50, granularity: granularity)
            let small = try MixFixtures.plan(samples, options: options, specials: specials, batchSize: 7).items
            let large = try MixFixtures.plan(samples, options: options, specials: specials, batchSize: 64).items
            #expect(small == large)
            let reseeded = try MixFixtures.plan(samples, options: options, specials: specials, seed: 18, batchSize: 7).items
            #expect(small != reseeded)
        }
    }

    /// With reader ordinals, blocks follow `ordinal / window`: gaps (dropped rows) do not shift
    /// them, and a run resumed at a block boundary reproduces the uninterrupted run's plans.
    @Test func ordinalBlocksSurviveGapsAndResume() throws {
        let samples = syntheticSamples(120).enumerated().compactMap { index, sample -> TokenSample? in
            guard index % 9 != 4 else { return nil }
            var sample = sample
            sample.provenance = .original(id: sample.id, ordinal: Int64(index))
            return sample
        }
        let options = InterpolatorOptions(perExample: 2, window: 16)
        let ordinal = Dictionary(uniqueKeysWithValues: samples.map { ($0.id, $0.provenance.ordinal) })
        let full = try MixFixtures.plan(samples, options: options, specials: specials, batchSize: 7).items
        for plan in plans(full) {
            #expect(ordinal[plan.provenance.sourceA]! / 16 == ordinal[plan.provenance.sourceB]! / 16)
        }
        let resumed = try MixFixtures.plan(samples.filter { $0.provenance.ordinal >= 64 }, options: options, specials: specials).items
        let tail = full.filter {
            switch $0 {
            case .original(let sample): sample.provenance.ordinal >= 64
            case .mix(let plan): plan.provenance.ordinal >= 64
            }
        }
        #expect(resumed == tail)
    }

    @Test func singletonFinalBlockIsCountedAndNotAugmented() throws {
        let (items, stats) = try MixFixtures.plan(syntheticSamples(11), options: InterpolatorOptions(perExample: 1, window: 5), specials: specials)
        #expect(stats.blocks == 3)
        #expect(stats.examplesWithoutPartner == 1)
        #expect(plans(items).count == 10)
        #expect(items.count == 21)
        guard case .original(let last) = items.last else { Issue.record("the last item must be the lone original"); return }
        #expect(last.id == 1010)
    }

    @Test func keepOriginalsFalseEmitsOnlyMixes() throws {
        let options = InterpolatorOptions(perExample: 2, window: 8, keepOriginals: false)
        let (items, stats) = try MixFixtures.plan(syntheticSamples(20), options: options, specials: specials)
        #expect(items.count == 40)
        #expect(plans(items).count == 40)
        #expect(stats.originalsPassed == 0)
    }

    @Test func exampleLambdaIsSharedAndTokenLambdaVaries() throws {
        let samples = syntheticSamples(40)
        let example = plans(try MixFixtures.plan(samples, options: InterpolatorOptions(window: 40, granularity: .example), specials: specials).items)
        for plan in example {
            #expect(Set(plan.lambdas).count == 1)
            #expect(plan.provenance.mixLambda == plan.lambdas[0])
            #expect(plan.provenance.kind == .augproMix)
        }
        let token = plans(try MixFixtures.plan(samples, options: InterpolatorOptions(window: 40, granularity: .token), specials: specials).items)
        for plan in token {
            #expect(Set(plan.lambdas).count > 1)
            let projected = zip(plan.lambdas, plan.fixed).filter { !$0.1 }.map(\.0)
            let mean = projected.reduce(0, +) / Float(projected.count)
            #expect(abs(plan.provenance.mixLambda - mean) < 1e-6)
        }
    }

    @Test func invalidOptionsAreRejected() {
        #expect(throws: InterpolatorOptionsError.self) { try InterpolatorOptions(window: 1).validate() }
        #expect(throws: InterpolatorOptionsError.self) { try InterpolatorOptions(perExample: 0).validate() }
        #expect(throws: InterpolatorOptionsError.self) { try InterpolatorOptions(lambda: .beta(0)).validate() }
        #expect(throws: InterpolatorOptionsError.self) { try InterpolatorOptions(lambda: .uniform(0.8, 0.2)).validate() }
        #expect(throws: InterpolatorOptionsError.self) { try InterpolatorOptions(lambda: .fixed(1.5)).validate() }
    }
}

@Suite struct AlignmentTests {
    @Test func segmentsAlignPositionByPositionWithPadding() {
        // a: [CLS] 1 2 3 [SEP] 4 [SEP]; b: [CLS] 5 [SEP] 6 7 8 [SEP]
        let a: [Int32] = [101, 1, 2, 3, 102, 4, 102]
        let b: [Int32] = [101, 5, 102, 6, 7, 8, 102]
        let longer = SegmentAlignment(a: a, b: b, specials: specials, length: .longer, maxLength: nil)
        #expect(longer.tokensA == [101, 1, 2, 3, 102, 4, 0, 0, 102])
        #expect(longer.tokensB == [101, 5, 0, 0, 102, 6, 7, 8, 102])
        #expect(longer.fixed == [true, false, false, false, true, false, false, false, true])
        #expect(longer.tokenTypeIds == [0, 0, 0, 0, 0, 1, 1, 1, 1])
        #expect(longer.padded == [.neither, .neither, .b, .b, .neither, .neither, .a, .a, .neither])
        let first = SegmentAlignment(a: a, b: b, specials: specials, length: .first, maxLength: nil)
        #expect(first.tokensA == [101, 1, 2, 3, 102, 4, 102])
        #expect(first.tokensB == [101, 5, 0, 0, 102, 6, 102])
        #expect(first.padded == [.neither, .neither, .b, .b, .neither, .neither, .neither])
    }

    @Test func missingSegmentIsMixedWithPadding() {
        let a: [Int32] = [101, 1, 2, 102]
        let b: [Int32] = [101, 5, 102, 6, 7, 102]
        let longer = SegmentAlignment(a: a, b: b, specials: specials, length: .longer, maxLength: nil)
        #expect(longer.tokensA == [101, 1, 2, 102, 0, 0, 102])
        #expect(longer.tokensB == [101, 5, 0, 102, 6, 7, 102])
        #expect(longer.padded == [.neither, .neither, .b, .neither, .a, .a, .neither])
        #expect(SegmentAlignment(a: a, b: b, specials: specials, length: .first, maxLength: nil).tokensB == [101, 5, 0, 102])
    }

    @Test func maxLengthTrimsTheLongestSegment() {
        let a: [Int32] = [101, 1, 2, 3, 4, 5, 102, 6, 102]
        let b: [Int32] = [101, 7, 102, 8, 9, 10, 102]
        let aligned = SegmentAlignment(a: a, b: b, specials: specials, length: .longer, maxLength: 8)
        #expect(aligned.tokensA == [101, 1, 2, 3, 102, 6, 0, 102])
        #expect(aligned.tokensB == [101, 7, 0, 0, 102, 8, 9, 102])
        #expect(aligned.tokensA.count == 8)
    }
}
