/// The ids of the special tokens stages need: `[CLS]`/`[SEP]` stay in place in a mix, `[PAD]`
/// fills aligned segments, `[UNK]` is counted. One type for the tokenizer, which finds them,
/// and for the stages after it.
public struct SpecialTokenIDs: Sendable, Equatable {
    public var cls: Int32
    public var sep: Int32
    public var pad: Int32
    /// `[UNK]` (or the tokenizer.json model's unknown token); -1 when not known.
    public var unk: Int32
    /// `[MASK]`, when the vocabulary has it.
    public var mask: Int32?

    public init(cls: Int32, sep: Int32, pad: Int32, unk: Int32 = -1, mask: Int32? = nil) {
        self.cls = cls
        self.sep = sep
        self.pad = pad
        self.unk = unk
        self.mask = mask
    }
}

/// What the tokenizer stage tells the stages after it: the vocabulary, its special tokens and
/// the longest sequence it produces.
public struct TokenVocabulary: Sendable {
    /// Token text by id.
    public var tokens: [String]
    public var specials: SpecialTokenIDs
    /// Maximum sequence length including special tokens.
    public var maxLength: Int
    /// The vocabulary path as configured (for the report).
    public var source: String

    public init(tokens: [String], specials: SpecialTokenIDs, maxLength: Int, source: String) {
        self.tokens = tokens
        self.specials = specials
        self.maxLength = maxLength
        self.source = source
    }
}

/// An element that knows the input ordinal (``TextRecord/ordinal``) of the example it comes
/// from, or -1: what ordinal batching and restart points are computed from.
public protocol OrdinalRecord: Sendable {
    var inputOrdinal: Int64 { get }
}

extension TextRecord: OrdinalRecord {
    public var inputOrdinal: Int64 { ordinal }
}

extension TokenSample: OrdinalRecord {
    public var inputOrdinal: Int64 { provenance.ordinal }
}

extension MixItem: OrdinalRecord {
    /// The ordinal of the example the item belongs to.
    public var inputOrdinal: Int64 {
        switch self {
        case .original(let sample): sample.provenance.ordinal
        case .mix(let plan): plan.provenance.ordinal
        }
    }
}
