import AugProReader
import AugProRecords
import AugProTestSupport
import Foundation
import Testing

/// One bad-row fixture: its options and, per bad line, the reason the documentation promises.
struct BadRowCase: Sendable, CustomTestStringConvertible {
    var file: String
    var text: String
    var label: String
    var id: String?
    var maxLineBytes = 1 << 20
    /// Lines that precede a bad line in a fail-mode file (header and/or one good row).
    var prelude: [Int]
    /// The lines that hold good rows.
    var goodLines: [Int]
    var expected: [(line: Int, reason: String)]

    var testDescription: String { file }

    func options(path: String, onError: ReaderOptions.OnError, rejects: URL? = nil) -> ReaderOptions {
        ReaderOptions(
            path: path, text: text, label: label, id: id, onError: onError, maxLineBytes: maxLineBytes,
            rejectsURL: rejects)
    }

    static let all: [BadRowCase] = [
        BadRowCase(
            file: "bad.tsv", text: "sentence", label: "label", id: "id", maxLineBytes: 200, prelude: [1, 2], goodLines: [2, 13],
            expected: [
                (3, "expected 3 tab-separated columns (as in the header), found 4"),
                (4, "expected 3 tab-separated columns (as in the header), found 2"),
                (5, "invalid UTF-8 in column 'sentence'"),
                (6, "empty text in column 'sentence'"),
                (7, "text in column 'sentence' is only whitespace"),
                (8, "label 'positive' in column 'label' is not a non-negative integer (give labels: to map label names to ids)"),
                (9, "label '-1' in column 'label' is not a non-negative integer (give labels: to map label names to ids)"),
                (10, "duplicate id 1 in column 'id'"),
                (11, "column 'id' is not an int64: 'abc'"),
                (12, "line is longer than max_line_bytes (200 bytes)"),
            ]),
        BadRowCase(
            file: "bad.jsonl", text: "text", label: "label", prelude: [1], goodLines: [1, 12],
            expected: [
                (2, "invalid JSON: expected a value but the line ended"),
                (3, "invalid JSON: expected an object '{' at column 1"),
                (4, "missing field 'text'"),
                (5, "field 'text' must be a string, found a number"),
                (6, "label '1.5' in field 'label' is not a non-negative integer (give labels: to map label names to ids)"),
                (7, "field 'label' must be a string or an integer, found null"),
                (8, "duplicate key 'text'"),
                (9, "invalid UTF-8 at byte 11 of the line (JSON text must be UTF-8)"),
                (10, "invalid JSON: unexpected text after the object at column 27"),
                (11, "invalid JSON: lone surrogate \\u escape at column 22"),
            ]),
        BadRowCase(
            file: "bad.csv", text: "text", label: "label", prelude: [1, 2], goodLines: [2, 5, 7],
            expected: [
                (3, "unexpected character after the closing quote of field 1 (a quote inside a quoted field must be doubled)"),
                (4, "expected 2 comma-separated columns (as in the header), found 3"),
                (6, "unterminated quote: the quoted field opened on this line is not closed before the end of the file"),
            ]),
    ]
}

/// Each kind of bad row, in `fail` mode (an error `FILE:LINE: reason`) and in `skip` mode
/// (rejects.jsonl entries, counts, and the good rows still read).
@Suite("Reader bad rows")
struct ReaderBadRowTests {
    static func lines(of file: String) throws -> [Data] {
        let data = try Data(contentsOf: TestEnvironment.fixture("reader/\(file)"))
        return data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { Data($0) }
    }

    @Test("fail mode stops at the first bad row with FILE:LINE: reason", arguments: BadRowCase.all)
    func failMode(bad: BadRowCase) async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = try Self.lines(of: bad.file)
        for (line, reason) in bad.expected {
            let url = directory.appendingPathComponent("line\(line)." + (bad.file as NSString).pathExtension)
            var content = Data()
            for number in bad.prelude { content += lines[number - 1] + Data("\n".utf8) }
            content += lines[line - 1] + Data("\n".utf8)
            try content.write(to: url)
            let badLine = bad.prelude.count + 1
            for chunkSize in [3, 1 << 20] {
                let error = try await #require(throws: ReaderError.self) {
                    _ = try await ReaderHarness.read(bad.options(path: url.path, onError: .fail), chunkSize: chunkSize)
                }
                #expect(error.description == "\(url.path):\(badLine): \(reason)", "chunk \(chunkSize)")
            }
        }
    }

    @Test("skip mode writes every bad row to rejects.jsonl and keeps the good ones", arguments: BadRowCase.all)
    func skipMode(bad: BadRowCase) async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = TestEnvironment.fixture("reader/\(bad.file)").path
        let rejects = directory.appendingPathComponent("rejects.jsonl")
        for chunkSize in [1, 5, 1 << 20] {
            let run = try await ReaderHarness.read(bad.options(path: path, onError: .skip, rejects: rejects), chunkSize: chunkSize)
            let entries = try ReaderHarness.rejects(at: rejects)
            #expect(entries.map(\.line) == bad.expected.map(\.line), "chunk \(chunkSize)")
            #expect(entries.map(\.reason) == bad.expected.map(\.reason), "chunk \(chunkSize)")
            #expect(run.rejected == bad.expected.count)
            let lines = try Self.lines(of: bad.file)
            for entry in entries where !entry.reason.contains("max_line_bytes") && !entry.reason.contains("unterminated") {
                let original = String(decoding: lines[entry.line - 1], as: UTF8.self)
                #expect(original.hasPrefix(entry.raw.replacingOccurrences(of: "\r", with: "")), "raw of line \(entry.line)")
            }
            #expect(run.records.map(\.line) == bad.goodLines, "chunk \(chunkSize)")
            try FileManager.default.removeItem(at: rejects)
        }
    }

    @Test("an overlong reject keeps only the first bytes of the line")
    func overlongRaw() async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("long.tsv")
        let long = String(repeating: "x", count: 5000)
        try Data("text\n\(long)\nshort\n".utf8).write(to: url)
        let rejects = directory.appendingPathComponent("rejects.jsonl")
        let options = ReaderOptions(path: url.path, text: "text", onError: .skip, maxLineBytes: 1000, rejectsURL: rejects)
        for chunkSize in [7, 100, 1 << 20] {
            let run = try await ReaderHarness.read(options, chunkSize: chunkSize)
            #expect(run.records.map(\.text) == ["short"])
            #expect(run.records.map(\.line) == [3])
            #expect(run.records.map(\.id) == [1])
            let entries = try ReaderHarness.rejects(at: rejects)
            #expect(entries.map(\.line) == [2])
            #expect(entries.first?.raw == String(repeating: "x", count: 256))
        }
    }

    @Test("randomly corrupted corpora never crash, keep line order, and fail with FILE:LINE", arguments: ["tsv", "csv", "jsonl"])
    func corruption(format: String) async throws {
        let directory = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clean = directory.appendingPathComponent("clean.\(format)")
        _ = try TestEnvironment.runPython(
            TestEnvironment.fixture("reader/scripts/random_corpus.py"), arguments: [format, "200", "9", clean.path])
        let original = try [UInt8](Data(contentsOf: clean))
        let specials: [UInt8] = Array("\"\\,\t\n\r{}[]:u0".utf8) + [0xFF, 0xC3, 0xE2, 0x00]
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for round in 0..<20 {
            var bytes = original
            for _ in 0..<40 {
                let position = 20 + Int(next() % UInt64(bytes.count - 20))
                bytes[position] = specials[Int(next() % UInt64(specials.count))]
            }
            let url = directory.appendingPathComponent("corrupt\(round).\(format)")
            try Data(bytes).write(to: url)
            let options = ReaderOptions(
                path: url.path, text: "text", textPair: "pair", label: "label",
                labels: format == "csv" ? ["negative", "neutral", "positive"] : nil, id: "id",
                onError: .skip, maxLineBytes: 400)
            for chunkSize in [5, 1 << 20] {
                let run = try await ReaderHarness.read(options, chunkSize: chunkSize)
                let lines = run.records.map(\.line)
                #expect(lines == lines.sorted() && Set(lines).count == lines.count)
                #expect(run.records.count + (run.rejected ?? 0) > 150, "round \(round)")
                var failing = options
                failing.onError = .fail
                do {
                    _ = try await ReaderHarness.read(failing, chunkSize: chunkSize)
                } catch let error as ReaderError {
                    #expect(error.description.hasPrefix("\(url.path):"))
                }
            }
        }
    }

    @Test("skip mode without a rejects file still counts")
    func skipWithoutFile() async throws {
        let path = TestEnvironment.fixture("reader/bad.csv").path
        let run = try await ReaderHarness.read(ReaderOptions(path: path, text: "text", label: "label", onError: .skip))
        #expect(run.rejected == 3)
        #expect(run.records.map(\.text) == ["fine", "ok again", "next line"])
        #expect(run.records.map(\.id) == [0, 3, 5])
    }
}
