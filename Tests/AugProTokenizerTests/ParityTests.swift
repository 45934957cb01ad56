import AugProTestSupport
import AugProTokenizer
import Foundation
import Testing

/// One parity configuration: which tokenizer file and flags, which corpus, how to truncate.
struct ParityCase: CustomStringConvertible, Sendable {
    enum Source: Sendable { case modelVocab, modelJSON, casedVocab, variantJSON }

    var source: Source
    var corpus: String
    var lowercase: Bool? = nil
    var stripAccents: Bool? = nil
    var chinese: Bool? = nil
    var pairs = false
    var maxLength = 128
    var truncation = TruncationStrategy.longestFirst
    var limit: Int? = nil
    var decode = false

    var description: String {
        var parts = ["\(source)", corpus]
        if let lowercase { parts.append("lowercase=\(lowercase)") }
        if let stripAccents { parts.append("strip_accents=\(stripAccents)") }
        if let chinese { parts.append("chinese=\(chinese)") }
        if pairs { parts.append("pairs") }
        parts.append("\(truncation.rawValue)@\(maxLength)")
        return parts.joined(separator: " ")
    }

    func path() throws -> String {
        switch source {
        case .modelVocab: return try Reference.modelDirectory().appendingPathComponent("vocab.txt").path
        case .modelJSON: return try Reference.modelDirectory().appendingPathComponent("tokenizer.json").path
        case .casedVocab: return TestEnvironment.fixture("tokenizer/cased-vocab.txt").path
        case .variantJSON: return try Self.variantJSON()
        }
    }

    /// The model's tokenizer.json with lstrip/rstrip special tokens and no decoder cleanup,
    /// written once per process (parameterized cases run concurrently).
    static let variantPath: Result<String, any Error> = Result {
        let destination = try TestEnvironment.temporaryDirectory("augpro-tok").appendingPathComponent("tokenizer.json")
        let source = try Reference.modelDirectory().appendingPathComponent("tokenizer.json").path
        _ = try TestEnvironment.runPython(
            TestEnvironment.fixture("tokenizer/make_variant_json.py"), arguments: [source, destination.path])
        return destination.path
    }

    static func variantJSON() throws -> String { try variantPath.get() }

    /// The flags as HF's BertWordPieceTokenizer receives them (the cased vocab defaults to cased).
    var effectiveLowercase: Bool? { lowercase ?? (source == .casedVocab ? false : nil) }

    func pythonArguments() throws -> [String] {
        let isJSON = source == .modelJSON || source == .variantJSON
        var arguments = [isJSON ? "--json" : "--vocab", try path(), "--corpus", corpus]
        if let lowercase = effectiveLowercase { arguments += ["--lowercase", lowercase ? "1" : "0"] }
        if let stripAccents { arguments += ["--strip-accents", stripAccents ? "1" : "0"] }
        if let chinese { arguments += ["--chinese", chinese ? "1" : "0"] }
        if pairs { arguments.append("--pairs") }
        if let limit { arguments += ["--limit", String(limit)] }
        if decode { arguments.append("--decode") }
        return arguments + ["--max-length", String(maxLength), "--truncation", truncation.rawValue]
    }

    func options() throws -> TokenizerOptions {
        TokenizerOptions(
            vocabPath: try path(), lowercase: effectiveLowercase, stripAccents: stripAccents,
            tokenizeChineseChars: chinese, maxLength: maxLength, truncation: truncation)
    }
}

@Suite("Parity with HF tokenizers")
struct ParityTests {
    static let cases: [ParityCase] = [
        // Real English text, 60,000 lines.
        ParityCase(source: .modelVocab, corpus: "english"),
        ParityCase(source: .modelJSON, corpus: "english", limit: 10_000, decode: true),
        ParityCase(source: .casedVocab, corpus: "english", limit: 10_000),
        ParityCase(source: .modelVocab, corpus: "english", pairs: true, limit: 10_000),
        ParityCase(source: .casedVocab, corpus: "english", pairs: true, limit: 6_000),
        // Truncation strategies.
        ParityCase(source: .modelJSON, corpus: "english", maxLength: 16, limit: 5_000),
        ParityCase(source: .modelJSON, corpus: "english", pairs: true, maxLength: 24, limit: 4_000),
        ParityCase(source: .modelJSON, corpus: "english", pairs: true, maxLength: 33, limit: 4_000),
        ParityCase(source: .modelVocab, corpus: "english", pairs: true, maxLength: 40, truncation: .onlyFirst, limit: 4_000),
        ParityCase(source: .modelVocab, corpus: "english", pairs: true, maxLength: 40, truncation: .onlySecond, limit: 4_000),
        ParityCase(source: .modelVocab, corpus: "english", maxLength: 20, truncation: .onlySecond, limit: 2_000),
        ParityCase(source: .modelVocab, corpus: "english", pairs: true, maxLength: 3, limit: 500),
        // Unicode hard cases, under every normalizer switch.
        ParityCase(source: .modelVocab, corpus: "unicode", decode: true),
        ParityCase(source: .modelJSON, corpus: "unicode", decode: true),
        ParityCase(source: .modelVocab, corpus: "unicode", stripAccents: false),
        ParityCase(source: .modelVocab, corpus: "unicode", chinese: false),
        ParityCase(source: .casedVocab, corpus: "unicode", decode: true),
        ParityCase(source: .casedVocab, corpus: "unicode", stripAccents: true),
        ParityCase(source: .modelVocab, corpus: "unicode", pairs: true, maxLength: 24),
        // Every code point of planes 0-3 and 14's tags and selectors.
        ParityCase(source: .modelVocab, corpus: "sweep"),
        ParityCase(source: .modelVocab, corpus: "sweep", stripAccents: false),
        ParityCase(source: .casedVocab, corpus: "sweep", stripAccents: true, chinese: false),
        // Seeded random strings over tricky characters and special tokens.
        ParityCase(source: .modelVocab, corpus: "fuzz", decode: true),
        ParityCase(source: .modelJSON, corpus: "fuzz", pairs: true, maxLength: 32),
        ParityCase(source: .casedVocab, corpus: "fuzz"),
        ParityCase(source: .casedVocab, corpus: "fuzz", lowercase: true, stripAccents: false),
        ParityCase(source: .variantJSON, corpus: "fuzz", decode: true),
        ParityCase(source: .variantJSON, corpus: "unicode", decode: true),
    ]

    @Test("input_ids and token_type_ids identical to HF", arguments: cases)
    func parity(_ parity: ParityCase) throws {
        let reference = try Reference.run(try parity.pythonArguments())
        #expect(reference.count > 0)
        let tokenizer = try WordPieceTokenizer(options: try parity.options())
        let report = Reference.mismatches(reference, tokenizer: tokenizer, checkDecode: parity.decode)
        #expect(report.isEmpty, "\(parity): \(report)")
    }
}
