import AugProTestSupport
import Foundation
import Testing

@Suite("augpro run, end to end", .serialized)
struct RunCommandTests {
    let folder: URL

    init() throws {
        folder = try TestEnvironment.temporaryDirectory("augpro-e2e")
    }

    func corpus(rows: Int, name: String = "train.tsv") throws -> URL {
        let url = folder.appendingPathComponent(name)
        _ = try TestEnvironment.runPython(
            TestEnvironment.fixture("scripts/make_corpus.py"), arguments: ["--rows", String(rows), "--seed", "5", url.path])
        return url
    }

    func rawTextPipeline(input: String, output: String, shardSize: String = "64KB", extra: String = "") -> String {
        """
        version: 1
        seed: 1
        batch_size: 100
        stages:
          - reader: {path: \(input), text: sentence, label: label\(extra)}
          - writer: {path: \(output), compression: zstd:3, shard_size: \(shardSize), hashes: [sha1, xxh64]}
        """
    }

    @Test("reader → writer writes raw text an independent reader decodes, byte-identical on rerun")
    func rawTextRoundTrip() throws {
        _ = try corpus(rows: 3000)
        let job = try writePipeline(rawTextPipeline(input: "train.tsv", output: "out"), in: folder)
        let first = try CLI.run(["run", job.path, "--progress", "none"])
        #expect(first.status == 0, "\(first.stderrText)")
        #expect(first.stdoutText.contains("3000 examples in, 3000 samples out"))
        let out = folder.appendingPathComponent("out")
        let samples = try decodeWithPython(out)
        #expect(samples.count == 3000)
        let lines = try String(contentsOf: folder.appendingPathComponent("train.tsv"), encoding: .utf8)
            .split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        for (index, sample) in samples.enumerated() {
            #expect(sample["id"] as? Int == index)
            #expect(sample["text"] as? String == String(lines[index][0]))
            #expect(sample["label"] as? Int == Int(lines[index][1]))
        }
        let hashes = try fileHashes(out)
        #expect(hashes.keys.filter { $0.hasPrefix("shard.") }.count > 1, "expected several shards at 64KB")
        let verify = try CLI.run(["verify", out.path])
        #expect(verify.status == 0, "\(verify.stderrText)")

        let refused = try CLI.run(["run", job.path, "--progress", "none"])
        #expect(refused.status != 0)
        #expect(refused.stderrText.contains("--overwrite"))
        let second = try CLI.run(["run", job.path, "--progress", "none", "--overwrite"])
        #expect(second.status == 0, "\(second.stderrText)")
        #expect(try fileHashes(out) == hashes)
    }

    @Test("config errors exit non-zero with one line naming file, line and column")
    func configError() throws {
        _ = try corpus(rows: 10)
        let job = try writePipeline(
            rawTextPipeline(input: "train.tsv", output: "out").replacingOccurrences(of: "zstd:3", with: "zstd:99"),
            in: folder)
        let result = try CLI.run(["run", job.path])
        #expect(result.status == 1)
        let lines = result.stderrText.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("job.yaml:6:") == true)
        #expect(lines.first?.contains("stages[1].writer.compression: expected zstd:N with N in 1...22") == true)
    }

    @Test("a stage that cannot take the previous one's output is refused at load time")
    func stageMismatch() throws {
        _ = try corpus(rows: 10)
        let yaml = """
            version: 1
            stages:
              - reader: {path: train.tsv, text: sentence}
              - teacher: {model: \(TestEnvironment.modelDirectory?.path ?? "/missing"), outputs: [embedding]}
              - writer: {path: out}
            """
        let job = try writePipeline(yaml, in: folder)
        let result = try CLI.run(["validate", job.path])
        #expect(result.status == 1)
        #expect(result.stderrText.contains("stages[1].teacher expects token sequences"), "\(result.stderrText)")
        #expect(result.stderrText.contains("produces raw text records"))
    }

    @Test("a tokenizer longer than the teacher's positions is refused at load time")
    func teacherPositions() throws {
        _ = try corpus(rows: 10)
        let model = try #require(TestEnvironment.modelDirectory, "the model folder is missing: run make models")
        let yaml = """
            version: 1
            stages:
              - reader: {path: train.tsv, text: sentence}
              - tokenizer: {vocab: \(model.path), max_length: 600}
              - teacher: {model: \(model.path), outputs: [embedding]}
              - writer: {path: out}
            """
        let job = try writePipeline(yaml, in: folder)
        let result = try CLI.run(["validate", job.path])
        #expect(result.status == 1)
        #expect(result.stderrText.contains("job.yaml:5:5: stages[2].teacher: the tokenizer's max_length 600 exceeds the teacher's max_position_embeddings 512"), "\(result.stderrText)")
    }

    @Test("validate prints the resolved chain")
    func validate() throws {
        _ = try corpus(rows: 10)
        let job = try writePipeline(rawTextPipeline(input: "train.tsv", output: "out"), in: folder)
        let result = try CLI.run(["validate", job.path])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("reader → raw text records"))
        #expect(result.stdoutText.contains("writer → MDS shards in"))
    }

    @Test("bad rows: fail stops with file:line, skip writes rejects.jsonl and counts them")
    func badRows() throws {
        let input = folder.appendingPathComponent("bad.tsv")
        try "sentence\tlabel\ngood one\t1\nno label here\n\t0\nanother good\t0\n".write(to: input, atomically: true, encoding: .utf8)
        let failing = try writePipeline(rawTextPipeline(input: "bad.tsv", output: "out-fail"), in: folder, name: "fail.yaml")
        let failed = try CLI.run(["run", failing.path, "--progress", "none"])
        #expect(failed.status == 1)
        #expect(failed.stderrText.contains("bad.tsv:3:"), "\(failed.stderrText)")
        let skipping = try writePipeline(
            rawTextPipeline(input: "bad.tsv", output: "out-skip", extra: ", on_error: skip"), in: folder, name: "skip.yaml")
        let skipped = try CLI.run(["run", skipping.path, "--progress", "none"])
        #expect(skipped.status == 0, "\(skipped.stderrText)")
        #expect(skipped.stdoutText.contains("2 rejected"))
        let rejects = try String(contentsOf: folder.appendingPathComponent("out-skip/rejects.jsonl"), encoding: .utf8)
        #expect(rejects.split(separator: "\n").count == 2)
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("out-skip/report.json"))) as! [String: Any]
        #expect(report["rejected"] as? Int == 2)
        #expect(try decodeWithPython(folder.appendingPathComponent("out-skip")).count == 2)
    }

    @Test("SIGTERM mid-run exits 143 and leaves no partial file under a final name")
    func sigterm() throws {
        _ = try corpus(rows: 400_000, name: "big.tsv")
        let job = try writePipeline(rawTextPipeline(input: "big.tsv", output: "out", shardSize: "256KB"), in: folder)
        let (process, errURL) = try CLI.start(["run", job.path, "--progress", "none"])
        let out = folder.appendingPathComponent("out")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let shards = (try? FileManager.default.contentsOfDirectory(atPath: out.path))?.filter { $0.hasPrefix("shard.") } ?? []
            if shards.count >= 2 { break }
            usleep(20_000)
        }
        process.terminate()
        process.waitUntilExit()
        let stderr = try String(contentsOf: errURL, encoding: .utf8)
        #expect(process.terminationStatus == 143, "\(stderr)")
        #expect(stderr.contains("SIGTERM"))
        let names = try FileManager.default.contentsOfDirectory(atPath: out.path)
        #expect(!names.contains("index.json"), "an interrupted run must not look finished")
        #expect(!names.contains { $0.hasPrefix(".tmp") }, "temporary files left: \(names)")
        let check = """
            import os, sys, zstandard
            d = sys.argv[1]
            for n in sorted(os.listdir(d)):
                if n.startswith('shard.'):
                    zstandard.ZstdDecompressor().decompress(open(os.path.join(d, n), 'rb').read())
            print('ok')
            """
        let script = folder.appendingPathComponent("check.py")
        try check.write(to: script, atomically: true, encoding: .utf8)
        #expect(String(decoding: try TestEnvironment.runPython(script, arguments: [out.path]), as: UTF8.self) == "ok\n")
    }
}
