import AugProConfig
import AugProRecords
import AugProRuntime
import Foundation

/// `tokenizer:` — BERT WordPiece settings, decoded straight into ``TokenizerOptions``.
extension TokenizerOptions: StageSettings {
    enum ConfigKeys: String, SettingKey, CaseIterable {
        case vocab, lowercase
        case stripAccents = "strip_accents"
        case tokenizeChineseChars = "tokenize_chinese_chars"
        case maxLength = "max_length"
        case truncation
        case keepText = "keep_text"
        case workers

        var affectsOutput: Bool { self != .workers }
    }

    public init(config decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(ConfigKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: ConfigKeys.self)
        self.init(
            vocabPath: try container.decodePath(.vocab, in: decoder, mustExist: true).path,
            lowercase: try container.decodeIfPresent(Bool.self, forKey: .lowercase),
            stripAccents: try container.decodeIfPresent(Bool.self, forKey: .stripAccents),
            tokenizeChineseChars: try container.decodeIfPresent(Bool.self, forKey: .tokenizeChineseChars),
            maxLength: try container.decodeInt(.maxLength, in: 3...8192, default: 128),
            truncation: try container.decodeEnum(.truncation, default: .longestFirst),
            keepText: try container.decodeIfPresent(Bool.self, forKey: .keepText) ?? false)
        workers = try container.decodeInt(.workers, in: 1...64, default: 1)
    }

    public func recordSettings(into settings: inout OutputSettings) {
        settings.record(ConfigKeys.vocab, vocabPath)
        settings.record(ConfigKeys.lowercase, lowercase)
        settings.record(ConfigKeys.stripAccents, stripAccents)
        settings.record(ConfigKeys.tokenizeChineseChars, tokenizeChineseChars)
        settings.record(ConfigKeys.maxLength, maxLength)
        settings.record(ConfigKeys.truncation, truncation)
        settings.record(ConfigKeys.keepText, keepText)
        settings.record(ConfigKeys.workers, workers)
    }

    /// Loads the vocabulary and leaves it (with the special tokens and `max_length`) for the
    /// stages after; kept text adds the `text` (and `text_pair`) columns.
    public func assemble(in assembly: inout StageAssembly) throws -> [PipelineNode] {
        let tokenizer = try WordPieceTokenizer(options: self)
        assembly.vocabulary = TokenVocabulary(
            tokens: tokenizer.vocabulary, specials: tokenizer.specialTokens, maxLength: tokenizer.maxLength,
            source: vocabPath)
        if keepText {
            assembly.columns.insert(.text)
            if assembly.inputHasTextPair { assembly.columns.insert(.textPair) }
        }
        return [PipelineNode(TokenizeTransform(tokenizer: tokenizer, keepText: keepText), workers: workers)]
    }
}

extension TruncationStrategy: SettingValue {}
