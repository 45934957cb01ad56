import AugProTokenizer

/// Token ids shown as text, piece by piece, so that single tokens can be marked.
public struct TokenText: Sendable {
    public let tokenizer: WordPieceTokenizer?

    public init(tokenizer: WordPieceTokenizer?) {
        self.tokenizer = tokenizer
    }

    /// Loads the tokenizer at `path` (vocab.txt, tokenizer.json or model folder); nil when absent.
    public init(vocabPath: String?) {
        self.tokenizer = vocabPath.flatMap { try? WordPieceTokenizer(options: TokenizerOptions(vocabPath: $0)) }
    }

    /// Whole text of `ids` as the tokenizer decodes it (ids joined by spaces without one).
    public func text(_ ids: [Int32]) -> String {
        guard let tokenizer else { return ids.map(String.init).joined(separator: " ") }
        return tokenizer.decode(ids)
    }

    /// The pieces of `ids` with the space that precedes each; `[CLS]`, `[SEP]`, `[PAD]` kept
    /// visible only when `keepSpecial`.
    public func pieces(_ ids: [Int32], keepSpecial: Bool = false) -> [(index: Int, text: String)] {
        var out: [(Int, String)] = []
        for (index, id) in ids.enumerated() {
            guard let tokenizer, id >= 0, Int(id) < tokenizer.vocabulary.count else {
                out.append((index, (out.isEmpty ? "" : " ") + "#\(id)"))
                continue
            }
            if tokenizer.isSpecial(id) && !keepSpecial { continue }
            let token = tokenizer.vocabulary[Int(id)]
            if token.hasPrefix("##") && !out.isEmpty {
                out.append((index, String(token.dropFirst(2))))
            } else {
                out.append((index, (out.isEmpty ? "" : " ") + token))
            }
        }
        return out
    }
}
