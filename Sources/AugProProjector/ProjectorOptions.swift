import Foundation

/// The similarity under which a mixed vector is projected to its nearest real token.
public enum ProjectionMetric: String, Sendable, Equatable, CaseIterable {
    /// Smallest Euclidean distance.
    case l2
    /// Largest inner product.
    case dot
    /// Largest cosine similarity.
    case cosine
}

/// The `projector:` section.
public struct ProjectorOptions: Sendable, Equatable {
    public var metric: ProjectionMetric = .l2
    /// Extra token texts never produced (bracketed tokens such as `[PAD]`, `[unused3]` are
    /// always excluded).
    public var exclude: [String] = []
    /// Drop a projection equal to a source or to an earlier augmentation of the same example.
    public var dropDuplicates: Bool = true
    /// Use the exact top-K certificate fast path (falls back to brute force per position).
    public var fastPath: Bool = true
    /// Candidates kept per source token for the fast path.
    public var topK: Int = 64
    /// Where top-K tables are cached; nil for `.cache/augpro` under the current folder.
    public var cacheDirectory: URL? = nil
    /// Also brute-force every fast-path position and count differences (for checking).
    public var verifyFastPath: Bool = false
    /// Vocabulary rows per block of the brute-force product.
    public var vocabularyBlock: Int = 4096
    /// The model folder or `.safetensors` file holding the embedding table (`embeddings`).
    public var embeddings: URL?
    /// The table's tensor name, when not the usual word-embedding name.
    public var tensor: String?
    /// Ordered workers projecting batches in parallel (does not change the output).
    public var workers = 1

    public init(
        metric: ProjectionMetric = .l2, exclude: [String] = [], dropDuplicates: Bool = true,
        fastPath: Bool = true, topK: Int = 64, cacheDirectory: URL? = nil, verifyFastPath: Bool = false,
        vocabularyBlock: Int = 4096
    ) {
        self.metric = metric
        self.exclude = exclude
        self.dropDuplicates = dropDuplicates
        self.fastPath = fastPath
        self.topK = topK
        self.cacheDirectory = cacheDirectory
        self.verifyFastPath = verifyFastPath
        self.vocabularyBlock = vocabularyBlock
    }

    /// The cache folder actually used.
    public var resolvedCacheDirectory: URL {
        cacheDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            .appendingPathComponent(".cache/augpro")
    }
}

/// A projector setting or input that cannot be used.
public struct ProjectorError: Error, CustomStringConvertible, Equatable {
    public var description: String
    init(_ message: String) { description = "projector: \(message)" }
}
