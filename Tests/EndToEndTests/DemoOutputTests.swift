import AugProTestSupport
import Foundation
import Testing

/// `make demo`'s job (pipelines/quickstart.yaml) run by the built CLI, its output decoded by the
/// independent Python MDS reader.
@Suite("quickstart output", .serialized)
struct DemoOutputTests {
    /// The longest run of one token at the end of `words` (the word pieces before the final [SEP]).
    static func trailingRun(_ words: [Int]) -> (token: Int, length: Int)? {
        guard let last = words.last else { return nil }
        return (last, words.reversed().prefix { $0 == last }.count)
    }

    @Test("no augmentation ends in a run of one repeated token that neither source contains; columns a trainer takes")
    func quickstartAugmentationsHaveNoJunkTails() throws {
        guard TestEnvironment.modelDirectory != nil else {
            print("SKIPPED quickstart output test: .models/all-MiniLM-L6-v2 is missing (run `make deps`)")
            return
        }
        let output = try TestEnvironment.temporaryDirectory("augpro-quickstart").appendingPathComponent("out")
        let pipeline = TestEnvironment.packageRoot.appendingPathComponent("pipelines/quickstart.yaml")
        let result = try CLI.run(["run", pipeline.path, "--output", output.path, "--progress", "none"])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("planned mixes"), "summary: \(result.stdoutText)")
        let samples = try decodeWithPython(output)
        var originals: [Int: [Int]] = [:]
        for sample in samples where sample["kind"] as? String == "original" {
            originals[sample["id"] as! Int] = sample["input_ids"] as? [Int]
        }
        let mixes = samples.filter { $0["kind"] as? String == "augpro-mix" }
        #expect(mixes.count > 100)
        var tails = 0
        for mix in mixes {
            let ids = try #require(mix["input_ids"] as? [Int])
            let a = try #require(originals[mix["source_a"] as! Int])
            let b = try #require(originals[mix["source_b"] as! Int])
            guard let run = Self.trailingRun(Array(ids.dropFirst().dropLast())), run.length >= 2 else { continue }
            if !a.contains(run.token) && !b.contains(run.token) {
                tails += 1
                Issue.record("sample \(mix["sample_id"] ?? "?") ends in \(run.length)× token \(run.token), in neither source: \(ids)")
            }
        }
        #expect(tails == 0)
        // Every sample has a unique ordinal key, its length and its augmentation index.
        let ids = samples.compactMap { $0["sample_id"] as? Int }
        #expect(ids.count == samples.count && Set(ids).count == ids.count && ids == ids.sorted(), "sample_id unique and increasing")
        for sample in samples {
            #expect((sample["length"] as? Int) == (sample["input_ids"] as? [Int])?.count)
            let isOriginal = sample["kind"] as? String == "original"
            #expect(((sample["aug_index"] as? Int) ?? -2 >= 0) != isOriginal)
            if isOriginal { #expect(sample["source_a"] as? Int == sample["id"] as? Int) }
        }
        let index = try JSONSerialization.jsonObject(
            with: Data(contentsOf: output.appendingPathComponent("index.json"))) as! [String: Any]
        let shard = (index["shards"] as! [[String: Any]])[0]
        let encodings = Dictionary(uniqueKeysWithValues: zip(
            shard["column_names"] as! [String], shard["column_encodings"] as! [String]))
        #expect(encodings["token_type_ids"] == "ndarray:int32")
        // report.json: the yield adds up and matches the dataset.
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: output.appendingPathComponent("report.json"))) as! [String: Any]
        let projector = try #require(Self.stageDetails(report, "projector"))
        let yield = try #require(projector["yield"] as? [String: Any])
        let planned = try #require(yield["mixes_planned"] as? Int)
        let kept = try #require(yield["kept"] as? Int)
        #expect(kept == mixes.count)
        #expect(planned == kept + (yield["duplicates_of_source"] as! Int) + (yield["duplicates_of_earlier_augmentation"] as! Int))
        let histogram = try #require(yield["changed_positions"] as? [String: Int])
        #expect(histogram.values.reduce(0, +) == kept)
        print("quickstart yield: \(yield); ended by [PAD]: \(projector["positions_ended_by_pad"] ?? "?")")
    }

    /// A stage's details in report.json (`stages`: [{stage, details, …}]).
    static func stageDetails(_ report: [String: Any], _ name: String) -> [String: Any]? {
        let stages = report["stages"] as? [[String: Any]] ?? []
        return stages.first { $0["stage"] as? String == name }?["details"] as? [String: Any]
    }
}
