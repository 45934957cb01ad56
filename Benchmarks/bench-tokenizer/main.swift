// bench-tokenizer: our WordPiece tokenizer vs HF `tokenizers` on the same corpus, in one run.
//
//   swift build -c release --scratch-path .build-tok --product bench-tokenizer
//   .build-tok/release/bench-tokenizer [--runs 5] [--tokenizer PATH] [--corpus PLAIN_TEXT]
//
// Single-threaded: ours vs HF `encode_batch` with RAYON_NUM_THREADS=1 (and HF per-sentence
// `encode`); two workers: ours on two threads over halves and as the pipeline runs it
// (`TokenizeTransform` in a 2-worker `TransformStage`, batches of 256) vs HF `encode_batch` on 2 threads.
import AugProRecords
import AugProRuntime
import AugProTokenizer
import Dispatch
import Foundation

struct Measurement {
    var name: String
    var seconds: Double
    /// Median process CPU time per run (ours only): shows whether the second worker got a core.
    var cpuSeconds: Double?
    var sentences: Int
    var tokens: Int
    var sentencesPerSecond: Double { Double(sentences) / seconds }
    var tokensPerSecond: Double { Double(tokens) / seconds }
}

func argument(_ name: String, _ fallback: String) -> String {
    let arguments = CommandLine.arguments
    if let index = arguments.firstIndex(of: name), index + 1 < arguments.count { return arguments[index + 1] }
    return fallback
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw NSError(domain: "bench-tokenizer", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "\(executable) \(arguments) failed"])
    }
    return data
}

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let python = root.appendingPathComponent(".venv/bin/python").path
let runs = Int(argument("--runs", "5")) ?? 5
let tokenizerPath = argument("--tokenizer", root.appendingPathComponent(".models/all-MiniLM-L6-v2/tokenizer.json").path)
let corpusArgument = argument("--corpus", "")
let corpusPath = corpusArgument.isEmpty
    ? FileManager.default.temporaryDirectory.appendingPathComponent("augpro-bench-corpus.txt").path : corpusArgument
if corpusArgument.isEmpty {
    let script = "import lzma,sys; open(sys.argv[2],'wb').write(lzma.decompress(open(sys.argv[1],'rb').read()))"
    _ = try runProcess(python, ["-c", script, root.appendingPathComponent("fixtures/tokenizer/english_corpus.txt.xz").path, corpusPath])
}
let text = try String(contentsOfFile: corpusPath, encoding: .utf8)
var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
if lines.last == "" { lines.removeLast() }

/// Our side of the benchmark: the corpus and the tokenizer, shared read-only by the workers.
struct OursBench: Sendable {
    let lines: [String]
    let tokenizer: WordPieceTokenizer

    func encodeAll(_ range: Range<Int>) -> Int {
        var tokens = 0
        for line in lines[range] { tokens += (try? tokenizer.encode(line).inputIds.count) ?? 0 }
        return tokens
    }

    func measure(workers: Int, runs: Int) -> Measurement {
        var seconds: [Double] = []
        var cpu: [Double] = []
        var tokens = 0
        for _ in 0..<runs {
            let cpuStart = processCPUSeconds()
            let start = DispatchTime.now().uptimeNanoseconds
            if workers == 1 {
                tokens = encodeAll(0..<lines.count)
            } else {
                let counts = Counts(workers)
                let chunk = (lines.count + workers - 1) / workers
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let lower = min(worker * chunk, lines.count)
                    counts.set(worker, encodeAll(lower..<min(lower + chunk, lines.count)))
                }
                tokens = counts.total
            }
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            cpu.append(processCPUSeconds() - cpuStart)
        }
        return Measurement(
            name: "augpro, \(workers) worker\(workers > 1 ? "s" : "")", seconds: median(seconds), cpuSeconds: median(cpu),
            sentences: lines.count, tokens: tokens)
    }
}

/// The corpus as reader output, in batches of the pipeline's batch size.
struct RecordSource: SourceStage {
    let records: [TextRecord]
    var name: String { "reader" }

    func run(output: StageOutput<TextRecord>, context: StageContext) async throws {
        for start in stride(from: 0, to: records.count, by: context.batchSize) {
            try await output.send(Array(records[start..<min(records.count, start + context.batchSize)]))
        }
    }
}

/// Counts the tokens it receives.
final class TokenCounter: Stage {
    typealias Output = Never
    let tokens = Counts(1)
    var name: String { "sink" }

    func run(input: StageInput<TokenSample>, output: StageOutput<Never>, context: StageContext) async throws {
        var total = 0
        while let batch = try await input.next() {
            for sample in batch { total += sample.inputIds.count }
        }
        tokens.set(0, total)
    }
}

/// The tokenizer as the pipeline runs it: `TokenizeTransform` in a `TransformStage`.
func measurePipeline(_ ours: OursBench, workers: Int, runs: Int, batchSize: Int) async throws -> Measurement {
    let records = ours.lines.enumerated().map { TextRecord(id: Int64($0.offset), line: $0.offset + 1, text: $0.element) }
    var seconds: [Double] = []
    var cpu: [Double] = []
    var tokens = 0
    for _ in 0..<runs {
        let sink = TokenCounter()
        let pipeline = try Pipeline(
            nodes: [PipelineNode(source: RecordSource(records: records)),
                    PipelineNode(TokenizeTransform(tokenizer: ours.tokenizer), workers: workers), PipelineNode(sink)],
            channelCapacity: 4)
        let cpuStart = processCPUSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try await pipeline.run(context: StageContext(seed: 1, batchSize: batchSize))
        seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        cpu.append(processCPUSeconds() - cpuStart)
        tokens = sink.tokens.total
    }
    return Measurement(
        name: "augpro pipeline, TransformStage \(workers) workers", seconds: median(seconds), cpuSeconds: median(cpu),
        sentences: records.count, tokens: tokens)
}

/// Per-worker token counts.
final class Counts: @unchecked Sendable {
    private var values: [Int]
    private let lock = NSLock()
    init(_ count: Int) { values = Array(repeating: 0, count: count) }
    func set(_ index: Int, _ value: Int) { lock.withLock { values[index] = value } }
    var total: Int { lock.withLock { values.reduce(0, +) } }
}

let loadStart = DispatchTime.now().uptimeNanoseconds
let ours = OursBench(lines: lines, tokenizer: try WordPieceTokenizer(options: TokenizerOptions(vocabPath: tokenizerPath, maxLength: 128)))
print(String(format: "augpro tokenizer load: %.3f s", Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9))

func measureHF(threads: Int, perSentence: Bool, corpusPath: String) throws -> Measurement {
    let script = root.appendingPathComponent("Benchmarks/bench-tokenizer/hf_bench.py").path
    let data = try runProcess(
        python, [script, tokenizerPath, corpusPath, String(runs)] + (perSentence ? ["--per-sentence"] : []),
        environment: ["RAYON_NUM_THREADS": String(threads)])
    let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    let name = perSentence ? "HF tokenizers, encode per sentence, 1 thread" : "HF tokenizers, encode_batch, \(threads) thread\(threads > 1 ? "s" : "")"
    return Measurement(
        name: name, seconds: json["median_seconds"] as! Double, cpuSeconds: nil,
        sentences: json["sentences"] as! Int, tokens: json["tokens"] as! Int)
}

print("corpus: \(lines.count) lines, \(text.utf8.count) bytes; tokenizer: \(tokenizerPath); medians of \(runs) runs")
let oursSingle = ours.measure(workers: 1, runs: runs)
if CommandLine.arguments.contains("--ours-only") {
    for measurement in [oursSingle, ours.measure(workers: 2, runs: runs), try await measurePipeline(ours, workers: 2, runs: runs, batchSize: 256)] {
        print(String(format: "%@: %.3f s, cpu %.3f s, %.0f sentences/s", measurement.name, measurement.seconds, measurement.cpuSeconds ?? 0, measurement.sentencesPerSecond))
    }
    exit(0)
}
let hfBatchSingle = try measureHF(threads: 1, perSentence: false, corpusPath: corpusPath)
let hfSentence = try measureHF(threads: 1, perSentence: true, corpusPath: corpusPath)
let oursDouble = ours.measure(workers: 2, runs: runs)
let oursPipeline = try await measurePipeline(ours, workers: 2, runs: runs, batchSize: 256)
let hfBatchDouble = try measureHF(threads: 2, perSentence: false, corpusPath: corpusPath)
for measurement in [oursSingle, hfBatchSingle, hfSentence, oursDouble, oursPipeline, hfBatchDouble] {
    let name = measurement.name.padding(toLength: 48, withPad: " ", startingAt: 0)
    print(name + String(format: " %8.3f s  %10.0f sentences/s  %11.0f tokens/s  (%d tokens)",
                        measurement.seconds, measurement.sentencesPerSecond, measurement.tokensPerSecond, measurement.tokens)
          + (measurement.cpuSeconds.map { String(format: "  cpu %.3f s", $0) } ?? ""))
}
if oursSingle.tokens != hfBatchSingle.tokens { print("WARNING: token totals differ (ours \(oursSingle.tokens), HF \(hfBatchSingle.tokens))") }
print(String(format: "ratio 1 thread  (ours / HF encode_batch): %.2fx", hfBatchSingle.seconds / oursSingle.seconds))
print(String(format: "ratio 1 thread  (ours / HF per sentence): %.2fx", hfSentence.seconds / oursSingle.seconds))
print(String(format: "ratio 2 workers (ours / HF encode_batch): %.2fx", hfBatchDouble.seconds / oursDouble.seconds))
print(String(format: "ratio 2 workers (pipeline / HF encode_batch): %.2fx", hfBatchDouble.seconds / oursPipeline.seconds))
