import AugProReader
import AugProRecords
import AugProTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Inputs that used to swallow a file or hang: unterminated CSV quotes of every shape and
/// position, quoted fields running past `max_line_bytes` or the end of the file, and inputs that
/// are not regular files.
@Suite("Reader hostile inputs")
struct ReaderHostileInputTests {
    static let damageScript = TestEnvironment.fixture("reader/scripts/quote_damage.py")
    static let variants = ["field-start", "second-field", "doubled-inside", "doubled-at-end", "quote-at-line-end", "after-text"]

    struct Damage: Sendable, CustomTestStringConvertible {
        var variant: String
        var position: String
        var newline: String
        var testDescription: String { "\(variant) \(position) \(newline)" }
    }

    static let damages: [Damage] = variants.flatMap { variant in
        [("first", "lf"), ("middle", "crlf"), ("last", "lf"), ("end", "crlf")].map { Damage(variant: variant, position: $0.0, newline: $0.1) }
    }

    /// In skip mode the damaged line alone is rejected, as an unterminated quote at its line, and
    /// every other record is read exactly as Python's csv module reads the undamaged file. In
    /// fail mode the run stops with `FILE:LINE: unterminated quote…`.
    @Test(arguments: damages)
    func anUnterminatedQuoteIsRejectedAloneAndReadingGoesOn(damage: Damage) async throws {
        let directory = try TestEnvironment.temporaryDirectory("quote-damage")
        defer { try? FileManager.default.removeItem(at: directory) }
        let clean = directory.appendingPathComponent("clean.csv")
        let damaged = directory.appendingPathComponent("damaged.csv")
        let output = try TestEnvironment.runPython(
            Self.damageScript, arguments: [damage.variant, damage.position, damage.newline, clean.path, damaged.path])
        let badLine = try #require((try JSONSerialization.jsonObject(with: output) as? [String: Any])?["bad_line"] as? Int)
        let expected = try ReaderHarness.reference(
            ReaderOptions(path: clean.path, text: "text", label: "label", id: "id"), format: .csv)
        #expect(expected.records.count == 120 && expected.rejectedLines.isEmpty)
        let rejects = directory.appendingPathComponent("rejects.jsonl")
        for chunkSize in [7, 1 << 20] {
            let options = ReaderOptions(
                path: damaged.path, text: "text", label: "label", id: "id", onError: .skip, maxLineBytes: 1 << 16,
                rejectsURL: rejects)
            let run = try await ReaderHarness.read(options, chunkSize: chunkSize)
            let entries = try ReaderHarness.rejects(at: rejects)
            #expect(entries.map(\.line) == [badLine], "chunk \(chunkSize)")
            #expect(entries.first?.reason.hasPrefix("unterminated quote") == true, "\(entries)")
            #expect(run.records.map(\.id) == expected.records.map(\.id), "chunk \(chunkSize)")
            #expect(run.records.map(\.text) == expected.records.map(\.text), "chunk \(chunkSize)")
            #expect(run.records.map(\.label) == expected.records.map(\.label), "chunk \(chunkSize)")
            #expect(run.records.map(\.line) == expected.records.map { $0.line >= badLine ? $0.line + 1 : $0.line })
            try FileManager.default.removeItem(at: rejects)

            var failing = options
            failing.onError = .fail
            let error = try await #require(throws: ReaderError.self) { _ = try await ReaderHarness.read(failing, chunkSize: chunkSize) }
            #expect(error.description.hasPrefix("\(damaged.path):\(badLine): unterminated quote"), "\(error)")
        }
    }

    /// A quote that never closes in a file with no other quote: it runs past `max_line_bytes`
    /// (or to the end of the file when that comes first); either way one reject, at its line.
    @Test(arguments: [(1000, "does not close within max_line_bytes (1000 bytes)"), (1 << 20, "is not closed before the end of the file")])
    func aQuoteRunningPastTheLimitOrTheEndIsOneReject(maxLineBytes: Int, reason: String) async throws {
        let directory = try TestEnvironment.temporaryDirectory("quote-long")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("long.csv")
        var text = "text,label\n" + (0..<5).map { "before \($0),1\n" }.joined() + "\"open,0\n"
        text += (0..<3000).map { "after \($0),\($0 % 3)\n" }.joined()
        try Data(text.utf8).write(to: url)
        let rejects = directory.appendingPathComponent("rejects.jsonl")
        for chunkSize in [64, 1 << 20] {
            let options = ReaderOptions(
                path: url.path, text: "text", label: "label", onError: .skip, maxLineBytes: maxLineBytes, rejectsURL: rejects)
            let run = try await ReaderHarness.read(options, chunkSize: chunkSize, batchSize: 500)
            let entries = try ReaderHarness.rejects(at: rejects)
            #expect(entries.map(\.line) == [7])
            #expect(entries.first?.reason.hasPrefix("unterminated quote: the quoted field opened on this line") == true)
            #expect(entries.first?.reason.hasSuffix(reason) == true, "\(entries.first?.reason ?? "")")
            #expect(entries.first?.raw == "\"open,0")
            #expect(run.records.count == 3005, "chunk \(chunkSize)")
            #expect(run.records.last?.text == "after 2999")
            #expect(run.records.map(\.line) == Array(2...6) + Array(8...3007))
            try FileManager.default.removeItem(at: rejects)
        }
    }

    /// A quoted field longer than `max_line_bytes` cannot be told from an unterminated quote: it
    /// is reported as one at its first line, and reading resumes on the next line.
    @Test func aQuotedFieldLongerThanTheLimitIsReportedAsUnterminated() async throws {
        let directory = try TestEnvironment.temporaryDirectory("quote-overlong")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("long.csv")
        let long = (0..<40).map { "line \($0) with \"\"quotes\"\"" }.joined(separator: "\n")
        try Data("text,label\nfirst,1\n\"\(long)\",0\nafter,1\n".utf8).write(to: url)
        let rejects = directory.appendingPathComponent("rejects.jsonl")
        let options = ReaderOptions(path: url.path, text: "text", label: "label", onError: .skip, maxLineBytes: 300, rejectsURL: rejects)
        for chunkSize in [1, 7, 100, 1 << 20] {
            let run = try await ReaderHarness.read(options, chunkSize: chunkSize)
            // The long field's other lines are read as rows of their own: one column (rejected),
            // and the last one, `line 39 with ""quotes""",0`, two columns (a row).
            #expect(run.records.map(\.text) == ["first", "line 39 with \"\"quotes\"\"\"", "after"], "chunk \(chunkSize)")
            #expect(run.records.map(\.line) == [2, 42, 43], "chunk \(chunkSize)")
            let entries = try ReaderHarness.rejects(at: rejects)
            #expect(entries.first?.line == 3)
            #expect(entries.first?.reason == "unterminated quote: the quoted field opened on this line does not close within max_line_bytes (300 bytes)")
            #expect(entries.first?.raw == "\"line 0 with \"\"quotes\"\"")
            #expect(entries.map(\.line) == Array(3...41), "chunk \(chunkSize)")
            #expect(entries.dropFirst().allSatisfy { $0.reason == "expected 2 comma-separated columns (as in the header), found 1" })
            try FileManager.default.removeItem(at: rejects)
        }
    }

    /// Whatever the damage, the records and rejects do not depend on how the file is cut into
    /// reads: corrupted files (quotes, commas, tabs, braces, newlines, CR) with a small
    /// `max_line_bytes`, read with chunks from 1 byte to the whole file.
    @Test(arguments: ["csv", "tsv", "jsonl"])
    func outcomesDoNotDependOnTheChunkSize(format: String) async throws {
        let directory = try TestEnvironment.temporaryDirectory("quote-chunks")
        defer { try? FileManager.default.removeItem(at: directory) }
        let clean = directory.appendingPathComponent("clean.\(format)")
        _ = try TestEnvironment.runPython(
            TestEnvironment.fixture("reader/scripts/random_corpus.py"), arguments: [format, "150", "4", clean.path])
        let original = try [UInt8](Data(contentsOf: clean))
        var numbers = SeededRandom(state: 99)
        let specials = Array("\"\"\",\n\r\t{}".utf8)
        for round in 0..<12 {
            var bytes = original
            for _ in 0..<25 { bytes[20 + numbers.below(bytes.count - 20)] = specials[numbers.below(specials.count)] }
            let url = directory.appendingPathComponent("damaged\(round).\(format)")
            try Data(bytes).write(to: url)
            let rejects = directory.appendingPathComponent("rejects\(round).jsonl")
            var outcomes: [String] = []
            for chunkSize in [1, 3, 64, 1 << 20] {
                let options = ReaderOptions(
                    path: url.path, text: "text", onError: .skip, maxLineBytes: 60 + 20 * (round % 4), rejectsURL: rejects)
                let run = try await ReaderHarness.read(options, chunkSize: chunkSize)
                let entries = (try? ReaderHarness.rejects(at: rejects)) ?? []
                try? FileManager.default.removeItem(at: rejects)
                outcomes.append("\(run.records.map { "\($0.line):\($0.id):\($0.text)" }) \(entries.map { "\($0.line):\($0.reason):\($0.raw)" })")
            }
            #expect(Set(outcomes).count == 1, "round \(round): \(outcomes.joined(separator: "\n---\n"))")
        }
    }

    /// Devices, FIFOs, `/dev/stdin` on a pipe and folders are refused at once with the file's
    /// name, by the input check and by the run (no spin on /dev/zero, no wait on a FIFO).
    @Test func aNonRegularInputIsRefusedAtOnce() async throws {
        let directory = try TestEnvironment.temporaryDirectory("reader-fifo")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("corpus.tsv").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let folder = directory.appendingPathComponent("folder.tsv").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        var pipeEnds: [Int32] = [0, 0]
        #expect(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[0]); close(pipeEnds[1]) }
        let cases: [(String, String)] = [
            ("/dev/zero", "a character device"), ("/dev/null", "a character device"), (fifo, "a FIFO or pipe"),
            ("/proc/self/fd/\(pipeEnds[0])", "a FIFO or pipe"), (folder, "a folder"),
        ]
        for (path, kind) in cases {
            let options = ReaderOptions(path: path, format: .tsv, text: "text")
            let expected = "\(path): the input is \(kind), not a regular file"
            let checked = try #require(throws: ReaderError.self) { try ReaderStage(options: options).checkInput() }
            #expect(checked.description.hasPrefix(expected), "\(checked)")
            let ran = try await #require(throws: ReaderError.self) { _ = try await ReaderHarness.read(options) }
            #expect(ran.description.hasPrefix(expected), "\(ran)")
        }
    }

    /// The same for a `.zst` name: the check comes before the zstd stream is opened.
    @Test func aNonRegularCompressedInputIsRefused() async throws {
        let directory = try TestEnvironment.temporaryDirectory("reader-fifo-zst")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("corpus.tsv.zst").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let options = ReaderOptions(path: fifo, text: "text")
        let error = try #require(throws: ReaderError.self) { try ReaderStage(options: options).checkInput() }
        #expect(error.description.hasPrefix("\(fifo): the input is a FIFO or pipe, not a regular file"))
    }
}
