import AugProRecords

extension MixProjector {
    /// The projected token sequence of every plan, in order.
    func project(_ plans: [MixPlan], counts: inout ProjectorStatistics) throws -> [[Int32]] {
        var positions: [(plan: Int, position: Int)] = []
        for (planIndex, plan) in plans.enumerated() {
            for position in plan.fixed.indices where !plan.fixed[position] { positions.append((planIndex, position)) }
        }
        let d = scorer.table.dimension
        var queries = [Float](repeating: 0, count: positions.count * d)
        queries.withUnsafeMutableBufferPointer { queries in
            for (row, entry) in positions.enumerated() {
                let plan = plans[entry.plan]
                let lambda = plan.lambdas[entry.position]
                let a = scorer.table.row(Int(plan.tokensA[entry.position]))
                let b = scorer.table.row(Int(plan.tokensB[entry.position]))
                let q = queries.baseAddress! + row * d
                for i in 0..<d { q[i] = lambda * a[i] + (1 - lambda) * b[i] }
            }
        }
        let chosen = try queries.withUnsafeBufferPointer { queries in
            try choose(queries: queries.baseAddress!, positions: positions, plans: plans, counts: &counts)
        }
        var results = plans.map(\.tokensA)
        for (row, entry) in positions.enumerated() {
            let token = chosen[row]
            let a = plans[entry.plan].tokensA[entry.position]
            let b = plans[entry.plan].tokensB[entry.position]
            results[entry.plan][entry.position] = token
            if a == b { counts.positionsWithEqualSources += 1 }
            if token == a {
                counts.positionsFromA += 1
            } else if token == b {
                counts.positionsFromB += 1
            } else {
                counts.positionsFromNeither += 1
            }
        }
        counts.projectedPositions += positions.count
        return results
    }

    /// The chosen token per query row: fast path where certified, brute force elsewhere. With
    /// `verify`, a fast-path choice that brute force beats by more than a float near-tie fails.
    private func choose(
        queries: UnsafePointer<Float>, positions: [(plan: Int, position: Int)], plans: [MixPlan],
        counts: inout ProjectorStatistics
    ) throws -> [Int32] {
        let d = scorer.table.dimension
        guard let topK else {
            return scorer.nearest(queries: queries, rows: positions.count).ids
        }
        var chosen = [Int32](repeating: -1, count: positions.count)
        var fallback: [Int] = []
        withCertifier(topK) { certifier in
            for (row, entry) in positions.enumerated() {
                let plan = plans[entry.plan]
                if let token = certifier.certified(
                    query: queries + row * d, a: Int(plan.tokensA[entry.position]), b: Int(plan.tokensB[entry.position]),
                    lambda: plan.lambdas[entry.position]) {
                    chosen[row] = token
                } else {
                    fallback.append(row)
                }
            }
        }
        counts.fastPathPositions += positions.count - fallback.count
        counts.fallbackPositions += fallback.count
        let bruteRows = options.verifyFastPath ? Array(positions.indices) : fallback
        guard !bruteRows.isEmpty else { return chosen }
        var gathered = [Float](repeating: 0, count: bruteRows.count * d)
        gathered.withUnsafeMutableBufferPointer { gathered in
            for (index, row) in bruteRows.enumerated() {
                (gathered.baseAddress! + index * d).update(from: queries + row * d, count: d)
            }
        }
        let brute = gathered.withUnsafeBufferPointer { scorer.nearest(queries: $0.baseAddress!, rows: bruteRows.count).ids }
        for (index, row) in bruteRows.enumerated() {
            if chosen[row] >= 0 {
                counts.verifiedPositions += 1
                if chosen[row] != brute[index] {
                    counts.verificationDifferences += 1
                    let query = queries + row * d
                    let gap = relativeGap(query: query, chosen[row], brute[index])
                    guard gap < MixProjector.nearTieTolerance else {
                        let provenance = plans[positions[row].plan].provenance
                        throw ProjectorError(
                            "verify: example \(provenance.sourceA) (augmentation #\(provenance.augmentationIndex)), position \(positions[row].position): the fast path chose token \(chosen[row]) but brute force finds \(brute[index]), better by a relative score gap of \(gap) (near-ties are below \(MixProjector.nearTieTolerance)); the top-K lists are wrong: delete the cache in \(options.resolvedCacheDirectory.path) and run again")
                    }
                    counts.verificationNearTies += 1
                }
            } else {
                chosen[row] = brute[index]
            }
        }
        return chosen
    }

    /// Runs `body` with raw views of the scorer and the top-K lists.
    private func withCertifier<R>(_ topK: TopKTable, _ body: (Certifier) -> R) -> R {
        scorer.scale.withUnsafeBufferPointer { scale in
            scorer.bias.withUnsafeBufferPointer { bias in
                topK.ids.withUnsafeBufferPointer { ids in
                    topK.scores.withUnsafeBufferPointer { scores in
                        body(Certifier(
                            table: scorer.table, scale: scale.baseAddress!, bias: bias.baseAddress!,
                            ids: ids.baseAddress!, scores: scores.baseAddress!, k: topK.k))
                    }
                }
            }
        }
    }

    /// Relative slack on the certificate bound, absorbing float rounding between the cached
    /// `sgemm` scores and the direct dot products.
    static var certificateMargin: Float { 1e-6 }

    /// |score(x) − score(y)| relative to the larger of |score(x)|, |score(y)| and the query's
    /// own scale (‖q‖² for l2 and dot, ‖q‖ for cosine).
    func relativeGap(query: UnsafePointer<Float>, _ x: Int32, _ y: Int32) -> Float {
        let sx = scorer.score(query, token: Int(x))
        let sy = scorer.score(query, token: Int(y))
        let squaredNorm = dot(query, query, scorer.table.dimension)
        let own = scorer.metric == .cosine ? squaredNorm.squareRoot() : squaredNorm
        let scale = max(abs(sx), abs(sy), own, .leastNormalMagnitude)
        return abs(sx - sy) / scale
    }
}

/// The fast-path test of one position over raw buffers (valid inside ``MixProjector/withCertifier``).
private struct Certifier {
    let table: EmbeddingTable
    let scale: UnsafePointer<Float>
    let bias: UnsafePointer<Float>
    let ids: UnsafePointer<Int32>
    let scores: UnsafePointer<Float>
    let k: Int

    /// The best token among topK(a) ∪ topK(b) when it provably beats every other token: it
    /// must reach λ·s_a(K-th) + (1−λ)·s_b(K-th) (plus a relative slack for rounding).
    func certified(query: UnsafePointer<Float>, a: Int, b: Int, lambda: Float) -> Int32? {
        var bestScore = -Float.infinity
        var bestToken = Int32.max
        let d = table.dimension
        for pass in 0..<(a == b ? 1 : 2) {
            let list = ids + (pass == 0 ? a : b) * k
            for slot in 0..<k {
                let token = list[slot]
                let score = scale[Int(token)] * dot(query, table.row(Int(token)), d) + bias[Int(token)]
                if score > bestScore || (score == bestScore && token < bestToken) {
                    bestScore = score
                    bestToken = token
                }
            }
        }
        let bound = lambda * scores[a * k + k - 1] + (1 - lambda) * scores[b * k + k - 1]
        return bestScore >= bound + MixProjector.certificateMargin * abs(bound) ? bestToken : nil
    }
}
