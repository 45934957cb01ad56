import AugProConfig
import AugProNumerics
import AugProRecords
import AugProRuntime
import Foundation

/// `writer:` — the MDS dataset to write, decoded straight into ``WriterOptions``. The writer
/// is the pipeline's sink; its row encoder follows the previous stage's output type.
extension WriterOptions: StageSettings {
    enum ConfigKeys: String, SettingKey, CaseIterable {
        case path, compression
        case shardSize = "shard_size"
        case hashes

        var affectsOutput: Bool { self != .path }
    }

    public init(config decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(ConfigKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: ConfigKeys.self)
        let path = try container.decodePath(.path, in: decoder, mustExist: false)
        let compressionText = try container.decodeIfPresent(String.self, forKey: .compression) ?? "zstd:3"
        let compression: ShardCompression
        do {
            compression = try ShardCompression(parsing: compressionText)
        } catch {
            throw container.issue(.compression, "expected zstd:N with N in 1...22, or none; got `\(compressionText)`")
        }
        var shardSize = WriterOptions.defaultShardSize
        if let bytes = try? container.decodeIfPresent(Int.self, forKey: .shardSize) {
            shardSize = bytes
        } else if let text = try container.decodeIfPresent(String.self, forKey: .shardSize) {
            guard let bytes = try? parseByteSize(text) else {
                throw container.issue(.shardSize, "expected a size like 64MB, 512KiB or 1048576; got `\(text)`")
            }
            shardSize = bytes
        }
        guard (1024...WriterOptions.maximumShardSize).contains(shardSize) else {
            throw container.issue(.shardSize, "expected a size from 1KB to 4GiB, got \(shardSize) bytes")
        }
        let hashes = try container.decodeEnumList(.hashes, default: [DigestAlgorithm.sha1])
        do {
            try self.init(path: path.path, compression: compression, shardSize: shardSize, hashes: hashes)
        } catch {
            throw decoder.issue("\(error)")
        }
    }

    public var role: StageRole { .sink }
    public var outputFolder: URL? { URL(fileURLWithPath: path) }

    public func recordSettings(into settings: inout OutputSettings) {
        settings.record(ConfigKeys.path, path)
        settings.record(ConfigKeys.compression, compression)
        settings.record(ConfigKeys.shardSize, shardSize)
        settings.record(ConfigKeys.hashes, hashes)
    }

    /// A writer for what the previous stage produces (raw text records or token samples), in
    /// the assembly's output folder, continuing a checkpoint's commits when resuming.
    public func assemble(in assembly: inout StageAssembly) throws -> [PipelineNode] {
        var options = self
        options.path = assembly.outputDirectory.path
        options.overwrite = assembly.overwrite
        let resume = assembly[WriterResume.self]
        func writer<Row: OrdinalRecord>(_ encoder: some MDSRowEncoder<Row>) -> PipelineNode {
            PipelineNode(
                WriterStage(
                    options: options, encoder: encoder, resuming: resume?.committed ?? [],
                    restart: resume?.restart ?? .beginning,
                    tracking: RestartTracking(granule: assembly.restartGranule) { $0.inputOrdinal },
                    onCommit: resume?.onShardCommitted))
        }
        switch assembly.previousOutput {
        case nil:
            throw StagePlacementError("needs a stage before it")
        case is TextRecord.Type:
            return [writer(TextRecordEncoder(includesTextPair: assembly.inputHasTextPair))]
        case is TokenSample.Type:
            return [writer(TokenSampleEncoder(columns: assembly.columns))]
        case let previous?:
            throw StagePlacementError("cannot write \(StageAssembly.describe(previous)): put a projector after the interpolator")
        }
    }
}

/// What a resumed writer continues after: the committed shards, the restart point recorded
/// with the last one, and the callback recording each new commit in the checkpoint. Set by the
/// assembler from the run's checkpoint (package-internal: not part of the library's API).
package struct WriterResume: AssemblyKey, Sendable {
    package typealias Value = WriterResume
    package var committed: [ShardCommit]
    package var restart: RestartPoint
    package var onShardCommitted: @Sendable (ShardCommit, RestartPoint) throws -> Void

    package init(
        committed: [ShardCommit], restart: RestartPoint,
        onShardCommitted: @escaping @Sendable (ShardCommit, RestartPoint) throws -> Void
    ) {
        self.committed = committed
        self.restart = restart
        self.onShardCommitted = onShardCommitted
    }
}

extension ShardCompression: SettingValue {
    /// `none`, or `zstd.level` → N under the key.
    public func render(into settings: inout OutputSettings, at path: String) {
        switch self {
        case .none: settings.store("none", at: path)
        case .zstd(let level): settings.store(String(level), at: "\(path).zstd.level")
        }
    }
}

extension DigestAlgorithm: SettingValue {}
