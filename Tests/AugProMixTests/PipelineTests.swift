import AugProInterpolator
import AugProProjector
import AugProRecords
import AugProRuntime
import AugProTestSupport
import Synchronization
import Testing

@Suite(.serialized) struct MixPipelineTests {
    /// reader-like source → interpolator stage → projector (N workers) → sink.
    func run(batchSize: Int, workers: Int) async throws -> (samples: [TokenSample], reports: [StageReport]) {
        let corpus = try MixFixtures.corpus()
        let interpolator = try MixupInterpolator(
            options: InterpolatorOptions(perExample: 2, window: 40, granularity: .token), specials: corpus.specials)
        let projector = try MixProjector(
            table: try MixFixtures.table(), vocabulary: corpus.vocabulary,
            options: ProjectorOptions(cacheDirectory: MixFixtures.cacheDirectory))
        let collector = CollectingStage<TokenSample>()
        let pipeline = try Pipeline(
            nodes: [PipelineNode(source: ArraySource(corpus.samples)), PipelineNode(interpolator),
                    PipelineNode(projector, workers: workers), PipelineNode(collector)],
            channelCapacity: 2)
        let reports = try await pipeline.run(context: StageContext(seed: 2026, batchSize: batchSize))
        return (collector.received, reports)
    }

    @Test func stagesGiveTheSameOutputForAnyBatchSizeAndWorkerCount() async throws {
        let (one, reports) = try await run(batchSize: 7, workers: 1)
        let (two, _) = try await run(batchSize: 64, workers: 2)
        #expect(one == two)
        let corpus = try MixFixtures.corpus()
        #expect(one.filter { $0.provenance.kind == .original }.map(\.id) == corpus.samples.map(\.id))
        let interpolatorReport = try #require(reports.first { $0.name == "interpolator" })
        #expect(interpolatorReport.details["mixes_planned"] == .int(corpus.samples.count * 2))
        #expect(interpolatorReport.details["examples_without_partner"] == .int(0))
        let projectorReport = try #require(reports.first { $0.name == "projector" })
        #expect(projectorReport.details["plans"] == .int(corpus.samples.count * 2))
        #expect(projectorReport.details["fallback_rate"] != nil)
        for sample in one where sample.provenance.kind == .augproMix {
            #expect(sample.provenance.sourceA != sample.provenance.sourceB)
            #expect(sample.inputIds.count == sample.tokenTypeIds.count)
            #expect(sample.provenance.mixLambda > 0 && sample.provenance.mixLambda < 1)
        }
    }
}
