import AugProConfig
import AugProWriter
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

    enum CodingKeys: String, SettingKey, CaseIterable {
        case version, seed, stages
        case batchSize = "batch_size"
        case channelCapacity = "channel_capacity"

        var affectsOutput: Bool { self != .channelCapacity }
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.allCases.map(\.rawValue))
        let registry = decoder.userInfo[.stageRegistry] as? StageRegistry ?? .standard
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
            let (kind, settings) = try registry.decodeStage(from: stageDecoder)
            stages.append(StageConfig(kind: kind, settings: settings))
        }
        guard !stages.isEmpty else { throw container.issue(.stages, "expected at least a reader and a writer") }
    }

    /// The writer stage's settings (every valid pipeline ends with one).
    public var writer: WriterOptions? {
        stages.lazy.compactMap { $0.settings as? WriterOptions }.first
    }

    /// The file the source stage reads.
    public var inputFile: URL? {
        stages.first { $0.settings.role == .source }?.settings.inputFile
    }

    /// The folder the sink stage writes (before `--output`).
    public var outputFolder: URL? {
        stages.first { $0.settings.role == .sink }?.settings.outputFolder
    }

    /// The settings that can change the output, by key path: what a checkpoint records.
    public var outputSettings: OutputSettings {
        var settings = OutputSettings()
        settings.record(CodingKeys.version, version)
        settings.record(CodingKeys.seed, seed)
        settings.record(CodingKeys.batchSize, batchSize)
        settings.record(CodingKeys.channelCapacity, channelCapacity)
        for (index, stage) in stages.enumerated() {
            settings.nest("stages[\(index)].\(stage.kind)") { stage.settings.recordSettings(into: &$0) }
        }
        return settings
    }

    /// Input ordinals a restart position is rounded down to: the least common multiple of the
    /// stages' granules (mixup windows), so pairing restarts at a block boundary; without one,
    /// the batch size, so batches regenerate whole.
    public var restartGranule: Int64 {
        func gcd(_ a: Int64, _ b: Int64) -> Int64 { b == 0 ? a : gcd(b, a % b) }
        let granules = stages.compactMap(\.settings.restartGranule)
        guard !granules.isEmpty else { return Int64(batchSize) }
        return granules.reduce(1) { $0 / gcd($0, $1) * $1 }
    }
}

/// One item of `stages:`: the stage kind as written in the file and its decoded settings.
public struct StageConfig: Sendable {
    /// The stage kind, as written in the file (`reader`, `teacher`).
    public var kind: String
    /// The stage's settings, decoded and validated by its kind (e.g. ``ReaderOptions``).
    public var settings: any StageSettings

    public init(kind: String, settings: any StageSettings) {
        self.kind = kind
        self.settings = settings
    }
}
