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
    /// Vocabulary rows and query rows per block of the blocked product.
    public let vocabularyBlock: Int
    public let rowBlock: Int

    /// `excluded[w]` marks tokens never produced.
    public init(
        table: EmbeddingTable, metric: ProjectionMetric, excluded: [Bool], vocabularyBlock: Int = 4096, rowBlock: Int = 1024
    ) {
        self.table = table
        self.metric = metric
        self.vocabularyBlock = max(64, vocabularyBlock)
        self.rowBlock = max(1, rowBlock)
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

    /// The metric's score of `token` for `q` as if it were allowed: how `[PAD]` competes at a
    /// padded position (−∞ under cosine for a zero row).
    public func unrestrictedScore(_ q: UnsafePointer<Float>, token: Int) -> Float {
        let row = table.row(token)
        let product = dot(q, row, table.dimension)
        switch metric {
        case .l2: return 2 * product - dot(row, row, table.dimension)
        case .dot: return product
        case .cosine:
            let norm = dot(row, row, table.dimension).squareRoot()
            return norm > 0 ? product / norm : -.infinity
        }
    }

    /// Runs blocked `sgemm` of `rows` query vectors (row-major, d wide) against the vocabulary,
    /// calling `visit(row, firstToken, dots)` with each row's raw inner products ⟨q, E[w]⟩ for one
    /// vocabulary block, in ascending token order. Never holds more than a row block × vocabulary
    /// block of products.
    public func forEachDotBlock(
        queries: UnsafePointer<Float>, rows: Int,
        _ visit: (_ row: Int, _ firstToken: Int, _ dots: UnsafeMutableBufferPointer<Float>) -> Void
    ) {
        let d = table.dimension
        let vocabulary = table.vocabularySize
        let block = vocabularyBlock
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: rowBlock * block)
        defer { buffer.deallocate() }
        for first in stride(from: 0, to: vocabulary, by: block) {
            let width = min(block, vocabulary - first)
            for rowStart in stride(from: 0, to: rows, by: rowBlock) {
                let height = min(rowBlock, rows - rowStart)
                BLAS.sgemm(
                    .none, .transpose, m: height, n: width, k: d,
                    a: queries + rowStart * d, lda: d, b: table.row(first), ldb: d, c: buffer, ldc: width)
                for row in 0..<height {
                    visit(rowStart + row, first, UnsafeMutableBufferPointer(start: buffer + row * width, count: width))
                }
            }
        }
    }

    /// Like ``forEachDotBlock(queries:rows:_:)`` but hands over scores (scale·dot + bias).
    public func forEachScoreBlock(
        queries: UnsafePointer<Float>, rows: Int,
        _ visit: (_ row: Int, _ firstToken: Int, _ scores: UnsafeBufferPointer<Float>) -> Void
    ) {
        scale.withUnsafeBufferPointer { scale in
            bias.withUnsafeBufferPointer { bias in
                forEachDotBlock(queries: queries, rows: rows) { row, first, dots in
                    scaleAndShift(dots.baseAddress!, scale.baseAddress! + first, bias.baseAddress! + first, dots.count)
                    visit(row, first, UnsafeBufferPointer(dots))
                }
            }
        }
    }

    /// The best token for each query (ties to the lowest id) and its score: brute force over
    /// the whole vocabulary with a running argmax.
    public func nearest(queries: UnsafePointer<Float>, rows: Int) -> (ids: [Int32], scores: [Float]) {
        var ids = [Int32](repeating: -1, count: rows)
        var best = [Float](repeating: -.infinity, count: rows)
        scale.withUnsafeBufferPointer { scale in
            bias.withUnsafeBufferPointer { bias in
                forEachDotBlock(queries: queries, rows: rows) { row, first, dots in
                    // One read pass: a block can only take over with a strictly higher maximum,
                    // and its first position holding it is then the lowest id (blocks come in
                    // ascending order). The index search recomputes the same rounded scores.
                    let blockScale = scale.baseAddress! + first
                    let blockBias = bias.baseAddress! + first
                    let blockBest = scaledMaximum(UnsafeBufferPointer(dots), blockScale, blockBias)
                    guard blockBest > best[row] else { return }
                    for j in 0..<dots.count where blockScale[j] * dots[j] + blockBias[j] == blockBest {
                        best[row] = blockBest
                        ids[row] = Int32(first + j)
                        return
                    }
                }
            }
        }
        return (ids, best)
    }
}

/// `values[j] = scale[j]·values[j] + bias[j]` for `count` floats, 16 lanes at a time.
@inline(__always)
func scaleAndShift(_ values: UnsafeMutablePointer<Float>, _ scale: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ count: Int) {
    let raw = UnsafeMutableRawPointer(values)
    let rawScale = UnsafeRawPointer(scale)
    let rawBias = UnsafeRawPointer(bias)
    var index = 0
    while index + 16 <= count {
        let offset = index * 4
        let value = raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
        let result = rawScale.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self) * value
            + rawBias.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
        raw.storeBytes(of: result, toByteOffset: offset, as: SIMD16<Float>.self)
        index += 16
    }
    while index < count {
        values[index] = scale[index] * values[index] + bias[index]
        index += 1
    }
}

/// The largest scale[j]·values[j] + bias[j] (−∞ when empty), 32 lanes at a time.
@inline(__always)
func scaledMaximum(_ values: UnsafeBufferPointer<Float>, _ scale: UnsafePointer<Float>, _ bias: UnsafePointer<Float>) -> Float {
    guard let base = values.baseAddress else { return -.infinity }
    let raw = UnsafeRawPointer(base)
    let rawScale = UnsafeRawPointer(scale)
    let rawBias = UnsafeRawPointer(bias)
    @inline(__always) func lanes(_ offset: Int) -> SIMD16<Float> {
        rawScale.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            * raw.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
            + rawBias.loadUnaligned(fromByteOffset: offset, as: SIMD16<Float>.self)
    }
    var lanes0 = SIMD16<Float>(repeating: -.infinity)
    var lanes1 = SIMD16<Float>(repeating: -.infinity)
    var index = 0
    while index + 32 <= values.count {
        let next0 = lanes(index * 4)
        let next1 = lanes(index * 4 + 64)
        lanes0.replace(with: next0, where: next0 .> lanes0)
        lanes1.replace(with: next1, where: next1 .> lanes1)
        index += 32
    }
    lanes0.replace(with: lanes1, where: lanes1 .> lanes0)
    var result = lanes0.max()
    while index < values.count {
        result = max(result, scale[index] * values[index] + bias[index])
        index += 1
    }
    return result
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
