import AugProInterpolator
import AugProNumerics
import AugProProjector
import AugProRecords
import AugProRuntime
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// bench-projector: brute-force nearest-token projection vs numpy GEMM + argmax (real d = 384
/// table and a random d = 768 table), and the top-K fast path vs brute force on real text.
/// Run from the package root: `.build-mix/release/bench-projector [--rows N] [--runs R]`.

struct BenchFailure: Error, CustomStringConvertible {
    var description: String
}

let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: String) -> String {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}
let rows = Int(option("--rows", "4096"))!
let runs = Int(option("--runs", "5"))!
let modelDirectory = option("--model", ".models/all-MiniLM-L6-v2")
let python = option("--python", ".venv/bin/python")
let vocabularyBlock = Int(option("--vocab-block", "4096"))!
let rowBlock = Int(option("--row-block", "1024"))!
let bruteOnly = arguments.contains("--brute-only")
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-projector-\(getpid())")
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    let elapsed = clock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

func runPython(_ script: String, _ scriptArguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script] + scriptArguments
    let output = scratch.appendingPathComponent("python-\(UUID().uuidString).out")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    let handle = try FileHandle(forWritingTo: output)
    process.standardOutput = handle
    try process.run()
    process.waitUntilExit()
    try handle.close()
    guard process.terminationStatus == 0 else { throw BenchFailure(description: "\(script) exited \(process.terminationStatus)") }
    return try Data(contentsOf: output)
}

func write<T>(_ values: [T], _ name: String) throws -> String {
    let url = scratch.appendingPathComponent(name)
    try values.withUnsafeBytes { try Data($0).write(to: url) }
    return url.path
}

/// `count` mixes λ·E[a] + (1−λ)·E[b] of random allowed token pairs, λ ~ Beta(0.4, 0.4).
func randomMixes(_ table: EmbeddingTable, excluded: [Bool], count: Int) -> [Float] {
    let allowed = excluded.indices.filter { !excluded[$0] }
    let d = table.dimension
    var queries = [Float](repeating: 0, count: count * d)
    for row in 0..<count {
        var random = CounterRandom(seed: 2024, id: Int64(row), stream: .lambda, index: 0)
        let a = table.row(allowed[random.nextInt(below: allowed.count)])
        let b = table.row(allowed[random.nextInt(below: allowed.count)])
        let lambda = Float(random.nextBeta(0.4, 0.4))
        for i in 0..<d { queries[row * d + i] = lambda * a[i] + (1 - lambda) * b[i] }
    }
    return queries
}

struct BruteForceResult {
    var label: String
    var swiftSeconds: Double
    var numpySeconds: Double
    var agreement: Double
    /// Median over runs of numpy's time / augpro's time in the same run (pairs share the load).
    var pairedRatio: Double
    var numpyPeakMB: Double
    var flop: Double
}

func benchBruteForce(_ table: EmbeddingTable, excluded: [Bool], label: String) throws -> BruteForceResult {
    let scorer = TokenScorer(table: table, metric: .l2, excluded: excluded, vocabularyBlock: vocabularyBlock, rowBlock: rowBlock)
    let queries = randomMixes(table, excluded: excluded, count: rows)
    let tablePath = try write(Array(table.values), "table-\(label).f32")
    let queryPath = try write(queries, "queries-\(label).f32")
    let excludedPath = try write(excluded.map { UInt8($0 ? 1 : 0) }, "excluded.u8")
    func nearest() -> [Int32] { queries.withUnsafeBufferPointer { scorer.nearest(queries: $0.baseAddress!, rows: rows).ids } }
    var swiftIDs = nearest()
    var swiftTimes: [Double] = []
    var numpyTimes: [Double] = []
    var numpyIDs: [Int] = []
    var numpyPeak = 0.0
    // Alternate one augpro pass and one numpy process (warm-up + one timed pass) per run, so
    // load from other work on the machine hits both sides alike.
    for _ in 0..<runs {
        swiftTimes.append(seconds { swiftIDs = nearest() })
        let reply = try runPython("Benchmarks/bench-projector/bench_numpy.py", [
            tablePath, String(table.vocabularySize), String(table.dimension), queryPath, excludedPath, "1",
        ])
        guard let json = try JSONSerialization.jsonObject(with: reply) as? [String: Any],
              let times = json["seconds"] as? [Double], let ids = json["ids"] as? [Int] else {
            throw BenchFailure(description: "bench_numpy.py printed no result")
        }
        numpyTimes += times
        numpyIDs = ids
        numpyPeak = max(numpyPeak, json["peak_rss_mb"] as? Double ?? 0)
    }
    let agree = zip(swiftIDs, numpyIDs).filter { Int($0) == $1 }.count
    return BruteForceResult(
        label: label, swiftSeconds: median(swiftTimes), numpySeconds: median(numpyTimes),
        agreement: Double(agree) / Double(rows), pairedRatio: median(zip(numpyTimes, swiftTimes).map { $0 / $1 }),
        numpyPeakMB: numpyPeak,
        flop: 2 * Double(rows) * Double(table.vocabularySize) * Double(table.dimension))
}

let realTable = try EmbeddingTable(path: modelDirectory)
let vocabulary = try String(contentsOfFile: modelDirectory + "/vocab.txt", encoding: .utf8)
    .split(separator: "\n", omittingEmptySubsequences: false).prefix(realTable.vocabularySize).map(String.init)
let excluded = try MixProjector.excludedTokens(vocabulary: vocabulary, extra: [])
print("OpenBLAS threads: \(BLAS.threadCount); rows per run: \(rows); runs: \(runs); blocks: \(rowBlock) rows × \(vocabularyBlock) tokens")

var results = [try benchBruteForce(realTable, excluded: excluded, label: "real d=384")]
var randomValues = [Float](repeating: 0, count: realTable.vocabularySize * 768)
for index in randomValues.indices {
    var random = CounterRandom(seed: 768, id: Int64(index), stream: .lambda, index: 0)
    randomValues[index] = Float(random.nextNormal()) * 0.05
}
let randomTable = try EmbeddingTable(values: randomValues, vocabularySize: realTable.vocabularySize, dimension: 768, source: "random d=768")
randomValues = []
results.append(try benchBruteForce(randomTable, excluded: excluded, label: "random d=768"))

print("\n| table | rows | augpro brute force rows/s | GFLOP/s | numpy GEMM+argmax rows/s | GFLOP/s | ratio of medians | median paired ratio | same ids |")
print("|---|---|---|---|---|---|---|---|---|")
for result in results {
    print(String(
        format: "| %@ | %d | %.0f | %.1f | %.0f | %.1f | %.2f× | %.2f× | %.4f%% |", result.label, rows,
        Double(rows) / result.swiftSeconds, result.flop / result.swiftSeconds / 1e9,
        Double(rows) / result.numpySeconds, result.flop / result.numpySeconds / 1e9,
        result.numpySeconds / result.swiftSeconds, result.pairedRatio, result.agreement * 100))
}

if bruteOnly { exit(0) }

// Fast path vs brute force on real text: the fixture sentences, 8 mixes per example.
let corpusJSON = try runPython("fixtures/mix/tokenize_corpus.py", [modelDirectory, "fixtures/mix/sentences.tsv", "64"])
guard let corpus = try JSONSerialization.jsonObject(with: corpusJSON) as? [String: Any],
      let examples = corpus["examples"] as? [[String: Any]] else { throw BenchFailure(description: "tokenize_corpus.py printed no corpus") }
let samples = examples.map { example in
    TokenSample(
        id: Int64(example["id"] as! Int), inputIds: (example["input_ids"] as! [Int]).map(Int32.init),
        tokenTypeIds: (example["token_type_ids"] as! [Int]).map(UInt8.init), label: -1)
}
let specials = SpecialTokenIDs(cls: Int32(corpus["cls"] as! Int), sep: Int32(corpus["sep"] as! Int), pad: Int32(corpus["pad"] as! Int))
var planner = try MixupPlanner(options: InterpolatorOptions(perExample: 8, window: 64, granularity: .example), specials: specials, seed: 1)
let items = Array((planner.add(samples) + planner.finish()).joined())
let batches = stride(from: 0, to: items.count, by: 256).map { Array(items[$0..<min(items.count, $0 + 256)]) }
let context = StageContext(seed: 1, batchSize: 256)
let cache = scratch.appendingPathComponent("cache")
let fast = try MixProjector(
    table: realTable, vocabulary: vocabulary, options: ProjectorOptions(dropDuplicates: false, cacheDirectory: cache))
let reloaded = try MixProjector(
    table: realTable, vocabulary: vocabulary, options: ProjectorOptions(dropDuplicates: false, cacheDirectory: cache))
let brute = try MixProjector(table: realTable, vocabulary: vocabulary, options: ProjectorOptions(dropDuplicates: false, fastPath: false))
var fastTimes: [Double] = []
var bruteTimes: [Double] = []
var fastOutput: [TokenSample] = []
var bruteOutput: [TokenSample] = []
for _ in 0..<runs {
    fastTimes.append(try seconds { fastOutput = try batches.flatMap { try fast.transform($0, context: context) } })
    bruteTimes.append(try seconds { bruteOutput = try batches.flatMap { try brute.transform($0, context: context) } })
}
let positions = brute.currentStatistics.projectedPositions / runs
let differing = zip(fastOutput, bruteOutput).map { zip($0.inputIds, $1.inputIds).filter { $0 != $1 }.count }.reduce(0, +)
let fastStats = fast.currentStatistics
print("\n| real text (\(samples.count) sentences × 8 mixes, \(positions) projected positions) | positions/s | median s |")
print("|---|---|---|")
print(String(format: "| fast path (top-%d certificate) | %.0f | %.4f |", fast.topK?.k ?? 0, Double(positions) / median(fastTimes), median(fastTimes)))
print(String(format: "| brute force | %.0f | %.4f |", Double(positions) / median(bruteTimes), median(bruteTimes)))
print(String(
    format: "\nspeed-up fast/brute: %.1f×; fallback rate %.4f%%; positions differing: %d", median(bruteTimes) / median(fastTimes),
    100 * Double(fastStats.fallbackPositions) / Double(max(1, fastStats.fallbackPositions + fastStats.fastPathPositions)), differing))
print(String(format: "top-K build (V×V sgemm + selection, K = %d): %.2f s; load from cache: %.3f s (from cache: %@)",
             fast.topK?.k ?? 0, fast.topKSeconds, reloaded.topKSeconds, reloaded.topKFromCache ? "yes" : "no"))
print(String(format: "peak RSS: augpro bench %.0f MB; numpy (d=768 run) %.0f MB", peakRSSMegabytes(), results.last!.numpyPeakMB))
