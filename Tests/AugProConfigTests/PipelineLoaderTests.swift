import AugPro
import AugProConfig
import AugProNumerics
import AugProReader
import AugProWriter
import AugProTestSupport
import Foundation
import Testing

@Suite("Pipeline files")
struct PipelineLoaderTests {
    let folder: URL

    init() throws {
        folder = try TestEnvironment.temporaryDirectory("augpro-config")
        try "sentence\tlabel\nhello\t1\n".write(to: folder.appendingPathComponent("train.tsv"), atomically: true, encoding: .utf8)
    }

    func load(_ yaml: String, environment: [String: String] = [:], overrides: [String] = []) throws -> PipelineConfig {
        try PipelineLoader(environment: environment)
            .load(yaml: yaml, file: "job.yaml", baseDirectory: folder, overrides: overrides)
    }

    func error(_ yaml: String, environment: [String: String] = [:], overrides: [String] = []) -> ConfigError? {
        do {
            _ = try load(yaml, environment: environment, overrides: overrides)
            return nil
        } catch let error as ConfigError {
            return error
        } catch {
            Issue.record("unexpected error type: \(error)")
            return nil
        }
    }

    static let valid = """
        version: 1
        seed: 7
        stages:
          - reader:
              path: train.tsv
              text: sentence
              label: label
          - writer:
              path: out/data
              compression: zstd:5
              shard_size: 1MB
        """

    @Test("a valid file decodes with defaults and paths resolved against its folder")
    func valid() throws {
        let config = try load(Self.valid)
        #expect(config.seed == 7 && config.batchSize == 64 && config.channelCapacity == 4)
        #expect(config.stages.map(\.kind) == ["reader", "writer"])
        guard let reader = config.stages[0].settings as? ReaderOptions, let writer = config.stages[1].settings as? WriterOptions else {
            Issue.record("wrong stages")
            return
        }
        #expect(reader.path == folder.appendingPathComponent("train.tsv").standardizedFileURL.path)
        #expect(reader.onError == .fail)
        #expect(writer.compression == .zstd(level: 5) && writer.shardSize == 1 << 20 && writer.hashes == [.sha1])
        #expect(writer.path.hasSuffix("/out/data"))
    }

    @Test("an impossible value names file, line, column and key path")
    func impossibleValue() {
        let yaml = Self.valid.replacingOccurrences(of: "zstd:5", with: "zstd:40")
        let failure = error(yaml)
        #expect(failure?.description == "job.yaml:10:20: stages[1].writer.compression: expected zstd:N with N in 1...22, or none; got `zstd:40`")
    }

    @Test("unknown keys are refused with their position")
    func unknownKey() {
        let yaml = Self.valid.replacingOccurrences(of: "      label: label", with: "      label: label\n      lable: x")
        let failure = error(yaml)
        #expect(failure?.line == 8)
        #expect(failure?.path == "stages[0].reader.lable")
        #expect(failure?.message.hasPrefix("unknown key `lable`") == true)
    }

    @Test("wrong types and missing keys are located")
    func wrongTypeAndMissingKey() {
        let wrongType = error(Self.valid.replacingOccurrences(of: "seed: 7", with: "seed: [1, 2]"))
        #expect(wrongType?.line == 2 && wrongType?.path == "seed" && wrongType?.message == "expected a single value, not a list or mapping")
        let notNumber = error(Self.valid.replacingOccurrences(of: "seed: 7", with: "seed: seven"))
        #expect(notNumber?.line == 2 && notNumber?.column == 7 && notNumber?.message == "expected an integer")
        let missing = error(Self.valid.replacingOccurrences(of: "      text: sentence\n", with: ""))
        #expect(missing?.path == "stages[0].reader" && missing?.message == "missing required key `text`")
        #expect(missing?.line == 4)
    }

    @Test("a missing input file is an error at its key")
    func missingFile() {
        let failure = error(Self.valid.replacingOccurrences(of: "train.tsv", with: "nope.tsv"))
        #expect(failure?.line == 5 && failure?.column == 13)
        #expect(failure?.message.hasPrefix("no such file or folder") == true)
    }

    @Test("YAML syntax errors carry line and column")
    func syntaxError() {
        let failure = error("version: 1\nstages: [\n  - reader: {path: x\n")
        #expect(failure?.line != nil && failure?.message.hasPrefix("invalid YAML") == true)
    }

    @Test("unknown stage kinds are refused")
    func unknownStage() {
        let failure = error(Self.valid.replacingOccurrences(of: "  - writer:", with: "  - writr:"))
        #expect(failure?.path == "stages[1].writr")
        #expect(failure?.message.hasPrefix("unknown stage kind `writr`") == true)
    }

    @Test("${VAR} interpolation with fallback, and unset variables are errors")
    func interpolation() throws {
        let yaml = Self.valid.replacingOccurrences(of: "out/data", with: "${OUT_ROOT}/run-${RUN:-a}")
        let config = try load(yaml, environment: ["OUT_ROOT": "/tmp/x"])
        #expect(config.writer?.path == "/tmp/x/run-a")
        let failure = error(yaml)
        #expect(failure?.line == 9 && failure?.message.contains("`OUT_ROOT` is not set") == true)
    }

    @Test("--set overrides address stages by kind or index")
    func overrides() throws {
        let config = try load(
            Self.valid,
            overrides: ["stages.writer.path=/tmp/y", "seed=9", "stages[1].writer.hashes=[sha1, xxh64]", "batch_size=7"])
        #expect(config.writer?.path == "/tmp/y" && config.seed == 9 && config.batchSize == 7)
        #expect(config.writer?.hashes == [.sha1, .xxh64])
        let failure = error(Self.valid, overrides: ["stages.teacher.model=x"])
        #expect(failure?.message == "no stage of kind `teacher`")
        let invalid = error(Self.valid, overrides: ["stages.writer.compression=lz4"])
        #expect(invalid?.path == "stages[1].writer.compression")
        // An overridden value is reported at the key it replaced in the file.
        #expect(invalid?.line == 10 && invalid?.column == 7)
    }

    @Test("interpolator λ settings are validated")
    func lambda() {
        let yaml = """
            version: 1
            stages:
              - reader: {path: train.tsv, text: sentence}
              - interpolator: {lambda: {uniform: [0.8, 0.2]}}
              - writer: {path: out}
            """
        let failure = error(yaml)
        #expect(failure?.path == "stages[1].interpolator.lambda.uniform")
        #expect(failure?.line == 4)
    }
}
