import AugProRecords
import AugProRuntime
import AugProTeacher
import AugProTestSupport
import Foundation
import Testing

/// Model folders built to break the loader: oversized or mistyped config sizes, non-finite
/// weights, weights that overflow into non-finite outputs. Each must be a clear error, never a
/// crash or a NaN written as a label.
@Suite("Teacher hostile models")
struct TeacherHostileModelTests {
    /// Sets `tensor[index]` (flat) of the tiny model's weights to `value` (text Python's `float`
    /// reads: `inf`, `nan`, `3e38`), keeping the tensor's dtype.
    static func poison(_ folder: URL, tensor: String, index: Int = 0, value: String) throws {
        let script = try TestEnvironment.temporaryDirectory("poison").appendingPathComponent("poison.py")
        try """
            import sys
            import numpy as np
            from safetensors.numpy import load_file, save_file
            path = sys.argv[1] + "/model.safetensors"
            tensors = load_file(path)
            flat = tensors[sys.argv[2]].reshape(-1)
            flat[int(sys.argv[3])] = float(sys.argv[4])
            save_file(tensors, path)
            """.write(to: script, atomically: true, encoding: .utf8)
        _ = try TestEnvironment.runPython(script, arguments: [folder.path, tensor, String(index), value])
    }

    @Test(
        "oversized or impossible config sizes are refused before anything is allocated",
        arguments: [
            ("num_hidden_layers", 100_000_000, "num_hidden_layers is 100000000 but"),
            ("num_hidden_layers", 3, "num_hidden_layers is 3 but"),
            ("num_hidden_layers", Int.max, "num_hidden_layers is 9223372036854775807 but"),
            ("hidden_size", (1 << 40) + 2, "is not a multiple of num_attention_heads"),
            ("hidden_size", 1 << 42, "has shape [120, 32]; the config implies [120, 4398046511104]"),
            ("intermediate_size", 1 << 50, "intermediate.dense.weight\" has shape [64, 32]"),
            ("vocab_size", 1 << 62, "word_embeddings.weight\" has shape [120, 32]"),
            ("max_position_embeddings", 1_000_000_000_000_000, "position_embeddings.weight\" has shape [40, 32]"),
            ("type_vocab_size", 1_000_000_000, "token_type_embeddings.weight\" has shape [2, 32]"),
            ("num_attention_heads", 1_000_000_007, "not a multiple of num_attention_heads"),
        ] as [(String, Int, String)]
    )
    func oversizedSizes(key: String, value: Int, message: String) throws {
        let folder = try TeacherFixtures.tinyModel()
        defer { try? FileManager.default.removeItem(at: folder) }
        try TeacherErrorTests.editConfig(folder) { $0[key] = value }
        TeacherErrorTests.expectError([message]) { _ = try TeacherModel(folder: folder) }
    }

    /// JSON's 1 is an integer, not a boolean (Foundation on Linux says `1 is Bool`): one layer
    /// with one head loads and matches the numpy reference run with the same config.
    @Test func sizesOfOneAreIntegers() throws {
        let folder = try TeacherFixtures.tinyModel()
        defer { try? FileManager.default.removeItem(at: folder) }
        try TeacherErrorTests.editConfig(folder) {
            $0["num_hidden_layers"] = 1
            $0["num_attention_heads"] = 1
        }
        let sequences = TeacherFixtures.randomSequences(count: 6, seed: 3)
        let ours = try TeacherFixtures.run(TeacherOptions(modelPath: folder, outputs: [.logits]), TeacherFixtures.samples(sequences))
        let reference = try #require(try TeacherFixtures.referenceOutputs(model: folder, sequences: sequences))
        let logits = try #require(reference["logits"])
        #expect(TeacherFixtures.maxAbsoluteDifference(ours.compactMap(\.logits), logits) < 1e-5)
    }

    @Test(
        "a size of the wrong JSON type says what it found",
        arguments: [
            ("64", "found the string \"64\""), ("1e300", "found the string \"1e300\""),
            (1e300, "found 1e+300"), (64.5, "found 64.5"), (-3, "found -3"), (0, "found 0"),
            (true, "found true (a boolean)"), (NSNull(), "found null"), ([64], "found an array"),
            (["n": 64], "found an object"), ("6\u{1B}[2J4", "found the string \"6\\u{1b}[2J4\""),
        ] as [(any Sendable, String)]
    )
    func mistypedSizes(value: any Sendable, message: String) throws {
        let folder = try TeacherFixtures.tinyModel()
        defer { try? FileManager.default.removeItem(at: folder) }
        try TeacherErrorTests.editConfig(folder) { $0["hidden_size"] = value }
        TeacherErrorTests.expectError(["config.json", "\"hidden_size\" must be a positive integer, " + message]) {
            _ = try TeacherModel(folder: folder)
        }
    }

    @Test(
        "a NaN or infinity in any weight tensor is refused at load, naming the tensor",
        arguments: [
            ("bert.embeddings.word_embeddings.weight", 37, "inf", "F32"),
            ("bert.encoder.layer.1.attention.self.query.weight", 100, "nan", "F32"),
            ("classifier.bias", 2, "-inf", "F32"),
            ("bert.encoder.layer.0.output.LayerNorm.weight", 5, "nan", "F16"),
            ("bert.pooler.dense.weight", 0, "inf", "F16"),
        ]
    )
    func nonFiniteWeights(tensor: String, index: Int, value: String, dtype: String) throws {
        let folder = try TeacherFixtures.tinyModel(["--dtype", dtype])
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.poison(folder, tensor: tensor, index: index, value: value)
        TeacherErrorTests.expectError(["model.safetensors", "tensor \"\(tensor)\" holds a non-finite value", "at element \(index)"]) {
            _ = try TeacherModel(folder: folder)
        }
    }

    /// Finite but huge weights overflow: the sample whose tokens reach the poisoned embedding row
    /// is named, and nothing is labelled with NaN.
    @Test("a non-finite output is an error naming the sample", arguments: ["", "cls", "mean"])
    func nonFiniteOutputs(pooling: String) throws {
        let folder = try TeacherFixtures.tinyModel(pooling.isEmpty ? [] : ["--sentence-transformers", pooling])
        defer { try? FileManager.default.removeItem(at: folder) }
        let prefix = pooling.isEmpty ? "bert." : ""
        for column in 0..<32 {
            try Self.poison(folder, tensor: prefix + "embeddings.word_embeddings.weight", index: 7 * 32 + column, value: "3e38")
        }
        var samples = TeacherFixtures.samples([([1, 5, 9, 2], [0, 0, 0, 0]), ([1, 4, 7, 2], [0, 0, 0, 0]), ([1, 3, 2], [0, 0, 0])])
        samples[1] = TokenSample(
            id: 41, inputIds: samples[1].inputIds, tokenTypeIds: samples[1].tokenTypeIds, label: -1,
            provenance: Provenance(kind: .augproMix, sourceA: 41, sourceB: 9, mixLambda: 0.3, augmentationIndex: 1))
        let options = TeacherOptions(modelPath: folder, outputs: pooling.isEmpty ? [.logits, .probs] : [.embedding])
        TeacherErrorTests.expectError(["teacher: sample 41 (augpro-mix #1 of 41 and 9)", "non-finite"]) {
            _ = try TeacherFixtures.run(options, samples)
        }
        // Without the poisoned token every output is finite.
        let clean = try TeacherFixtures.run(options, [samples[0], samples[2]])
        #expect(clean.allSatisfy { ($0.logits ?? $0.embedding ?? []).allSatisfy(\.isFinite) })
    }
}
