import AugPro
import AugProResume
import AugProTestSupport
import Foundation
import Testing

@Suite("Checkpoint fingerprints")
struct CheckpointFingerprintTests {
    let folder: URL

    init() throws {
        folder = try TestEnvironment.temporaryDirectory("augpro-fingerprint")
        try "sentence\tlabel\nhello\t1\nworld\t0\n".write(to: folder.appendingPathComponent("train.tsv"), atomically: true, encoding: .utf8)
        try "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n".write(to: folder.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
    }

    func yaml(window: Int = 16, workers: Int = 1, capacity: Int = 4, output: String = "out") -> String {
        """
        version: 1
        seed: 3
        batch_size: 8
        channel_capacity: \(capacity)
        stages:
          - reader: {path: train.tsv, text: sentence, label: label}
          - tokenizer: {vocab: vocab.txt, workers: \(workers)}
          - interpolator: {window: \(window)}
          - writer: {path: \(output), shard_size: 4KB}
        """
    }

    func fingerprint(_ text: String, overrides: [String] = []) throws -> (RunFingerprint, PipelineConfig) {
        let config = try PipelineLoader(environment: [:]).load(yaml: text, file: "job.yaml", baseDirectory: folder, overrides: overrides)
        return (try RunFingerprint(config: config, inputPath: folder.appendingPathComponent("train.tsv")), config)
    }

    @Test("settings that cannot change the bytes are left out; defaults are spelled out")
    func neutralSettings() throws {
        let (base, config) = try fingerprint(yaml())
        let (other, _) = try fingerprint(yaml(workers: 2, capacity: 9, output: "elsewhere"))
        #expect(base.configSHA256 == other.configSHA256)
        #expect(base.config["stages[2].interpolator.per_example"] == "2", "defaults are part of the canonical config")
        #expect(base.config["stages[2].interpolator.granularity"] == "token")
        #expect(base.config["stages[3].writer.shard_size"] == "4096")
        #expect(base.config.keys.allSatisfy { !$0.hasSuffix(".workers") && !$0.hasSuffix(".path") || $0.contains("reader") })
        #expect(CheckpointSession.restartGranule(of: config) == 16)
    }

    @Test("a changed setting or input is listed by key with old and new value")
    func differences() throws {
        let (base, _) = try fingerprint(yaml())
        let checkpoint = RunCheckpoint(fingerprint: base, restartGranule: 16)
        let (changed, _) = try fingerprint(yaml(window: 32), overrides: ["stages.tokenizer.max_length=64"])
        #expect(changed.differences(from: checkpoint) == [
            "stages[1].tokenizer.max_length: 128 → 64", "stages[2].interpolator.window: 16 → 32",
        ])
        try "sentence\tlabel\nhello\t1\nworld\t1\n".write(to: folder.appendingPathComponent("train.tsv"), atomically: true, encoding: .utf8)
        let (edited, _) = try fingerprint(yaml())
        let keys = edited.differences(from: checkpoint).map { $0.split(separator: ":").first.map(String.init) ?? "" }
        #expect(keys.contains("input.head_sha256") && keys.contains("input.tail_sha256"), "\(keys)")
        #expect(!keys.contains("input.bytes"), "same size")
    }

    @Test("checkpoint.json round-trips, and a damaged one is refused naming --overwrite")
    func fileRoundTrip() throws {
        let (base, config) = try fingerprint(yaml())
        #expect(CheckpointSession.restartGranule(of: config) == 16)
        let checkpoint = RunCheckpoint(fingerprint: base, restartGranule: 16)
        try checkpoint.save(to: folder)
        #expect(try RunCheckpoint.load(from: folder) == checkpoint)
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent(".tmp-checkpoint.json").path))
        try "{\"version\": 1".write(to: folder.appendingPathComponent("checkpoint.json"), atomically: true, encoding: .utf8)
        #expect { try RunCheckpoint.load(from: folder) } throws: { "\($0)".contains("--overwrite") }
    }

    @Test("without an interpolator the restart granule is the batch size")
    func granuleWithoutWindow() throws {
        let text = """
            version: 1
            batch_size: 50
            stages:
              - reader: {path: train.tsv, text: sentence}
              - writer: {path: out}
            """
        let (_, config) = try fingerprint(text)
        #expect(CheckpointSession.restartGranule(of: config) == 50)
    }
}
