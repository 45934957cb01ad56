import AugProNumerics
import AugProRecords
import AugProRuntime
@testable import AugProTeacher
import AugProTestSupport
import Foundation
import Testing

/// The int8 option: kernels against an exact integer reference, accuracy against float32 on
/// real text (the float32 path itself is checked against numpy and transformers elsewhere),
/// and the load-time refusal.
@Suite("Teacher int8", .serialized)
struct TeacherInt8Tests {
    /// Symmetric per-row quantization as specified: scale = max|v| / 127, q = round-half-even(v / scale).
    static func quantize(_ row: ArraySlice<Float>) -> (q: [Int], scale: Double) {
        let largest = row.map { abs($0) }.max() ?? 0
        let inverse: Float = largest > 0 ? 127 / largest : 0
        return (row.map { Int(max(-127, min(127, ($0 * inverse).rounded(.toNearestOrEven)))) }, Double(largest / 127))
    }

    @Test("every supported int8 kernel matches the exact integer reference bit for bit", arguments: [(13, 384, 96), (9, 1536, 40), (5, 33, 19), (9, 7, 40)])
    func kernels(shape: (Int, Int, Int)) throws {
        let (m, k, n) = shape
        var random = SeededRandom(seed: UInt64(m * 1000 + k))
        let x = (0..<(m * k)).map { _ in random.unitFloat() * 3 }
        let w = (0..<(n * k)).map { _ in random.unitFloat() * 0.2 }
        var expected = [Float](repeating: 0, count: m * n)
        let rows = (0..<m).map { Self.quantize(x[($0 * k)..<(($0 + 1) * k)]) }
        let columns = (0..<n).map { Self.quantize(w[($0 * k)..<(($0 + 1) * k)]) }
        for i in 0..<m {
            for j in 0..<n {
                let dot = zip(rows[i].q, columns[j].q).reduce(0) { $0 + $1.0 * $1.1 }
                expected[i * n + j] = Float(dot) * Float(rows[i].scale) * Float(columns[j].scale)
            }
        }
        let supported = Int8GEMM.Kernel.allCases.filter(\.isSupported)
        print("int8 kernels supported here: \(supported) (best \(Int8GEMM.Kernel.best))")
        #expect(supported.contains(.portable))
        for kernel in supported {
            let packed = w.withUnsafeBufferPointer { Int8GEMM.PackedWeights(kernel: kernel, weight: $0.baseAddress!, rows: n, depth: k) }
            var quantized = [UInt8](repeating: 0, count: m * Int8GEMM.activationRowBytes(kernel, depth: k))
            var scales = [Float](repeating: 0, count: m)
            var output = [Float](repeating: .nan, count: m * n)
            x.withUnsafeBufferPointer { input in
                quantized.withUnsafeMutableBytes { q in
                    scales.withUnsafeMutableBufferPointer { s in
                        Int8GEMM.quantizeRows(kernel, input.baseAddress!, rows: m, depth: k, stride: k, into: q.baseAddress!, scales: s.baseAddress!)
                        output.withUnsafeMutableBufferPointer { Int8GEMM.multiply(q.baseAddress!, scales: s.baseAddress!, rows: m, packed, output: $0.baseAddress!, outputStride: n) }
                    }
                }
            }
            #expect(output == expected, "kernel \(kernel) differs for \(shape)")
        }
    }

    @Test("int8 MiniLM: the calibration self-check's verdict matches the accuracy measured on real text, and a miss refuses the model")
    func miniLMAccuracy() throws {
        let model = try TeacherFixtures.miniLM()
        let sequences = try TeacherFixtures.tokenizedSentences(model: model) + TeacherFixtures.corpusLines(model: model, count: 128)
        let samples = TeacherFixtures.samples(sequences)
        let exact = try TeacherFixtures.run(TeacherOptions(modelPath: model, outputs: [.embedding]), samples).map { try #require($0.embedding) }
        let int8Options = TeacherOptions(modelPath: model, outputs: [.embedding], precision: .int8)
        let loaded = try TeacherModel(folder: model, precision: .int8, refusesInaccurateInt8: false)
        let check = try #require(loaded.int8Check)
        let transform = try TeacherTransform(options: int8Options, model: loaded)
        let quantized = try transform.transform(samples, context: StageContext(seed: 1, batchSize: samples.count))
            .map { try #require($0.teacher?.embedding) }
        let cosines = zip(exact, quantized).map { Int8SelfCheck.cosine($0, $1) }
        let minimum = cosines.min() ?? 0
        let mean = cosines.reduce(0, +) / Double(cosines.count)
        print("int8 MiniLM (\(check.kernel)): \(cosines.count) real sequences, cosine to fp32 min \(minimum) mean \(mean); calibration self-check min \(check.minimumCosine)")
        #expect(minimum > 0.98, "int8 error far larger than quantization explains (measured 0.987 here): min cosine \(minimum)")
        #expect((minimum >= Int8SelfCheck.cosineBound) == check.misses.isEmpty, "self-check verdict disagrees with real text")
        #expect(transform.reportDetails()["precision"] == .string("int8"))
        if check.misses.isEmpty {
            _ = try TeacherModel(folder: model, precision: .int8)
        } else {
            let error = #expect(throws: TeacherError.self) { try TeacherTransform(options: int8Options) }
            let message = error.map { "\($0)" } ?? ""
            #expect(message.contains("precision int8 fails its load-time self-check") && message.contains(model.path), "\(message)")
        }
    }

    @Test("threads and the int8 kernel do not change results")
    func determinism() throws {
        let model = try TeacherModel(folder: try TeacherFixtures.miniLM())
        let sequences = Array(Int8SelfCheck.calibrationBatch(model.config).prefix(6))
        let one = model.encoder.encode(sequences, threads: 1)
        let two = model.encoder.encode(sequences, threads: 2)
        #expect(one.hidden.prefix(one.offsets.last! * one.width) == two.hidden.prefix(two.offsets.last! * two.width))
        let weights = model.encoder.weights
        let kernels = [Int8GEMM.Kernel.avx2, .best].filter(\.isSupported)
        let outputs = kernels.map { kernel in
            let encoder = BertEncoder(config: model.config, weights: weights, precision: .int8, kernel: kernel)
            let states = encoder.encode(sequences, threads: 2)
            return Array(states.hidden.prefix(states.offsets.last! * states.width)).map(\.bitPattern)
        }
        #expect(Set(outputs).count <= 1, "int8 kernels \(kernels) disagree")
    }
}
