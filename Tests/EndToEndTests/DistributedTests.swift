import AugProTestSupport
import Foundation
import Testing

/// `augpro run --worker I/N` + `augpro merge`: the merged dataset decodes (independent Python
/// reader) to exactly the samples of a one-machine run, in order, for N = 1, 2, 3; with
/// `partition_size` the shard files are byte-identical too. Also on a real local Ray cluster and
/// a real single-node Slurm.
@Suite("Many machines: workers and merge", .serialized)
struct DistributedTests {
    let folder: URL

    init() throws {
        folder = try TestEnvironment.temporaryDirectory("augpro-distributed")
        _ = try TestEnvironment.runPython(
            TestEnvironment.fixture("scripts/make_corpus.py"),
            arguments: ["--rows", "150", "--seed", "5", folder.appendingPathComponent("train.tsv").path])
    }

    func pipeline(partitionSize: Int?, name: String = "job.yaml", seed: Int = 3) throws -> URL {
        let model = try #require(TestEnvironment.modelDirectory, "the all-MiniLM-L6-v2 folder is missing: run `make models`").path
        let cache = TestEnvironment.packageRoot.appendingPathComponent(".cache/augpro").path
        return try writePipeline(
            """
            version: 1
            seed: \(seed)
            batch_size: 8
            \(partitionSize.map { "partition_size: \($0)" } ?? "")
            stages:
              - reader: {path: train.tsv, text: sentence, label: label}
              - tokenizer: {vocab: \(model), max_length: 16}
              - interpolator: {method: mixup, per_example: 1, window: 8, granularity: token}
              - projector: {embeddings: \(model), metric: l2, cache: \(cache)}
              - writer: {path: out, compression: zstd:3, shard_size: 2KB, hashes: [sha1]}
            """, in: folder, name: name)
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) throws -> TestEnvironment.ProcessResult {
        try TestEnvironment.runCapturing(CLI.executable, arguments: arguments + ["--progress", "none"], environment: environment.merging(["NO_COLOR": "1"]) { $1 })
    }

    /// Runs `job` on `workers` workers into `name` (one after another) and merges.
    func workers(_ job: URL, _ workers: Int, into name: String) throws -> URL {
        let output = folder.appendingPathComponent(name)
        for index in 0..<workers {
            let result = try run(["run", job.path, "--output", output.path, "--worker", "\(index)/\(workers)"])
            try #require(result.status == 0, "worker \(index)/\(workers): \(result.stderrText)")
        }
        let merged = try CLI.run(["merge", output.path])
        try #require(merged.status == 0, "merge: \(merged.stderrText)")
        let verified = try CLI.run(["verify", output.path])
        #expect(verified.status == 0, "verify: \(verified.stderrText)")
        return output
    }

    /// The sha256 of each shard file the dataset's index.json lists, in order.
    func shardHashes(_ dataset: URL) throws -> [String] {
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: dataset.appendingPathComponent("index.json"))) as! [String: Any]
        return try (index["shards"] as! [[String: Any]]).map { shard in
            let name = ((shard["zip_data"] as? [String: Any]) ?? (shard["raw_data"] as! [String: Any]))["basename"] as! String
            let hashes = try fileHashes(dataset.appendingPathComponent(name).deletingLastPathComponent(), excluding: [])
            return try #require(hashes[(name as NSString).lastPathComponent])
        }
    }

    func samples(_ dataset: URL) throws -> [String] {
        try decodeWithPython(dataset).map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: .sortedKeys), as: UTF8.self) }
    }

    @Test("merged parts = one machine, for N = 1, 2, 3; shards byte-identical with partition_size")
    func mergedPartsMatchOneMachine() throws {
        for partitionSize in [16, nil] as [Int?] {
            let job = try pipeline(partitionSize: partitionSize)
            let single = folder.appendingPathComponent("single-\(partitionSize ?? 0)")
            let result = try run(["run", job.path, "--output", single.path])
            try #require(result.status == 0, "\(result.stderrText)")
            let expected = try samples(single)
            #expect(expected.count > 150)
            for count in 1...3 {
                let merged = try workers(job, count, into: "workers-\(count)-\(partitionSize ?? 0)")
                #expect(try samples(merged) == expected, "N = \(count), partition_size \(partitionSize.map(String.init) ?? "unset")")
                if partitionSize != nil {
                    #expect(try shardHashes(merged) == shardHashes(single), "N = \(count): shard files differ")
                }
            }
        }
    }

    @Test("a worker killed after a shard and resumed leaves the merge identical")
    func killedWorkerResumes() throws {
        let job = try pipeline(partitionSize: 16)
        let reference = try workers(job, 2, into: "reference")
        let output = folder.appendingPathComponent("killed")
        #expect(try run(["run", job.path, "--output", output.path, "--worker", "0/2"]).status == 0)
        let killed = try run(["run", job.path, "--output", output.path, "--worker", "1/2"],
                             environment: ["AUGPRO_FAULT_AFTER_SHARD_RENAME": "1"])
        try #require(killed.status == 86, "expected the fault hook's exit: \(killed.stderrText)")
        let early = try CLI.run(["merge", output.path])
        #expect(early.status != 0 && early.stderrText.contains("has not finished"), "\(early.stderrText)")
        let wrongWorker = try run(["run", job.path, "--output", output.path, "--worker", "0/3", "--resume"])
        #expect(wrongWorker.status != 0, "a part's checkpoint is bound to its worker")
        let resumed = try run(["run", job.path, "--output", output.path, "--worker", "1/2", "--resume"])
        try #require(resumed.status == 0, "\(resumed.stderrText)")
        #expect(try CLI.run(["merge", output.path]).status == 0)
        #expect(try samples(output) == samples(reference))
        #expect(try shardHashes(output) == shardHashes(reference))
    }

    @Test("merge refuses missing workers, other settings and folders outside")
    func mergeRefusesBadParts() throws {
        let job = try pipeline(partitionSize: nil)
        let other = try pipeline(partitionSize: nil, name: "other.yaml", seed: 4)
        let output = folder.appendingPathComponent("bad")
        for index in [0, 2] {
            #expect(try run(["run", job.path, "--output", output.path, "--worker", "\(index)/3"]).status == 0)
        }
        let missing = try CLI.run(["merge", output.path])
        #expect(missing.status != 0 && missing.stderrText.contains("missing 1"), "\(missing.stderrText)")
        #expect(try run(["run", other.path, "--output", output.path, "--worker", "1/3"]).status == 0)
        let mixed = try CLI.run(["merge", output.path])
        #expect(mixed.status != 0 && mixed.stderrText.contains("seed"), "\(mixed.stderrText)")
        let outside = try CLI.run(["merge", output.path, folder.appendingPathComponent("single-0").path])
        #expect(outside.status != 0 && outside.stderrText.contains("inside"), "\(outside.stderrText)")
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("index.json").path))
    }

    @Test("the Ray example on a real local Ray cluster matches one machine")
    func rayCluster() throws {
        let python = TestEnvironment.packageRoot.appendingPathComponent(".venv-ray/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            print("SKIPPED (loudly): .venv-ray is missing — `make distributed-setup` (run by make test) installs Ray")
            return
        }
        let job = try pipeline(partitionSize: 16)
        let single = folder.appendingPathComponent("ray-single")
        #expect(try run(["run", job.path, "--output", single.path]).status == 0)
        let output = folder.appendingPathComponent("ray")
        let result = try TestEnvironment.runCapturing(
            python, arguments: [TestEnvironment.fixture("distributed/local_clusters.py").path, "ray", python.path,
                                CLI.executable.path, job.path, output.path, "2"])
        try #require(result.status == 0, "\(result.stderrText)")
        #expect(try samples(output) == samples(single))
        #expect(try shardHashes(output) == shardHashes(single))
    }

    @Test("the Slurm example on a real single-node Slurm matches one machine")
    func slurmCluster() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/slurmctld"), getuid() == 0 else {
            print("SKIPPED (loudly): slurmctld is not installed or not root — `make distributed-setup` installs slurm-wlm and munge")
            return
        }
        let job = try pipeline(partitionSize: 16)
        let single = folder.appendingPathComponent("slurm-single")
        #expect(try run(["run", job.path, "--output", single.path]).status == 0)
        let output = folder.appendingPathComponent("slurm")
        let result = try TestEnvironment.runCapturing(
            URL(fileURLWithPath: "/usr/bin/python3"),
            arguments: [TestEnvironment.fixture("distributed/local_clusters.py").path, "slurm", CLI.executable.path,
                        job.path, output.path, "3"])
        try #require(result.status == 0, "\(result.stderrText)")
        #expect(try samples(output) == samples(single))
        #expect(try shardHashes(output) == shardHashes(single))
    }
}
