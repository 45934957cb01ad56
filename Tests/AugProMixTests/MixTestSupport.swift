import AugProInterpolator
import AugProProjector
import AugProRecords
import AugProRuntime
import AugProTestSupport
import Foundation

/// A corpus tokenized by HF `tokenizers` from the model's tokenizer.json.
struct RealCorpus: Sendable {
    var samples: [TokenSample]
    var specials: SpecialTokenIDs
    var vocabulary: [String]
}

/// Shared, lazily prepared inputs: the real corpus, the real embedding table and projectors.
enum MixFixtures {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func modelDirectory() throws -> URL {
        guard let directory = TestEnvironment.modelDirectory else {
            throw Failure(description: "the all-MiniLM-L6-v2 model folder is missing (.models/all-MiniLM-L6-v2): run `make venv`")
        }
        return directory
    }

    static let corpusResult: Result<RealCorpus, any Error> = Result { try loadCorpus(maxLength: 64) }
    static let tableResult: Result<EmbeddingTable, any Error> = Result {
        try EmbeddingTable(path: try modelDirectory().path)
    }
    /// One temporary top-K cache folder per test process.
    static let cacheDirectory: URL = (try? TestEnvironment.temporaryDirectory("augpro-mix-cache"))
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("augpro-mix-cache")

    static func corpus() throws -> RealCorpus { try corpusResult.get() }
    static func table() throws -> EmbeddingTable { try tableResult.get() }

    static func loadCorpus(maxLength: Int) throws -> RealCorpus {
        let output = try TestEnvironment.runPython(
            TestEnvironment.fixture("mix/tokenize_corpus.py"),
            arguments: [try modelDirectory().path, TestEnvironment.fixture("mix/sentences.tsv").path, String(maxLength)])
        struct Example: Decodable {
            var id: Int64
            var input_ids: [Int32]
            var token_type_ids: [UInt8]
        }
        struct Output: Decodable {
            var examples: [Example]
            var cls: Int32
            var sep: Int32
            var pad: Int32
            var vocab: [String]
        }
        let decoded = try JSONDecoder().decode(Output.self, from: output)
        return RealCorpus(
            samples: decoded.examples.map {
                TokenSample(id: $0.id, inputIds: $0.input_ids, tokenTypeIds: $0.token_type_ids, label: -1)
            },
            specials: SpecialTokenIDs(cls: decoded.cls, sep: decoded.sep, pad: decoded.pad),
            vocabulary: decoded.vocab)
    }

    /// Runs the planner over `samples` fed in batches of `batchSize`.
    static func plan(
        _ samples: [TokenSample], options: InterpolatorOptions, specials: SpecialTokenIDs,
        seed: UInt64 = 17, batchSize: Int = 64
    ) throws -> (items: [MixItem], statistics: InterpolatorStatistics) {
        var planner = try MixupPlanner(options: options, specials: specials, seed: seed)
        var items: [MixItem] = []
        for start in stride(from: 0, to: samples.count, by: batchSize) {
            items += planner.add(Array(samples[start..<min(samples.count, start + batchSize)])).joined()
        }
        items += planner.finish().joined()
        return (items, planner.statistics)
    }

    /// Runs `projector` over `items` in batches of whole example groups of about `batchSize`,
    /// `workers` batches at a time, and returns the outputs in input order.
    static func project(_ items: [MixItem], with projector: MixProjector, batchSize: Int = 64, workers: Int = 1) async throws -> [TokenSample] {
        let batches = groupedBatches(items, batchSize: batchSize)
        let context = StageContext(seed: 17, batchSize: batchSize)
        var results = [[TokenSample]](repeating: [], count: batches.count)
        for start in stride(from: 0, to: batches.count, by: workers) {
            try await withThrowingTaskGroup(of: (Int, [TokenSample]).self) { group in
                for index in start..<min(batches.count, start + workers) {
                    let batch = batches[index]
                    group.addTask { (index, try projector.transform(batch, context: context)) }
                }
                for try await (index, output) in group { results[index] = output }
            }
        }
        return Array(results.joined())
    }

    /// Cuts `items` into batches that never split an example's group, as the interpolator does.
    static func groupedBatches(_ items: [MixItem], batchSize: Int) -> [[MixItem]] {
        var batches: [[MixItem]] = []
        var current: [MixItem] = []
        for item in items {
            if case .original = item, current.count >= batchSize {
                batches.append(current)
                current = []
            }
            current.append(item)
        }
        if !current.isEmpty { batches.append(current) }
        return batches
    }

    /// Runs `fixtures/mix/reference_projection.py` on the augmented samples of `output`.
    static func reference(
        output: [TokenSample], items: [MixItem], corpus: RealCorpus, metric: ProjectionMetric,
        length: MixLength = .longer, maxLength: Int? = nil, exclude: [String] = []
    ) throws -> [String: Double] {
        var lambdasByKey: [String: [Float]] = [:]
        for case .mix(let plan) in items {
            lambdasByKey["\(plan.provenance.sourceA)/\(plan.provenance.augmentationIndex)"] = plan.lambdas
        }
        let pairs = Set(corpus.samples.filter { $0.tokenTypeIds.contains(1) }.map(\.id))
        // Example granularity: only the provenance's λ; token granularity: the plan's per-position λs.
        let samples: [[String: Any]] = output.filter { $0.provenance.kind == .augproMix }.map { sample in
            let lambdas = lambdasByKey["\(sample.provenance.sourceA)/\(sample.provenance.augmentationIndex)"] ?? []
            let involvesPair = [sample.provenance.sourceA, sample.provenance.sourceB].contains { pairs.contains($0) }
            var entry: [String: Any] = [
                "source_a": sample.provenance.sourceA, "source_b": sample.provenance.sourceB,
                "input_ids": sample.inputIds.map(Int.init), "group": involvesPair ? "pairs" : "singles",
            ]
            if Set(lambdas).count > 1 {
                entry["lambdas"] = lambdas.map(Double.init)
            } else {
                entry["lambda"] = Double(sample.provenance.mixLambda)
            }
            return entry
        }
        var originals: [String: [Int]] = [:]
        for sample in corpus.samples { originals[String(sample.id)] = sample.inputIds.map(Int.init) }
        let request: [String: Any] = [
            "embeddings": try modelDirectory().appendingPathComponent("model.safetensors").path,
            "tensor": "embeddings.word_embeddings.weight", "metric": metric.rawValue, "length": length.rawValue,
            "max_length": maxLength.map { $0 as Any } ?? NSNull(),
            "cls": Int(corpus.specials.cls), "sep": Int(corpus.specials.sep), "pad": Int(corpus.specials.pad),
            "exclude": exclude, "vocab": corpus.vocabulary, "originals": originals, "samples": samples,
        ]
        let data = try JSONSerialization.data(withJSONObject: request)
        let reply = try TestEnvironment.runPython(TestEnvironment.fixture("mix/reference_projection.py"), standardInput: data)
        guard let report = try JSONSerialization.jsonObject(with: reply) as? [String: Any] else {
            throw Failure(description: "reference_projection.py printed no JSON object")
        }
        return report.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }
}
