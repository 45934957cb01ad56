import AugProInterpolator
import AugProProjector
import AugProRecords
import AugProRuntime
import AugProTestSupport
import Foundation
import Testing

/// The `[PAD]`-as-end rule on a 2-D table whose geometry makes every case explicit:
/// [PAD] = (0, 0); "junk" = (1, 0.2) sits next to [PAD], so a mostly-[PAD] mix of "x" is
/// nearest to it; "x" = (4, 0) and "z" = (0, 4) are the real words.
@Suite struct PadEndRuleTests {
    static let rows: [[Float]] = [[0, 0], [9, 9], [-9, 9], [4, 0], [0, 4], [1, 0.2]]
    static let vocabulary = ["[PAD]", "[CLS]", "[SEP]", "x", "z", "junk"]
    static let specials = SpecialTokenIDs(cls: 1, sep: 2, pad: 0)

    static func projector(fastPath: Bool, exclude: [String] = []) throws -> MixProjector {
        let table = try EmbeddingTable(values: rows.flatMap { $0 }, vocabularySize: rows.count, dimension: 2)
        return try MixProjector(
            table: table, vocabulary: vocabulary,
            options: ProjectorOptions(
                exclude: exclude, dropDuplicates: false, fastPath: fastPath, topK: 2,
                cacheDirectory: try TestEnvironment.temporaryDirectory()))
    }

    /// The plan the interpolator makes for `a` and `b`, with λ per aligned position.
    static func plan(_ a: [Int32], _ b: [Int32], lambdas: [Float]) -> MixPlan {
        let aligned = SegmentAlignment(a: a, b: b, specials: specials, length: .longer, maxLength: nil)
        precondition(aligned.tokensA.count == lambdas.count, "λ count must match the aligned length \(aligned.tokensA.count)")
        return MixPlan(
            provenance: Provenance(kind: .augproMix, sourceA: 1, sourceB: 2, mixLambda: lambdas[0], augmentationIndex: 0),
            tokensA: aligned.tokensA, tokensB: aligned.tokensB, lambdas: lambdas, fixed: aligned.fixed,
            tokenTypeIds: aligned.tokenTypeIds, padded: aligned.padded, originalA: a, originalB: b)
    }

    static func project(_ plan: MixPlan, with projector: MixProjector) throws -> TokenSample {
        let output = try projector.transform([.mix(plan)], context: StageContext(seed: 1, batchSize: 1))
        return try #require(output.first)
    }

    /// λ = 0.25 at a position where b is padding: the vector is (1, 0), nearest to "junk" and
    /// nearer to it than to [PAD], but [PAD] weighs 0.75, so the segment ends there. At
    /// [PAD] weight exactly ½ it ends too.
    @Test(arguments: [false, true])
    func mostlyPadPositionEndsEvenWhenAnotherTokenIsNearest(fastPath: Bool) throws {
        let projector = try Self.projector(fastPath: fastPath)
        for padLambda: Float in [0.25, 0.5] {
            let sample = try Self.project(Self.plan([1, 3, 3, 2], [1, 3, 2], lambdas: [1, 1, padLambda, 1]), with: projector)
            #expect(sample.inputIds == [1, 3, 2])
            #expect(sample.tokenTypeIds == [0, 0, 0])
        }
        let stats = projector.currentStatistics
        #expect(stats.positionsEndedByPad == 2)
        #expect(stats.segmentsEndedByPad == 2)
        #expect(stats.positionsFromNeither == 0)
    }

    /// [PAD] weighs 0.4 (λ = 0.6 where b is padding): with "x" and "junk" excluded, [PAD] is
    /// nearer to (2.4, 0) than "z", so it wins as a candidate and ends the segment.
    @Test(arguments: [false, true])
    func padWinsAsACandidateBelowHalfWeight(fastPath: Bool) throws {
        let projector = try Self.projector(fastPath: fastPath, exclude: ["x", "junk"])
        let sample = try Self.project(Self.plan([1, 3, 3, 2], [1, 4, 2], lambdas: [1, 0.75, 0.6, 1]), with: projector)
        #expect(sample.inputIds == [1, 4, 2])
        #expect(projector.currentStatistics.positionsEndedByPad == 1)
    }

    /// The real word keeps the position when it carries most of the weight.
    @Test(arguments: [false, true])
    func dominantWordKeepsThePosition(fastPath: Bool) throws {
        let projector = try Self.projector(fastPath: fastPath)
        let sample = try Self.project(Self.plan([1, 3, 3, 2], [1, 4, 2], lambdas: [1, 0.75, 0.8, 1]), with: projector)
        #expect(sample.inputIds == [1, 3, 3, 2])
        #expect(projector.currentStatistics.positionsEndedByPad == 0)
    }

    /// Token granularity: the segment stops at its first ending position, later positions
    /// are dropped even where the word would dominate, and [SEP] follows the last kept token.
    @Test(arguments: [false, true])
    func segmentStopsAtItsFirstEnd(fastPath: Bool) throws {
        let projector = try Self.projector(fastPath: fastPath)
        // a: [CLS] x x x x [SEP], b: [CLS] z [SEP]; b is padding at positions 2, 3, 4.
        let plan = Self.plan([1, 3, 3, 3, 3, 2], [1, 4, 2], lambdas: [1, 0.75, 0.8, 0.3, 0.9, 1])
        let sample = try Self.project(plan, with: projector)
        #expect(sample.inputIds == [1, 3, 3, 2])
        let stats = projector.currentStatistics
        #expect(stats.positionsEndedByPad == 2)
        #expect(stats.segmentsEndedByPad == 1)
        #expect(stats.positionsFromA + stats.positionsFromB + stats.positionsFromNeither + stats.positionsEndedByPad
            == stats.projectedPositions)
    }

    /// A pair mixed with a single sentence: the second segment exists only in b (a is padding
    /// there). Where [PAD] dominates its first position, the segment is removed with its [SEP];
    /// where it ends later, the segment keeps its head, its [SEP] and token type 1.
    @Test(arguments: [false, true])
    func secondSegmentIsRemovedOrCut(fastPath: Bool) throws {
        let projector = try Self.projector(fastPath: fastPath)
        let single: [Int32] = [1, 3, 2]
        let pair: [Int32] = [1, 3, 2, 4, 4, 2]
        let removed = try Self.project(Self.plan(single, pair, lambdas: [1, 0.9, 1, 0.7, 0.2, 1]), with: projector)
        #expect(removed.inputIds == [1, 3, 2])
        #expect(removed.tokenTypeIds == [0, 0, 0])
        let cut = try Self.project(Self.plan(single, pair, lambdas: [1, 0.9, 1, 0.2, 0.7, 1]), with: projector)
        #expect(cut.inputIds == [1, 3, 2, 4, 2])
        #expect(cut.tokenTypeIds == [0, 0, 0, 1, 1])
        let kept = try Self.project(Self.plan(single, pair, lambdas: [1, 0.9, 1, 0.2, 0.1, 1]), with: projector)
        #expect(kept.inputIds == [1, 3, 2, 4, 4, 2])
        #expect(kept.tokenTypeIds == [0, 0, 0, 1, 1, 1])
    }
}

@Suite struct ChangedPositionTests {
    @Test func cappedEditDistanceMatchesAFullDynamicProgram() {
        var random = SeededRandom(seed: 3)
        for _ in 0..<500 {
            let x = (0..<Int(random.next() % 12)).map { _ in Int32(random.next() % 4) }
            let y = (0..<Int(random.next() % 12)).map { _ in Int32(random.next() % 4) }
            #expect(ProjectorStatistics.editDistance(x, y, cap: 6) == min(6, fullEditDistance(x, y)), "\(x) vs \(y)")
        }
    }

    private func fullEditDistance(_ x: [Int32], _ y: [Int32]) -> Int {
        var table = (0...y.count).map { $0 }
        for i in 1...max(1, x.count) where !x.isEmpty {
            var diagonal = table[0]
            table[0] = i
            for j in stride(from: 1, through: y.count, by: 1) {
                let above = table[j]
                table[j] = min(above + 1, table[j - 1] + 1, diagonal + (x[i - 1] == y[j - 1] ? 0 : 1))
                diagonal = above
            }
        }
        return table[y.count]
    }
}
