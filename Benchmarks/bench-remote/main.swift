import AugProRecords
import AugProRemoteTeacher
import AugProRuntime
import AugProTeacher
import Foundation

/// bench-remote: the remote teacher (Open Inference Protocol, a real Triton started by
/// `Benchmarks/bench-remote/run.sh`) vs the same model embedded, in one run: samples/s, JSON vs
/// binary tensors, max_in_flight 1 vs 4, and augpro's client CPU time per 1,000 samples against
/// the server's compute time (Triton's statistics extension). Configurations alternate within
/// each round; the table shows medians over `--runs` rounds.
/// `bench-remote --url http://127.0.0.1:PORT --model minilm --folder .models/all-MiniLM-L6-v2 [--runs 3] [--samples 512]`

let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: String) -> String {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}
let url = URL(string: option("--url", "http://127.0.0.1:8000"))!
let modelName = option("--model", "minilm")
let folder = URL(fileURLWithPath: option("--folder", ".models/all-MiniLM-L6-v2"))
let runs = Int(option("--runs", "3")) ?? 3
let sampleCount = Int(option("--samples", "512")) ?? 512
let batchSize = 32

/// Seeded samples shaped like tokenizer output: [CLS] words [SEP], 8–64 tokens.
func makeSamples() -> [TokenSample] {
    var state: UInt64 = 42
    func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }
    return (0..<sampleCount).map { index in
        let length = 8 + next(57)
        let ids = [Int32(101)] + (0..<(length - 2)).map { _ in Int32(1000 + next(29_000)) } + [102]
        return TokenSample(id: Int64(index), inputIds: ids, tokenTypeIds: [UInt8](repeating: 0, count: length), label: -1)
    }
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

struct Measurement {
    var seconds: Double
    var clientCPU: Double
    var serverCompute: Double?
}

let samples = makeSamples()
let context = StageContext(seed: 1, batchSize: sampleCount)
let clock = ContinuousClock()

func runEmbedded() throws -> Measurement {
    let transform = try TeacherTransform(options: TeacherOptions(modelPath: folder, outputs: [.embedding], batchSize: batchSize, threads: 2))
    let cpu = cpuSeconds()
    let start = clock.now
    _ = try transform.transform(samples, context: context)
    let elapsed = clock.now - start
    return Measurement(seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18, clientCPU: cpuSeconds() - cpu)
}

func runRemote(binary: BinaryMode, maxInFlight: Int) async throws -> Measurement {
    let options = RemoteTeacherOptions(
        url: url, model: modelName, output: "embedding", outputs: [.embedding], batchSize: batchSize,
        maxInFlight: maxInFlight, timeout: .seconds(120), retries: 0, binary: binary)
    let transform = try RemoteTeacherTransform(options: options)
    let cpu = cpuSeconds()
    let start = clock.now
    _ = try await transform.transform(samples, context: context)
    let elapsed = clock.now - start
    let clientCPU = cpuSeconds() - cpu
    var compute: Double?
    if case .object(let server) = transform.reportDetails()["server_time"], case .double(let seconds) = server["compute_seconds"] {
        compute = seconds
    }
    return Measurement(
        seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18, clientCPU: clientCPU,
        serverCompute: compute)
}

let configurations: [(String, BinaryMode, Int)] = [
    ("remote JSON, max_in_flight 1", .json, 1), ("remote JSON, max_in_flight 4", .json, 4),
    ("remote binary, max_in_flight 1", .binary, 1), ("remote binary, max_in_flight 4", .binary, 4),
]
_ = try await runRemote(binary: .binary, maxInFlight: 4)  // warm-up: server instance and connections
_ = try runEmbedded()
var results: [String: [Measurement]] = [:]
for _ in 0..<runs {
    results["embedded (threads 2)", default: []].append(try runEmbedded())
    for (name, binary, inFlight) in configurations {
        results[name, default: []].append(try await runRemote(binary: binary, maxInFlight: inFlight))
    }
}

let embeddedRate = Double(sampleCount) / median(results["embedded (threads 2)"]!.map(\.seconds))
print("\(sampleCount) samples (8–64 tokens), batch_size \(batchSize), all-MiniLM-L6-v2 embedding, medians of \(runs) rounds")
print("| teacher | samples/s | vs embedded | client CPU s / 1,000 samples | server compute s / 1,000 samples | client / server |")
print("|---|---:|---:|---:|---:|---:|")
for name in ["embedded (threads 2)"] + configurations.map(\.0) {
    let measurements = results[name]!
    let rate = Double(sampleCount) / median(measurements.map(\.seconds))
    let perThousand = 1000 / Double(sampleCount)
    let client = median(measurements.map(\.clientCPU)) * perThousand
    let server = measurements.allSatisfy { $0.serverCompute != nil } ? median(measurements.map { $0.serverCompute! }) * perThousand : nil
    let serverText = server.map { String(format: "%.2f", $0) } ?? "—"
    let ratio = server.map { String(format: "%.1f %%", 100 * client / $0) } ?? "—"
    print("| \(name) | \(String(format: "%.0f", rate)) | \(String(format: "%.2f×", rate / embeddedRate)) | \(String(format: "%.3f", client)) | \(serverText) | \(ratio) |")
}
