import Foundation
import Yams

/// A pipeline file (`version: 1`): run-wide settings and the ordered stage list.
public struct PipelineConfig: Decodable, Sendable {
    public var version: Int
    public var seed: UInt64
    public var batchSize: Int
    public var channelCapacity: Int
    public var stages: [StageConfig]
    /// Where each stage starts in the file (`line:column`), for messages about the chain.
    public var stageLocations: [String]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case version, seed, stages
        case batchSize = "batch_size"
        case channelCapacity = "channel_capacity"
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        guard version == 1 else { throw container.issue(.version, "expected 1, got \(version)") }
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        batchSize = try container.decodeInt(.batchSize, in: 1...1_000_000, default: 64)
        channelCapacity = try container.decodeInt(.channelCapacity, in: 1...1024, default: 4)
        var list = try container.nestedUnkeyedContainer(forKey: .stages)
        stages = []
        stageLocations = []
        while !list.isAtEnd {
            let stageDecoder = try list.superDecoder()
            stageLocations.append(stageDecoder.mark.map { "\($0.line):\($0.column)" } ?? "")
            stages.append(try StageConfig(from: stageDecoder))
        }
        guard !stages.isEmpty else { throw container.issue(.stages, "expected at least a reader and a writer") }
    }

    /// The writer stage's settings (every valid pipeline ends with one).
    public var writer: WriterConfig? {
        stages.lazy.compactMap { if case .writer(let writer) = $0 { return writer } else { return nil } }.first
    }
}

/// One item of `stages:`: a mapping with exactly one key, the stage kind.
public enum StageConfig: Decodable, Sendable {
    case reader(ReaderConfig)
    case tokenizer(TokenizerConfig)
    case interpolator(InterpolatorConfig)
    case projector(ProjectorConfig)
    case teacher(TeacherConfig)
    case writer(WriterConfig)

    /// Every stage kind, in pipeline order.
    public static let kinds = ["reader", "tokenizer", "interpolator", "projector", "teacher", "writer"]

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let keys = container.allKeys
        guard keys.count == 1, let key = keys.first else {
            throw decoder.issue(
                "expected a mapping with exactly one stage kind (\(StageConfig.kinds.joined(separator: ", "))), found \(keys.count) keys")
        }
        switch key.stringValue {
        case "reader": self = .reader(try container.decode(ReaderConfig.self, forKey: key))
        case "tokenizer": self = .tokenizer(try container.decode(TokenizerConfig.self, forKey: key))
        case "interpolator": self = .interpolator(try container.decode(InterpolatorConfig.self, forKey: key))
        case "projector": self = .projector(try container.decode(ProjectorConfig.self, forKey: key))
        case "teacher": self = .teacher(try container.decode(TeacherConfig.self, forKey: key))
        case "writer": self = .writer(try container.decode(WriterConfig.self, forKey: key))
        default:
            throw ConfigIssue(
                codingPath: decoder.codingPath + [key],
                message: "unknown stage kind `\(key.stringValue)` (expected one of: \(StageConfig.kinds.joined(separator: ", ")))")
        }
    }

    /// The stage kind, as written in the file.
    public var kind: String {
        switch self {
        case .reader: "reader"
        case .tokenizer: "tokenizer"
        case .interpolator: "interpolator"
        case .projector: "projector"
        case .teacher: "teacher"
        case .writer: "writer"
        }
    }
}
