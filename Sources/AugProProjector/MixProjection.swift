import AugProRecords

/// One projected sequence of a plan, after the `[PAD]`-as-end rule.
struct Projection: Equatable {
    var inputIds: [Int32]
    var tokenTypeIds: [UInt8]
}

extension MixProjector {
    /// A mixed position searched for its nearest token. `pad` is the `[PAD]` id competing as an
    /// extra candidate where one side is padding, or −1.
    struct SearchPosition {
        var plan: Int
        var position: Int
        var pad: Int32
    }

    /// Whether a padded position ends its segment without a search: the `[PAD]` side carries at
    /// least half the weight (λ ≥ ½ where a is padding, λ ≤ ½ where b is).
    static func padDominates(_ side: PaddedSide, lambda: Float) -> Bool {
        switch side {
        case .neither: false
        case .a: lambda >= 0.5
        case .b: lambda <= 0.5
        }
    }

    /// The projected sequence of every plan, in order (see ``MixProjector`` for the rule).
    func project(_ plans: [MixPlan], counts: inout ProjectorStatistics) throws -> [Projection] {
        var positions: [SearchPosition] = []
        var ends = plans.map { [Bool](repeating: false, count: $0.fixed.count) }
        for (planIndex, plan) in plans.enumerated() {
            for position in plan.fixed.indices where !plan.fixed[position] {
                counts.projectedPositions += 1
                let side = plan.padded[position]
                if MixProjector.padDominates(side, lambda: plan.lambdas[position]) {
                    ends[planIndex][position] = true
                    continue
                }
                let pad = side == .a ? plan.tokensA[position] : side == .b ? plan.tokensB[position] : -1
                positions.append(SearchPosition(plan: planIndex, position: position, pad: pad))
            }
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
        var tokens = plans.map(\.tokensA)
        for (row, entry) in positions.enumerated() {
            if chosen[row] == entry.pad {
                ends[entry.plan][entry.position] = true
            } else {
                tokens[entry.plan][entry.position] = chosen[row]
            }
        }
        return plans.indices.map { index in
            assemble(plans[index], tokens: tokens[index], ends: ends[index], counts: &counts)
        }
    }

    /// Applies the end rule to one plan: a segment stops at its first ending position (later
    /// positions of the segment are dropped too, and its `[SEP]` follows the last kept token); a
    /// segment after the first that loses every word piece is removed with its `[SEP]`.
    private func assemble(_ plan: MixPlan, tokens: [Int32], ends: [Bool], counts: inout ProjectorStatistics) -> Projection {
        var ids: [Int32] = []
        var types: [UInt8] = []
        ids.reserveCapacity(tokens.count)
        types.reserveCapacity(tokens.count)
        // A fixed token first is the opening [CLS]; every later one closes segment `segment`.
        var segment = 0
        var kept = 0
        var hadWords = false
        var ended = false
        for position in tokens.indices {
            if plan.fixed[position] {
                let opening = position == 0
                if opening || segment == 0 || !hadWords || kept > 0 {
                    ids.append(tokens[position])
                    types.append(plan.tokenTypeIds[position])
                }
                if !opening { segment += 1 }
                kept = 0
                hadWords = false
                ended = false
                continue
            }
            hadWords = true
            if ended || ends[position] {
                if !ended { counts.segmentsEndedByPad += 1 }
                ended = true
                counts.positionsEndedByPad += 1
                continue
            }
            let token = tokens[position]
            ids.append(token)
            types.append(plan.tokenTypeIds[position])
            kept += 1
            counts.countSource(token: token, a: plan.tokensA[position], b: plan.tokensB[position])
        }
        return Projection(inputIds: ids, tokenTypeIds: types)
    }

    /// The chosen token per query row: fast path where certified, brute force elsewhere; at a
    /// padded position `[PAD]` competes with its unrestricted score (ties to the lowest id). With
    /// `verify`, a fast-path choice that brute force beats by more than a float near-tie fails.
    private func choose(
        queries: UnsafePointer<Float>, positions: [SearchPosition], plans: [MixPlan], counts: inout ProjectorStatistics
    ) throws -> [Int32] {
        let d = scorer.table.dimension
        guard let topK else {
            return bruteForce(queries: queries, rows: Array(positions.indices), positions: positions)
        }
        var chosen = [Int32](repeating: -1, count: positions.count)
        var fallback: [Int] = []
        withCertifier(topK) { certifier in
            for (row, entry) in positions.enumerated() {
                let plan = plans[entry.plan]
                let query = queries + row * d
                let pad = entry.pad >= 0 ? (entry.pad, scorer.unrestrictedScore(query, token: Int(entry.pad))) : nil
                if let token = certifier.certified(
                    query: query, a: Int(plan.tokensA[entry.position]), b: Int(plan.tokensB[entry.position]),
                    lambda: plan.lambdas[entry.position], extra: pad) {
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
        let brute = bruteForce(queries: queries, rows: bruteRows, positions: positions)
        for (index, row) in bruteRows.enumerated() {
            if chosen[row] >= 0 {
                counts.verifiedPositions += 1
                if chosen[row] != brute[index] {
                    counts.verificationDifferences += 1
                    let gap = relativeGap(query: queries + row * d, chosen[row], brute[index])
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

    /// Brute-force choices for the query rows `rows` (blocked `sgemm` over the allowed
    /// vocabulary, then the row's `[PAD]` candidate).
    private func bruteForce(queries: UnsafePointer<Float>, rows: [Int], positions: [SearchPosition]) -> [Int32] {
        let d = scorer.table.dimension
        var gathered = [Float](repeating: 0, count: rows.count * d)
        gathered.withUnsafeMutableBufferPointer { gathered in
            for (index, row) in rows.enumerated() {
                (gathered.baseAddress! + index * d).update(from: queries + row * d, count: d)
            }
        }
        let nearest = gathered.withUnsafeBufferPointer { scorer.nearest(queries: $0.baseAddress!, rows: rows.count) }
        var ids = nearest.ids
        for (index, row) in rows.enumerated() where positions[row].pad >= 0 {
            let pad = positions[row].pad
            let padScore = scorer.unrestrictedScore(queries + row * d, token: Int(pad))
            if padScore > nearest.scores[index] || (padScore == nearest.scores[index] && pad < ids[index]) {
                ids[index] = pad
            }
        }
        return ids
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
    /// own scale (‖q‖² for l2 and dot, ‖q‖ for cosine). Scores are unrestricted (`[PAD]` too).
    func relativeGap(query: UnsafePointer<Float>, _ x: Int32, _ y: Int32) -> Float {
        let sx = scorer.unrestrictedScore(query, token: Int(x))
        let sy = scorer.unrestrictedScore(query, token: Int(y))
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

    /// The best token among topK(a) ∪ topK(b) ∪ {`extra`} when it provably beats every other
    /// token: it must reach λ·s_a(K-th) + (1−λ)·s_b(K-th) (plus a relative slack for rounding).
    /// `extra` (the `[PAD]` candidate with its score) is outside the lists and the bound, so
    /// adding it keeps the certificate exact.
    func certified(query: UnsafePointer<Float>, a: Int, b: Int, lambda: Float, extra: (token: Int32, score: Float)?) -> Int32? {
        var bestScore = extra?.score ?? -Float.infinity
        var bestToken = extra?.token ?? Int32.max
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
