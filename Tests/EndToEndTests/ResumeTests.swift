import AugProTestSupport
import Foundation
import Testing

@Suite("augpro run --resume: interrupted runs finish byte-identical", .serialized)
struct CLIResumeTests {
    let folder: URL

    init() throws {
        folder = try TestEnvironment.temporaryDirectory("augpro-resume")
    }

    /// A make_corpus.py corpus; with `badEvery`, a row without its label column after every
    /// `badEvery` rows (rejected in `on_error: skip` mode, so resumes must regenerate rejects.jsonl).
    func corpus(rows: Int, name: String = "train.tsv", badEvery: Int? = nil) throws -> URL {
        let url = folder.appendingPathComponent(name)
        _ = try TestEnvironment.runPython(
            TestEnvironment.fixture("scripts/make_corpus.py"), arguments: ["--rows", String(rows), "--seed", "9", url.path])
        if let badEvery {
            let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            let mixed = lines.enumerated().flatMap { index, line -> [String] in
                index > 0 && index % badEvery == 0 ? [String(line), "a row without its label column"] : [String(line)]
            }
            try mixed.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        }
        return url
    }

    func model() throws -> URL {
        try #require(TestEnvironment.modelDirectory, "the all-MiniLM-L6-v2 folder is missing: run `make models` (make test installs it)")
    }

    /// reader → tokenizer → interpolator → projector (→ teacher) → writer, small and with tiny shards.
    func mixPipeline(teacher: Bool) throws -> String {
        let model = try model().path
        let cache = TestEnvironment.packageRoot.appendingPathComponent(".cache/augpro").path
        return """
            version: 1
            seed: 11
            batch_size: 8
            stages:
              - reader: {path: train.tsv, text: sentence, label: label, on_error: skip}
              - tokenizer: {vocab: \(model), max_length: \(teacher ? 16 : 24), workers: 2}
              - interpolator: {method: mixup, per_example: 1, window: \(teacher ? 8 : 16), lambda: {beta: 0.4}, granularity: \(teacher ? "token" : "example")}
              - projector: {embeddings: \(model), metric: l2, cache: \(cache), workers: 2}
            \(teacher ? "  - teacher: {kind: embedded, model: \(model), outputs: [embedding], batch_size: 4, threads: 1}\n" : "")\
              - writer: {path: out, compression: zstd:3, shard_size: \(teacher ? "4KB" : "1KB"), hashes: [sha1, xxh64]}
            """
    }

    func rawPipeline(shardSize: String = "1KB", compression: String = "zstd:3") -> String {
        """
        version: 1
        seed: 1
        batch_size: 50
        stages:
          - reader: {path: train.tsv, text: sentence, label: label}
          - writer: {path: out, compression: \(compression), shard_size: \(shardSize), hashes: [sha1]}
        """
    }

    /// Runs `job` uninterrupted into `name` and returns its file hashes (report.json aside).
    func reference(_ job: URL, into name: String) throws -> [String: String] {
        let result = try ResumeCLI.run(["run", job.path, "--output", folder.appendingPathComponent(name).path, "--progress", "none"])
        try #require(result.status == 0, "\(result.stderrText)")
        return try fileHashes(folder.appendingPathComponent(name))
    }

    func report(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("\(name)/report.json"))) as! [String: Any]
    }

    /// Leaves an unfinished run in `name`: the fault hook stops it right after shard `shard` is renamed.
    func unfinishedRun(_ job: URL, into name: String, shard: Int) throws {
        let result = try ResumeCLI.run(
            ["run", job.path, "--output", folder.appendingPathComponent(name).path, "--progress", "none"],
            environment: ["AUGPRO_FAULT_AFTER_SHARD_RENAME": String(shard)])
        try #require(result.status == 86, "expected the fault hook's exit: \(result.stderrText)")
    }

    /// Runs `job` into `folder` through `interruptions`, resumes it to the end, and compares every
    /// file with the uninterrupted run's `expected` hashes.
    func interruptAndCompare(
        _ job: URL, into folder: URL, interruptions: [Interruption], moments: inout SeededMoments,
        expected: [String: String]
    ) throws {
        let (final, interrupted) = try ResumeCLI.runWithInterruptions(
            job: job, folder: folder, interruptions: interruptions, moments: &moments)
        #expect(interrupted == interruptions.count, "every interruption stopped a run: \(interruptions)")
        #expect(final.status == 0, "\(final.stderrText)")
        #expect(try fileHashes(folder) == expected, "interruptions: \(interruptions)")
    }

    @Test("mixup job: 5 SIGKILLs, a crash between shard rename and checkpoint update, SIGTERM and SIGINT, then identical bytes")
    func killAndResumeMixup() throws {
        _ = try corpus(rows: 240, badEvery: 29)
        let job = try writePipeline(try mixPipeline(teacher: false), in: folder)
        let expected = try reference(job, into: "reference")
        #expect(expected["rejects.jsonl"] != nil, "the bad rows are rejected")
        let shards = expected.keys.filter { $0.hasPrefix("shard.") }.count
        #expect(shards > 40, "the job should write many shards")
        var moments = SeededMoments(seed: 2026)
        let interruptions: [Interruption] = (0..<8).map { position in
            let more = 1 + moments.below(6)
            switch position {
            case 2: return .faultAfterShardRename(moreShards: more)
            case 4: return .signal(SIGTERM, moreShards: more)
            case 6: return .signal(SIGINT, moreShards: more)
            default: return .signal(SIGKILL, moreShards: more)
            }
        }
        let resumed = folder.appendingPathComponent("resumed")
        try interruptAndCompare(job, into: resumed, interruptions: interruptions, moments: &moments, expected: expected)
        let resume = try #require(try report("resumed")["resume"] as? [String: Any])
        #expect(resume["resumed"] as? Bool == true)
        #expect((resume["examples_resumed_over"] as? Int ?? 0) > 0)
        #expect((resume["examples_resumed_over"] as? Int ?? 1) % 16 == 0, "restarts at a window boundary")
        let verify = try ResumeCLI.run(["verify", resumed.path])
        #expect(verify.status == 0, "\(verify.stderrText)")
        #expect(verify.stdoutText.contains("checkpoint finished"))
    }

    @Test("mixup + MiniLM teacher job: a SIGKILL and the rename/checkpoint crash, then identical bytes")
    func killAndResumeWithTeacher() throws {
        _ = try corpus(rows: 48)
        let job = try writePipeline(try mixPipeline(teacher: true), in: folder)
        let expected = try reference(job, into: "reference")
        let shards = expected.keys.filter { $0.hasPrefix("shard.") }.count
        #expect(shards > 20, "the job should write many shards")
        #expect(try report("reference")["samples_out"] as? Int ?? 0 > 80, "augmentations reach the teacher")
        var moments = SeededMoments(seed: 7)
        let interruptions: [Interruption] = [
            .signal(SIGKILL, moreShards: 1 + moments.below(8)), .faultAfterShardRename(moreShards: 1 + moments.below(8)),
        ]
        let resumed = folder.appendingPathComponent("resumed")
        try interruptAndCompare(job, into: resumed, interruptions: interruptions, moments: &moments, expected: expected)
    }

    @Test("a checkpoint is refused without --resume, a changed config lists its keys, output-neutral settings resume")
    func changedConfig() throws {
        _ = try corpus(rows: 1500)
        let job = try writePipeline(rawPipeline(), in: folder)
        let expected = try reference(job, into: "reference")
        try unfinishedRun(job, into: "out", shard: 5)
        let out = folder.appendingPathComponent("out").path

        let plain = try ResumeCLI.run(["run", job.path, "--output", out, "--progress", "none"])
        #expect(plain.status == 1)
        #expect(plain.stderrText.contains("--resume") && plain.stderrText.contains("--overwrite"), "\(plain.stderrText)")
        let verify = try ResumeCLI.run(["verify", out])
        #expect(verify.status == 1)
        #expect(verify.stderrText.contains("unfinished run"), "\(verify.stderrText)")

        let changed = try ResumeCLI.run(
            ["run", job.path, "--output", out, "--resume", "--progress", "none", "--set", "seed=12", "--set", "stages.writer.shard_size=2KB"])
        #expect(changed.status == 1)
        #expect(changed.stderrText.contains("seed: 1 → 12"), "\(changed.stderrText)")
        #expect(changed.stderrText.contains("stages[1].writer.shard_size: 1024 → 2048"), "\(changed.stderrText)")
        #expect(changed.stderrText.contains("--overwrite"))

        let neutral = try ResumeCLI.run(["run", job.path, "--output", out, "--resume", "--progress", "none", "--set", "channel_capacity=2"])
        #expect(neutral.status == 0, "\(neutral.stderrText)")
        #expect(try fileHashes(URL(fileURLWithPath: out)) == expected)
        let again = try ResumeCLI.run(["run", job.path, "--output", out, "--resume", "--progress", "none"])
        #expect(again.status == 0 && again.stdoutText.contains("already complete"), "\(again.stderrText)")
    }

    @Test("a changed input is refused naming what changed; --overwrite starts over")
    func changedInput() throws {
        let input = try corpus(rows: 1500)
        let job = try writePipeline(rawPipeline(), in: folder)
        try unfinishedRun(job, into: "out", shard: 3)
        let handle = try FileHandle(forWritingTo: input)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("one more review\t1\n".utf8))
        try handle.close()
        let out = folder.appendingPathComponent("out").path
        let refused = try ResumeCLI.run(["run", job.path, "--output", out, "--resume", "--progress", "none"])
        #expect(refused.status == 1)
        #expect(refused.stderrText.contains("input.bytes"), "\(refused.stderrText)")
        #expect(refused.stderrText.contains("input.tail_sha256"))
        let restarted = try ResumeCLI.run(["run", job.path, "--output", out, "--overwrite", "--progress", "none"])
        #expect(restarted.status == 0, "\(restarted.stderrText)")
        #expect(restarted.stdoutText.contains("1501 examples in"))
        #expect(try ResumeCLI.run(["verify", out]).status == 0)
    }

    @Test("a corrupted committed shard is detected on resume and by verify")
    func corruptedShard() throws {
        _ = try corpus(rows: 1500)
        let job = try writePipeline(rawPipeline(), in: folder)
        try unfinishedRun(job, into: "out", shard: 6)
        let shard = folder.appendingPathComponent("out/shard.00002.mds.zstd")
        var bytes = [UInt8](try Data(contentsOf: shard))
        bytes[bytes.count / 2] ^= 0x20
        try Data(bytes).write(to: shard)
        let out = folder.appendingPathComponent("out").path
        let resumed = try ResumeCLI.run(["run", job.path, "--output", out, "--resume", "--progress", "none"])
        #expect(resumed.status == 1)
        #expect(resumed.stderrText.contains("shard.00002.mds.zstd") && resumed.stderrText.contains("corrupted"), "\(resumed.stderrText)")
        let verify = try ResumeCLI.run(["verify", out])
        #expect(verify.status == 1)
        #expect(verify.stderrText.contains("shard.00002.mds.zstd"), "\(verify.stderrText)")
    }

    @Test("regenerated rows are checked against the committed ones: a vocabulary edited in place is caught")
    func regeneratedRowsChecked() throws {
        _ = try corpus(rows: 1500)
        let vocab = folder.appendingPathComponent("vocab.txt")
        try FileManager.default.copyItem(at: try model().appendingPathComponent("vocab.txt"), to: vocab)
        let job = try writePipeline("""
            version: 1
            batch_size: 64
            stages:
              - reader: {path: train.tsv, text: sentence, label: label}
              - tokenizer: {vocab: vocab.txt, max_length: 32}
              - writer: {path: out, compression: zstd:3, shard_size: 1KB, hashes: [sha1]}
            """, in: folder)
        try unfinishedRun(job, into: "out", shard: 9)
        let checkpoint = try JSONSerialization.jsonObject(
            with: Data(contentsOf: folder.appendingPathComponent("out/checkpoint.json"))) as! [String: Any]
        let restart = try #require(checkpoint["restart"] as? [String: Any])
        try #require((restart["skip"] as? Int ?? 0) > 0, "the restart point must regenerate committed rows: \(restart)")
        var lines = try String(contentsOf: vocab, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let the = try #require(lines.firstIndex(of: "the"))
        let film = try #require(lines.firstIndex(of: "film"))
        lines.swapAt(the, film)
        try lines.joined(separator: "\n").write(to: vocab, atomically: true, encoding: .utf8)
        let resumed = try ResumeCLI.run(
            ["run", job.path, "--output", folder.appendingPathComponent("out").path, "--resume", "--progress", "none"])
        #expect(resumed.status == 1)
        #expect(resumed.stderrText.contains("differs from the committed one"), "\(resumed.stderrText)")
    }

    @Test("a full disk (small tmpfs) and then a read-only one fail naming the cause, leaving the committed part resumable")
    func fullDisk() throws {
        _ = try corpus(rows: 2000)
        let job = try writePipeline(rawPipeline(shardSize: "8KB", compression: "none"), in: folder)
        let expected = try reference(job, into: "reference")
        let mountPoint = folder.appendingPathComponent("small-disk")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        let mount = try TestEnvironment.runCapturing(
            URL(fileURLWithPath: "/bin/mount"), arguments: ["-t", "tmpfs", "-o", "size=96k", "tmpfs", mountPoint.path])
        guard mount.status == 0 else {
            print("skipping the ENOSPC test: cannot mount a small tmpfs here (\(mount.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)))")
            return
        }
        defer { _ = try? TestEnvironment.runCapturing(URL(fileURLWithPath: "/bin/umount"), arguments: [mountPoint.path]) }
        let out = mountPoint.appendingPathComponent("out").path
        let full = try ResumeCLI.run(["run", job.path, "--output", out, "--progress", "none"])
        #expect(full.status == 1)
        #expect(full.stderrText.contains("No space left on device"), "\(full.stderrText)")
        #expect(full.stderrText.contains("--resume"))
        let names = try FileManager.default.contentsOfDirectory(atPath: out)
        #expect(names.contains("checkpoint.json"))
        #expect(names.contains("shard.00000.mds"), "some shards were committed before the disk filled: \(names)")
        #expect(!names.contains { $0.hasPrefix(".tmp-") }, "temporary files left: \(names)")

        let readOnly = try TestEnvironment.runCapturing(
            URL(fileURLWithPath: "/bin/mount"), arguments: ["-o", "remount,ro", mountPoint.path])
        try #require(readOnly.status == 0, "\(readOnly.stderrText)")
        let unwritable = try ResumeCLI.run(["run", job.path, "--output", out, "--resume", "--progress", "none"])
        #expect(unwritable.status == 1)
        #expect(unwritable.stderrText.contains("Read-only file system"), "\(unwritable.stderrText)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == names.sorted(), "a refused run changes nothing")

        let remount = try TestEnvironment.runCapturing(
            URL(fileURLWithPath: "/bin/mount"), arguments: ["-o", "remount,rw,size=8m", mountPoint.path])
        try #require(remount.status == 0, "\(remount.stderrText)")
        let resumed = try ResumeCLI.run(["run", job.path, "--output", out, "--resume", "--progress", "none"])
        #expect(resumed.status == 0, "\(resumed.stderrText)")
        #expect(try fileHashes(URL(fileURLWithPath: out)) == expected)
    }
}
