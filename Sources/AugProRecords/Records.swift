/// One example as the reader produced it: raw text with its identity and label.
public struct TextRecord: Sendable, Equatable {
    /// The example id: the `id` column when the input has one, otherwise the 0-based row index.
    public var id: Int64
    /// The 1-based line number in the input file where the record starts (for messages).
    public var line: Int
    public var text: String
    public var textPair: String?
    /// The label id, or -1 when the input has no label.
    public var label: Int32
    /// The 0-based position among the records the reader emitted (accepted rows), or -1 when
    /// unknown. Checkpoints restart from it.
    public var ordinal: Int64

    public init(id: Int64, line: Int, text: String, textPair: String? = nil, label: Int32 = -1, ordinal: Int64 = -1) {
        self.id = id
        self.line = line
        self.text = text
        self.textPair = textPair
        self.label = label
        self.ordinal = ordinal
    }
}

/// Where a token sequence came from: an original example or an AugPro augmentation.
public struct Provenance: Sendable, Equatable {
    /// How a sample was made.
    public enum Kind: String, Sendable, Equatable {
        case original
        case augproMix = "augpro-mix"
    }

    public var kind: Kind
    /// The example the sample is built from (the original's own id for originals).
    public var sourceA: Int64
    /// The partner example, or -1 for originals.
    public var sourceB: Int64
    /// λ (mean λ for token granularity); 1.0 for originals.
    public var mixLambda: Float
    /// Which augmentation of `sourceA` this is (0-based); -1 for originals.
    public var augmentationIndex: Int32
    /// The reader ordinal (``TextRecord/ordinal``) of `sourceA`, or -1 when unknown.
    public var ordinal: Int64

    public init(
        kind: Kind, sourceA: Int64, sourceB: Int64, mixLambda: Float, augmentationIndex: Int32, ordinal: Int64 = -1
    ) {
        self.kind = kind
        self.sourceA = sourceA
        self.sourceB = sourceB
        self.mixLambda = mixLambda
        self.augmentationIndex = augmentationIndex
        self.ordinal = ordinal
    }

    /// The provenance of an unmodified example.
    public static func original(id: Int64, ordinal: Int64 = -1) -> Provenance {
        Provenance(kind: .original, sourceA: id, sourceB: -1, mixLambda: 1, augmentationIndex: -1, ordinal: ordinal)
    }
}

/// What a teacher attached to a sample. Each field is present only when configured.
public struct TeacherTargets: Sendable, Equatable {
    public var logits: [Float]?
    public var probs: [Float]?
    public var topKIds: [Int32]?
    public var topKLogits: [Float]?
    public var embedding: [Float]?

    public init(
        logits: [Float]? = nil, probs: [Float]? = nil, topKIds: [Int32]? = nil,
        topKLogits: [Float]? = nil, embedding: [Float]? = nil
    ) {
        self.logits = logits
        self.probs = probs
        self.topKIds = topKIds
        self.topKLogits = topKLogits
        self.embedding = embedding
    }
}

/// A tokenized sample: what flows from the tokenizer onward (originals, projected augmentations,
/// teacher-labelled samples).
public struct TokenSample: Sendable, Equatable {
    /// The example id of the original this sample belongs to (`provenance.sourceA`).
    public var id: Int64
    /// Token ids with special tokens, unpadded.
    public var inputIds: [Int32]
    /// 0 for the first segment (with `[CLS]` and its `[SEP]`), 1 for the second.
    public var tokenTypeIds: [UInt8]
    /// The label id, or -1 when absent (always -1 for augmentations).
    public var label: Int32
    /// Raw text, kept only when the tokenizer's `keep_text` is set.
    public var text: String?
    public var textPair: String?
    public var provenance: Provenance
    public var teacher: TeacherTargets?

    public init(
        id: Int64, inputIds: [Int32], tokenTypeIds: [UInt8], label: Int32,
        text: String? = nil, textPair: String? = nil,
        provenance: Provenance? = nil, teacher: TeacherTargets? = nil
    ) {
        self.id = id
        self.inputIds = inputIds
        self.tokenTypeIds = tokenTypeIds
        self.label = label
        self.text = text
        self.textPair = textPair
        self.provenance = provenance ?? .original(id: id)
        self.teacher = teacher
    }
}

/// Which source of an aligned mix position is `[PAD]` filler (the tail of the shorter segment).
public enum PaddedSide: UInt8, Sendable, Equatable {
    /// Both sources have a word piece here.
    case neither
    /// Source a is padding at this position.
    case a
    /// Source b is padding at this position.
    case b
}

/// How to build one augmented sequence from two examples: the interpolator's output for the
/// projector. Token arrays are aligned position by position (see `AugProInterpolator`).
public struct MixPlan: Sendable, Equatable {
    public var provenance: Provenance
    /// Aligned token ids of source a (padded with `[PAD]` where a's segment is shorter).
    public var tokensA: [Int32]
    /// Aligned token ids of source b (padded with `[PAD]` where b's segment is shorter).
    public var tokensB: [Int32]
    /// λ per position (weight of a); one value repeated for example granularity.
    public var lambdas: [Float]
    /// Positions whose token is fixed (`[CLS]`, `[SEP]`) rather than projected.
    public var fixed: [Bool]
    public var tokenTypeIds: [UInt8]
    /// Per position, which source (if any) is `[PAD]` filler there: where the projection may
    /// end the segment (see `AugProProjector`).
    public var padded: [PaddedSide]
    /// The unaligned sources, for duplicate detection.
    public var originalA: [Int32]
    public var originalB: [Int32]

    /// `padded` defaults to `.neither` everywhere (no position may end its segment).
    public init(
        provenance: Provenance, tokensA: [Int32], tokensB: [Int32], lambdas: [Float],
        fixed: [Bool], tokenTypeIds: [UInt8], padded: [PaddedSide]? = nil, originalA: [Int32], originalB: [Int32]
    ) {
        self.provenance = provenance
        self.tokensA = tokensA
        self.tokensB = tokensB
        self.lambdas = lambdas
        self.fixed = fixed
        self.tokenTypeIds = tokenTypeIds
        self.padded = padded ?? [PaddedSide](repeating: .neither, count: tokensA.count)
        self.originalA = originalA
        self.originalB = originalB
    }
}

/// One item of the interpolator's output: an original passed through or a plan to project.
public enum MixItem: Sendable, Equatable {
    case original(TokenSample)
    case mix(MixPlan)
}
