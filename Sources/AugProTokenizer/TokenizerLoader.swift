import Foundation

/// Reads `vocab.txt` and WordPiece `tokenizer.json` files into a ``TokenizerModel``.
enum TokenizerLoader {
    static let bertSpecialTokens = ["[UNK]", "[SEP]", "[CLS]", "[PAD]", "[MASK]"]

    /// Loads the file named by `options.vocabPath` (a folder: its tokenizer.json, else vocab.txt).
    static func load(_ options: TokenizerOptions) throws -> TokenizerModel {
        let path = options.vocabPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw TokenizerError.unreadable(path: path, reason: "no such file or folder")
        }
        var file = path
        if isDirectory.boolValue {
            let folder = URL(fileURLWithPath: path)
            let json = folder.appendingPathComponent("tokenizer.json").path
            let vocab = folder.appendingPathComponent("vocab.txt").path
            if FileManager.default.fileExists(atPath: json) {
                file = json
            } else if FileManager.default.fileExists(atPath: vocab) {
                file = vocab
            } else {
                throw TokenizerError.unreadable(path: path, reason: "the folder has neither tokenizer.json nor vocab.txt")
            }
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw TokenizerError.unreadable(path: file, reason: "\(error.localizedDescription)")
        }
        if file.hasSuffix(".json") {
            return try loadJSON(data, path: file, options: options)
        }
        return try loadVocabText(data, path: file, options: options)
    }

    /// A BERT `vocab.txt`: one token per line, id = line number (HF trims trailing whitespace).
    static func loadVocabText(_ data: Data, path: String, options: TokenizerOptions) throws -> TokenizerModel {
        guard !data.isEmpty else {
            throw TokenizerError.invalidFile(path: path, expected: "at least one token")
        }
        var lines: [String] = []
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            guard var token = String(validating: line, as: UTF8.self) else {
                throw TokenizerError.invalidFile(path: path, expected: "UTF-8 text on line \(lines.count + 1)")
            }
            while let last = token.unicodeScalars.last, last.properties.isWhitespace {
                token.unicodeScalars.removeLast()
            }
            lines.append(token)
        }
        if data.last == 0x0A { lines.removeLast() }
        let ids = try indexVocabulary(lines, path: path)
        for token in bertSpecialTokens.dropLast() where ids[Array(token.utf8)] == nil {
            throw TokenizerError.missingSpecialToken(path: path, token: token)
        }
        let added = bertSpecialTokens.compactMap { token in
            ids[Array(token.utf8)].map { AddedToken(content: Array(token.utf8), id: $0, special: true, leftStrip: false, rightStrip: false) }
        }
        let templates = TokenizerModel.bertTemplates(cls: ids[Array("[CLS]".utf8)]!, sep: ids[Array("[SEP]".utf8)]!)
        var model = TokenizerModel(
            path: path, vocabulary: lines, unkToken: "[UNK]", continuingSubwordPrefix: "##",
            maxInputCharsPerWord: 100, normalizer: NormalizerFlags(), addedTokens: added,
            singleTemplate: templates.single, pairTemplate: templates.pair,
            decoderPrefix: "##", decoderCleanup: true)
        model.applyOverrides(options, fileStripAccents: nil)
        return model
    }

    /// Token UTF-8 bytes → id, throwing on a duplicate entry. Keys are bytes, not `String`:
    /// strings compare by canonical equivalence, which would merge distinct tokens.
    static func indexVocabulary(_ tokens: [String], path: String) throws -> [[UInt8]: Int32] {
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            let key = Array(token.utf8)
            if let first = ids[key] {
                throw TokenizerError.duplicateToken(path: path, token: token, firstId: Int(first), secondId: id)
            }
            ids[key] = Int32(id)
        }
        return ids
    }

    /// A `tokenizer.json` whose model is WordPiece, with a BertNormalizer (or none), the
    /// BertPreTokenizer, a TemplateProcessing/BertProcessing post-processor and a WordPiece decoder.
    static func loadJSON(_ data: Data, path: String, options: TokenizerOptions) throws -> TokenizerModel {
        let reader = JSONFields(path: path)
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TokenizerError.invalidFile(path: path, expected: "a JSON object")
        }
        let model = try reader.object(root["model"], "model")
        let type = model["type"] as? String ?? "(none)"
        guard type == "WordPiece" else {
            throw TokenizerError.unsupported(path: path, feature: "model type \"\(type)\" (only WordPiece is supported)")
        }
        let vocabulary = try readVocabulary(try JSONVocabularyScanner.vocabulary(in: [UInt8](data), path: path), path: path)
        let ids = try indexVocabulary(vocabulary, path: path)
        let unk = model["unk_token"] as? String ?? "[UNK]"
        guard ids[Array(unk.utf8)] != nil else { throw TokenizerError.missingSpecialToken(path: path, token: unk) }
        for token in ["[CLS]", "[SEP]", "[PAD]"] where ids[Array(token.utf8)] == nil {
            throw TokenizerError.missingSpecialToken(path: path, token: token)
        }

        var normalizer: NormalizerFlags?
        var fileStripAccents: Bool?
        if let spec = root["normalizer"], !(spec is NSNull) {
            let object = try reader.object(spec, "normalizer")
            guard object["type"] as? String == "BertNormalizer" else {
                throw TokenizerError.unsupported(path: path, feature: "normalizer \(object["type"] ?? "?") (only BertNormalizer)")
            }
            var flags = NormalizerFlags()
            flags.cleanText = object["clean_text"] as? Bool ?? true
            flags.handleChineseChars = object["handle_chinese_chars"] as? Bool ?? true
            flags.lowercase = object["lowercase"] as? Bool ?? true
            fileStripAccents = object["strip_accents"] as? Bool
            flags.stripAccents = fileStripAccents ?? flags.lowercase
            normalizer = flags
        }
        if let spec = root["pre_tokenizer"], !(spec is NSNull) {
            let object = try reader.object(spec, "pre_tokenizer")
            guard object["type"] as? String == "BertPreTokenizer" else {
                throw TokenizerError.unsupported(path: path, feature: "pre_tokenizer \(object["type"] ?? "?") (only BertPreTokenizer)")
            }
        } else {
            throw TokenizerError.unsupported(path: path, feature: "a missing pre_tokenizer (only BertPreTokenizer)")
        }

        let added = try readAddedTokens(root["added_tokens"], reader: reader)
        let templates = try readTemplates(root["post_processor"], reader: reader)
        var decoderPrefix: String?
        var decoderCleanup = false
        if let spec = root["decoder"], !(spec is NSNull) {
            let object = try reader.object(spec, "decoder")
            guard object["type"] as? String == "WordPiece" else {
                throw TokenizerError.unsupported(path: path, feature: "decoder \(object["type"] ?? "?") (only WordPiece)")
            }
            decoderPrefix = object["prefix"] as? String ?? "##"
            decoderCleanup = object["cleanup"] as? Bool ?? true
        }
        var result = TokenizerModel(
            path: path, vocabulary: vocabulary, unkToken: unk,
            continuingSubwordPrefix: model["continuing_subword_prefix"] as? String ?? "##",
            maxInputCharsPerWord: model["max_input_chars_per_word"] as? Int ?? 100,
            normalizer: normalizer, addedTokens: added,
            singleTemplate: templates.single, pairTemplate: templates.pair,
            decoderPrefix: decoderPrefix, decoderCleanup: decoderCleanup)
        result.applyOverrides(options, fileStripAccents: fileStripAccents)
        return result
    }

    /// `model.vocab` (token → id) as an id-indexed array; tokens and ids must be unique, ids 0..<count.
    static func readVocabulary(_ entries: [([UInt8], Int)], path: String) throws -> [String] {
        var tokens = [[UInt8]?](repeating: nil, count: entries.count)
        var seen: [[UInt8]: Int] = [:]
        for (token, id) in entries {
            let text = String(decoding: token, as: UTF8.self)
            guard id >= 0, id < entries.count else {
                throw TokenizerError.invalidFile(path: path, expected: "model.vocab ids 0..<\(entries.count), found \(id) for \"\(text)\"")
            }
            if let first = seen[token] {
                throw TokenizerError.duplicateToken(path: path, token: text, firstId: min(first, id), secondId: max(first, id))
            }
            if let other = tokens[id] {
                throw TokenizerError.invalidFile(
                    path: path, expected: "one token per id, found \"\(String(decoding: other, as: UTF8.self))\" and \"\(text)\" for id \(id)")
            }
            seen[token] = id
            tokens[id] = token
        }
        return tokens.map { String(decoding: $0!, as: UTF8.self) }
    }

    static func readAddedTokens(_ spec: Any?, reader: JSONFields) throws -> [AddedToken] {
        guard let list = spec as? [Any] else { return [] }
        return try list.enumerated().map { index, item in
            let object = try reader.object(item, "added_tokens[\(index)]")
            guard let content = object["content"] as? String, let id = object["id"] as? Int else {
                throw TokenizerError.invalidFile(path: reader.path, expected: "added_tokens[\(index)] with content and id")
            }
            let special = object["special"] as? Bool ?? false
            if object["single_word"] as? Bool == true {
                throw TokenizerError.unsupported(path: reader.path, feature: "added token \"\(content)\" with single_word")
            }
            if object["normalized"] as? Bool ?? !special {
                throw TokenizerError.unsupported(path: reader.path, feature: "added token \"\(content)\" with normalized=true")
            }
            return AddedToken(
                content: Array(content.utf8), id: Int32(id), special: special,
                leftStrip: object["lstrip"] as? Bool ?? false, rightStrip: object["rstrip"] as? Bool ?? false)
        }
    }

    static func readTemplates(
        _ spec: Any?, reader: JSONFields
    ) throws -> (single: [TemplatePiece], pair: [TemplatePiece]) {
        guard let spec, !(spec is NSNull) else { return ([.sequence(second: false, typeId: 0)], [.sequence(second: false, typeId: 0), .sequence(second: true, typeId: 1)]) }
        let object = try reader.object(spec, "post_processor")
        switch object["type"] as? String {
        case "BertProcessing":
            guard let cls = (object["cls"] as? [Any])?.last as? Int, let sep = (object["sep"] as? [Any])?.last as? Int else {
                throw TokenizerError.invalidFile(path: reader.path, expected: "post_processor.cls and .sep as [token, id]")
            }
            return TokenizerModel.bertTemplates(cls: Int32(cls), sep: Int32(sep))
        case "TemplateProcessing":
            let specials = try reader.object(object["special_tokens"] ?? [String: Any](), "post_processor.special_tokens")
            func pieces(_ key: String) throws -> [TemplatePiece] {
                guard let items = object[key] as? [Any] else {
                    throw TokenizerError.invalidFile(path: reader.path, expected: "post_processor.\(key) as a list")
                }
                return try items.map { item in
                    let piece = try reader.object(item, "post_processor.\(key)[]")
                    if let special = piece["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
                        let entry = try reader.object(specials[name], "post_processor.special_tokens.\(name)")
                        guard let tokenIds = entry["ids"] as? [Int] else {
                            throw TokenizerError.invalidFile(path: reader.path, expected: "ids for special token \(name)")
                        }
                        return .special(ids: tokenIds.map { Int32($0) }, typeId: UInt8(special["type_id"] as? Int ?? 0))
                    }
                    if let sequence = piece["Sequence"] as? [String: Any], let name = sequence["id"] as? String {
                        return .sequence(second: name == "B", typeId: UInt8(sequence["type_id"] as? Int ?? 0))
                    }
                    throw TokenizerError.invalidFile(path: reader.path, expected: "SpecialToken or Sequence in post_processor.\(key)")
                }
            }
            return (try pieces("single"), try pieces("pair"))
        default:
            throw TokenizerError.unsupported(path: reader.path, feature: "post_processor \(object["type"] ?? "?") (only TemplateProcessing, BertProcessing)")
        }
    }
}

/// Typed access to untyped JSON, with errors naming the file and the field.
struct JSONFields {
    let path: String

    func object(_ value: Any?, _ field: String) throws -> [String: Any] {
        guard let object = value as? [String: Any] else {
            throw TokenizerError.invalidFile(path: path, expected: "\(field) to be a JSON object")
        }
        return object
    }
}
