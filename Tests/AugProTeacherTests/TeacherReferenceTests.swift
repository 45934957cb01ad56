import AugProRecords
import AugProTeacher
import AugProTestSupport
import Foundation
import Testing

/// Our encoder against the independent numpy reference (float64, exact erf, padded batches
/// with an attention mask), on the real all-MiniLM-L6-v2 and on tiny random checkpoints.
@Suite("Teacher vs numpy reference", .serialized)
struct TeacherReferenceTests {
    @Test("all-MiniLM-L6-v2 embeddings of 77 real sentences (incl. pairs) match numpy")
    func miniLMEmbeddings() throws {
        let model = try TeacherFixtures.miniLM()
        let sequences = try TeacherFixtures.tokenizedSentences(model: model)
        #expect(sequences.count >= 64)
        #expect(sequences.contains { $0.types.contains(1) }, "no sentence pairs in the fixture")
        let reference = try #require(try TeacherFixtures.referenceOutputs(model: model, sequences: sequences))
        let expected = try #require(reference["embedding"])
        let options = TeacherOptions(modelPath: model, outputs: [.embedding])
        let ours = try TeacherFixtures.run(options, TeacherFixtures.samples(sequences)).map { try #require($0.embedding) }
        let cosine = TeacherFixtures.minimumCosine(ours, expected)
        let difference = TeacherFixtures.maxAbsoluteDifference(ours, expected)
        #expect(cosine >= 0.99999, "minimum cosine \(cosine)")
        #expect(difference <= 1e-4, "max abs diff \(difference)")

        var oneAtATime = options
        oneAtATime.batchSize = 1
        let single = try TeacherFixtures.run(oneAtATime, TeacherFixtures.samples(sequences)).map { try #require($0.embedding) }
        let grouping = TeacherFixtures.maxAbsoluteDifference(single, ours.map { $0.map(Double.init) })
        #expect(grouping <= 1e-5, "grouping changed embeddings by \(grouping)")
    }

    @Test(
        "tiny random BertForSequenceClassification logits and probs match numpy (mixed lengths, pairs)",
        arguments: [[], ["--act", "gelu_new"], ["--act", "relu", "--no-prefix"], ["--dtype", "F16", "--seed", "9"]]
    )
    func tinyClassifier(arguments: [String]) throws {
        let model = try TeacherFixtures.tinyModel(arguments)
        defer { try? FileManager.default.removeItem(at: model) }
        let sequences = TeacherFixtures.randomSequences(count: 45, seed: 11)
        let reference = try #require(try TeacherFixtures.referenceOutputs(model: model, sequences: sequences, batchSize: 16, temperature: 2))
        let options = TeacherOptions(modelPath: model, outputs: [.logits, .probs], temperature: 2, topK: 2, batchSize: 8)
        let targets = try TeacherFixtures.run(options, TeacherFixtures.samples(sequences))
        let logits = try targets.map { try #require($0.logits) }
        let expected = try #require(reference["logits"])
        let difference = TeacherFixtures.maxAbsoluteDifference(logits, expected)
        #expect(difference <= 1e-5, "max abs logit diff \(difference) for \(arguments)")
        let probs = try targets.map { try #require($0.probs) }
        #expect(TeacherFixtures.maxAbsoluteDifference(probs, try #require(reference["probs"])) <= 1e-5)
        for (target, want) in zip(targets, expected) {
            let ranked = want.indices.sorted { want[$0] > want[$1] }
            #expect(target.topKIds == ranked.prefix(2).map { Int32($0) })
            #expect(target.topKLogits == target.topKIds?.map { target.logits![Int($0)] })
            #expect(target.embedding == nil)
        }
        let spread = expected.flatMap { $0 }.map(abs).max() ?? 0
        #expect(spread > 0.1, "logits too small (\(spread)) for the comparison to mean anything")
    }

    @Test(
        "tiny sentence-transformers folders: cls, mean, max pooling (and Normalize) match numpy",
        arguments: [["cls"], ["mean", "--normalize"], ["max"]]
    )
    func tinySentenceTransformers(arguments: [String]) throws {
        let model = try TeacherFixtures.tinyModel(["--sentence-transformers"] + arguments)
        defer { try? FileManager.default.removeItem(at: model) }
        let sequences = TeacherFixtures.randomSequences(count: 30, seed: 3)
        let reference = try #require(try TeacherFixtures.referenceOutputs(model: model, sequences: sequences, batchSize: 30))
        let embeddings = try TeacherFixtures.run(TeacherOptions(modelPath: model, outputs: [.embedding], batchSize: 4), TeacherFixtures.samples(sequences))
            .map { try #require($0.embedding) }
        let difference = TeacherFixtures.maxAbsoluteDifference(embeddings, try #require(reference["embedding"]))
        #expect(difference <= 1e-5, "max abs diff \(difference) for \(arguments)")
    }

    @Test("grouping does not change results beyond float rounding")
    func groupingIndependence() throws {
        let model = try TeacherFixtures.tinyModel()
        defer { try? FileManager.default.removeItem(at: model) }
        let samples = TeacherFixtures.samples(TeacherFixtures.randomSequences(count: 37, seed: 21))
        var baseline: [[Float]]?
        for batchSize in [1, 5, 37] {
            let logits = try TeacherFixtures.run(TeacherOptions(modelPath: model, batchSize: batchSize), samples).map { try #require($0.logits) }
            if let baseline {
                #expect(TeacherFixtures.maxAbsoluteDifference(logits, baseline.map { $0.map(Double.init) }) <= 1e-6)
            } else {
                baseline = logits
            }
        }
    }

    @Test("identity, vocabulary size and id2label are exposed for the report")
    func identity() throws {
        let model = try TeacherFixtures.tinyModel()
        defer { try? FileManager.default.removeItem(at: model) }
        let teacher = try TeacherModel(folder: model)
        #expect(teacher.vocabularySize == TeacherFixtures.tinyVocabulary)
        #expect(teacher.id2label == ["negative", "neutral", "positive"])
        #expect(teacher.labelCount == 3)
        let identity = try teacher.identity()
        let hashes = try TestEnvironment.runPython(
            TestEnvironment.fixture("teacher/sha256_files.py"),
            arguments: [model.appendingPathComponent("config.json").path, model.appendingPathComponent("model.safetensors").path])
        let lines = String(decoding: hashes, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect([identity.configSHA256, identity.weightsSHA256] == lines)
        #expect(identity.folderName == model.lastPathComponent)
        let details = try TeacherTransform(options: TeacherOptions(modelPath: model)).reportDetails()
        #expect(details["vocab_size"] == .int(TeacherFixtures.tinyVocabulary))
    }

    @Test("when torch and transformers are importable, tiny logits and MiniLM embeddings also match them")
    func torchComparison() throws {
        let model = try TeacherFixtures.tinyModel()
        defer { try? FileManager.default.removeItem(at: model) }
        let sequences = TeacherFixtures.randomSequences(count: 20, seed: 5)
        guard let reference = try TeacherFixtures.referenceOutputs(model: model, sequences: sequences, backend: "torch") else {
            print("torch/transformers not importable: the torch comparison is skipped (numpy reference still checked)")
            return
        }
        let logits = try TeacherFixtures.run(TeacherOptions(modelPath: model), TeacherFixtures.samples(sequences)).map { try #require($0.logits) }
        let difference = TeacherFixtures.maxAbsoluteDifference(logits, try #require(reference["logits"]))
        #expect(difference <= 1e-5, "max abs logit diff vs transformers \(difference)")

        let miniLM = try TeacherFixtures.miniLM()
        let sentences = try TeacherFixtures.tokenizedSentences(model: miniLM)
        let expected = try #require(try TeacherFixtures.referenceOutputs(model: miniLM, sequences: sentences, backend: "torch")?["embedding"])
        let ours = try TeacherFixtures.run(TeacherOptions(modelPath: miniLM, outputs: [.embedding]), TeacherFixtures.samples(sentences))
            .map { try #require($0.embedding) }
        let cosine = TeacherFixtures.minimumCosine(ours, expected)
        let embeddingDifference = TeacherFixtures.maxAbsoluteDifference(ours, expected)
        #expect(cosine >= 0.99999, "minimum cosine vs transformers \(cosine)")
        #expect(embeddingDifference <= 1e-4, "max abs diff vs transformers \(embeddingDifference)")
    }
}
