import AugProRecords
import AugProRuntime
import AugProTeacher
import Foundation

/// bench-teacher: sequences/s of the embedded teacher (fp32 and int8) beside ONNX Runtime and
/// PyTorch on all-MiniLM-L6-v2 (sentence embedding: mean pooling + L2 norm on every side), in one
/// run: fixed lengths 32 / 64 / 128 / 256 at batch 32, and a real length mix (HF-tokenized lines
/// of the fixture corpus) where augpro buckets each 256-sample window by length while ORT pads
/// each batch of 32 in input order, or uses the same buckets. The engines run in one long-lived
/// Python process (`engines.py serve`); runs alternate augpro / int8 / ORT / torch after one
/// warm-up each, and the table shows medians, so load from other processes hits every side.
/// Run from the package root:
/// `bench-teacher --ort-python .venv-bench/bin/python [--runs 5] [--threads 2] [--no-torch] [--numpy] [--no-int8] [--profile]`.

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
}

let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: String) -> String {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}
let runs = Int(option("--runs", "5")) ?? 5
let threads = Int(option("--threads", "2")) ?? 2
let modelFolder = URL(fileURLWithPath: option("--model", ".models/all-MiniLM-L6-v2"))
let enginesScript = "Benchmarks/bench-teacher/engines.py"
let onnxPath = option("--onnx", ".cache/bench-teacher/all-MiniLM-L6-v2.onnx")
let enginePython = arguments.contains("--ort-python") ? option("--ort-python", "") : nil
let includeTorch = !arguments.contains("--no-torch")
let includeInt8 = !arguments.contains("--no-int8")
let profile = arguments.contains("--profile")
let corpus = "fixtures/tokenizer/english_corpus.txt.xz"
let batchSize = 32
let window = 256

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

/// Runs `python script arguments…` to completion and returns its standard output.
func runPython(_ python: String, _ scriptArguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [enginesScript] + scriptArguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchFailure(description: "\(enginesScript) \(scriptArguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
    return data
}

/// The long-lived `engines.py serve` process: one JSON request line in, one JSON line out.
final class EngineServer {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private var buffer = Data()
    private(set) var engines: [String] = []

    init(python: String, engines requested: [String]) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            enginesScript, "serve", modelFolder.path, "--onnx", onnxPath, "--threads", String(threads),
            "--engines", requested.joined(separator: ","),
        ]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let ready = try readReply()
        engines = ready["ready"] as? [String] ?? []
    }

    private func readReply() throws -> [String: Any] {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                guard let object = try JSONSerialization.jsonObject(with: line) as? [String: Any] else {
                    throw BenchFailure(description: "engines.py: unexpected reply")
                }
                return object
            }
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw BenchFailure(description: "engines.py exited early") }
            buffer.append(chunk)
        }
    }

    func request(_ object: [String: Any]) throws -> [String: Any] {
        var line = try JSONSerialization.data(withJSONObject: object)
        line.append(UInt8(ascii: "\n"))
        input.fileHandleForWriting.write(line)
        return try readReply()
    }

    func load(_ name: String, batches: [[TokenSample]]) throws {
        let payload = batches.map { batch in
            batch.map { ["input_ids": $0.inputIds.map(Int.init), "token_type_ids": $0.tokenTypeIds.map(Int.init)] }
        }
        _ = try request(["load": name, "batches": payload])
    }

    func time(_ name: String, engine: String) throws -> Double {
        guard let seconds = try request(["time": name, "engine": engine])["seconds"] as? Double else {
            throw BenchFailure(description: "engines.py: no seconds for \(engine) on \(name)")
        }
        return seconds
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}

/// Deterministic token ids in the ordinary-word range, framed by [CLS] … [SEP].
func syntheticSamples(count: Int, length: Int) -> [TokenSample] {
    var state: UInt64 = 0x7EAC_4E55
    return (0..<count).map { index in
        let body = (0..<(length - 2)).map { _ -> Int32 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int32(1000 + (state >> 33) % 29_000)
        }
        return TokenSample(id: Int64(index), inputIds: [101] + body + [102], tokenTypeIds: [UInt8](repeating: 0, count: length), label: -1)
    }
}

/// Every 117th line of the fixture corpus (512 lines), tokenized by HF tokenizers (truncation 128).
func realMix(python: String) throws -> [TokenSample] {
    let data = try runPython(python, ["tokenize", modelFolder.path, corpus, "512", "117", "128"])
    guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
          let sequences = object["sequences"] as? [[String: [Int]]] else {
        throw BenchFailure(description: "unexpected tokenize output")
    }
    return sequences.enumerated().map { position, entry in
        TokenSample(
            id: Int64(position), inputIds: (entry["input_ids"] ?? []).map(Int32.init),
            tokenTypeIds: (entry["token_type_ids"] ?? []).map(UInt8.init), label: -1)
    }
}

/// Batches of 32 in input order (what a padding engine is fed).
func inputOrderBatches(_ samples: [TokenSample]) -> [[TokenSample]] {
    stride(from: 0, to: samples.count, by: batchSize).map { Array(samples[$0..<min($0 + batchSize, samples.count)]) }
}

/// augpro's grouping: each window sorted by (length, position), cut into passes of 32.
func bucketedBatches(_ samples: [TokenSample]) -> [[TokenSample]] {
    stride(from: 0, to: samples.count, by: window).flatMap { first -> [[TokenSample]] in
        let sorted = samples[first..<min(first + window, samples.count)].enumerated()
            .sorted { ($0.element.inputIds.count, $0.offset) < ($1.element.inputIds.count, $1.offset) }.map(\.element)
        return inputOrderBatches(sorted)
    }
}

/// Seconds of one pass of augpro over `samples`, fed as channel batches of `channel` samples.
func timeAugpro(_ transform: TeacherTransform, _ samples: [TokenSample], channel: Int) throws -> Double {
    let context = StageContext(seed: 1, batchSize: channel)
    let clock = ContinuousClock()
    let start = clock.now
    for first in stride(from: 0, to: samples.count, by: channel) {
        _ = try transform.transform(Array(samples[first..<min(first + channel, samples.count)]), context: context)
    }
    return seconds(clock.now - start)
}

struct Workload {
    var name: String
    var samples: [TokenSample]
    /// The channel batch augpro is fed (it sorts and cuts it into passes of 32).
    var channel: Int
    /// How the Python engines batch it: name → batches.
    var engineBatches: [(String, [[TokenSample]])]
}

guard let enginePython else {
    print("usage: bench-teacher --ort-python VENV/bin/python [--runs 5] [--threads 2] [--no-torch] [--numpy] [--no-int8] [--profile]")
    exit(2)
}
if !FileManager.default.fileExists(atPath: onnxPath) {
    print("exporting \(modelFolder.lastPathComponent) to \(onnxPath) (once)")
    FileHandle.standardOutput.write(try runPython(enginePython, ["export", modelFolder.path, onnxPath]))
}
let mix = try realMix(python: enginePython)
var workloads: [Workload] = [32, 64, 128, 256].map { length in
    let samples = syntheticSamples(count: length <= 64 ? 64 : 32, length: length)
    return Workload(name: "length \(length), batch 32", samples: samples, channel: batchSize, engineBatches: [("", inputOrderBatches(samples))])
}
workloads.append(Workload(
    name: "real mix, window 256", samples: mix, channel: window,
    engineBatches: [("padded", inputOrderBatches(mix)), ("buckets", bucketedBatches(mix))]))

let requested = ["ort"] + (includeTorch ? ["torch"] : []) + (arguments.contains("--numpy") ? ["numpy"] : [])
let server = try EngineServer(python: enginePython, engines: requested)
let fp32 = try TeacherTransform(options: TeacherOptions(modelPath: modelFolder, outputs: [.embedding], batchSize: batchSize, threads: threads))
let int8 = includeInt8 ? try int8Transform(model: modelFolder, batchSize: batchSize, threads: threads) : nil

print("bench-teacher: all-MiniLM-L6-v2 sentence embeddings, median of \(runs) alternating runs (after a warm-up each), \(threads) threads everywhere; engines: augpro fp32\(int8 == nil ? "" : ", augpro int8"), \(server.engines.joined(separator: ", "))")
print("load average at start: \((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?")")
var rows: [String] = []
var profiles: [(String, [OperatorProfile.Operator: Double], Double)] = []
for workload in workloads {
    for (suffix, batches) in workload.engineBatches { try server.load(workload.name + suffix, batches: batches) }
    var timings: [String: [Double]] = [:]
    let columns: [(String, () throws -> Double)] =
        [("augpro fp32", { try timeAugpro(fp32, workload.samples, channel: workload.channel) })]
        + (int8.map { transform in [("augpro int8", { try timeAugpro(transform, workload.samples, channel: workload.channel) })] } ?? [])
        + workload.engineBatches.flatMap { suffix, _ in
            server.engines.map { engine in
                ("\(engine)\(suffix.isEmpty ? "" : " " + suffix)", { try server.time(workload.name + suffix, engine: engine) })
            }
        }
    for (_, time) in columns { _ = try time() }
    for _ in 0..<runs {
        for (name, time) in columns { timings[name, default: []].append(try time()) }
    }
    if profile {
        OperatorProfile.start()
        let total = try timeAugpro(fp32, workload.samples, channel: workload.channel)
        profiles.append((workload.name + " fp32", OperatorProfile.stop(), total))
        if let int8 {
            OperatorProfile.start()
            let total = try timeAugpro(int8, workload.samples, channel: workload.channel)
            profiles.append((workload.name + " int8", OperatorProfile.stop(), total))
        }
    }
    let lengths = workload.samples.map(\.inputIds.count)
    let rate = { (name: String) in Double(workload.samples.count) / median(timings[name] ?? [.infinity]) }
    let ours = rate("augpro fp32")
    var cells = ["\(workload.name) (\(lengths.min() ?? 0)–\(lengths.max() ?? 0) tokens, \(workload.samples.count) seq)", String(format: "%.1f", ours)]
    for (name, _) in columns where name != "augpro fp32" {
        cells.append("\(name) \(String(format: "%.1f", rate(name))) (fp32 \(String(format: "%.2f×", ours / rate(name))))")
    }
    if int8 != nil {
        let quantized = rate("augpro int8")
        for (name, _) in columns where !name.hasPrefix("augpro") {
            cells.append("int8 / \(name) \(String(format: "%.2f×", quantized / rate(name)))")
        }
    }
    let row = "| " + cells.joined(separator: " | ") + " |"
    rows.append(row)
    print(row)
    fflush(nil)
}
if profile {
    print("\nshare of augpro's operator time (one profiled pass each; each thread's time is counted, so with 2 workers the measured seconds are about twice the wall time):")
    print("| workload | wall s | measured thread-s | " + OperatorProfile.Operator.allCases.map(\.rawValue).joined(separator: " | ") + " |")
    for (name, totals, total) in profiles {
        let measured = totals.values.reduce(0, +)
        let shares = OperatorProfile.Operator.allCases.map { String(format: "%.1f %%", 100 * (totals[$0] ?? 0) / max(measured, 1e-12)) }
        print("| \(name) | \(String(format: "%.3f", total)) | \(String(format: "%.3f", measured)) | " + shares.joined(separator: " | ") + " |")
    }
}
print("load average at end: \((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?")")
