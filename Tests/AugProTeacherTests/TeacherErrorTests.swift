import AugProRecords
import AugProRuntime
import AugProTeacher
import AugProTestSupport
import Foundation
import Testing

/// Bad model folders, bad options and bad samples must give clear errors, never a crash.
@Suite("Teacher errors")
struct TeacherErrorTests {
    /// Edits a tiny model's config.json in place.
    static func editConfig(_ folder: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent("config.json")
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        edit(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }

    /// Expects `body` to throw an error whose description contains every fragment.
    static func expectError(_ fragments: [String], _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            try body()
            Issue.record("no error; expected one mentioning \(fragments)", sourceLocation: sourceLocation)
        } catch {
            for fragment in fragments {
                #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test(
        "config problems name config.json and the key",
        arguments: [
            ("hidden_size", nil, "missing required key \"hidden_size\""),
            ("model_type", "roberta", "unsupported model_type \"roberta\""),
            ("hidden_act", "swish", "unsupported hidden_act \"swish\""),
            ("num_attention_heads", 5, "not a multiple of num_attention_heads"),
            ("intermediate_size", 65, "tensor \"bert.encoder.layer.0.intermediate.dense.weight\" has shape [64, 32]"),
            ("vocab_size", true, "\"vocab_size\" must be a positive integer"),
            ("id2label", ["0": "a", "2": "b"], "\"id2label\" must map the ids"),
            ("id2label", ["0": "a", "1": "b"], "id2label has 2 labels but the classifier has 3"),
            ("architectures", ["BertModel"], "no supported head"),
            ("position_embedding_type", "relative_key", "unsupported position_embedding_type"),
        ] as [(String, (any Sendable)?, String)]
    )
    func badConfig(key: String, value: (any Sendable)?, message: String) throws {
        let folder = try TeacherFixtures.tinyModel()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.editConfig(folder) { $0[key] = value }
        Self.expectError([message]) { _ = try TeacherModel(folder: folder) }
    }

    @Test("missing folder, config, weights and tensors are named")
    func missingFiles() throws {
        Self.expectError(["/nonexistent/teacher", "does not exist"]) { _ = try TeacherModel(folder: URL(fileURLWithPath: "/nonexistent/teacher")) }
        let folder = try TeacherFixtures.tinyModel()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        Self.expectError(["model.safetensors", "missing"]) { _ = try TeacherModel(folder: folder) }
        try FileManager.default.removeItem(at: folder.appendingPathComponent("config.json"))
        Self.expectError(["config.json", "cannot read"]) { _ = try TeacherModel(folder: folder) }
        let truncated = try TeacherFixtures.tinyModel(["--sentence-transformers", "mean"])
        defer { try? FileManager.default.removeItem(at: truncated) }
        let weights = truncated.appendingPathComponent("model.safetensors")
        try Data(try Data(contentsOf: weights).dropLast(4)).write(to: weights)
        Self.expectError(["model.safetensors", "data region"]) { _ = try TeacherModel(folder: truncated) }
    }

    @Test("unsupported sentence-transformers modules and pooling modes are refused")
    func badSentenceTransformers() throws {
        let folder = try TeacherFixtures.tinyModel(["--sentence-transformers", "mean"])
        defer { try? FileManager.default.removeItem(at: folder) }
        let pooling = folder.appendingPathComponent("1_Pooling/config.json")
        let original = try Data(contentsOf: pooling)
        var json = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
        json["pooling_mode_mean_tokens"] = false
        json["pooling_mode_mean_sqrt_len_tokens"] = true
        try JSONSerialization.data(withJSONObject: json).write(to: pooling)
        Self.expectError(["1_Pooling/config.json", "unsupported pooling pooling_mode_mean_sqrt_len_tokens"]) { _ = try TeacherModel(folder: folder) }
        try original.write(to: pooling)

        let modules = folder.appendingPathComponent("modules.json")
        var list = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: modules)) as? [[String: Any]])
        list.append(["idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"])
        try JSONSerialization.data(withJSONObject: list).write(to: modules)
        Self.expectError(["modules.json", "unsupported sentence-transformers module \"sentence_transformers.models.Dense\""]) {
            _ = try TeacherModel(folder: folder)
        }
    }

    @Test("outputs the head cannot produce, and bad options, are refused")
    func badOptions() throws {
        let classifier = try TeacherFixtures.tinyModel()
        let encoder = try TeacherFixtures.tinyModel(["--sentence-transformers", "cls"])
        defer {
            try? FileManager.default.removeItem(at: classifier)
            try? FileManager.default.removeItem(at: encoder)
        }
        Self.expectError(["output embedding needs a sentence-transformers folder"]) {
            _ = try TeacherTransform(options: TeacherOptions(modelPath: classifier, outputs: [.embedding]))
        }
        Self.expectError(["outputs logits/probs need a classifier", "head: PATH.safetensors"]) {
            _ = try TeacherTransform(options: TeacherOptions(modelPath: encoder, outputs: [.probs]))
        }
        Self.expectError(["top_k 4 exceeds the 3 labels"]) {
            _ = try TeacherTransform(options: TeacherOptions(modelPath: classifier, topK: 4))
        }
        Self.expectError(["temperature must be a positive number"]) {
            _ = try TeacherTransform(options: TeacherOptions(modelPath: classifier, temperature: 0))
        }
        Self.expectError(["outputs must name at least one"]) {
            _ = try TeacherTransform(options: TeacherOptions(modelPath: classifier, outputs: []))
        }
    }

    @Test("samples outside the model's limits name the sample id")
    func badSamples() throws {
        let folder = try TeacherFixtures.tinyModel()
        defer { try? FileManager.default.removeItem(at: folder) }
        let transform = try TeacherTransform(options: TeacherOptions(modelPath: folder))
        let context = StageContext(seed: 1, batchSize: 4)
        let good = TokenSample(id: 1, inputIds: [1, 5, 2], tokenTypeIds: [0, 0, 0], label: -1)
        let cases: [(TokenSample, [String])] = [
            (TokenSample(id: 42, inputIds: [1, 120, 2], tokenTypeIds: [0, 0, 0], label: -1), ["sample 42", "token id 120 at position 1", "vocabulary of 120"]),
            (TokenSample(id: 43, inputIds: [1, -3, 2], tokenTypeIds: [0, 0, 0], label: -1), ["sample 43", "token id -3"]),
            (TokenSample(id: 44, inputIds: [Int32](repeating: 3, count: 41), tokenTypeIds: [UInt8](repeating: 0, count: 41), label: -1), ["sample 44", "41 tokens exceed", "max_position_embeddings of 40"]),
            (TokenSample(id: 45, inputIds: [1, 2], tokenTypeIds: [0, 2], label: -1), ["sample 45", "token type 2", "type_vocab_size 2"]),
            (TokenSample(id: 46, inputIds: [1, 2], tokenTypeIds: [0], label: -1), ["sample 46", "1 token type ids for 2 tokens"]),
            (TokenSample(id: 47, inputIds: [], tokenTypeIds: [], label: -1), ["sample 47", "no tokens"]),
        ]
        for (sample, fragments) in cases {
            Self.expectError(fragments) { _ = try transform.transform([good, sample], context: context) }
        }
        #expect(try transform.transform([good], context: context).first?.teacher?.logits?.count == 3)
    }
}
