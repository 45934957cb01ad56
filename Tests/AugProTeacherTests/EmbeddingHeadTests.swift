import AugProRecords
import AugProTeacher
import AugProTestSupport
import Foundation
import Testing

/// A sentence encoder + linear head (`head:`) against the numpy reference
/// (fixtures/teacher/head_reference.py: float64 BERT, pooling, normalisation, W·e + b).
@Suite("Teacher with a classifier head vs numpy", .serialized)
struct EmbeddingHeadTests {
    static let script = TestEnvironment.fixture("teacher/head_reference.py")

    /// Writes a random head with `classes` rows for `width`-wide embeddings.
    static func head(classes: Int, width: Int, seed: Int, names: [String] = []) throws -> URL {
        let url = try TestEnvironment.temporaryDirectory("augpro-head").appendingPathComponent("head.safetensors")
        _ = try TestEnvironment.runPython(script, arguments: ["make", url.path, String(classes), String(width), String(seed)] + names)
        return url
    }

    /// The reference's embedding, logits and probs for `sequences`.
    static func reference(
        model: URL, head: URL, sequences: [(ids: [Int32], types: [UInt8])], extra: [String] = []
    ) throws -> [String: [[Double]]] {
        let payload: [String: Any] = [
            "sequences": sequences.map { ["input_ids": $0.ids.map(Int.init), "token_type_ids": $0.types.map(Int.init)] },
        ]
        let output = try TestEnvironment.runPython(
            script, arguments: ["run", model.path, head.path] + extra,
            standardInput: try JSONSerialization.data(withJSONObject: payload))
        return try #require(try JSONSerialization.jsonObject(with: output) as? [String: [[Double]]])
    }

    /// all-MiniLM-L6-v2 with its own config (mean pooling, Normalize, read from modules.json
    /// and 1_Pooling/config.json), and with cls pooling without normalisation by override.
    @Test(arguments: [[String](), ["--pooling", "cls", "--normalize", "false"]])
    func miniLMWithHeadMatchesNumpy(overrides: [String]) throws {
        let model = try TeacherFixtures.miniLM()
        let sequences = try TeacherFixtures.tokenizedSentences(model: model)
        let head = try Self.head(classes: 5, width: 384, seed: 4)
        let expected = try Self.reference(model: model, head: head, sequences: sequences, extra: overrides + ["--temperature", "2"])
        var options = TeacherOptions(
            modelPath: model, outputs: [.logits, .probs, .embedding], temperature: 2, topK: 3, head: head)
        if !overrides.isEmpty {
            options.pooling = .cls
            options.normalize = false
        }
        let transform = try TeacherTransform(options: options)
        #expect(transform.model.labelCount == 5)
        #expect(transform.model.pooling == (overrides.isEmpty ? .mean : .cls))
        #expect(transform.model.normalize == overrides.isEmpty)
        let targets = try TeacherFixtures.run(options, TeacherFixtures.samples(sequences))
        let logits = try targets.map { try #require($0.logits) }
        let wantLogits = try #require(expected["logits"])
        let difference = TeacherFixtures.maxAbsoluteDifference(logits, wantLogits)
        #expect(difference <= 1e-4, "max abs logit diff \(difference) with \(overrides)")
        #expect(TeacherFixtures.maxAbsoluteDifference(try targets.map { try #require($0.probs) }, try #require(expected["probs"])) <= 1e-5)
        #expect(TeacherFixtures.maxAbsoluteDifference(try targets.map { try #require($0.embedding) }, try #require(expected["embedding"])) <= 1e-4)
        for (target, want) in zip(targets, wantLogits) {
            let ranked = want.indices.sorted { want[$0] > want[$1] }
            #expect(target.topKIds == ranked.prefix(3).map { Int32($0) })
        }
        let spread = wantLogits.flatMap { $0 }.map(abs).max() ?? 0
        #expect(spread > 0.1, "logits too small (\(spread)) for the comparison to mean anything")
        let details = transform.reportDetails()
        #expect(details["head"] == .string(head.path))
        #expect(details["embedding"] == .object([
            "pooling": .string(overrides.isEmpty ? "mean" : "cls"), "normalize": .bool(overrides.isEmpty), "dimension": .int(384),
        ]))
    }

    /// A plain tiny BERT (no sentence-transformers config): pooling defaults to mean without
    /// normalisation, max pooling by override; head tensors under other names.
    @Test(arguments: [[String](), ["--pooling", "max", "--normalize", "true"]])
    func tinyEncoderWithHeadMatchesNumpy(overrides: [String]) throws {
        let model = try TeacherFixtures.tinyModel()
        defer { try? FileManager.default.removeItem(at: model) }
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: model.appendingPathComponent("config.json"))) as! [String: Any]
        let width = config["hidden_size"] as! Int
        let head = try Self.head(classes: 3, width: width, seed: 8, names: ["--weight", "linear.weight", "--bias", "linear.bias"])
        let sequences = TeacherFixtures.randomSequences(count: 30, seed: 5)
        let expected = try Self.reference(model: model, head: head, sequences: sequences, extra: overrides)
        var options = TeacherOptions(modelPath: model, outputs: [.logits], batchSize: 8, head: head)
        if !overrides.isEmpty {
            options.pooling = .max
            options.normalize = true
        }
        let logits = try TeacherFixtures.run(options, TeacherFixtures.samples(sequences)).map { try #require($0.logits) }
        let difference = TeacherFixtures.maxAbsoluteDifference(logits, try #require(expected["logits"]))
        #expect(difference <= 1e-5, "max abs logit diff \(difference) with \(overrides)")
    }

    @Test func badHeadFilesAreRefusedNamingTheFile() throws {
        let model = try TeacherFixtures.miniLM()
        let wrongWidth = try Self.head(classes: 2, width: 100, seed: 1)
        #expect {
            try TeacherTransform(options: TeacherOptions(modelPath: model, outputs: [.logits], head: wrongWidth))
        } throws: { error in
            "\(error)".contains(wrongWidth.path) && "\(error)".contains("expected [C, 384]")
        }
        let missing = wrongWidth.deletingLastPathComponent().appendingPathComponent("absent.safetensors")
        #expect {
            try TeacherTransform(options: TeacherOptions(modelPath: model, outputs: [.logits], head: missing))
        } throws: { error in
            "\(error)".contains(missing.path)
        }
        #expect {
            try TeacherTransform(options: TeacherOptions(modelPath: model, outputs: [.logits]))
        } throws: { error in
            "\(error)".contains("head:")
        }
    }
}
