import AugProConfig
import AugProRecords
import AugProRuntime
import Foundation

/// `teacher: {kind: embedded, ...}` — the in-process BERT teacher, decoded straight into
/// ``TeacherOptions``. `kind` selects the sub-kind (registered under `teacher`).
extension TeacherOptions: StageSettings {
    enum ConfigKeys: String, SettingKey, CaseIterable {
        case kind, model, outputs, temperature
        case topK = "top_k"
        case batchSize = "batch_size"
        case threads, head, pooling, normalize
        case precision
    }

    /// The `kind` value of this sub-kind.
    public static let kind = "embedded"

    public init(config decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(ConfigKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: ConfigKeys.self)
        self.init(modelPath: try container.decodePath(.model, in: decoder, mustExist: true))
        outputs = Set(try container.decodeEnumList(.outputs, default: [.logits]))
        let temperature = try container.decodeIfPresent(Double.self, forKey: .temperature) ?? 1
        guard temperature > 0, temperature.isFinite else {
            throw container.issue(.temperature, "expected a temperature > 0, got \(temperature)")
        }
        self.temperature = Float(temperature)
        topK = try container.decodeIfPresent(Int.self, forKey: .topK)
        if let topK, topK < 1 { throw container.issue(.topK, "expected top_k ≥ 1 or null, got \(topK)") }
        batchSize = try container.decodeInt(.batchSize, in: 1...4096, default: 32)
        threads = try container.decodeInt(.threads, in: 1...256, default: 2)
        precision = try container.decodeEnum(.precision, default: .fp32)
        head = try container.decodePathIfPresent(.head, in: decoder, mustExist: true)
        if container.contains(.pooling) {
            pooling = try container.decodeEnum(.pooling, default: .mean)
        }
        normalize = try container.decodeIfPresent(Bool.self, forKey: .normalize)
    }

    /// Length-sorted forward passes group sequences by batch.
    public var dependsOnBatchMakeup: Bool { true }

    public func recordSettings(into settings: inout OutputSettings) {
        settings.record(ConfigKeys.kind, Self.kind)
        settings.record(ConfigKeys.model, modelPath)
        settings.record(ConfigKeys.outputs, TeacherOutput.allCases.filter(outputs.contains))
        settings.record(ConfigKeys.temperature, temperature)
        settings.record(ConfigKeys.topK, topK)
        settings.record(ConfigKeys.batchSize, batchSize)
        settings.record(ConfigKeys.threads, threads)
        // Recorded only when set, so runs without them keep their fingerprints.
        if let head { settings.record(ConfigKeys.head, head) }
        if let pooling { settings.record(ConfigKeys.pooling, pooling) }
        if let normalize { settings.record(ConfigKeys.normalize, normalize) }
        // Recorded only when not the default, so fp32 runs keep their earlier fingerprints.
        if precision != .fp32 { settings.record(ConfigKeys.precision, precision) }
    }

    /// Loads the model, checks it against the tokenizer, and adds its output columns and its
    /// identity (for the report).
    public func assemble(in assembly: inout StageAssembly) throws -> [PipelineNode] {
        let transform = try TeacherTransform(options: self)
        if let vocabulary = assembly.vocabulary {
            guard transform.model.vocabularySize == vocabulary.tokens.count else {
                throw StagePlacementError(
                    "the teacher's vocabulary has \(transform.model.vocabularySize) tokens but the tokenizer's has \(vocabulary.tokens.count); a teacher with another tokenizer is not supported yet"
                )
            }
            guard vocabulary.maxLength <= transform.model.maxSequenceLength else {
                throw StagePlacementError(
                    "the tokenizer's max_length \(vocabulary.maxLength) exceeds the teacher's max_position_embeddings \(transform.model.maxSequenceLength)"
                )
            }
        }
        let identity = try transform.model.identity()
        assembly.models["teacher"] = .object([
            "folder": .string(identity.folderName), "config_sha256": .string(identity.configSHA256),
            "weights_sha256": .string(identity.weightsSHA256), "weights_bytes": .int(identity.weightsBytes),
            "head_sha256": identity.headSHA256.map(JSONValue.string) ?? .null,
        ])
        assembly.columns.formUnion(outputColumns)
        return [PipelineNode(transform, workers: 1)]
    }

    /// The token-sample columns this teacher fills.
    public var outputColumns: TokenSampleColumns {
        var columns: TokenSampleColumns = []
        for output in outputs {
            switch output {
            case .logits: columns.insert(.teacherLogits)
            case .probs: columns.insert(.teacherProbs)
            case .embedding: columns.insert(.teacherEmbedding)
            }
        }
        if topK != nil { columns.insert(.teacherTopK) }
        return columns
    }
}

extension TeacherOutput: SettingValue {}
extension TeacherPooling: SettingValue {}
extension TeacherPrecision: SettingValue {}
