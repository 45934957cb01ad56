import AugProRecords
import AugProRemoteTeacher
import AugProRuntime
import AugProTeacher
import AugProTestSupport
import Foundation
import Testing

/// Models, samples and comparisons shared by the remote-teacher tests.
enum RemoteFixtures {
    /// The tiny classifier's sizes (fixtures/teacher/make_tiny_bert.py).
    static let tinyVocabulary = 120
    static let tinyPositions = 40

    /// A fresh tiny BertForSequenceClassification folder (seeded, so every run makes the same one).
    static func tinyClassifier() throws -> URL {
        let folder = try TestEnvironment.temporaryDirectory("augpro-remote-tiny")
        _ = try TestEnvironment.runPython(TestEnvironment.fixture("teacher/make_tiny_bert.py"), arguments: [folder.path])
        return folder
    }

    static func miniLM() throws -> URL {
        try #require(TestEnvironment.modelDirectory, "the all-MiniLM-L6-v2 model folder is missing: run `make venv`")
    }

    /// Deterministic mixed-length samples for the tiny model; pairs get token type 1.
    static func randomSamples(count: Int, seed: UInt64, firstId: Int64 = 0) -> [TokenSample] {
        var random = SeededRandom(seed: seed)
        return (0..<count).map { index in
            let length = 1 + random.below(tinyPositions)
            let ids = (0..<length).map { _ in Int32(random.below(tinyVocabulary)) }
            let split = index % 2 == 0 ? length : random.below(length)
            return TokenSample(
                id: firstId + Int64(index), inputIds: ids, tokenTypeIds: (0..<length).map { UInt8($0 >= split ? 1 : 0) },
                label: -1)
        }
    }

    /// HF-tokenized real sentences (fixtures/teacher/sentences.tsv) as samples.
    static func sentenceSamples(model: URL) throws -> [TokenSample] {
        let data = try TestEnvironment.runPython(
            TestEnvironment.fixture("teacher/bert_reference.py"),
            arguments: ["tokenize", model.path, TestEnvironment.fixture("teacher/sentences.tsv").path, "128"])
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let sequences = try #require(json["sequences"] as? [[String: [Int]]])
        return sequences.enumerated().map { index, entry in
            TokenSample(
                id: Int64(index), inputIds: (entry["input_ids"] ?? []).map(Int32.init),
                tokenTypeIds: (entry["token_type_ids"] ?? []).map(UInt8.init), label: -1)
        }
    }

    /// The embedded teacher's targets for the same samples (the reference the remote must match).
    static func embedded(_ folder: URL, outputs: Set<TeacherOutput>, topK: Int? = nil, _ samples: [TokenSample]) throws -> [TeacherTargets] {
        let transform = try TeacherTransform(options: TeacherOptions(modelPath: folder, outputs: outputs, topK: topK, batchSize: 16))
        return try transform.transform(samples, context: context).map { try #require($0.teacher) }
    }

    static let context = StageContext(seed: 1, batchSize: 64)

    /// The largest absolute difference between matching rows (rows must match in number and width).
    static func maxDifference(_ ours: [[Float]?], _ reference: [[Float]?]) -> Float {
        #expect(ours.count == reference.count)
        var largest: Float = 0
        for (row, expected) in zip(ours, reference) {
            guard let row, let expected, row.count == expected.count else {
                Issue.record("row missing or of another width")
                return .infinity
            }
            for (a, b) in zip(row, expected) { largest = max(largest, abs(a - b)) }
        }
        return largest
    }
}
