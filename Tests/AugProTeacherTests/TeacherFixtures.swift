import AugProRecords
import AugProRuntime
import AugProTeacher
import AugProTestSupport
import Foundation
import Testing

/// Shared helpers: tiny checkpoints from the committed numpy script, the numpy reference,
/// deterministic token sequences and comparisons.
enum TeacherFixtures {
    static let makeTiny = TestEnvironment.fixture("teacher/make_tiny_bert.py")
    static let reference = TestEnvironment.fixture("teacher/bert_reference.py")
    static let sentences = TestEnvironment.fixture("teacher/sentences.tsv")
    /// The tiny model's sizes (see make_tiny_bert.py).
    static let tinyVocabulary = 120
    static let tinyPositions = 40

    /// Writes a tiny checkpoint into a fresh temporary folder and returns it.
    static func tinyModel(_ arguments: [String] = []) throws -> URL {
        let folder = try TestEnvironment.temporaryDirectory("augpro-tiny-bert")
        _ = try TestEnvironment.runPython(makeTiny, arguments: [folder.path] + arguments)
        return folder
    }

    /// The MiniLM folder, or a failure telling how to install it.
    static func miniLM() throws -> URL {
        try #require(TestEnvironment.modelDirectory, "the all-MiniLM-L6-v2 model folder is missing: run `make venv`")
    }

    /// Samples as the tokenizer would emit them.
    static func samples(_ sequences: [(ids: [Int32], types: [UInt8])]) -> [TokenSample] {
        sequences.enumerated().map { index, sequence in
            TokenSample(id: Int64(index), inputIds: sequence.ids, tokenTypeIds: sequence.types, label: -1)
        }
    }

    /// Deterministic mixed-length sequences: `[CLS]`-like 1, random ids, pairs with type 1.
    static func randomSequences(count: Int, seed: UInt64, maxLength: Int = tinyPositions) -> [(ids: [Int32], types: [UInt8])] {
        var state = seed
        func next() -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int(truncatingIfNeeded: (z ^ (z >> 31)) >> 1)
        }
        return (0..<count).map { index in
            let length = index == 0 ? maxLength : 1 + next() % maxLength
            let ids = (0..<length).map { _ in Int32(next() % tinyVocabulary) }
            let split = index % 2 == 0 ? length : next() % length
            let types = (0..<length).map { UInt8($0 >= split ? 1 : 0) }
            return (ids, types)
        }
    }

    /// HF-tokenized real sentences (`tokenizers`, the model's tokenizer.json).
    static func tokenizedSentences(model: URL, maxLength: Int = 128) throws -> [(ids: [Int32], types: [UInt8])] {
        let data = try TestEnvironment.runPython(reference, arguments: ["tokenize", model.path, sentences.path, String(maxLength)])
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let sequences = try #require(json["sequences"] as? [[String: [Int]]])
        return sequences.map { entry in
            ((entry["input_ids"] ?? []).map(Int32.init), (entry["token_type_ids"] ?? []).map(UInt8.init))
        }
    }

    /// `count` lines of real English (every 117th line of the tokenizer fixture corpus), tokenized
    /// by HF tokenizers with truncation at 128, as bench-teacher's real mix (512 lines).
    static func corpusLines(model: URL, count: Int = 512) throws -> [(ids: [Int32], types: [UInt8])] {
        let script = TestEnvironment.packageRoot.appendingPathComponent("Benchmarks/bench-teacher/engines.py")
        let corpus = TestEnvironment.fixture("tokenizer/english_corpus.txt.xz")
        let data = try TestEnvironment.runPython(script, arguments: ["tokenize", model.path, corpus.path, String(count), "117", "128"])
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let sequences = try #require(json["sequences"] as? [[String: [Int]]])
        return sequences.map { entry in
            ((entry["input_ids"] ?? []).map(Int32.init), (entry["token_type_ids"] ?? []).map(UInt8.init))
        }
    }

    /// Runs the numpy (or torch) reference; returns nil when the torch backend is unavailable.
    static func referenceOutputs(
        model: URL, sequences: [(ids: [Int32], types: [UInt8])], batchSize: Int = 32,
        temperature: Float = 1, backend: String = "numpy"
    ) throws -> [String: [[Double]]]? {
        let payload: [String: Any] = [
            "sequences": sequences.map { ["input_ids": $0.ids.map(Int.init), "token_type_ids": $0.types.map(Int.init)] },
        ]
        let input = try JSONSerialization.data(withJSONObject: payload)
        let arguments = [
            reference.path, "run", model.path, "--batch-size", String(batchSize),
            "--temperature", String(temperature), "--backend", backend,
        ]
        let python = try #require(TestEnvironment.python, "the project venv is missing: run `make venv`")
        let result = try TestEnvironment.runCapturing(python, arguments: arguments, standardInput: input)
        if result.status == 77 { return nil }
        guard result.status == 0 else {
            Issue.record("reference failed: \(result.stderrText)")
            return [:]
        }
        let json = try #require(try JSONSerialization.jsonObject(with: result.standardOutput) as? [String: [[Double]]])
        return json
    }

    /// Runs our transform over `samples` as one channel batch.
    static func run(_ options: TeacherOptions, _ samples: [TokenSample]) throws -> [TeacherTargets] {
        let transform = try TeacherTransform(options: options)
        let output = try transform.transform(samples, context: StageContext(seed: 1, batchSize: samples.count))
        #expect(output.map(\.id) == samples.map(\.id), "input order not kept")
        return try output.map { try #require($0.teacher) }
    }

    /// The largest absolute difference between matching rows.
    static func maxAbsoluteDifference(_ ours: [[Float]], _ reference: [[Double]]) -> Double {
        #expect(ours.count == reference.count)
        var largest = 0.0
        for (row, expected) in zip(ours, reference) {
            #expect(row.count == expected.count)
            for (value, want) in zip(row, expected) { largest = max(largest, abs(Double(value) - want)) }
        }
        return largest
    }

    /// The smallest cosine similarity between matching rows.
    static func minimumCosine(_ ours: [[Float]], _ reference: [[Double]]) -> Double {
        zip(ours, reference).map { row, expected in
            let dot = zip(row, expected).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            let a = row.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let b = expected.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
            return dot / (a * b)
        }.min() ?? 0
    }
}
