import AugProNumerics

/// Scores every vocabulary token against query vectors: score(w) = scale[w]·⟨q, E[w]⟩ + bias[w],
/// higher is nearer. l2: scale 2, bias −‖E[w]‖² (the ‖q‖² term is constant per query); dot:
/// 1, 0; cosine: 1/‖E[w]‖, 0 (the query's norm does not change the argmax). Excluded tokens
/// get scale 0 and bias −∞, so they never win. The score is linear in q, which the mixup fast
/// path relies on.
public struct TokenScorer: Sendable {
    public let table: EmbeddingTable
    public let metric: ProjectionMetric
    /// Per-token scale and bias of the score.
    public let scale: [Float]
    public let bias: [Float]
    /// How many tokens may be produced.
    public let allowedCount: Int
    public let vocabularyBlock: Int

    /// `excluded[w]` marks tokens never produced.
    public init(table: EmbeddingTable, metric: ProjectionMetric, excluded: [Bool], vocabularyBlock: Int = 2048) {
        self.table = table
        self.metric = metric
        self.vocabularyBlock = max(64, vocabularyBlock)
        let count = table.vocabularySize
        let d = table.dimension
        var scale = [Float](repeating: 0, count: count)
        var bias = [Float](repeating: -.infinity, count: count)
        for token in 0..<count where !excluded[token] {
            let squaredNorm = dot(table.row(token), table.row(token), d)
            switch metric {
            case .l2:
                scale[token] = 2
                bias[token] = -squaredNorm
            case .dot:
                scale[token] = 1
                bias[token] = 0
            case .cosine:
                scale[token] = squaredNorm > 0 ? 1 / squaredNorm.squareRoot() : 0
                bias[token] = 0
            }
        }
        self.scale = scale
        self.bias = bias
        allowedCount = excluded.filter { !$0 }.count
    }

    /// The score of `token` for the query `q`, by a direct dot product.
    @inline(__always)
    public func score(_ q: UnsafePointer<Float>, token: Int) -> Float {
        scale[token] * dot(q, table.row(token), table.dimension) + bias[token]
    }

    /// Runs blocked `sgemm` of `rows` query vectors (row-major, d wide) against the vocabulary,
    /// calling `visit(row, firstToken, scores)` with each row's scores for one vocabulary block,
    /// in ascending token order. Never holds more than a row block × vocabulary block of scores.
    public func forEachScoreBlock(
        queries: UnsafePointer<Float>, rows: Int,
        _ visit: (_ row: Int, _ firstToken: Int, _ scores: UnsafeBufferPointer<Float>) -> Void
    ) {
        let d = table.dimension
        let vocabulary = table.vocabularySize
        let rowBlock = 256
        let block = vocabularyBlock
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: rowBlock * block)
        defer { buffer.deallocate() }
        scale.withUnsafeBufferPointer { scale in
            bias.withUnsafeBufferPointer { bias in
                for first in stride(from: 0, to: vocabulary, by: block) {
                    let width = min(block, vocabulary - first)
                    for rowStart in stride(from: 0, to: rows, by: rowBlock) {
                        let height = min(rowBlock, rows - rowStart)
                        BLAS.sgemm(
                            .none, .transpose, m: height, n: width, k: d,
                            a: queries + rowStart * d, lda: d, b: table.row(first), ldb: d, c: buffer, ldc: width)
                        for row in 0..<height {
                            let scores = buffer + row * width
                            for j in 0..<width {
                                scores[j] = scale[first + j] * scores[j] + bias[first + j]
                            }
                            visit(rowStart + row, first, UnsafeBufferPointer(start: scores, count: width))
                        }
                    }
                }
            }
        }
    }

    /// The best token for each query (ties to the lowest id) and its score: brute force over
    /// the whole vocabulary with a running argmax.
    public func nearest(queries: UnsafePointer<Float>, rows: Int) -> (ids: [Int32], scores: [Float]) {
        var ids = [Int32](repeating: -1, count: rows)
        var best = [Float](repeating: -.infinity, count: rows)
        forEachScoreBlock(queries: queries, rows: rows) { row, first, scores in
            var bestScore = best[row]
            var bestIndex = -1
            for j in 0..<scores.count where scores[j] > bestScore {
                bestScore = scores[j]
                bestIndex = j
            }
            if bestIndex >= 0 {
                best[row] = bestScore
                ids[row] = Int32(first + bestIndex)
            }
        }
        return (ids, best)
    }
}

/// ⟨x, y⟩ over `count` floats, with eight independent SIMD accumulators.
@inline(__always)
func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ count: Int) -> Float {
    var acc0 = SIMD8<Float>()
    var acc1 = SIMD8<Float>()
    let rawX = UnsafeRawPointer(x)
    let rawY = UnsafeRawPointer(y)
    var index = 0
    while index + 16 <= count {
        acc0 += rawX.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
            * rawY.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self)
        acc1 += rawX.loadUnaligned(fromByteOffset: index * 4 + 32, as: SIMD8<Float>.self)
            * rawY.loadUnaligned(fromByteOffset: index * 4 + 32, as: SIMD8<Float>.self)
        index += 16
    }
    var sum = (acc0 + acc1).sum()
    while index < count {
        sum += x[index] * y[index]
        index += 1
    }
    return sum
}
