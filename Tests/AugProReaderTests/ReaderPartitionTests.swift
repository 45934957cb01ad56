import AugProReader
import AugProRecords
import AugProTestSupport
import Foundation
import Testing

/// Workers reading their part of the input through a ``PartitionIndex``: the parts, concatenated,
/// are exactly the Python reference's reading of the whole file (ids, lines, ordinals, rejects).
@Suite("Reader partitions vs the Python reference")
struct ReaderPartitionTests {
    /// Splits `records` ordinals into `parts` contiguous ranges whose starts are multiples of `stride`.
    static func split(records: Int64, stride: Int64, parts: Int) -> [Range<Int64>] {
        let granules = (records + stride - 1) / stride
        return (0..<Int64(parts)).map { part in
            let lower = min(records, granules * part / Int64(parts) * stride)
            let upper = part == Int64(parts) - 1 ? records : min(records, granules * (part + 1) / Int64(parts) * stride)
            return lower..<upper
        }
    }

    @Test("parts concatenate to the whole file", arguments: FixtureCase.all)
    func partsConcatenate(fixture: FixtureCase) async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = TestEnvironment.fixture("reader/\(fixture.file)")
        let zst = try ReaderHarness.compressed(plain, into: directory)
        let reference = fixture.options(path: plain.path, rejects: directory.appendingPathComponent("unused"))
        let expected = try ReaderHarness.reference(reference, format: try reference.resolvedFormat())
        for path in [plain.path, zst.path] {
            for stride: Int64 in [1, 2, 3] {
                let options = fixture.options(path: path, rejects: directory.appendingPathComponent("index-rejects"))
                let index = try PartitionIndex.build(options: options, stride: stride)
                #expect(index.records == Int64(expected.records.count))
                #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("index-rejects").path),
                        "building the index writes no rejects")
                for parts in [1, 2, 3, 5] {
                    var records: [TextRecord] = []
                    var rejectedLines: [Int] = []
                    for (part, ordinals) in Self.split(records: index.records, stride: stride, parts: parts).enumerated() {
                        let rejects = directory.appendingPathComponent("rejects-\(path.hasSuffix(".zst"))-\(stride)-\(parts)-\(part).jsonl")
                        let options = fixture.options(path: path, rejects: rejects)
                        let reader = try ReaderStage(options: options, chunkSize: 7, range: index.range(ordinals: ordinals))
                        let run = try await ReaderHarness.read(reader, batchSize: 2)
                        records += run.records
                        if FileManager.default.fileExists(atPath: rejects.path) {
                            rejectedLines += try ReaderHarness.rejects(at: rejects).map(\.line)
                        }
                    }
                    let label = "\(path) stride \(stride) parts \(parts)"
                    #expect(records == expected.records, "\(label)")
                    #expect(rejectedLines == expected.rejectedLines, "\(label)")
                }
            }
        }
    }

    @Test("an index made for another file state or other options is not used")
    func staleIndexIsIgnored() throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("data.tsv")
        try Data("sentence\tlabel\na\t0\nb\t1\nc\t0\n".utf8).write(to: file)
        let options = ReaderOptions(path: file.path, text: "sentence", label: "label")
        let indexURL = directory.appendingPathComponent("index.json")
        let index = try PartitionIndex.build(options: options, stride: 2)
        try index.save(to: indexURL)
        #expect(try PartitionIndex.load(from: indexURL, matching: options) == index)
        var other = options
        other.label = nil
        #expect(try PartitionIndex.load(from: indexURL, matching: other) == nil)
        try Data("sentence\tlabel\na\t0\nb\t1\nc\t0\nd\t1\n".utf8).write(to: file)
        #expect(try PartitionIndex.load(from: indexURL, matching: options) == nil)
    }
}
