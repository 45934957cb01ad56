import AugProConfig
import AugProRecords
import AugProRuntime
import Foundation

/// `projector:` — nearest-token projection of mixed embeddings, decoded straight into
/// ``ProjectorOptions``.
extension ProjectorOptions: StageSettings {
    enum ConfigKeys: String, SettingKey, CaseIterable {
        case embeddings, tensor, metric, exclude
        case dropDuplicates = "drop_duplicates"
        case search
        case topK = "top_k"
        case cache, workers, verify

        var affectsOutput: Bool { self != .cache && self != .workers }
    }

    /// `search:` — the exact top-K certificate with brute-force fallback, or brute force only.
    enum Search: String, CaseIterable, SettingValue {
        case fast
        case bruteForce = "brute_force"
    }

    public init(config decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(ConfigKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: ConfigKeys.self)
        self.init()
        embeddings = try container.decodePath(.embeddings, in: decoder, mustExist: true)
        tensor = try container.decodeIfPresent(String.self, forKey: .tensor)
        metric = try container.decodeEnum(.metric, default: .l2)
        exclude = try container.decodeIfPresent([String].self, forKey: .exclude) ?? []
        dropDuplicates = try container.decodeIfPresent(Bool.self, forKey: .dropDuplicates) ?? true
        fastPath = try container.decodeEnum(.search, default: Search.fast) == .fast
        topK = try container.decodeInt(.topK, in: 1...4096, default: 64)
        cacheDirectory = try container.decodePathIfPresent(.cache, in: decoder, mustExist: false)
        workers = try container.decodeInt(.workers, in: 1...64, default: 1)
        verifyFastPath = try container.decodeIfPresent(Bool.self, forKey: .verify) ?? false
    }

    /// The per-batch duplicate check and packed products depend on which items share a batch.
    public var dependsOnBatchMakeup: Bool { true }

    public func recordSettings(into settings: inout OutputSettings) {
        settings.record(ConfigKeys.embeddings, embeddings)
        settings.record(ConfigKeys.tensor, tensor)
        settings.record(ConfigKeys.metric, metric)
        settings.record(ConfigKeys.exclude, exclude)
        settings.record(ConfigKeys.dropDuplicates, dropDuplicates)
        settings.record(ConfigKeys.search, fastPath ? Search.fast : .bruteForce)
        settings.record(ConfigKeys.topK, topK)
        settings.record(ConfigKeys.cache, cacheDirectory)
        settings.record(ConfigKeys.workers, workers)
        settings.record(ConfigKeys.verify, verifyFastPath)
    }

    /// Loads the table (it must match the tokenizer's vocabulary) and the top-K lists.
    public func assemble(in assembly: inout StageAssembly) throws -> [PipelineNode] {
        guard let vocabulary = assembly.vocabulary else {
            throw StagePlacementError("needs a tokenizer before it (for the vocabulary)")
        }
        guard let embeddings else { throw StagePlacementError("needs `embeddings` (a model folder or .safetensors file)") }
        let table = try EmbeddingTable(path: embeddings.path, tensor: tensor)
        guard table.vocabularySize == vocabulary.tokens.count else {
            throw StagePlacementError(
                "the embedding table has \(table.vocabularySize) rows but the tokenizer's vocabulary has \(vocabulary.tokens.count) tokens"
            )
        }
        let projector = try MixProjector(table: table, vocabulary: vocabulary.tokens, options: self)
        assembly.models["embeddings"] = .object([
            "source": .string(table.source), "rows": .int(table.vocabularySize), "dimension": .int(table.dimension),
        ])
        return [PipelineNode(projector, workers: workers)]
    }
}

extension ProjectionMetric: SettingValue {}
