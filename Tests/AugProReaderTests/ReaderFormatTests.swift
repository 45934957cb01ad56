import AugProReader
import AugProRecords
import AugProTestSupport
import Foundation
import Testing

/// One fixture and the options to read it with.
struct FixtureCase: Sendable, CustomTestStringConvertible {
    var file: String
    var columns: [String]?
    var text: String
    var textPair: String?
    var label: String?
    var labels: [String]?
    var id: String?
    var maxLineBytes = 1 << 20

    var testDescription: String { file }

    func options(path: String, rejects: URL) -> ReaderOptions {
        ReaderOptions(
            path: path, columns: columns, text: text, textPair: textPair, label: label, labels: labels, id: id,
            onError: .skip, maxLineBytes: maxLineBytes, rejectsURL: rejects)
    }

    static let all: [FixtureCase] = [
        FixtureCase(file: "sst2_sample.tsv", text: "sentence", label: "label"),
        FixtureCase(file: "mrpc_sample.tsv", text: "#1 String", textPair: "#2 String", label: "Quality"),
        FixtureCase(file: "qqp_sample.tsv", text: "question1", textPair: "question2", label: "is_duplicate", id: "id"),
        FixtureCase(
            file: "cola_sample.tsv", columns: ["source", "label", "original_label", "sentence"], text: "sentence",
            label: "label"),
        FixtureCase(file: "quoted.csv", text: "text", label: "label", labels: ["negative", "positive"]),
        FixtureCase(file: "records.jsonl", text: "text", label: "label", id: "id"),
        FixtureCase(file: "bad.tsv", text: "sentence", label: "label", id: "id", maxLineBytes: 200),
        FixtureCase(file: "bad.jsonl", text: "text", label: "label"),
    ]
}

/// Every format, plain and zstd-compressed, at chunk sizes down to one byte (so records straddle
/// chunks), against the Python csv/json reference.
@Suite("Reader formats vs the Python reference")
struct ReaderFormatTests {
    @Test("records, rejected lines and blank lines match the reference", arguments: FixtureCase.all)
    func matchesReference(fixture: FixtureCase) async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = TestEnvironment.fixture("reader/\(fixture.file)")
        let zst = try ReaderHarness.compressed(plain, into: directory)
        let rejects = directory.appendingPathComponent("rejects.jsonl")
        let plainOptions = fixture.options(path: plain.path, rejects: rejects)
        let expected = try ReaderHarness.reference(plainOptions, format: try plainOptions.resolvedFormat())
        #expect(!expected.records.isEmpty)
        for path in [plain.path, zst.path] {
            for chunkSize in [1, 2, 7, 64, 1 << 20] {
                try? FileManager.default.removeItem(at: rejects)
                let options = fixture.options(path: path, rejects: rejects)
                let run = try await ReaderHarness.read(options, chunkSize: chunkSize, batchSize: 2)
                let label = "\(path) chunk \(chunkSize)"
                #expect(run.records == expected.records, "\(label)")
                #expect(run.rejected == expected.rejectedLines.count, "\(label)")
                #expect(run.blankLines == expected.blankLines, "\(label)")
                let rejectedLines = expected.rejectedLines.isEmpty ? [] : try ReaderHarness.rejects(at: rejects).map(\.line)
                #expect(rejectedLines == expected.rejectedLines, "\(label)")
                #expect(FileManager.default.fileExists(atPath: rejects.path) == !expected.rejectedLines.isEmpty, "\(label)")
                #expect(run.progress.examplesRead == expected.records.count)
                let fileSize = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
                #expect(run.progress.totalBytes == fileSize)
                #expect(run.progress.bytesRead == fileSize)
            }
        }
    }

    @Test("a generated GLUE-style corpus (make_corpus.py) reads like the reference, across 1 KiB chunks")
    func generatedCorpus() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = directory.appendingPathComponent("corpus.tsv")
        _ = try TestEnvironment.runPython(
            TestEnvironment.fixture("scripts/make_corpus.py"), arguments: ["--rows", "3000", "--seed", "5", corpus.path])
        let zst = try ReaderHarness.compressed(corpus, into: directory, mode: "stream")
        let options = ReaderOptions(path: corpus.path, text: "sentence", label: "label")
        let expected = try ReaderHarness.reference(options, format: .tsv)
        #expect(expected.records.count == 3000)
        for path in [corpus.path, zst.path] {
            var zstOptions = options
            zstOptions.path = path
            let run = try await ReaderHarness.read(zstOptions, chunkSize: 1000, batchSize: 64)
            #expect(run.records == expected.records)
        }
    }

    @Test("randomized awkward corpora (quotes, newlines, escapes, blank lines) match the reference",
          arguments: [ReaderOptions.Format.tsv, .csv, .jsonl])
    func randomized(format: ReaderOptions.Format) async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let script = TestEnvironment.fixture("reader/scripts/random_corpus.py")
        for seed in 1...3 {
            let corpus = directory.appendingPathComponent("random\(seed).\(format.rawValue)")
            _ = try TestEnvironment.runPython(script, arguments: [format.rawValue, "400", String(seed), corpus.path])
            let options = ReaderOptions(
                path: corpus.path, text: "text", textPair: "pair", label: "label",
                labels: format == .csv ? ["negative", "neutral", "positive"] : nil, id: "id", onError: .skip)
            let expected = try ReaderHarness.reference(options, format: format)
            #expect(expected.records.count > 300)
            for chunkSize in [1, 3, 17, 4096] {
                let run = try await ReaderHarness.read(options, chunkSize: chunkSize, batchSize: 16)
                #expect(run.records == expected.records, "seed \(seed) chunk \(chunkSize)")
                #expect(run.rejected == expected.rejectedLines.count, "seed \(seed) chunk \(chunkSize)")
                #expect(run.blankLines == expected.blankLines, "seed \(seed) chunk \(chunkSize)")
            }
        }
    }

    @Test("the format comes from the extension unless format: says")
    func formatResolution() throws {
        func format(_ path: String, _ given: ReaderOptions.Format? = nil) throws -> ReaderOptions.Format {
            try ReaderOptions(path: path, format: given, text: "t").resolvedFormat()
        }
        #expect(try format("a/b.tsv") == .tsv)
        #expect(try format("b.CSV") == .csv)
        #expect(try format("b.jsonl.zst") == .jsonl)
        #expect(try format("b.json") == .jsonl)
        #expect(try format("b.tsv.zst") == .tsv)
        #expect(try format("b.txt", .tsv) == .tsv)
        #expect(ReaderOptions(path: "x.csv.zst", text: "t").isCompressed)
        #expect(!ReaderOptions(path: "x.csv", text: "t").isCompressed)
        let error = try #require(throws: ReaderError.self) { try format("data/train.txt") }
        #expect(error.description.hasPrefix("data/train.txt: cannot tell the format"))
    }
}
