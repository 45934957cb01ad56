import AugProNumerics
import AugProProjector
import AugProRecords
import AugProRuntime
import AugProTestSupport
import Foundation
import Testing

/// A top-K cache file is used only when it belongs to the table and is intact; otherwise it is
/// rebuilt and the reason reported. `verify: true` fails the run on a real disagreement.
@Suite struct TopKCacheIntegrityTests {
    static let k = 8

    /// The small table, a projector that wrote its cache, and the cache file.
    static func cachedProjector(exclude: [String] = []) throws -> (EmbeddingTable, [String], URL, MixProjector) {
        let (table, vocabulary) = try TopKCacheTests.smallTable()
        let directory = try TestEnvironment.temporaryDirectory("augpro-topk-integrity")
        let projector = try MixProjector(
            table: table, vocabulary: vocabulary, options: ProjectorOptions(exclude: exclude, topK: k, cacheDirectory: directory))
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
        try #require(files.count == 1)
        return (table, vocabulary, files[0], projector)
    }

    /// The file's parts, per the documented layout, and a writer that re-seals edited content
    /// with a valid checksum (a well-formed but wrong file).
    struct CacheFile {
        var bytes: [UInt8]
        var idsStart: Int { 8 + 32 + Int(bytes[32]) + Int(bytes[33]) << 8 }
        func id(row: Int, slot: Int) -> Int32 { load(idsStart + (row * k + slot) * 4, as: Int32.self) }
        var scoresStart: Int { idsStart + (bytes.count - 8 - idsStart) / 2 }

        mutating func setID(row: Int, slot: Int, _ value: Int32) { store(value, at: idsStart + (row * k + slot) * 4) }
        mutating func setScore(row: Int, slot: Int, _ value: Float) { store(value.bitPattern, at: scoresStart + (row * k + slot) * 4) }

        func load<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
            bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }

        mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + MemoryLayout<T>.size), with: $0) }
        }

        mutating func reseal() {
            var digest = XXH64()
            bytes.withUnsafeBytes { digest.update(UnsafeRawBufferPointer(rebasing: $0[0..<(bytes.count - 8)])) }
            bytes.replaceSubrange((bytes.count - 8)..., with: digest.finalize())
        }
    }

    /// Each damaged variant is rejected with its reason, rebuilt to the same lists, and replaced.
    @Test(arguments: [
        "truncated", "extended", "flipped id byte", "flipped score byte", "flipped checksum", "other key",
        "sealed wrong score", "sealed repeated id", "sealed excluded id", "sealed out of order", "sealed NaN", "version 1",
    ])
    func aDamagedCacheIsRebuilt(variant: String) throws {
        let (table, vocabulary, file, first) = try Self.cachedProjector()
        var cache = CacheFile(bytes: try [UInt8](Data(contentsOf: file)))
        let expected: String
        switch variant {
        case "truncated": cache.bytes.removeLast(); expected = "not a top-K cache of this shape"
        case "extended": cache.bytes.append(0); expected = "not a top-K cache of this shape"
        case "flipped id byte": cache.bytes[cache.idsStart + 41] ^= 1; expected = "checksum does not match"
        case "flipped score byte": cache.bytes[cache.scoresStart + 3] ^= 0x40; expected = "checksum does not match"
        case "flipped checksum": cache.bytes[cache.bytes.count - 1] ^= 1; expected = "checksum does not match"
        case "other key":
            // A valid cache of another exclusion list, under this key's name.
            let (_, _, otherFile, _) = try Self.cachedProjector(exclude: ["tok7"])
            cache.bytes = try [UInt8](Data(contentsOf: otherFile))
            expected = "its key differs"
        case "sealed wrong score":
            let listed = Set((0..<Self.k).map { cache.id(row: 0, slot: $0) })
            let stranger = try #require((Int32(5)..<Int32(300)).first { !listed.contains($0) })
            cache.setID(row: 0, slot: 3, stranger)
            cache.reseal(); expected = "row 0 records score"
        case "sealed repeated id":
            cache.setID(row: 5, slot: 1, cache.id(row: 5, slot: 0))
            cache.reseal(); expected = "repeated"
        case "sealed excluded id":
            cache.setID(row: 9, slot: 7, 2)
            cache.reseal(); expected = "excluded"
        case "sealed out of order":
            cache.setScore(row: 11, slot: 6, 1e9)
            cache.reseal(); expected = "out of order"
        case "sealed NaN":
            cache.setScore(row: 13, slot: 0, .nan)
            cache.reseal(); expected = "non-finite"
        default:
            // The wave-1 layout: version 1, no key, no checksum.
            var old = Array("AUGPROTK".utf8)
            for field in [UInt64(1), UInt64(table.vocabularySize), UInt64(Self.k)] { withUnsafeBytes(of: field.littleEndian) { old += $0 } }
            old += cache.bytes[cache.idsStart..<(cache.bytes.count - 8)]
            cache.bytes = old
            expected = "not a top-K cache of this shape"
        }
        try Data(cache.bytes).write(to: file)
        let rebuilt = try MixProjector(
            table: table, vocabulary: vocabulary,
            options: ProjectorOptions(topK: Self.k, cacheDirectory: file.deletingLastPathComponent()))
        #expect(!rebuilt.topKFromCache)
        let reason = try #require(rebuilt.topKRejectedCache)
        #expect(reason.hasPrefix(file.path) && reason.contains(expected), "\(reason)")
        if case .string(let reported)? = rebuilt.reportDetails()["top_k_cache_rejected"] { #expect(reported == reason) } else {
            Issue.record("report.json lacks top_k_cache_rejected")
        }
        #expect(rebuilt.topK?.ids == first.topK?.ids && rebuilt.topK?.scores == first.topK?.scores)
        // The replacement is a sound cache again.
        let reloaded = try MixProjector(
            table: table, vocabulary: vocabulary,
            options: ProjectorOptions(topK: Self.k, cacheDirectory: file.deletingLastPathComponent()))
        #expect(reloaded.topKFromCache && reloaded.topKRejectedCache == nil)
    }

    /// A well-formed, sealed file whose unsampled rows list wrong tokens with low scores passes
    /// the load checks but makes the fast path certify wrong answers: `verify: true` fails the
    /// run naming the example and position.
    @Test func verifyFailsOnAWrongCacheThatLoads() throws {
        let (table, vocabulary, file, _) = try Self.cachedProjector()
        var cache = CacheFile(bytes: try [UInt8](Data(contentsOf: file)))
        // Rows 0, 4, 8, … are sampled; rows 21 and 22 are not. List far-away tokens with
        // scores that promise nothing better exists.
        for row in [21, 22] {
            for slot in 0..<Self.k {
                cache.setID(row: row, slot: slot, Int32(100 + (row - 21) * 10 + slot))
                cache.setScore(row: row, slot: slot, -1e30 - Float(slot) * 1e24)
            }
        }
        cache.reseal()
        try Data(cache.bytes).write(to: file)
        let plan = MixPlan(
            provenance: Provenance(kind: .augproMix, sourceA: 77, sourceB: 78, mixLambda: 0.6, augmentationIndex: 2),
            tokensA: [21, 21, 22], tokensB: [22, 22, 21], lambdas: [0.6, 0.9, 0.3], fixed: [false, false, false],
            tokenTypeIds: [0, 0, 0], originalA: [21], originalB: [22])
        let context = StageContext(seed: 1, batchSize: 1)
        let options = ProjectorOptions(dropDuplicates: false, topK: Self.k, cacheDirectory: file.deletingLastPathComponent())
        let trusting = try MixProjector(table: table, vocabulary: vocabulary, options: options)
        #expect(trusting.topKFromCache, "the crafted file passes the load checks")
        let brute = try MixProjector(
            table: table, vocabulary: vocabulary, options: ProjectorOptions(dropDuplicates: false, fastPath: false))
        let wrong = try trusting.transform([.mix(plan)], context: context)
        let right = try brute.transform([.mix(plan)], context: context)
        #expect(wrong.map(\.inputIds) != right.map(\.inputIds), "the crafted cache changes the output")
        var verifying = options
        verifying.verifyFastPath = true
        let checked = try MixProjector(table: table, vocabulary: vocabulary, options: verifying)
        let error = try #require(throws: ProjectorError.self) { _ = try checked.transform([.mix(plan)], context: context) }
        #expect("\(error)".contains("verify: example 77 (augmentation #2), position "), "\(error)")
        #expect("\(error)".contains("the fast path chose token"))
    }
}
