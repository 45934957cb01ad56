/// How a pair (or an over-long single input) is cut down to `max_length`, as in HF `tokenizers`.
public enum TruncationStrategy: String, Sendable, Equatable, Codable, CaseIterable {
    /// Cut the longer sequence first (HF's default).
    case longestFirst = "longest_first"
    /// Cut only the first sequence; an error when that cannot reach `max_length`.
    case onlyFirst = "only_first"
    /// Cut only the second sequence; an error when that cannot reach `max_length`.
    case onlySecond = "only_second"
}

/// The tokenizer stage's configuration (`tokenizer:` in the pipeline YAML).
///
/// `lowercase`, `strip_accents` and `tokenize_chinese_chars` left nil follow the tokenizer.json
/// normalizer, or BERT's defaults for a bare `vocab.txt` (lowercase, chinese chars on;
/// `strip_accents` nil follows `lowercase`, as in BERT).
public struct TokenizerOptions: Sendable, Equatable, Codable {
    /// A `vocab.txt`, a `tokenizer.json`, or a model folder holding one of them
    /// (`tokenizer.json` is preferred).
    public var vocabPath: String
    public var lowercase: Bool?
    public var stripAccents: Bool?
    public var tokenizeChineseChars: Bool?
    /// Maximum sequence length including special tokens.
    public var maxLength: Int
    public var truncation: TruncationStrategy
    /// Keep the raw text in each `TokenSample`.
    public var keepText: Bool
    /// Ordered workers tokenizing batches in parallel (does not change the output).
    public var workers = 1

    public init(
        vocabPath: String, lowercase: Bool? = nil, stripAccents: Bool? = nil,
        tokenizeChineseChars: Bool? = nil, maxLength: Int = 128,
        truncation: TruncationStrategy = .longestFirst, keepText: Bool = false
    ) {
        self.vocabPath = vocabPath
        self.lowercase = lowercase
        self.stripAccents = stripAccents
        self.tokenizeChineseChars = tokenizeChineseChars
        self.maxLength = maxLength
        self.truncation = truncation
        self.keepText = keepText
    }

    enum CodingKeys: String, CodingKey {
        case vocabPath = "vocab_path"
        case lowercase
        case stripAccents = "strip_accents"
        case tokenizeChineseChars = "tokenize_chinese_chars"
        case maxLength = "max_length"
        case truncation
        case keepText = "keep_text"
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            vocabPath: try container.decode(String.self, forKey: .vocabPath),
            lowercase: try container.decodeIfPresent(Bool.self, forKey: .lowercase),
            stripAccents: try container.decodeIfPresent(Bool.self, forKey: .stripAccents),
            tokenizeChineseChars: try container.decodeIfPresent(Bool.self, forKey: .tokenizeChineseChars),
            maxLength: try container.decodeIfPresent(Int.self, forKey: .maxLength) ?? 128,
            truncation: try container.decodeIfPresent(TruncationStrategy.self, forKey: .truncation) ?? .longestFirst,
            keepText: try container.decodeIfPresent(Bool.self, forKey: .keepText) ?? false)
    }
}
