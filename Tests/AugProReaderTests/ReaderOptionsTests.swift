import AugProReader
import AugProRecords
import AugProRuntime
import AugProTestSupport
import Foundation
import Testing

/// Load-time errors, label mapping, ids, and early stop.
@Suite("Reader options and load-time errors")
struct ReaderOptionsTests {
    static func write(_ text: String, name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    @Test("a column named in the options but missing from the header fails at load time")
    func missingColumn() async throws {
        let path = TestEnvironment.fixture("reader/sst2_sample.tsv").path
        let options = ReaderOptions(path: path, text: "sentence", label: "gold")
        let stage = try ReaderStage(options: options)
        let error = try #require(throws: ReaderError.self) { try stage.checkInput() }
        #expect(error.description == "\(path): label column 'gold' is not among the columns (sentence, label)")
        await #expect(throws: ReaderError.self) { _ = try await ReaderHarness.read(options) }
    }

    @Test("file-level problems name the file")
    func fileErrors() throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let missing = directory.appendingPathComponent("nope.tsv").path
        let openError = try #require(throws: ReaderError.self) {
            try ReaderStage(options: ReaderOptions(path: missing, text: "t")).checkInput()
        }
        #expect(openError.description.hasPrefix("\(missing): cannot open:"))

        let empty = try Self.write("", name: "empty.csv", in: directory)
        let emptyError = try #require(throws: ReaderError.self) {
            try ReaderStage(options: ReaderOptions(path: empty, text: "t")).checkInput()
        }
        #expect(emptyError.description == "\(empty): the file is empty; expected a header row")

        let twice = try Self.write("t\tt\nx\ty\n", name: "twice.tsv", in: directory)
        let twiceError = try #require(throws: ReaderError.self) {
            try ReaderStage(options: ReaderOptions(path: twice, text: "t")).checkInput()
        }
        #expect(twiceError.description == "\(twice): the header row has more than one column named 't'")

        let notZstd = try Self.write("text\nhello\n", name: "plain.tsv.zst", in: directory)
        let zstdError = try #require(throws: ReaderError.self) {
            try ReaderStage(options: ReaderOptions(path: notZstd, text: "text")).checkInput()
        }
        #expect(zstdError.description.hasPrefix("\(notZstd): zstd: decompression failed:"))
    }

    @Test("inconsistent options are rejected before reading")
    func invalidOptions() throws {
        let cola = TestEnvironment.fixture("reader/cola_sample.tsv").path
        #expect(throws: ReaderError.self) { try ReaderStage(options: ReaderOptions(path: "a.tsv", text: "t", labels: ["a"])) }
        #expect(throws: ReaderError.self) { try ReaderStage(options: ReaderOptions(path: "a.tsv", text: "t", label: "l", labels: [])) }
        #expect(throws: ReaderError.self) { try ReaderStage(options: ReaderOptions(path: "a.tsv", text: "t", label: "l", labels: ["x", "x"])) }
        #expect(throws: ReaderError.self) { try ReaderStage(options: ReaderOptions(path: "a.tsv", text: "t", label: "t")) }
        #expect(throws: ReaderError.self) { try ReaderStage(options: ReaderOptions(path: "a.tsv", text: "t", maxLineBytes: 0)) }
        #expect(throws: ReaderError.self) { try ReaderStage(options: ReaderOptions(path: "a.txt", text: "t")) }
        #expect(throws: ReaderError.self) { try ReaderStage(options: ReaderOptions(path: "a.jsonl", columns: ["t"], text: "t")) }
        #expect(throws: ReaderError.self) { try ReaderStage(options: ReaderOptions(path: "a.tsv", columns: [], text: "t")) }
        let missing = try #require(throws: ReaderError.self) {
            try ReaderStage(options: ReaderOptions(path: cola, columns: ["a", "b"], text: "t")).checkInput()
        }
        #expect(missing.description == "\(cola): text column 't' is not among the columns (a, b)")
    }

    @Test("labels: maps label names to ids in list order; unknown names are bad rows")
    func labelMapping() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.write(
            "{\"t\": \"a\", \"y\": \"entailment\"}\n{\"t\": \"b\", \"y\": \"contradiction\"}\n{\"t\": \"c\", \"y\": \"neutral\"}\n{\"t\": \"d\", \"y\": \"maybe\"}\n",
            name: "mnli.jsonl", in: directory)
        let labels = ["entailment", "neutral", "contradiction"]
        var options = ReaderOptions(path: path, text: "t", label: "y", labels: labels)
        let error = try await #require(throws: ReaderError.self) { _ = try await ReaderHarness.read(options) }
        #expect(error.description == "\(path):4: unknown label 'maybe' in field 'y' (labels: entailment, neutral, contradiction)")
        options.onError = .skip
        let run = try await ReaderHarness.read(options)
        #expect(run.records.map(\.label) == [0, 2, 1])
        #expect(run.records.map(\.id) == [0, 1, 2])
    }

    @Test("the id column gives the ids; without it ids are data-row indexes that skipped rows keep")
    func ids() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.write("idx,text\n70,a\n-3,\n9223372036854775807,c\n\n5,e\n", name: "ids.csv", in: directory)
        let withIds = try await ReaderHarness.read(ReaderOptions(path: path, text: "text", id: "idx", onError: .skip))
        #expect(withIds.records.map(\.id) == [70, Int64.max, 5])
        #expect(withIds.records.map(\.line) == [2, 4, 6])
        let byRow = try await ReaderHarness.read(ReaderOptions(path: path, text: "text", onError: .skip))
        #expect(byRow.records.map(\.id) == [0, 2, 3])
        #expect(byRow.blankLines == 1)
        #expect(byRow.records.allSatisfy { $0.label == -1 && $0.textPair == nil })
    }

    @Test("a stop request ends the stream early, as a failure rather than an end of input")
    func stop() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let rows = (0..<1000).map { "row \($0)" }.joined(separator: "\n")
        let path = try Self.write("text\n" + rows + "\n", name: "many.tsv", in: directory)
        let reader = try ReaderStage(options: ReaderOptions(path: path, text: "text"))
        let sink = CollectingSink()
        let pipeline = try Pipeline(nodes: [PipelineNode(source: reader), PipelineNode(sink)], channelCapacity: 1)
        let context = StageContext(seed: 0, batchSize: 10)
        context.requestStop()
        await #expect(throws: StageFailure.self) { _ = try await pipeline.run(context: context) }
        #expect(sink.records.isEmpty)
        #expect(reader.reportDetails()["read"] == .int(0))
    }
}
