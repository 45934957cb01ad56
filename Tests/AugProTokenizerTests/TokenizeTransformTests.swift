import AugProRecords
import AugProRuntime
import AugProTestSupport
import AugProTokenizer
import Foundation
import Synchronization
import Testing

@Suite("TokenizeTransform stage")
struct TokenizeTransformTests {
    @Test("records become samples with HF's ids, labels, original provenance; text only with keep_text")
    func recordsToSamples() throws {
        let path = try Reference.modelDirectory().appendingPathComponent("tokenizer.json").path
        let reference = try Reference.run(["--json", path, "--corpus", "english", "--pairs", "--limit", "200", "--max-length", "48"])
        let records = reference.enumerated().map { index, item in
            TextRecord(id: Int64(1000 + index), line: index + 1, text: item.text, textPair: item.pair, label: Int32(index % 3))
        }
        let context = StageContext(seed: 1, batchSize: records.count)
        for keepText in [false, true] {
            let transform = try TokenizeTransform(options: TokenizerOptions(vocabPath: path, maxLength: 48, keepText: keepText))
            let samples = try transform.transform(records, context: context)
            #expect(samples.count == records.count)
            for (sample, (record, item)) in zip(samples, zip(records, reference)) {
                #expect(sample.id == record.id)
                #expect(sample.inputIds == item.ids)
                #expect(sample.tokenTypeIds == item.typeIds)
                #expect(sample.label == record.label)
                #expect(sample.provenance == .original(id: record.id))
                #expect(sample.text == (keepText ? record.text : nil))
                #expect(sample.textPair == (keepText ? record.textPair : nil))
                #expect(sample.teacher == nil)
            }
            let details = transform.reportDetails()
            #expect(details["examples"] == .int(records.count))
            #expect(details["tokens"] == .int(reference.reduce(0) { $0 + ($1.ids?.count ?? 0) }))
        }
    }

    /// HF raising for the same strategy is covered by the `only_second@20` parity case.
    @Test("an input truncation cannot fit fails naming the example")
    func truncationError() throws {
        let path = try Reference.modelDirectory().appendingPathComponent("vocab.txt").path
        let transform = try TokenizeTransform(options: TokenizerOptions(vocabPath: path, maxLength: 8, truncation: .onlySecond))
        let record = TextRecord(id: 42, line: 7, text: "one two three four five six seven eight nine ten")
        let error = #expect(throws: TokenizeRecordError.self) {
            _ = try transform.transform([record], context: StageContext(seed: 1, batchSize: 1))
        }
        #expect(error?.description.contains("id 42") == true && error?.description.contains("line 7") == true)
    }

    @Test("through the runtime pipeline with 2 workers, samples keep input order and HF's ids")
    func pipelineWithTwoWorkers() async throws {
        let path = try Reference.modelDirectory().appendingPathComponent("vocab.txt").path
        let reference = try Reference.run(["--vocab", path, "--corpus", "english", "--limit", "3000"])
        let records = reference.enumerated().map { TextRecord(id: Int64($0.offset), line: $0.offset + 1, text: $0.element.text) }
        let collector = CollectingStage<TokenSample>()
        let transform = try TokenizeTransform(options: TokenizerOptions(vocabPath: path))
        let pipeline = try Pipeline(
            nodes: [PipelineNode(source: ArraySource(records, name: "reader")), PipelineNode(transform, workers: 2), PipelineNode(collector)],
            channelCapacity: 2)
        _ = try await pipeline.run(context: StageContext(seed: 1, batchSize: 37))
        let samples = collector.received
        #expect(samples.map(\.id) == records.map(\.id))
        #expect(samples.map(\.inputIds) == reference.map { $0.ids ?? [] })
    }
}
