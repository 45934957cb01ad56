import AugProResume
import Foundation

extension RunFingerprint {
    /// The fingerprint of `config` (its ``PipelineConfig/outputSettings``) and its input file.
    public init(config: PipelineConfig, inputPath: URL) throws {
        try self.init(settings: config.outputSettings, inputPath: inputPath)
    }
}

extension CheckpointSession {
    /// Input ordinals a restart position is rounded down to (``PipelineConfig/restartGranule``).
    public static func restartGranule(of config: PipelineConfig) -> Int64 {
        config.restartGranule
    }

    /// ``open(settings:granule:inputPath:output:mode:environment:)`` for a pipeline config.
    public static func open(
        config: PipelineConfig, inputPath: URL, output: URL, mode: OutputMode,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> CheckpointSession {
        try open(
            settings: config.outputSettings, granule: config.restartGranule, inputPath: inputPath, output: output,
            mode: mode, environment: environment)
    }
}
