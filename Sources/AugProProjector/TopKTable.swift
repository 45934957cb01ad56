import AugProNumerics
import Foundation

/// For every source token x, the K allowed tokens w with the highest s_x(w) = score of w for the
/// query E[x] (see ``TokenScorer``), sorted by score descending then id ascending.
///
/// Built in one V×V blocked `sgemm` pass and cached on disk under a key hashing the table
/// bytes, metric, K and the excluded ids, so a later run with the same inputs loads it. The
/// file repeats the key and carries a checksum of its content (see ``loadOrBuild(scorer:k:excluded:directory:)``).
public struct TopKTable: Sendable {
    public let vocabularySize: Int
    public let k: Int
    /// V·K ids and scores, row-major.
    public let ids: [Int32]
    public let scores: [Float]

    static let magic: [UInt8] = Array("AUGPROTK".utf8)
    static let formatVersion: UInt64 = 2

    /// Builds the table with `scorer` (no cache).
    public init(building scorer: TokenScorer, k requested: Int) {
        let vocabulary = scorer.table.vocabularySize
        let k = max(1, min(requested, scorer.allowedCount))
        var ids = [Int32](repeating: -1, count: vocabulary * k)
        var scores = [Float](repeating: -.infinity, count: vocabulary * k)
        ids.withUnsafeMutableBufferPointer { ids in
            scores.withUnsafeMutableBufferPointer { scores in
                scorer.forEachScoreBlock(queries: scorer.table.values.baseAddress!, rows: vocabulary) { row, first, block in
                    let rowIDs = ids.baseAddress! + row * k
                    let rowScores = scores.baseAddress! + row * k
                    var threshold = rowScores[k - 1]
                    for j in 0..<block.count where block[j] > threshold {
                        // Insert, keeping descending scores; equal scores keep the earlier (lower) id first.
                        var slot = k - 1
                        while slot > 0 && rowScores[slot - 1] < block[j] {
                            rowScores[slot] = rowScores[slot - 1]
                            rowIDs[slot] = rowIDs[slot - 1]
                            slot -= 1
                        }
                        rowScores[slot] = block[j]
                        rowIDs[slot] = Int32(first + j)
                        threshold = rowScores[k - 1]
                    }
                }
            }
        }
        self.vocabularySize = vocabulary
        self.k = k
        self.ids = ids
        self.scores = scores
    }

    private init(vocabularySize: Int, k: Int, ids: [Int32], scores: [Float]) {
        self.vocabularySize = vocabularySize
        self.k = k
        self.ids = ids
        self.scores = scores
    }

    /// The cache key: XXH64 of the table bytes, then of the metric, K and the excluded ids.
    public static func cacheKey(scorer: TokenScorer, k: Int, excluded: [Bool]) -> String {
        var digest = XXH64()
        digest.update(UnsafeRawBufferPointer(scorer.table.values))
        var header: [UInt64] = [formatVersion, UInt64(scorer.table.vocabularySize), UInt64(scorer.table.dimension), UInt64(k)]
        header += excluded.indices.filter { excluded[$0] }.map(UInt64.init)
        header.withUnsafeBytes { digest.update($0) }
        digest.update(Array(scorer.metric.rawValue.utf8))
        return "topk-\(scorer.metric.rawValue)-k\(k)-\(hexString(digest.finalize()))"
    }

    /// What ``loadOrBuild(scorer:k:excluded:directory:)`` did.
    public struct Loaded: Sendable {
        public var table: TopKTable
        /// Whether the lists came from the cache file.
        public var fromCache: Bool
        /// Seconds spent loading or building.
        public var seconds: Double
        /// Why a cache file present under the key was not used (then rebuilt and replaced).
        public var rejectedCache: String?
    }

    /// Loads the cached table for this key from `directory`, or builds and caches it.
    ///
    /// A cache file is used only when it is bound to this table and to its own content: its
    /// header repeats the full cache key (the table's content hash, metric, K, excluded ids),
    /// an XXH64 checksum covers every byte before it, every row lists distinct allowed ids with
    /// non-increasing scores, and the scores of a sample of rows match direct dot products.
    /// Anything else is rebuilt (the reason is returned for the report); a failure to write the
    /// cache is ignored.
    public static func loadOrBuild(
        scorer: TokenScorer, k requested: Int, excluded: [Bool], directory: URL
    ) -> Loaded {
        let k = max(1, min(requested, scorer.allowedCount))
        let key = cacheKey(scorer: scorer, k: k, excluded: excluded)
        let file = directory.appendingPathComponent(key + ".bin")
        let clock = ContinuousClock()
        let start = clock.now
        var rejected: String?
        if FileManager.default.fileExists(atPath: file.path) {
            switch read(file, key: key, scorer: scorer, k: k, excluded: excluded) {
            case .success(let cached):
                return Loaded(table: cached, fromCache: true, seconds: seconds(clock.now - start))
            case .failure(let problem):
                rejected = "\(file.path): \(problem.reason)"
            }
        }
        let built = TopKTable(building: scorer, k: k)
        built.write(to: file, key: key)
        return Loaded(table: built, fromCache: false, seconds: seconds(clock.now - start), rejectedCache: rejected)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Why a cache file was not used.
    struct CacheProblem: Error {
        var reason: String
    }

    /// Layout (little-endian): magic, format version, V, K, key length, key bytes, V·K Int32 ids,
    /// V·K Float32 scores, then the XXH64 (canonical bytes) of all the preceding bytes.
    private static func read(_ file: URL, key: String, scorer: TokenScorer, k: Int, excluded: [Bool]) -> Result<TopKTable, CacheProblem> {
        let vocabularySize = scorer.table.vocabularySize
        guard let data = try? Data(contentsOf: file, options: .alwaysMapped) else { return .failure(CacheProblem(reason: "unreadable")) }
        let keyBytes = Array(key.utf8)
        let count = vocabularySize * k
        let headerSize = magic.count + 4 * 8 + keyBytes.count
        let expectedSize = headerSize + count * 8 + 8
        guard data.count == expectedSize, Array(data.prefix(magic.count)) == magic else {
            return .failure(CacheProblem(reason: "not a top-K cache of this shape (\(data.count) bytes, expected \(expectedSize))"))
        }
        return data.withUnsafeBytes { raw -> Result<TopKTable, CacheProblem> in
            func field(_ index: Int) -> UInt64 { UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: magic.count + index * 8, as: UInt64.self)) }
            guard (0..<4).map(field) == [formatVersion, UInt64(vocabularySize), UInt64(k), UInt64(keyBytes.count)],
                  keyBytes.elementsEqual(raw[(magic.count + 32)..<headerSize])
            else { return .failure(CacheProblem(reason: "written for another table, metric, K or exclusion list (its key differs)")) }
            var digest = XXH64()
            digest.update(UnsafeRawBufferPointer(rebasing: raw[0..<(expectedSize - 8)]))
            guard digest.finalize().elementsEqual(raw[(expectedSize - 8)..<expectedSize]) else {
                return .failure(CacheProblem(reason: "its checksum does not match its content (damaged or edited)"))
            }
            let ids = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count { buffer[index] = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: headerSize + index * 4, as: Int32.self)) }
                initialized = count
            }
            let scores = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count {
                    buffer[index] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: headerSize + count * 4 + index * 4, as: UInt32.self)))
                }
                initialized = count
            }
            let table = TopKTable(vocabularySize: vocabularySize, k: k, ids: ids, scores: scores)
            if let problem = table.contentProblem(scorer: scorer, excluded: excluded) { return .failure(CacheProblem(reason: problem)) }
            return .success(table)
        }
    }

    /// Rows that are not distinct allowed ids in score order, or scores that are not what the
    /// table gives for a sample of rows (every `V / 64`-th, checked against direct dot products).
    func contentProblem(scorer: TokenScorer, excluded: [Bool]) -> String? {
        // The last row that listed each id: a repeat within a row is seen in one pass.
        var listedIn = [Int](repeating: -1, count: vocabularySize)
        for row in 0..<vocabularySize {
            let slots = (row * k)..<((row + 1) * k)
            for slot in slots {
                let id = ids[slot]
                guard id >= 0, Int(id) < vocabularySize, !excluded[Int(id)], listedIn[Int(id)] != row else {
                    return "row \(row) lists id \(id), which is outside the vocabulary, excluded or repeated"
                }
                listedIn[Int(id)] = row
                guard scores[slot].isFinite, slot == slots.lowerBound || scores[slot] <= scores[slot - 1] else {
                    return "row \(row) has scores out of order or non-finite"
                }
            }
        }
        for row in stride(from: 0, to: vocabularySize, by: max(1, vocabularySize / 64)) {
            for slot in (row * k)..<((row + 1) * k) {
                let direct = scorer.score(scorer.table.row(row), token: Int(ids[slot]))
                let scale = max(1, abs(direct), abs(scores[slot]))
                guard abs(direct - scores[slot]) <= 1e-3 * scale else {
                    return "row \(row) records score \(scores[slot]) for token \(ids[slot]), the table gives \(direct)"
                }
            }
        }
        return nil
    }

    private func write(to file: URL, key: String) {
        var data = Data(TopKTable.magic)
        let keyBytes = Array(key.utf8)
        for field in [TopKTable.formatVersion, UInt64(vocabularySize), UInt64(k), UInt64(keyBytes.count)] {
            withUnsafeBytes(of: field.littleEndian) { data.append(contentsOf: $0) }
        }
        data.append(contentsOf: keyBytes)
        for id in ids { withUnsafeBytes(of: id.littleEndian) { data.append(contentsOf: $0) } }
        for score in scores { withUnsafeBytes(of: score.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        var digest = XXH64()
        data.withUnsafeBytes { digest.update($0) }
        data.append(contentsOf: digest.finalize())
        let directory = file.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? data.write(to: file, options: .atomic)
    }
}
