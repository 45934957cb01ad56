import AugProTestSupport
import AugProTokenizer
import Foundation
import Testing

@Suite("Loading vocabularies and tokenizer.json")
struct LoaderTests {
    /// What HF loads from `path`: special ids and the id → token list.
    static func hfInfo(_ path: String) throws -> [String: Any] {
        guard TestEnvironment.python != nil else {
            throw ReferenceError("the project venv (.venv/bin/python with tokenizers) is missing: run `make venv`")
        }
        let data = try TestEnvironment.runPython(TestEnvironment.fixture("tokenizer/hf_vocab_info.py"), arguments: [path])
        guard let info = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ReferenceError("hf_vocab_info.py printed no JSON object")
        }
        return info
    }

    @Test("special ids and vocabulary match HF", arguments: ["vocab.txt", "tokenizer.json", "cased"])
    func specialIdsAndVocabulary(_ file: String) throws {
        let path = file == "cased"
            ? TestEnvironment.fixture("tokenizer/cased-vocab.txt").path
            : try Reference.modelDirectory().appendingPathComponent(file).path
        let info = try Self.hfInfo(path)
        let tokenizer = try WordPieceTokenizer(options: TokenizerOptions(vocabPath: path))
        let special = tokenizer.specialTokens
        #expect(Int(special.cls) == info["cls"] as? Int)
        #expect(Int(special.sep) == info["sep"] as? Int)
        #expect(Int(special.pad) == info["pad"] as? Int)
        #expect(Int(special.unk) == info["unk"] as? Int)
        #expect(special.mask.map(Int.init) == info["mask"] as? Int)
        let reference = (info["vocabulary"] as? [String] ?? []).map { Array($0.utf8) }
        #expect(tokenizer.vocabulary.map { Array($0.utf8) } == reference)
        #expect(tokenizer.isSpecial(special.cls) && tokenizer.isSpecial(special.unk) && !tokenizer.isSpecial(special.cls + 1000))
    }

    @Test("a model folder loads its tokenizer.json, a folder with only vocab.txt loads that")
    func folderPaths() throws {
        let model = try Reference.modelDirectory()
        #expect(try WordPieceTokenizer(options: TokenizerOptions(vocabPath: model.path)).path.hasSuffix("tokenizer.json"))
        let folder = try TestEnvironment.temporaryDirectory("augpro-tok")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: model.appendingPathComponent("vocab.txt"), to: folder.appendingPathComponent("vocab.txt"))
        #expect(try WordPieceTokenizer(options: TokenizerOptions(vocabPath: folder.path)).path.hasSuffix("vocab.txt"))
    }

    /// Writes `content` to a fresh file and returns the load error's description.
    func loadError(_ name: String, _ content: String, lowercase: Bool? = nil) throws -> String {
        let folder = try TestEnvironment.temporaryDirectory("augpro-tok")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent(name)
        try Data(content.utf8).write(to: file)
        do {
            _ = try WordPieceTokenizer(options: TokenizerOptions(vocabPath: file.path, lowercase: lowercase))
        } catch let error as TokenizerError {
            #expect(error.description.contains(file.path), "the message names the file: \(error)")
            return error.description
        }
        Issue.record("loading \(name) succeeded but should have failed")
        return ""
    }

    @Test("bad vocab.txt files fail at load time naming the file")
    func badVocabText() throws {
        for missing in ["[CLS]", "[SEP]", "[UNK]", "[PAD]"] {
            let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello"].filter { $0 != missing }
            let message = try loadError("vocab.txt", tokens.joined(separator: "\n") + "\n")
            #expect(message.contains(missing), "\(message)")
        }
        let duplicate = try loadError("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\nhello\n")
        #expect(duplicate.contains("duplicate") && duplicate.contains("hello") && duplicate.contains("4") && duplicate.contains("6"))
        #expect(try loadError("vocab.txt", "").contains("at least one token"))
    }

    @Test("canonically equivalent tokens stay distinct (\";\" and U+037E)")
    func canonicalEquivalentTokens() throws {
        let folder = try TestEnvironment.temporaryDirectory("augpro-tok")
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("vocab.txt")
        try Data("[PAD]\n[UNK]\n[CLS]\n[SEP]\n;\n\u{037E}\n".utf8).write(to: file)
        let tokenizer = try WordPieceTokenizer(options: TokenizerOptions(vocabPath: file.path, lowercase: false))
        #expect(tokenizer.vocabulary.count == 6)
        #expect(try tokenizer.encode(";").inputIds == [2, 4, 3])
    }

    static let minimalJSON = """
        {"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[PAD]": 0, "[UNK]": 1, "[CLS]": 2, "[SEP]": 3, "a": 4}},
         "normalizer": null, "pre_tokenizer": {"type": "BertPreTokenizer"}, "post_processor": null, "decoder": null}
        """

    @Test("bad tokenizer.json files fail at load time naming the file")
    func badTokenizerJSON() throws {
        let base = Self.minimalJSON
        #expect(try loadError("tokenizer.json", base.replacingOccurrences(of: "\"WordPiece\", \"unk", with: "\"BPE\", \"unk")).contains("BPE"))
        #expect(try loadError("tokenizer.json", base.replacingOccurrences(of: "\"[CLS]\": 2, \"[SEP]\": 3, \"a\": 4", with: "\"[SEP]\": 2, \"a\": 3")).contains("[CLS]"))
        let duplicate = base.replacingOccurrences(of: "\"a\": 4", with: "\"a\": 4, \"a\": 5")
        #expect(try loadError("tokenizer.json", duplicate).contains("duplicate"))
        #expect(try loadError("tokenizer.json", base.replacingOccurrences(of: "\"a\": 4", with: "\"a\": 9")).contains("ids 0..<5"))
        #expect(try loadError("tokenizer.json", base.replacingOccurrences(of: "BertPreTokenizer", with: "Whitespace")).contains("Whitespace"))
        #expect(try loadError("tokenizer.json", "{not json").contains("JSON"))
        let missing = TokenizerOptions(vocabPath: "/nonexistent/augpro/vocab.txt")
        #expect(throws: TokenizerError.self) { try WordPieceTokenizer(options: missing) }
    }

    @Test("options decode from snake_case keys with defaults")
    func optionsCodable() throws {
        let json = #"{"vocab_path": "v.txt", "strip_accents": false, "max_length": 64, "truncation": "only_second", "keep_text": true}"#
        let options = try JSONDecoder().decode(TokenizerOptions.self, from: Data(json.utf8))
        #expect(options == TokenizerOptions(vocabPath: "v.txt", stripAccents: false, maxLength: 64, truncation: .onlySecond, keepText: true))
        let minimal = try JSONDecoder().decode(TokenizerOptions.self, from: Data(#"{"vocab_path": "v.txt"}"#.utf8))
        #expect(minimal == TokenizerOptions(vocabPath: "v.txt"))
    }
}

@Suite("Generated Unicode tables")
struct UnicodeTablesTests {
    @Test("UnicodeTables.generated.swift matches what the installed HF tokenizers reports")
    func tablesAreCurrent() throws {
        guard TestEnvironment.python != nil else {
            throw ReferenceError("the project venv (.venv/bin/python with tokenizers) is missing: run `make venv`")
        }
        let folder = try TestEnvironment.temporaryDirectory("augpro-tok")
        defer { try? FileManager.default.removeItem(at: folder) }
        let fresh = folder.appendingPathComponent("tables.swift")
        _ = try TestEnvironment.runPython(
            TestEnvironment.fixture("tokenizer/make_unicode_tables.py"), arguments: ["--output", fresh.path])
        let committed = TestEnvironment.packageRoot.appendingPathComponent("Sources/AugProTokenizer/UnicodeTables.generated.swift")
        // The first line names the tokenizers version; the tables themselves must be identical.
        let body = { (url: URL) throws -> [Substring] in
            try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropFirst().map { $0 }
        }
        #expect(try body(fresh) == body(committed), "regenerate with .venv/bin/python fixtures/tokenizer/make_unicode_tables.py")
    }
}
