import AugProNumerics
import AugProRecords
import AugProRuntime
import AugProTeacher
import Foundation

/// bench-teacher: sequences/s of the embedded teacher vs the numpy reference
/// (`fixtures/teacher/bert_reference.py bench`, float32) on all-MiniLM-L6-v2, side by side in one
/// run: fixed lengths 32 / 64 / 128 at batch 32, and a real length mix (HF-tokenized sentences,
/// shuffled) where ours packs sorted groups without padding and the reference pads each batch
/// to its longest member. Runs alternate ours / numpy (`--runs` each, after warm-ups) and the
/// table shows medians, so load from other processes hits both sides alike.
/// With `--torch-python PATH` (a Python with torch + transformers) it adds a PyTorch column.
/// Run from the package root: `.build-teach/release/bench-teacher [--runs 5] [--threads 2] [--torch-python PATH]`.

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
let python = URL(fileURLWithPath: option("--python", ".venv/bin/python"))
/// A Python with torch + transformers (optional): adds a PyTorch column.
let torchPython = arguments.contains("--torch-python") ? URL(fileURLWithPath: option("--torch-python", "")) : nil
let reference = "fixtures/teacher/bert_reference.py"
let batchSize = 32

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// Runs the reference script with `input` on standard input and returns its standard output.
func runPython(_ scriptArguments: [String], input: Data, interpreter: URL = python) throws -> Data {
    let process = Process()
    process.executableURL = interpreter
    process.arguments = [reference] + scriptArguments
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-teacher-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let inputURL = folder.appendingPathComponent("in.json")
    let outputURL = folder.appendingPathComponent("out.json")
    try input.write(to: inputURL)
    _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
    process.standardInput = try FileHandle(forReadingFrom: inputURL)
    process.standardOutput = try FileHandle(forWritingTo: outputURL)
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchFailure(description: "\(reference) \(scriptArguments.joined(separator: " ")) exited \(process.terminationStatus)")
    }
    return try Data(contentsOf: outputURL)
}

func json(_ sequences: [TokenSample]) throws -> Data {
    try JSONSerialization.data(withJSONObject: [
        "sequences": sequences.map { ["input_ids": $0.inputIds.map(Int.init), "token_type_ids": $0.tokenTypeIds.map(Int.init)] },
    ])
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

/// The fixture sentences tokenized by HF tokenizers, repeated and shuffled to `count`.
func realMix(count: Int) throws -> [TokenSample] {
    let process = try runPython(["tokenize", modelFolder.path, "fixtures/teacher/sentences.tsv", "128"], input: Data())
    guard let object = try JSONSerialization.jsonObject(with: process) as? [String: Any],
          let sequences = object["sequences"] as? [[String: [Int]]] else {
        throw BenchFailure(description: "unexpected tokenize output")
    }
    var state: UInt64 = 99
    var order = Array(0..<count)
    for index in stride(from: count - 1, to: 0, by: -1) {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        order.swapAt(index, Int((state >> 33) % UInt64(index + 1)))
    }
    return order.enumerated().map { position, pick in
        let entry = sequences[pick % sequences.count]
        return TokenSample(
            id: Int64(position), inputIds: (entry["input_ids"] ?? []).map(Int32.init),
            tokenTypeIds: (entry["token_type_ids"] ?? []).map(UInt8.init), label: -1)
    }
}

/// Seconds of one pass of ours over `samples`, fed as channel batches of `window` samples.
func timeOurs(_ transform: TeacherTransform, _ samples: [TokenSample], window: Int) throws -> Double {
    let context = StageContext(seed: 1, batchSize: window)
    let clock = ContinuousClock()
    let start = clock.now
    for first in stride(from: 0, to: samples.count, by: window) {
        _ = try transform.transform(Array(samples[first..<min(first + window, samples.count)]), context: context)
    }
    let elapsed = clock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// Seconds of one pass of the numpy reference (it pads each batch of 32 in input order),
/// timed inside the script after one untimed warm-up pass.
func timeReference(_ input: Data, backend: String = "numpy", interpreter: URL = python) throws -> Double {
    let output = try runPython(
        ["bench", modelFolder.path, "--batch-size", String(batchSize), "--repeats", "2", "--backend", backend],
        input: input, interpreter: interpreter)
    guard let object = try JSONSerialization.jsonObject(with: output) as? [String: Any],
          let seconds = object["seconds"] as? [Double], let last = seconds.last else {
        throw BenchFailure(description: "unexpected bench output")
    }
    return last
}

let workloads: [(String, [TokenSample], Int)] = [
    ("length 32, batch 32", syntheticSamples(count: 64, length: 32), batchSize),
    ("length 64, batch 32", syntheticSamples(count: 64, length: 64), batchSize),
    ("length 128, batch 32", syntheticSamples(count: 32, length: 128), batchSize),
    ("real mix, batch 32, window 256", try realMix(count: 256), 256),
]
print("bench-teacher: all-MiniLM-L6-v2, median of \(runs) alternating runs each side (after warm-ups), ours with \(threads) OpenBLAS threads")
let torchHeader = torchPython == nil ? "" : " torch seq/s | ours / torch |"
print("| workload | sequences | tokens | ours seq/s | numpy seq/s | ours / numpy |" + torchHeader)
print("| --- | ---: | ---: | ---: | ---: | ---: |" + (torchPython == nil ? "" : " ---: | ---: |"))
let transform = try TeacherTransform(options: TeacherOptions(
    modelPath: modelFolder, outputs: [.embedding], batchSize: batchSize, threads: threads))
for (name, samples, window) in workloads {
    let input = try json(samples)
    _ = try timeOurs(transform, samples, window: window)
    var oursSeconds: [Double] = []
    var numpySeconds: [Double] = []
    var torchSeconds: [Double] = []
    for _ in 0..<runs {
        oursSeconds.append(try timeOurs(transform, samples, window: window))
        numpySeconds.append(try timeReference(input))
        if let torchPython { torchSeconds.append(try timeReference(input, backend: "torch", interpreter: torchPython)) }
    }
    let ours = median(oursSeconds)
    let numpy = median(numpySeconds)
    let lengths = samples.map(\.inputIds.count)
    let tokens = lengths.reduce(0, +)
    let oursRate = Double(samples.count) / ours
    let numpyRate = Double(samples.count) / numpy
    print("| \(name) (lengths \(lengths.min() ?? 0)–\(lengths.max() ?? 0)) | \(samples.count) | \(tokens) | \(String(format: "%.0f", oursRate)) | \(String(format: "%.0f", numpyRate)) | \(String(format: "%.2f×", oursRate / numpyRate)) |"
        + (torchSeconds.isEmpty ? "" : " \(String(format: "%.0f", Double(samples.count) / median(torchSeconds))) | \(String(format: "%.2f×", oursRate * median(torchSeconds) / Double(samples.count))) |"))
    fflush(nil)
}
