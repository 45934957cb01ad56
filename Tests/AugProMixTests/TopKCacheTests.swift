import AugProInterpolator
import AugProProjector
import AugProTestSupport
import Foundation
import Testing

@Suite struct TopKCacheTests {
    /// A small random table with two identical rows and, for cosine, a zero row.
    static func smallTable() throws -> (EmbeddingTable, [String]) {
        let vocabularySize = 300
        let dimension = 24
        var values = (0..<(vocabularySize * dimension)).map { index -> Float in
            var random = CounterRandom(seed: 11, id: Int64(index), stream: .lambda, index: 0)
            return Float(random.nextNormal())
        }
        for i in 0..<dimension {
            values[50 * dimension + i] = values[60 * dimension + i]
            values[70 * dimension + i] = 0
        }
        let vocabulary = (0..<vocabularySize).map { $0 < 5 ? "[unused\($0)]" : "tok\($0)" }
        return (try EmbeddingTable(values: values, vocabularySize: vocabularySize, dimension: dimension), vocabulary)
    }

    /// The top-K lists match a plain full sort of every row's scores (score desc, id asc).
    @Test(arguments: ProjectionMetric.allCases)
    func listsMatchAFullSort(metric: ProjectionMetric) throws {
        let (table, vocabulary) = try Self.smallTable()
        let excluded = try MixProjector.excludedTokens(vocabulary: vocabulary, extra: ["tok9"])
        let scorer = TokenScorer(table: table, metric: metric, excluded: excluded)
        let topK = TopKTable(building: scorer, k: 8)
        for source in stride(from: 0, to: table.vocabularySize, by: 7) {
            let ranked = (0..<table.vocabularySize).filter { !excluded[$0] }
                .map { (token: $0, score: scorer.score(table.row(source), token: $0)) }
                .sorted { $0.score != $1.score ? $0.score > $1.score : $0.token < $1.token }
            let listed = Array(topK.ids[(source * 8)..<(source * 8 + 8)]).map(Int.init)
            // Scores come from sgemm, the sort from direct dot products: compare scores loosely.
            for (slot, token) in listed.enumerated() {
                #expect(abs(scorer.score(table.row(source), token: token) - ranked[slot].score) <= 1e-4 * max(1, abs(ranked[slot].score)))
                #expect(!excluded[token])
            }
        }
    }

    @Test func cacheIsReusedKeyedAndRebuiltWhenDamaged() throws {
        let (table, vocabulary) = try Self.smallTable()
        let directory = try TestEnvironment.temporaryDirectory("augpro-topk")
        let options = ProjectorOptions(topK: 8, cacheDirectory: directory)
        let first = try MixProjector(table: table, vocabulary: vocabulary, options: options)
        #expect(!first.topKFromCache)
        let second = try MixProjector(table: table, vocabulary: vocabulary, options: options)
        #expect(second.topKFromCache)
        #expect(second.topK?.ids == first.topK?.ids && second.topK?.scores == first.topK?.scores)
        var otherK = options
        otherK.topK = 9
        #expect(!(try MixProjector(table: table, vocabulary: vocabulary, options: otherK)).topKFromCache)
        var otherMetric = options
        otherMetric.metric = .cosine
        #expect(!(try MixProjector(table: table, vocabulary: vocabulary, options: otherMetric)).topKFromCache)
        var otherExclusion = options
        otherExclusion.exclude = ["tok7"]
        #expect(!(try MixProjector(table: table, vocabulary: vocabulary, options: otherExclusion)).topKFromCache)
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        #expect(files.count == 4)
        for file in files { try Data("garbage".utf8).write(to: file) }
        let rebuilt = try MixProjector(table: table, vocabulary: vocabulary, options: options)
        #expect(!rebuilt.topKFromCache)
        #expect(rebuilt.topK?.ids == first.topK?.ids)
    }
}
