import AugProInterpolator
import AugProProjector
import AugProRecords
import AugProRuntime
import AugProTestSupport
import Foundation
import Testing

@Suite struct TieRuleTests {
    /// A 2-D table where λ = 0.5 between tokens 5 and 3 is exactly equidistant from both.
    @Test(arguments: [false, true])
    func halfLambdaTieGoesToLowestID(fastPath: Bool) throws {
        let rows: [[Float]] = [[0, 0], [9, 9], [-9, 9], [0, 1], [9, -9], [1, 0], [-9, -9]]
        let table = try EmbeddingTable(values: rows.flatMap { $0 }, vocabularySize: 7, dimension: 2)
        let vocabulary = ["[PAD]", "x", "y", "b", "z", "a", "w"]
        let cache = try TestEnvironment.temporaryDirectory()
        let projector = try MixProjector(
            table: table, vocabulary: vocabulary,
            options: ProjectorOptions(dropDuplicates: false, fastPath: fastPath, topK: 2, cacheDirectory: cache))
        let plan = MixPlan(
            provenance: Provenance(kind: .augproMix, sourceA: 1, sourceB: 2, mixLambda: 0.5, augmentationIndex: 0),
            tokensA: [5, 5], tokensB: [3, 3], lambdas: [0.5, 0.75], fixed: [false, false], tokenTypeIds: [0, 0],
            originalA: [5], originalB: [3])
        let output = try projector.transform([.mix(plan)], context: StageContext(seed: 1, batchSize: 1))
        // λ = 0.5: (0.5, 0.5) is at squared distance 0.5 from both a (id 5) and b (id 3) → id 3.
        #expect(output.map(\.inputIds) == [[3, 5]])
    }
}

/// Projection of real mixes of real sentences over the real all-MiniLM-L6-v2 table.
@Suite(.serialized) struct RealTableProjectionTests {
    static let interpolation = InterpolatorOptions(perExample: 3, window: 32, granularity: .example)

    static func projector(_ metric: ProjectionMetric, fastPath: Bool, verify: Bool = false, drop: Bool = false) throws -> MixProjector {
        let corpus = try MixFixtures.corpus()
        return try MixProjector(
            table: try MixFixtures.table(), vocabulary: corpus.vocabulary,
            options: ProjectorOptions(
                metric: metric, dropDuplicates: drop, fastPath: fastPath, cacheDirectory: MixFixtures.cacheDirectory,
                verifyFastPath: verify))
    }

    @Test func tableLoadsInPlaceFromTheModelFolder() throws {
        let table = try MixFixtures.table()
        #expect(table.vocabularySize == 30522)
        #expect(table.dimension == 384)
        #expect(table.isMapped)
    }

    /// Every metric × granularity against the numpy reference with the same [PAD]-as-end rule.
    /// The corpus mixes single sentences and pairs; the reference counts mixes of two single
    /// sentences and mixes involving a pair separately, and both must agree.
    @Test(arguments: [ProjectionMetric.l2, .cosine, .dot])
    func fastPathAgreesWithNumpyReference(metric: ProjectionMetric) async throws {
        let corpus = try MixFixtures.corpus()
        for granularity in [MixGranularity.example, .token] {
            var options = Self.interpolation
            options.granularity = granularity
            let items = try MixFixtures.plan(corpus.samples, options: options, specials: corpus.specials).items
            // numpy is the brute-force reference for every metric; the in-process brute-force
            // verification (slow in debug builds) runs under l2.
            let projector = try Self.projector(metric, fastPath: true, verify: metric == .l2)
            let output = try await MixFixtures.project(items, with: projector)
            let report = try MixFixtures.reference(output: output, items: items, corpus: corpus, metric: metric)
            let label = "\(metric) \(granularity)"
            let positions = report["positions"] ?? 0
            let differences = report["differences"] ?? -1
            #expect(report["alignment_mismatches"] == 0, "\(label): \(report)")
            #expect(report["assembly_mismatches"] == 0, "\(label): \(report)")
            #expect(positions > 3000, "\(label): \(report)")
            #expect(differences == report["near_ties"], "\(label): every difference must be a float near-tie: \(report)")
            #expect((positions - differences) / positions >= 0.999, "\(label): \(report)")
            for group in ["singles", "pairs"] {
                #expect((report["positions.\(group)"] ?? 0) > 300, "\(label): too few \(group) positions: \(report)")
                #expect((report["ended.\(group)"] ?? 0) > 0, "\(label): no padded position of \(group) ended: \(report)")
                #expect(report["agree.\(group)"] == report["positions.\(group)"] || differences > 0, "\(label): \(report)")
            }
            let stats = projector.currentStatistics
            #expect(stats.verifiedPositions == (metric == .l2 ? stats.fastPathPositions : 0))
            #expect(stats.verificationDifferences == stats.verificationNearTies, "\(label) fast path vs brute force: \(stats)")
            #expect(stats.positionsFromA + stats.positionsFromB + stats.positionsFromNeither + stats.positionsEndedByPad
                == stats.projectedPositions)
            print("mix reference \(label): \(report); fallback \(stats.fallbackPositions)/\(stats.projectedPositions), ended by [PAD] \(stats.positionsEndedByPad)")
        }
    }

    @Test func bruteForceAgreesWithNumpyReferenceAndFastPath() async throws {
        let corpus = try MixFixtures.corpus()
        let items = try MixFixtures.plan(corpus.samples, options: Self.interpolation, specials: corpus.specials).items
        let brute = try await MixFixtures.project(items, with: try Self.projector(.l2, fastPath: false))
        let fast = try await MixFixtures.project(items, with: try Self.projector(.l2, fastPath: true))
        let report = try MixFixtures.reference(output: brute, items: items, corpus: corpus, metric: .l2)
        #expect(report["differences"] == report["near_ties"], "\(report)")
        let positions = zip(brute, fast).map { zip($0.inputIds, $1.inputIds).filter { $0 != $1 }.count }.reduce(0, +)
        #expect(brute.count == fast.count)
        #expect(positions <= Int((report["positions"] ?? 0) * 0.0001), "fast path and brute force differ at \(positions) positions")
    }

    @Test func workersAndBatchSizesDoNotChangeOutput() async throws {
        let corpus = try MixFixtures.corpus()
        let items = try MixFixtures.plan(corpus.samples, options: Self.interpolation, specials: corpus.specials, batchSize: 7).items
        let one = try await MixFixtures.project(items, with: try Self.projector(.l2, fastPath: true, drop: true), batchSize: 7, workers: 1)
        let two = try await MixFixtures.project(items, with: try Self.projector(.l2, fastPath: true, drop: true), batchSize: 64, workers: 2)
        #expect(one == two)
        #expect(one.contains { $0.provenance.kind == .augproMix })
    }

    @Test func duplicatesAreDroppedAndCounted() async throws {
        let corpus = try MixFixtures.corpus()
        let items = try MixFixtures.plan(corpus.samples, options: Self.interpolation, specials: corpus.specials).items
        let projector = try Self.projector(.l2, fastPath: true, drop: true)
        let output = try await MixFixtures.project(items, with: projector)
        let stats = projector.currentStatistics
        let mixes = output.filter { $0.provenance.kind == .augproMix }
        let sources = Dictionary(uniqueKeysWithValues: corpus.samples.map { ($0.id, $0.inputIds) })
        #expect(stats.plans == corpus.samples.count * 3)
        #expect(stats.duplicatesOfSource + stats.duplicatesOfEarlier + mixes.count == stats.plans)
        #expect(stats.duplicatesOfSource > 0)
        var seen: [Int64: [[Int32]]] = [:]
        for sample in mixes {
            #expect(sample.inputIds != sources[sample.provenance.sourceA])
            #expect(sample.inputIds != sources[sample.provenance.sourceB])
            #expect(!(seen[sample.id] ?? []).contains(sample.inputIds))
            seen[sample.id, default: []].append(sample.inputIds)
            #expect(sample.label == -1)
            #expect(sample.provenance.sourceB >= 0)
        }
        #expect(output.filter { $0.provenance.kind == .original }.count == corpus.samples.count)
        let details = projector.reportDetails()
        #expect(details["duplicates_dropped"] == .int(stats.duplicatesOfSource + stats.duplicatesOfEarlier))
        #expect(stats.positionsFromA + stats.positionsFromB + stats.positionsFromNeither + stats.positionsEndedByPad
            == stats.projectedPositions)
        #expect(stats.lambdaHistogram.reduce(0, +) == stats.plans)
    }

    @Test func projectedTokensAreNeverExcluded() async throws {
        let corpus = try MixFixtures.corpus()
        let items = try MixFixtures.plan(corpus.samples, options: Self.interpolation, specials: corpus.specials).items
        let projector = try MixProjector(
            table: try MixFixtures.table(), vocabulary: corpus.vocabulary,
            options: ProjectorOptions(exclude: ["the", "."], dropDuplicates: false, fastPath: false))
        let output = try await MixFixtures.project(items, with: projector)
        let the = Int32(corpus.vocabulary.firstIndex(of: "the")!)
        for sample in output where sample.provenance.kind == .augproMix {
            for (token, isSpecial) in zip(sample.inputIds, sample.inputIds.map { [101, 102].contains($0) }) where !isSpecial {
                let text = corpus.vocabulary[Int(token)]
                #expect(token != the && text != ".")
                #expect(!(text.hasPrefix("[") && text.hasSuffix("]") && text.count > 2), "projected to \(text)")
            }
        }
        let report = try MixFixtures.reference(output: output, items: items, corpus: corpus, metric: .l2, exclude: ["the", "."])
        #expect(report["differences"] == report["near_ties"], "\(report)")
    }
}
