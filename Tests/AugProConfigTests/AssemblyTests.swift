import AugPro
import AugProConfig
import AugProRecords
import AugProResume
import AugProRuntime
import AugProTestSupport
import Foundation
import Synchronization
import Testing

/// A sink that keeps the batches it receives, as the ordinals of their elements.
final class BatchRecorder: Stage {
    typealias Input = TokenSample
    typealias Output = Never
    private let storage = Mutex<[[Int64]]>([])
    var name: String { "recorder" }
    var batches: [[Int64]] { storage.withLock { $0 } }

    func run(input: StageInput<TokenSample>, output: StageOutput<Never>, context: StageContext) async throws {
        while let batch = try await input.next() {
            guard !batch.isEmpty else { continue }
            storage.withLock { $0.append(batch.map(\.inputOrdinal)) }
        }
    }
}

@Suite("Ordinal batcher")
struct OrdinalBatcherTests {
    /// Samples for examples 0..<40, example k having k % 3 + 1 samples (an original and augmentations).
    static let samples: [TokenSample] = (0..<40).flatMap { example in
        (0...(example % 3)).map { _ in
            TokenSample(
                id: Int64(example), inputIds: [1], tokenTypeIds: [0], label: -1,
                provenance: .original(id: Int64(example), ordinal: Int64(example)))
        }
    }

    func batches(inputBatch: Int, batchSize: Int, granule: Int64) async throws -> [[Int64]] {
        let recorder = BatchRecorder()
        let pipeline = try Pipeline(
            nodes: [
                PipelineNode(source: ArraySource(Self.samples)),
                PipelineNode(OrdinalBatcher<TokenSample>(batchSize: batchSize, granule: granule)),
                PipelineNode(recorder),
            ], channelCapacity: 2)
        _ = try await pipeline.run(context: StageContext(seed: 0, batchSize: inputBatch))
        return recorder.batches
    }

    @Test("batches are the cells of batch_size × granule over input ordinals, whatever the incoming batches")
    func cellsIndependentOfInputBatching() async throws {
        // Reference: group the ordinals by (ordinal / 5, ordinal / 8), in order.
        var expected: [[Int64]] = []
        var lastCell: (Int64, Int64)?
        for ordinal in Self.samples.map(\.inputOrdinal) {
            let cell = (ordinal / 5, ordinal / 8)
            if let lastCell, lastCell == cell { expected[expected.count - 1].append(ordinal) } else { expected.append([ordinal]) }
            lastCell = cell
        }
        for inputBatch in [1, 3, 7, 64] {
            #expect(
                try await batches(inputBatch: inputBatch, batchSize: 5, granule: 8) == expected, "input batches of \(inputBatch)")
        }
        #expect(expected.allSatisfy { Set($0.map { $0 / 5 }).count == 1 && Set($0.map { $0 / 8 }).count == 1 })
    }
}

@Suite("Pipeline assembler")
struct AssemblerTests {
    let folder: URL

    init() throws {
        folder = try TestEnvironment.temporaryDirectory("augpro-assembler")
        try "sentence\tlabel\nhello world\t1\n".write(
            to: folder.appendingPathComponent("train.tsv"), atomically: true, encoding: .utf8)
        try "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\n".write(
            to: folder.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
    }

    func assemble(_ stages: String, registry: StageRegistry = .standard) throws -> AssembledPipeline {
        let yaml = "version: 1\nbatch_size: 16\nstages:\n" + stages
        let config = try PipelineLoader(environment: [:], registry: registry).load(
            yaml: yaml, file: "job.yaml", baseDirectory: folder)
        return try PipelineAssembler(file: "job.yaml").assemble(config)
    }

    func failure(_ stages: String, registry: StageRegistry = .standard) -> String {
        do {
            _ = try assemble(stages, registry: registry)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test("a batcher goes before each stage that declares its output depends on batch makeup")
    func batcherPlacement() throws {
        var registry = StageRegistry.standard
        registry.register(StageKind("length", LengthTeacherSettings.self), under: "teacher")
        let job = try assemble(
            """
              - reader: {path: train.tsv, text: sentence}
              - tokenizer: {vocab: vocab.txt}
              - teacher: {kind: length}
              - writer: {path: out}
            """, registry: registry)
        #expect(job.pipeline.nodes.map(\.name) == ["reader", "tokenizer", "batcher", "teacher", "writer"])
        #expect(
            job.chain == [
                "reader → raw text records", "tokenizer → token sequences", "teacher → token sequences",
                "writer → MDS shards in \(folder.appendingPathComponent("out").path)",
            ])
        let lowercase = try assemble(
            """
              - reader: {path: train.tsv, text: sentence}
              - lowercase: {}
              - writer: {path: out}
            """, registry: .standard.registering(StageKind("lowercase", LowercaseSettings.self)))
        #expect(lowercase.pipeline.nodes.map(\.name) == ["reader", "lowercase", "writer"])
    }

    @Test("misplaced stages are reported at their position in the file")
    func placementErrors() {
        #expect(
            failure(
                """
                  - reader: {path: train.tsv, text: sentence}
                  - interpolator: {}
                  - writer: {path: out}
                """) == "job.yaml:5:5: stages[1].interpolator: needs a tokenizer before it (for [CLS], [SEP] and [PAD])")
        #expect(
            failure(
                """
                  - reader: {path: train.tsv, text: sentence}
                  - tokenizer: {vocab: vocab.txt}
                  - interpolator: {window: 4}
                  - writer: {path: out}
                """) == "job.yaml:7:5: stages[3].writer: cannot write mix plans: put a projector after the interpolator")
        #expect(
            failure(
                """
                  - reader: {path: train.tsv, text: sentence}
                  - writer: {path: out}
                  - reader: {path: train.tsv, text: sentence}
                """
            ).hasPrefix("job.yaml:5:5: stages[1].writer: a writer can only be the last stage"))
        #expect(
            failure(
                """
                  - reader: {path: train.tsv, text: sentence}
                  - tokenizer: {vocab: vocab.txt}
                """) == "job.yaml: the last stage must be a writer")
    }

    @Test("a type mismatch names the configured stages, not an inserted batcher")
    func typeMismatchRenumbered() {
        var registry = StageRegistry.standard
        registry.register(StageKind("length", LengthTeacherSettings.self), under: "teacher")
        let message = failure(
            """
              - reader: {path: train.tsv, text: sentence}
              - tokenizer: {vocab: vocab.txt}
              - lowercase: {}
              - writer: {path: out}
            """, registry: registry.registering(StageKind("lowercase", BatchSensitiveLowercase.self)))
        #expect(
            message
                == "job.yaml:6:5: stages[2].lowercase expects raw text records, but the previous stage `tokenizer` produces token sequences"
        )
    }
}

/// The toy lowercase kind, declared batch-sensitive (so a batcher is inserted before it when
/// the previous stage's elements carry ordinals), and without its own placement check.
struct BatchSensitiveLowercase: StageSettings {
    let inner: LowercaseSettings
    init(config decoder: any Decoder) throws { inner = try LowercaseSettings(config: decoder) }
    var dependsOnBatchMakeup: Bool { true }
    func recordSettings(into settings: inout OutputSettings) { inner.recordSettings(into: &settings) }
    func assemble(in assembly: inout StageAssembly) throws -> [PipelineNode] {
        [PipelineNode(LowercaseSettings.Lowercase(asciiOnly: false), workers: 1)]
    }
}
