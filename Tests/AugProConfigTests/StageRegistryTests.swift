import AugPro
import AugProConfig
import AugProRecords
import AugProRuntime
import AugProTestSupport
import AugProWriter
import Foundation
import Testing

// Two stage kinds defined only here, registered from outside the library: a top-level
// `lowercase` transform and a `teacher: {kind: length}` sub-kind.

/// `lowercase: {ascii_only: bool}` — lowercases each record's text.
struct LowercaseSettings: StageSettings {
    enum ConfigKeys: String, SettingKey, CaseIterable {
        case asciiOnly = "ascii_only"
    }

    var asciiOnly: Bool

    init(config decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(ConfigKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: ConfigKeys.self)
        asciiOnly = try container.decodeIfPresent(Bool.self, forKey: .asciiOnly) ?? false
    }

    func recordSettings(into settings: inout OutputSettings) {
        settings.record(ConfigKeys.asciiOnly, asciiOnly)
    }

    func assemble(in assembly: inout StageAssembly) throws -> [PipelineNode] {
        guard assembly.previousOutput == TextRecord.self else {
            throw StagePlacementError("needs raw text records before it")
        }
        return [PipelineNode(Lowercase(asciiOnly: asciiOnly), workers: 2)]
    }

    struct Lowercase: BatchTransform {
        let asciiOnly: Bool
        var name: String { "lowercase" }

        func transform(_ batch: [TextRecord], context: StageContext) throws -> [TextRecord] {
            batch.map { record in
                var record = record
                record.text =
                    asciiOnly
                    ? String(record.text.map { $0.isASCII ? Character($0.lowercased()) : $0 }) : record.text.lowercased()
                return record
            }
        }
    }
}

/// `teacher: {kind: length}` — a "teacher" whose single logit is the sequence length.
struct LengthTeacherSettings: StageSettings {
    enum ConfigKeys: String, SettingKey, CaseIterable {
        case kind
    }

    init(config decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(ConfigKeys.allCases.map(\.rawValue))
    }

    var dependsOnBatchMakeup: Bool { true }

    func recordSettings(into settings: inout OutputSettings) {
        settings.record(ConfigKeys.kind, "length")
    }

    func assemble(in assembly: inout StageAssembly) throws -> [PipelineNode] {
        assembly.columns.insert(.teacherLogits)
        return [PipelineNode(LengthTeacher(), workers: 1)]
    }

    struct LengthTeacher: BatchTransform {
        var name: String { "teacher" }

        func transform(_ batch: [TokenSample], context: StageContext) throws -> [TokenSample] {
            batch.map { sample in
                var sample = sample
                sample.teacher = TeacherTargets(logits: [Float(sample.inputIds.count)])
                return sample
            }
        }
    }
}

@Suite("Stage kinds registered from outside")
struct StageRegistryTests {
    let folder: URL
    let registry: StageRegistry = {
        var registry = StageRegistry.standard.registering(StageKind("lowercase", LowercaseSettings.self))
        registry.register(StageKind("length", LengthTeacherSettings.self), under: "teacher")
        return registry
    }()

    init() throws {
        folder = try TestEnvironment.temporaryDirectory("augpro-registry")
        try "sentence\tlabel\nHello World\t1\nÉCOLE Bonjour\t0\nhello\t1\n"
            .write(to: folder.appendingPathComponent("train.tsv"), atomically: true, encoding: .utf8)
        try "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\nworld\nbon\n##jour\n"
            .write(to: folder.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
    }

    func load(_ yaml: String) throws -> PipelineConfig {
        try PipelineLoader(environment: [:], registry: registry)
            .load(yaml: yaml, file: "job.yaml", baseDirectory: folder)
    }

    func run(_ yaml: String) async throws -> [[String: JSONValue]] {
        let config = try load(yaml)
        let job = try PipelineAssembler(file: "job.yaml").assemble(config)
        try JobRunner.prepareOutput(job.outputDirectory, overwrite: false)
        _ = try await JobRunner(job: job, pipelineFile: folder.appendingPathComponent("job.yaml")).run()
        var samples: [[String: JSONValue]] = []
        try MDSDatasetReader(path: job.outputDirectory.path).forEachSample { samples.append($0) }
        return samples
    }

    @Test("a toy transform kind runs in a pipeline and its settings join the fingerprint")
    func lowercaseKind() async throws {
        let yaml = """
            version: 1
            stages:
              - reader: {path: train.tsv, text: sentence, label: label}
              - lowercase: {ascii_only: true}
              - writer: {path: out-lower, shard_size: 4KB}
            """
        let samples = try await run(yaml)
        #expect(samples.map { $0["text"] } == [.string("hello world"), .string("École bonjour"), .string("hello")])
        let settings = try load(yaml).outputSettings.values
        #expect(settings["stages[1].lowercase.ascii_only"] == "true")
    }

    @Test("a toy teacher sub-kind is chosen by `kind` and fills its output column")
    func teacherSubKind() async throws {
        let samples = try await run(
            """
            version: 1
            stages:
              - reader: {path: train.tsv, text: sentence, label: label}
              - tokenizer: {vocab: vocab.txt}
              - teacher: {kind: length}
              - writer: {path: out-length, shard_size: 4KB}
            """)
        #expect(samples.count == 3)
        for sample in samples {
            guard case .array(let ids)? = sample["input_ids"], case .array(let logits)? = sample["teacher_logits"] else {
                Issue.record("missing columns in \(sample)")
                continue
            }
            #expect(logits == [.double(Double(ids.count))] || logits == [.int(ids.count)], "\(logits) vs \(ids.count) ids")
        }
    }

    @Test("toy kinds keep the strict file:line:col errors")
    func errors() {
        func failure(_ yaml: String) -> String? {
            do {
                _ = try load(yaml)
                return nil
            } catch {
                return "\(error)"
            }
        }
        let base = """
            version: 1
            stages:
              - reader: {path: train.tsv, text: sentence}
              - tokenizer: {vocab: vocab.txt}
              - teacher: {kind: lenght}
              - lowercase: {ascii: true}
              - writer: {path: out}
            """
        #expect(failure(base) == "job.yaml:5:21: stages[2].teacher.kind: expected one of embedded | length, got `lenght`")
        let unknownKey = failure(base.replacingOccurrences(of: "lenght", with: "length"))
        #expect(unknownKey == "job.yaml:6:24: stages[3].lowercase.ascii: unknown key `ascii` (expected one of: ascii_only)")
        let standard = try? PipelineLoader(environment: [:]).load(yaml: base, file: "job.yaml", baseDirectory: folder)
        #expect(standard == nil, "the standard registry knows neither kind")
    }
}

@Suite("Output settings")
struct OutputSettingsTests {
    enum Keys: String, SettingKey {
        case url, apiKey = "api_key", workers

        var affectsOutput: Bool { self != .workers }
        var isSecret: Bool { self == .apiKey }
    }

    @Test("keys declared secret or output-neutral are never recorded; the rest are, nested under the stage")
    func secretAndNeutralKeys() {
        var settings = OutputSettings()
        settings.nest("stages[3].teacher") { stage in
            stage.record(Keys.url, "http://127.0.0.1:8000/v2/models/m")
            stage.record(Keys.apiKey, "s3cr3t-from-environment")
            stage.record(Keys.workers, 8)
        }
        #expect(settings.values == ["stages[3].teacher.url": "http://127.0.0.1:8000/v2/models/m"])
        #expect(!settings.values.values.contains { $0.contains("s3cr3t") })
    }
}
