/// Why a tokenizer could not be loaded or could not encode an input.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// A file or folder could not be read.
    case unreadable(path: String, reason: String)
    /// A file's content is not what was expected.
    case invalidFile(path: String, expected: String)
    /// A tokenizer.json feature this tokenizer does not implement.
    case unsupported(path: String, feature: String)
    /// A special token the pipeline needs is missing from the vocabulary.
    case missingSpecialToken(path: String, token: String)
    /// The same token appears twice in the vocabulary.
    case duplicateToken(path: String, token: String, firstId: Int, secondId: Int)
    /// The options are inconsistent.
    case invalidOption(String)
    /// Truncation cannot reach `max_length` with the chosen strategy (HF raises the same error).
    case truncationImpossible(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "\(path): cannot read tokenizer file: \(reason)"
        case let .invalidFile(path, expected):
            return "\(path): invalid tokenizer file: expected \(expected)"
        case let .unsupported(path, feature):
            return "\(path): unsupported tokenizer feature: \(feature)"
        case let .missingSpecialToken(path, token):
            return "\(path): the vocabulary has no \(token) token (needed for BERT inputs)"
        case let .duplicateToken(path, token, firstId, secondId):
            return "\(path): duplicate vocabulary entry \"\(token)\" (ids \(firstId) and \(secondId)); each token must appear once"
        case let .invalidOption(message):
            return "tokenizer options: \(message)"
        case let .truncationImpossible(message):
            return "tokenizer truncation: \(message)"
        }
    }
}
