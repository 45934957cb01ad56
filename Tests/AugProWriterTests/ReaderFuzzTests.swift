import AugProRuntime
import AugProTestSupport
@testable import AugProWriter
import Foundation
import Testing

/// Damaged shard bytes give thrown errors, never a crash: seeded random byte changes in a
/// valid raw shard, decoded with the reader's own layout and column decoders.
@Suite struct ReaderFuzzTests {
    @Test func corruptedShardsThrowInsteadOfCrashing() throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-fuzz")
        let rows = Array(EncodingTests.allTypesRows().prefix(12)).map { row -> AllTypesRow in
            var small = row
            small.values = Array(row.values.prefix(50))
            return small
        }
        try MDSTest.write(rows, encoder: AllTypesEncoder(), to: directory, shardSize: 1 << 26)
        let reader = try MDSDatasetReader(path: directory.path)
        let info = reader.index.shards[0]
        let original = try [UInt8](Data(contentsOf: directory.appendingPathComponent(info.rawData.basename)))
        var numbers = MDSTest.Numbers(state: 2024)
        var failures = 0, decodedSamples = 0
        for _ in 0..<1000 {
            var bytes = original
            for _ in 0...numbers.below(3) {
                let position = numbers.below(bytes.count)
                bytes[position] = numbers.below(4) == 0 ? 0xFF : UInt8(truncatingIfNeeded: numbers.next())
            }
            if numbers.below(10) == 0 { bytes.removeLast(numbers.below(40)) }
            bytes.withUnsafeBytes { raw in
                do {
                    let layout = try MDSShardLayout(raw: raw, info: info)
                    for sample in 0..<(layout.offsets.count - 1) {
                        _ = try layout.decodeSample(sample, in: raw)
                        decodedSamples += 1
                    }
                } catch {
                    failures += 1
                }
            }
        }
        #expect(failures > 150)
        #expect(decodedSamples > 0)
    }
}
