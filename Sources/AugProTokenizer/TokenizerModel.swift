/// Normalizer switches of HF's BertNormalizer.
struct NormalizerFlags: Sendable, Equatable {
    var cleanText = true
    var handleChineseChars = true
    var stripAccents = true
    var lowercase = true
}

/// A token matched in the raw text before normalization (HF's added tokens).
struct AddedToken: Sendable, Equatable {
    var content: [UInt8]
    var id: Int32
    var special: Bool
    var leftStrip: Bool
    var rightStrip: Bool
}

/// One element of a post-processor template.
enum TemplatePiece: Sendable, Equatable {
    case special(ids: [Int32], typeId: UInt8)
    /// The first (`second == false`) or second input sequence.
    case sequence(second: Bool, typeId: UInt8)
}

/// Everything a tokenizer file describes, independent of the file format.
struct TokenizerModel: Sendable {
    var path: String
    var vocabulary: [String]
    var unkToken: String
    var continuingSubwordPrefix: String
    var maxInputCharsPerWord: Int
    var normalizer: NormalizerFlags?
    var addedTokens: [AddedToken]
    var singleTemplate: [TemplatePiece]
    var pairTemplate: [TemplatePiece]
    var decoderPrefix: String?
    var decoderCleanup: Bool

    /// The BERT template `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]`.
    static func bertTemplates(cls: Int32, sep: Int32) -> (single: [TemplatePiece], pair: [TemplatePiece]) {
        (
            [.special(ids: [cls], typeId: 0), .sequence(second: false, typeId: 0), .special(ids: [sep], typeId: 0)],
            [
                .special(ids: [cls], typeId: 0), .sequence(second: false, typeId: 0), .special(ids: [sep], typeId: 0),
                .sequence(second: true, typeId: 1), .special(ids: [sep], typeId: 1),
            ]
        )
    }

    /// Applies option overrides to the file's normalizer (`strip_accents` nil follows lowercase).
    mutating func applyOverrides(_ options: TokenizerOptions, fileStripAccents: Bool?) {
        guard options.lowercase != nil || options.stripAccents != nil || options.tokenizeChineseChars != nil
            || normalizer != nil
        else { return }
        var flags = normalizer ?? NormalizerFlags(cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false)
        if let lowercase = options.lowercase { flags.lowercase = lowercase }
        if let chinese = options.tokenizeChineseChars { flags.handleChineseChars = chinese }
        flags.stripAccents = options.stripAccents ?? fileStripAccents ?? flags.lowercase
        normalizer = flags
    }
}
