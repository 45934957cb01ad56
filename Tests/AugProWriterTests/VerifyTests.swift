import AugProNumerics
import AugProRuntime
import AugProTestSupport
import AugProWriter
import Foundation
import Testing

/// `verify()` finds damaged datasets; the writer stage commits only whole files.
@Suite struct VerifyTests {
    static func writeDataset(compression: ShardCompression) throws -> URL {
        let directory = try TestEnvironment.temporaryDirectory("mds-verify")
        let rows = (0..<400).map { IDTextRow(id: Int64($0), text: "row \($0) of the dataset being verified") }
        try MDSTest.write(rows, encoder: IDTextEncoder(), to: directory, compression: compression, shardSize: 4000, hashes: [.sha1, .xxh64])
        return directory
    }

    /// Rewrites index.json through Python (`json.dumps(sort_keys=True)`), after `edit` (Python code on `index`).
    static func editIndex(_ directory: URL, _ edit: String) throws {
        let script = try TestEnvironment.temporaryDirectory("mds-edit").appendingPathComponent("edit.py")
        try """
            import hashlib, json, sys
            path = sys.argv[1] + "/index.json"
            index = json.load(open(path))
            \(edit)
            open(path, "w").write(json.dumps(index, sort_keys=True))
            """.write(to: script, atomically: true, encoding: .utf8)
        _ = try TestEnvironment.runPython(script, arguments: [directory.path])
    }

    @Test(arguments: [ShardCompression.none, .zstd(level: 3)])
    func aSoundDatasetHasNoProblems(compression: ShardCompression) throws {
        let directory = try Self.writeDataset(compression: compression)
        #expect(MDSDatasetReader.verify(path: directory.path) == [])
    }

    @Test(arguments: [ShardCompression.none, .zstd(level: 3)])
    func aFlippedByteIsAHashMismatch(compression: ShardCompression) throws {
        let directory = try Self.writeDataset(compression: compression)
        let name = try MDSTest.files(directory)[2]
        let url = directory.appendingPathComponent(name)
        var bytes = try [UInt8](Data(contentsOf: url))
        bytes[bytes.count / 2] ^= 0x10
        try Data(bytes).write(to: url)
        let problems = MDSDatasetReader.verify(path: directory.path)
        #expect(problems.contains { $0.file == name && $0.message.hasPrefix("sha1 is ") })
        #expect(problems.contains { $0.file == name && $0.message.hasPrefix("xxh64 is ") })
        #expect(problems.allSatisfy { $0.file == name })
        #expect(throws: MDSFileError.self) { try MDSDatasetReader(path: directory.path).forEachSample { _ in } }
        let python = try MDSTest.pythonReaderResult(directory)
        #expect(python.status != 0 && python.stderrText.contains("sha1"))
    }

    @Test func missingAndExtraFiles() throws {
        let directory = try Self.writeDataset(compression: .zstd(level: 3))
        let files = try MDSTest.files(directory)
        try FileManager.default.removeItem(at: directory.appendingPathComponent(files[1]))
        try Data("x".utf8).write(to: directory.appendingPathComponent("stray.bin"))
        try Data("{}".utf8).write(to: directory.appendingPathComponent("report.json"))
        let problems = MDSDatasetReader.verify(path: directory.path, allowedExtraFiles: ["report.json"])
        #expect(problems == [
            MDSProblem(file: files[1], message: "missing (listed in index.json)"),
            MDSProblem(file: "stray.bin", message: "extra file not listed in index.json"),
        ])
        #expect(MDSDatasetReader.verify(path: directory.appendingPathComponent("nowhere").path).first?.file == "index.json")
    }

    @Test func aWrongSampleCountIsReported() throws {
        let directory = try Self.writeDataset(compression: .none)
        try Self.editIndex(directory, "index['shards'][1]['samples'] += 1")
        let problems = MDSDatasetReader.verify(path: directory.path)
        #expect(problems.count == 1)
        #expect(problems.first?.file == "shard.00001.mds")
        #expect(problems.first?.message.contains("index.json says") == true)
    }

    @Test func anUndecodableSampleIsReported() throws {
        let directory = try Self.writeDataset(compression: .none)
        let url = directory.appendingPathComponent("shard.00000.mds")
        var bytes = try [UInt8](Data(contentsOf: url))
        let target = Array("row 0 of".utf8)
        let at = try #require((0..<(bytes.count - target.count)).first { bytes[$0..<($0 + target.count)].elementsEqual(target) })
        bytes[at] = 0xFF
        try Data(bytes).write(to: url)
        try Self.editIndex(directory, """
            data = open(sys.argv[1] + "/shard.00000.mds", "rb").read()
            index['shards'][0]['raw_data']['hashes']['sha1'] = hashlib.sha1(data).hexdigest()
            import xxhash; index['shards'][0]['raw_data']['hashes']['xxh64'] = xxhash.xxh64(data).hexdigest()
            """)
        let problems = MDSDatasetReader.verify(path: directory.path)
        #expect(problems == [MDSProblem(
            file: "shard.00000.mds", message: "sample 0 does not decode: column text: a str value is not valid UTF-8")])
    }

    /// Emits batches of rows, then either ends, fails, or keeps going until cancelled.
    struct RowSource: SourceStage {
        enum Ending: Sendable { case finish, fail, runUntilCancelled }
        struct Failure: Error {}
        let name = "source"
        let batches: Int
        let ending: Ending

        func run(output: StageOutput<IDTextRow>, context: StageContext) async throws {
            var batch = 0
            while batch < batches || ending == .runUntilCancelled {
                try await output.send((0..<50).map { IDTextRow(id: Int64(batch * 50 + $0), text: "text \(batch) \($0)") })
                batch += 1
                try Task.checkCancellation()
                await Task.yield()
            }
            if ending == .fail { throw Failure() }
        }
    }

    static func runPipeline(_ source: RowSource, directory: URL, cancelAfterShards: Int? = nil) async throws -> (WriterStage<IDTextRow>, Result<[StageReport], any Error>) {
        let committed = Collected<Int>()
        let writer = WriterStage(
            options: try WriterOptions(path: directory.path, compression: .zstd(level: 1), shardSize: 2000),
            encoder: IDTextEncoder()) { committed.append($0.index) }
        let pipeline = try Pipeline(nodes: [PipelineNode(source: source), PipelineNode(writer)], channelCapacity: 2)
        let task = Task { try await pipeline.run(context: StageContext(seed: 1, batchSize: 50)) }
        if let cancelAfterShards {
            while committed.values.count < cancelAfterShards { try await Task.sleep(for: .milliseconds(2)) }
            task.cancel()
        }
        let result: Result<[StageReport], any Error>
        do {
            result = .success(try await task.value)
        } catch {
            result = .failure(error)
        }
        return (writer, result)
    }

    /// After a stopped run: no index, no temporary file, and every shard file is a complete,
    /// committed one (its hash is the one the commit recorded).
    static func expectOnlyCommittedShards(_ directory: URL, _ writer: WriterStage<IDTextRow>) throws {
        let files = try MDSTest.files(directory)
        let commits = writer.summary.shards
        #expect(files == commits.map(\.basename))
        for commit in commits {
            let data = try [UInt8](Data(contentsOf: directory.appendingPathComponent(commit.basename)))
            #expect(DigestAlgorithm.sha1.hexDigest(of: data) == commit.zipHashes?["sha1"])
        }
    }

    @Test func theStageWritesTheIndexAtTheEndOfInput() async throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-stage")
        let (writer, result) = try await Self.runPipeline(RowSource(batches: 20, ending: .finish), directory: directory)
        let reports = try result.get()
        #expect(reports.last?.details["samples"] == .int(1000))
        #expect(reports.last?.details["shards"] == .int(writer.summary.shards.count))
        #expect(MDSDatasetReader.verify(path: directory.path) == [])
        #expect(try MDSTest.pythonSamples(directory).map { MDSTest.int($0["id"]) } == (0..<1000).map { Int64($0) })
    }

    @Test func anUpstreamFailureLeavesNoPartialFile() async throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-stage-fail")
        let (writer, result) = try await Self.runPipeline(RowSource(batches: 15, ending: .fail), directory: directory)
        #expect(throws: (any Error).self) { try result.get() }
        #expect(writer.summary.shards.count > 1)
        try Self.expectOnlyCommittedShards(directory, writer)
    }

    @Test func cancellationLeavesNoPartialFile() async throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-stage-cancel")
        let (writer, result) = try await Self.runPipeline(
            RowSource(batches: 0, ending: .runUntilCancelled), directory: directory, cancelAfterShards: 3)
        #expect(throws: (any Error).self) { try result.get() }
        #expect(writer.summary.shards.count >= 3)
        try Self.expectOnlyCommittedShards(directory, writer)
    }

    @Test func abandoningRemovesTheTemporaryFile() throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-abandon")
        let writer = try MDSDatasetWriter(
            options: WriterOptions(path: directory.path, compression: .none, shardSize: 500), schema: IDTextEncoder().schema)
        for id in 0..<20 { try writer.write { try IDTextEncoder().encode(IDTextRow(id: Int64(id), text: "abc"), into: &$0) } }
        // As if a crash had left a half-written next shard behind.
        let next = String(format: ".tmp-shard.%05d.mds", writer.committed.count)
        try Data("partial".utf8).write(to: directory.appendingPathComponent(next))
        writer.abandon()
        #expect(try MDSTest.files(directory) == writer.committed.map(\.basename))
        #expect(throws: MDSWriterError.finished) { try writer.finish() }
    }
}

/// Resuming from the commits of an interrupted run gives the same files as an uninterrupted run.
@Suite struct ResumeTests {
    static let rows = (0..<500).map { IDTextRow(id: Int64($0), text: String(repeating: "r", count: $0 % 37)) }

    static func options(_ directory: URL) throws -> WriterOptions {
        try WriterOptions(path: directory.path, compression: .zstd(level: 3), shardSize: 3000, hashes: [.sha1, .sha256])
    }

    static func snapshot(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try MDSTest.files(directory) { files[name] = try Data(contentsOf: directory.appendingPathComponent(name)) }
        return files
    }

    @Test func resumingMatchesAnUninterruptedRun() throws {
        let whole = try TestEnvironment.temporaryDirectory("mds-whole")
        try MDSTest.write(Self.rows, encoder: IDTextEncoder(), to: whole, compression: .zstd(level: 3), shardSize: 3000, hashes: [.sha1, .sha256])

        let resumed = try TestEnvironment.temporaryDirectory("mds-resumed")
        let checkpoint = Collected<Data>()
        let first = try MDSDatasetWriter(options: Self.options(resumed), schema: IDTextEncoder().schema) { commit in
            checkpoint.append(try! JSONEncoder().encode(commit))
        }
        for row in Self.rows[..<317] { try first.write { try IDTextEncoder().encode(row, into: &$0) } }
        first.abandon()
        // A stray shard written after the checkpoint, as a crash between commit and checkpoint leaves.
        try Data("late".utf8).write(to: resumed.appendingPathComponent("shard.00099.mds.zstd"))
        let commits = try checkpoint.values.map { try JSONDecoder().decode(ShardCommit.self, from: $0) }
        try #require(commits.count >= 3)

        let second = try MDSDatasetWriter(options: Self.options(resumed), schema: IDTextEncoder().schema, resuming: commits)
        for row in Self.rows[(commits.last!.lastRow + 1)...] { try second.write { try IDTextEncoder().encode(row, into: &$0) } }
        try second.finish()
        #expect(try Self.snapshot(resumed) == Self.snapshot(whole))
        #expect(MDSDatasetReader.verify(path: resumed.path) == [])
    }

    @Test func resumingChecksTheCommittedFiles() throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-resume-bad")
        let summary = try MDSTest.write(Self.rows, encoder: IDTextEncoder(), to: directory, compression: .zstd(level: 3), shardSize: 3000, hashes: [.sha1, .sha256])
        let commits = Array(summary.shards.prefix(2))
        let truncated = directory.appendingPathComponent(commits[1].basename)
        try Data(try Data(contentsOf: truncated).dropLast()).write(to: truncated)
        #expect(throws: MDSWriterError.self) {
            try MDSDatasetWriter(options: Self.options(directory), schema: IDTextEncoder().schema, resuming: commits)
        }
        var otherHashes = try Self.options(directory)
        otherHashes.hashes = [.xxh64]
        #expect(throws: MDSWriterError.self) {
            try MDSDatasetWriter(options: otherHashes, schema: IDTextEncoder().schema, resuming: Array(commits.prefix(1)))
        }
    }
}
