import AugProRecords

/// A BERT WordPiece tokenizer that reproduces HF `tokenizers` (fast) input ids and token type
/// ids: BertNormalizer, BertPreTokenizer, WordPiece, the `[CLS] A [SEP] B [SEP]` template and
/// HF's truncation strategies. Immutable after loading, so one instance serves many threads.
public final class WordPieceTokenizer: Sendable {
    /// One encoded input: ids with special tokens, unpadded.
    public struct Encoding: Sendable, Equatable {
        public var inputIds: [Int32]
        public var tokenTypeIds: [UInt8]
        /// Whether truncation removed tokens.
        public var truncated: Bool
    }

    /// The file the tokenizer was loaded from.
    public let path: String
    /// Token text by id.
    public let vocabulary: [String]
    public let specialTokens: SpecialTokenIDs
    /// Maximum length including special tokens.
    public let maxLength: Int
    public let truncation: TruncationStrategy

    private let encoder: WordPieceEncoder
    private let addedTokens: AddedTokenMatcher
    private let singleTemplate: [TemplatePiece]
    private let pairTemplate: [TemplatePiece]
    private let isSpecialId: [Bool]
    private let decoderPrefix: [UInt8]?
    private let decoderCleanup: Bool

    /// Loads the vocabulary or tokenizer.json named by `options.vocabPath`.
    public convenience init(options: TokenizerOptions) throws {
        guard options.maxLength >= 2 else {
            throw TokenizerError.invalidOption("max_length must be at least 2 (room for [CLS] and [SEP]), got \(options.maxLength)")
        }
        try self.init(model: TokenizerLoader.load(options), maxLength: options.maxLength, truncation: options.truncation)
    }

    init(model: TokenizerModel, maxLength: Int, truncation: TruncationStrategy) throws {
        path = model.path
        vocabulary = model.vocabulary
        self.maxLength = maxLength
        self.truncation = truncation
        var ids: [[UInt8]: Int32] = [:]
        for (id, token) in model.vocabulary.enumerated() where ids[Array(token.utf8)] == nil { ids[Array(token.utf8)] = Int32(id) }
        func required(_ token: String) throws -> Int32 {
            guard let id = ids[Array(token.utf8)] else { throw TokenizerError.missingSpecialToken(path: model.path, token: token) }
            return id
        }
        let unk = try required(model.unkToken)
        specialTokens = SpecialTokenIDs(
            cls: try required("[CLS]"), sep: try required("[SEP]"), pad: try required("[PAD]"),
            unk: unk, mask: ids[Array("[MASK]".utf8)])
        for token in model.addedTokens where Int(token.id) >= model.vocabulary.count || token.id < 0 {
            throw TokenizerError.invalidFile(path: model.path, expected: "added token ids inside the vocabulary, found \(token.id)")
        }
        encoder = WordPieceEncoder(model: model, unkId: unk)
        addedTokens = AddedTokenMatcher(tokens: model.addedTokens)
        singleTemplate = model.singleTemplate
        pairTemplate = model.pairTemplate
        var special = [Bool](repeating: false, count: model.vocabulary.count)
        for token in model.addedTokens where token.special { special[Int(token.id)] = true }
        isSpecialId = special
        decoderPrefix = model.decoderPrefix.map { Array($0.utf8) }
        decoderCleanup = model.decoderCleanup
    }

    /// Whether `id` is a special token (skipped by `decode` by default).
    public func isSpecial(_ id: Int32) -> Bool {
        id >= 0 && Int(id) < isSpecialId.count && isSpecialId[Int(id)]
    }

    /// WordPiece ids of `text` without special tokens or truncation.
    public func tokenize(_ text: String) -> [Int32] {
        var scratch = EncoderScratch()
        return tokenize(text, scratch: &scratch)
    }

    func tokenize(_ text: String, scratch: inout EncoderScratch) -> [Int32] {
        var text = text
        return text.withUTF8 { bytes in
            var ids: [Int32] = []
            ids.reserveCapacity(bytes.count / 3 + 4)
            var position = 0
            if !addedTokens.isEmpty {
                while let match = addedTokens.nextMatch(in: bytes, from: position, end: bytes.count) {
                    encoder.encode(bytes, range: position..<match.range.lowerBound, into: &ids, scratch: &scratch)
                    ids.append(match.id)
                    position = match.range.upperBound
                }
            }
            encoder.encode(bytes, range: position..<bytes.count, into: &ids, scratch: &scratch)
            return ids
        }
    }

    /// Encodes one input (`[CLS] A [SEP]`) or a pair (`[CLS] A [SEP] B [SEP]`), truncated to
    /// `maxLength`. Throws only when `only_first`/`only_second` cannot reach `maxLength`.
    public func encode(_ text: String, pair: String? = nil) throws -> Encoding {
        var scratch = EncoderScratch()
        return try encode(text, pair: pair, scratch: &scratch)
    }

    func encode(_ text: String, pair: String?, scratch: inout EncoderScratch) throws -> Encoding {
        var first = tokenize(text, scratch: &scratch)
        var second = pair.map { tokenize($0, scratch: &scratch) }
        let template = second == nil ? singleTemplate : pairTemplate
        let added = template.reduce(0) { count, piece in
            if case .special(let ids, _) = piece { return count + ids.count }
            return count
        }
        guard maxLength >= added else {
            throw TokenizerError.invalidOption("max_length \(maxLength) leaves no room for the \(added) special tokens")
        }
        let truncated = try Truncation.apply(
            truncation, maxLength: maxLength - added, first: &first, second: &second)
        var inputIds: [Int32] = []
        var typeIds: [UInt8] = []
        let total = added + first.count + (second?.count ?? 0)
        inputIds.reserveCapacity(total)
        typeIds.reserveCapacity(total)
        for piece in template {
            switch piece {
            case let .special(ids, typeId):
                inputIds.append(contentsOf: ids)
                typeIds.append(contentsOf: repeatElement(typeId, count: ids.count))
            case let .sequence(isSecond, typeId):
                let ids = isSecond ? (second ?? []) : first
                inputIds.append(contentsOf: ids)
                typeIds.append(contentsOf: repeatElement(typeId, count: ids.count))
            }
        }
        return Encoding(inputIds: inputIds, tokenTypeIds: typeIds, truncated: truncated)
    }

    /// Text for `ids` as HF's WordPiece decoder makes it: `##` pieces merged, other tokens joined
    /// by spaces, HF's cleanup of spaces before punctuation and contractions; unknown ids skipped.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool = true) -> String {
        var tokens: [[UInt8]] = []
        for id in ids where id >= 0 && Int(id) < vocabulary.count {
            if skipSpecialTokens && isSpecialId[Int(id)] { continue }
            tokens.append(Array(vocabulary[Int(id)].utf8))
        }
        guard let prefix = decoderPrefix else {
            return tokens.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        }
        var out: [UInt8] = []
        for (index, token) in tokens.enumerated() {
            var piece = token
            if index != 0 {
                if piece.starts(with: prefix) {
                    piece.removeFirst(prefix.count)
                } else {
                    piece.insert(0x20, at: 0)
                }
            }
            if decoderCleanup { piece = DecoderCleanup.apply(piece) }
            out.append(contentsOf: piece)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// HF's `cleanup` of the WordPiece decoder, applied to each token: the same replacements in the
/// same order, over UTF-8 bytes.
enum DecoderCleanup {
    private static let replacements: [([UInt8], [UInt8])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
        (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    static func apply(_ bytes: [UInt8]) -> [UInt8] {
        var current = bytes
        for (target, replacement) in replacements where current.count >= target.count {
            current = replaceAll(current, target, replacement)
        }
        return current
    }

    /// Left-to-right, non-overlapping replacement, like Rust's `str::replace`.
    static func replaceAll(_ bytes: [UInt8], _ target: [UInt8], _ replacement: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if index + target.count <= bytes.count, bytes[index..<(index + target.count)].elementsEqual(target) {
                out.append(contentsOf: replacement)
                index += target.count
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }
}
