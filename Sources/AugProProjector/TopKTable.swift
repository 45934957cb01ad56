import AugProNumerics
import Foundation

/// For every source token x, the K allowed tokens w with the highest s_x(w) = score of w for the
/// query E[x] (see ``TokenScorer``), sorted by score descending then id ascending.
///
/// Built in one V×V blocked `sgemm` pass and cached on disk under a key hashing the table
/// bytes, metric, K and the excluded ids, so a later run with the same inputs loads it.
public struct TopKTable: Sendable {
    public let vocabularySize: Int
    public let k: Int
    /// V·K ids and scores, row-major.
    public let ids: [Int32]
    public let scores: [Float]

    static let magic: [UInt8] = Array("AUGPROTK".utf8)
    static let formatVersion: UInt64 = 1

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

    /// Loads the cached table for this key from `directory`, or builds and caches it.
    /// An unreadable or mismatched cache file is rebuilt; a failure to write it is ignored.
    public static func loadOrBuild(
        scorer: TokenScorer, k requested: Int, excluded: [Bool], directory: URL
    ) -> (table: TopKTable, fromCache: Bool, seconds: Double) {
        let k = max(1, min(requested, scorer.allowedCount))
        let file = directory.appendingPathComponent(cacheKey(scorer: scorer, k: k, excluded: excluded) + ".bin")
        let clock = ContinuousClock()
        let start = clock.now
        if let cached = read(file, vocabularySize: scorer.table.vocabularySize, k: k) {
            return (cached, true, seconds(clock.now - start))
        }
        let built = TopKTable(building: scorer, k: k)
        built.write(to: file)
        return (built, false, seconds(clock.now - start))
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    private static func read(_ file: URL, vocabularySize: Int, k: Int) -> TopKTable? {
        guard let data = try? Data(contentsOf: file, options: .alwaysMapped) else { return nil }
        let count = vocabularySize * k
        let headerSize = magic.count + 3 * 8
        guard data.count == headerSize + count * 8, Array(data.prefix(magic.count)) == magic else { return nil }
        return data.withUnsafeBytes { raw -> TopKTable? in
            let fields = (0..<3).map { raw.loadUnaligned(fromByteOffset: magic.count + $0 * 8, as: UInt64.self) }
            guard fields == [formatVersion, UInt64(vocabularySize), UInt64(k)] else { return nil }
            let ids = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count { buffer[index] = raw.loadUnaligned(fromByteOffset: headerSize + index * 4, as: Int32.self) }
                initialized = count
            }
            let scores = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                for index in 0..<count { buffer[index] = raw.loadUnaligned(fromByteOffset: headerSize + count * 4 + index * 4, as: Float.self) }
                initialized = count
            }
            guard ids.allSatisfy({ $0 >= 0 && Int($0) < vocabularySize }) else { return nil }
            return TopKTable(vocabularySize: vocabularySize, k: k, ids: ids, scores: scores)
        }
    }

    private func write(to file: URL) {
        var data = Data(TopKTable.magic)
        for field in [TopKTable.formatVersion, UInt64(vocabularySize), UInt64(k)] {
            withUnsafeBytes(of: field.littleEndian) { data.append(contentsOf: $0) }
        }
        ids.withUnsafeBytes { data.append(contentsOf: $0) }
        scores.withUnsafeBytes { data.append(contentsOf: $0) }
        let directory = file.deletingLastPathComponent()
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? data.write(to: file, options: .atomic)
    }
}
