import AugProTestSupport
import Foundation
import Testing

/// The `python/` package (`import augpro`) read against `augpro inspect`, and the distillation
/// example's scripts on a tiny slice.
@Suite("Python package and distillation example", .serialized)
struct PythonPackageTests {
    let folder: URL

    init() throws {
        folder = try TestEnvironment.temporaryDirectory("augpro-python")
    }

    /// Runs a pipeline body (the stages) into `folder/NAME` and returns the dataset folder.
    func dataset(_ name: String, stages: String, seed: Int = 3) throws -> URL {
        let output = folder.appendingPathComponent(name)
        let job = try writePipeline(
            "version: 1\nseed: \(seed)\nbatch_size: 16\nstages:\n\(stages)\n  - writer: {path: \(output.path), shard_size: 4KB, hashes: [sha1, sha256, xxh64]}\n",
            in: folder, name: "\(name).yaml")
        let result = try CLI.run(["run", job.path, "--progress", "none"])
        #expect(result.status == 0, "\(name): \(result.stderrText)")
        return output
    }

    func slice(_ fixture: String, rows: Int) throws -> URL {
        let lines = try String(contentsOf: TestEnvironment.fixture(fixture), encoding: .utf8).split(separator: "\n")
        let url = folder.appendingPathComponent(URL(fileURLWithPath: fixture).lastPathComponent)
        try (lines.prefix(rows + 1).joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    @Test("AugProDataset equals `augpro inspect` on every column kind; damaged, missing and merged folders")
    func packageAgainstInspect() throws {
        let model = try #require(TestEnvironment.modelDirectory, "the model folder is missing: run make models")
        let tiny = TestEnvironment.packageRoot.appendingPathComponent(".models/tiny-bert-classifier")
        let reviews = try slice("quickstart/reviews.tsv", rows: 80)
        let pairs = try slice("quickstart/pairs.tsv", rows: 16)
        let folders = [
            try dataset("raw-text", stages: "  - reader: {path: \(reviews.path), text: sentence, label: label}"),
            try dataset(
                "raw-pairs",
                stages: "  - reader: {path: \(pairs.path), text: \"#1 String\", text_pair: \"#2 String\", label: Quality}"),
            try dataset(
                "tokenized",
                stages: """
                      - reader: {path: \(reviews.path), text: sentence, label: label}
                      - tokenizer: {vocab: \(model.path), max_length: 32}
                    """),
            try dataset(
                "mix-logits-probs-topk",
                stages: """
                      - reader: {path: \(reviews.path), text: sentence, label: label}
                      - tokenizer: {vocab: \(tiny.path), max_length: 32}
                      - interpolator: {per_example: 2, window: 32, granularity: token, lambda: {uniform: [0.2, 0.8]}}
                      - projector: {embeddings: \(tiny.path), search: brute_force}
                      - teacher: {model: \(tiny.path), outputs: [logits, probs], temperature: 2.0, top_k: 2}
                    """),
            try dataset(
                "pairs-mix-embedding",
                stages: """
                      - reader: {path: \(pairs.path), text: "#1 String", text_pair: "#2 String", label: Quality}
                      - tokenizer: {vocab: \(model.path), max_length: 48}
                      - interpolator: {per_example: 1, window: 16, granularity: token}
                      - projector: {embeddings: \(model.path), search: brute_force}
                      - teacher: {model: \(model.path), outputs: [embedding]}
                    """),
        ]
        let script = TestEnvironment.packageRoot.appendingPathComponent("python/tests/check_against_inspect.py")
        // The torch checks (TorchDataset, collate) run when a Python with torch exists; the script skips them loudly otherwise.
        let python = try #require(torchPython ?? TestEnvironment.python, "the project venv is missing: run make venv")
        let output = try TestEnvironment.run(python, arguments: [script.path] + [CLI.executable.path] + folders.map(\.path))
        let text = String(decoding: output, as: UTF8.self)
        print(text)
        #expect(text.contains("all Python package checks passed"))
        #expect(text.contains("xxh64"))
    }
}

/// A Python that can import torch: `AUGPRO_TORCH_PYTHON`, else the benchmark's `.venv-distill`
/// (made by `make bench-distill`), else the test venv when torch is installed there.
let torchPython: URL? = {
    let environment = ProcessInfo.processInfo.environment["AUGPRO_TORCH_PYTHON"].map { URL(fileURLWithPath: $0) }
    let candidates = [
        environment, TestEnvironment.packageRoot.appendingPathComponent(".venv-distill/bin/python"), TestEnvironment.python,
    ]
    for case let python? in candidates where FileManager.default.isExecutableFile(atPath: python.path) {
        if let result = try? TestEnvironment.runCapturing(python, arguments: ["-c", "import torch"]), result.status == 0 {
            return python
        }
    }
    print("SKIPPING the distillation benchmark check: no Python with torch (set AUGPRO_TORCH_PYTHON or run `make distill-venv`)")
    return nil
}()

@Suite("Distillation benchmark scripts", .serialized)
struct DistillBenchmarkTests {
    @Test(
        "run_benchmark.py --tiny: every row trains, the loss decreases, the table is written",
        .enabled(if: torchPython != nil, "no Python with torch: set AUGPRO_TORCH_PYTHON or run `make distill-venv`"))
    func tinyBenchmark() throws {
        let python = try #require(torchPython)
        let model = try #require(TestEnvironment.modelDirectory, "the model folder is missing: run make models")
        let work = try TestEnvironment.temporaryDirectory("augpro-distill")
        let script = TestEnvironment.packageRoot.appendingPathComponent("examples/distill/run_benchmark.py")
        let packagePath = TestEnvironment.packageRoot.appendingPathComponent("python").path
        let output = try TestEnvironment.run(
            python,
            arguments: [script.path, "--tiny", "--augpro", CLI.executable.path, "--work", work.path, "--model", model.path],
            environment: ["PYTHONPATH": packagePath])
        let log = String(decoding: output, as: UTF8.self)
        let results =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: work.appendingPathComponent("results.json"))) as! [String: Any]
        let runs = try #require(results["runs"] as? [[String: Any]])
        let variants = Set(runs.compactMap { $0["variant"] as? String })
        #expect(variants.isSuperset(of: ["kd", "mix-defaults", "mix-example", "random", "virtual"]), "\(variants)\n\(log)")
        for run in runs {
            let first = try #require(run["loss_first"] as? Double)
            let last = try #require(run["loss_last"] as? Double)
            #expect(last < first, "\(run["variant"] ?? "?"): KL \(first) → \(last) did not decrease")
        }
        let table = try String(contentsOf: work.appendingPathComponent("RESULTS.md"), encoding: .utf8)
        #expect(table.contains("| originals | variant | test accuracy % | teacher agreement %"))
        #expect(table.contains("KD on originals only") && table.contains("virtual mixup"))
    }
}
