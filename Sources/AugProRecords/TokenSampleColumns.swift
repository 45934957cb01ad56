/// The optional columns of a `TokenSample` dataset.
public struct TokenSampleColumns: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// `text` str (the tokenizer's `keep_text`).
    public static let text = TokenSampleColumns(rawValue: 1 << 0)
    /// `text_pair` str.
    public static let textPair = TokenSampleColumns(rawValue: 1 << 1)
    /// `teacher_logits` ndarray:float32.
    public static let teacherLogits = TokenSampleColumns(rawValue: 1 << 2)
    /// `teacher_probs` ndarray:float32.
    public static let teacherProbs = TokenSampleColumns(rawValue: 1 << 3)
    /// `teacher_embedding` ndarray:float32.
    public static let teacherEmbedding = TokenSampleColumns(rawValue: 1 << 4)
    /// `teacher_topk_ids` ndarray:int32 and `teacher_topk_logits` ndarray:float32.
    public static let teacherTopK = TokenSampleColumns(rawValue: 1 << 5)
}
