import AugProNumerics
import Foundation

/// The committed samples a resumed writer regenerates and drops (``RestartPoint/skip``), read
/// back from the last shards, so that each regenerated row is checked byte for byte against
/// what was committed. A difference means the pipeline did not regenerate the same output (a
/// model file changed under the same path, or a nondeterministic stage) and the resume stops
/// instead of mixing two different runs into one dataset.
struct CommittedTail {
    private let directory: String
    /// The expected sample bytes, in row order, with the shard each came from.
    private var samples: [(shard: String, bytes: ArraySlice<UInt8>)] = []
    private var position = 0
    /// The row number of the first sample in `samples`.
    private let firstRow: Int
    private var scratch: MDSSampleBuilder

    /// Reads the last `count` samples of `shards` from `directory`.
    init(directory: String, shards: [ShardCommit], count: Int, schema: MDSSchema) throws {
        self.directory = directory
        scratch = MDSSampleBuilder(schema: schema, reservingCapacity: 1 << 12)
        firstRow = (shards.last.map { $0.lastRow + 1 } ?? 0) - count
        var needed = count
        for shard in shards.reversed() where needed > 0 {
            let raw = try Self.rawShard(directory + "/" + shard.basename, commit: shard)
            let taken = try Self.samples(of: raw, path: directory + "/" + shard.basename).suffix(needed)
            samples.insert(contentsOf: taken.map { (shard.basename, $0) }, at: 0)
            needed -= taken.count
        }
        guard needed == 0 else {
            throw MDSWriterError.resumeMismatch(path: directory, reason: "the committed shards hold fewer than the \(count) rows to skip")
        }
    }

    /// Encodes `row` and compares it with the next committed sample.
    mutating func check<Row>(_ row: Row, encoder: any MDSRowEncoder<Row>) throws {
        scratch.removeFirst(scratch.bytes.count)
        scratch.sampleIndex = Int64(firstRow + position)
        scratch.beginSample()
        try encoder.encode(row, into: &scratch)
        _ = scratch.endSample()
        let expected = samples[position]
        guard scratch.bytes.elementsEqual(expected.bytes) else {
            throw MDSWriterError.resumeMismatch(
                path: directory + "/" + expected.shard,
                reason: "a row regenerated after the restart point differs from the committed one (a model file changed, or a stage is not deterministic); pass --overwrite to start over")
        }
        position += 1
    }

    private static func rawShard(_ path: String, commit: ShardCommit) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MDSFileError(path: path, reason: "cannot read the committed shard")
        }
        let stored = [UInt8](data)
        guard commit.zipBasename != nil else { return stored }
        do {
            return try Zstd.decompress(stored, maxSize: commit.rawBytes)
        } catch {
            throw MDSFileError(path: path, reason: "cannot decompress the committed shard: \(error)")
        }
    }

    /// The sample byte ranges of a raw MDS shard (`u32 count`, `u32 offsets[count + 1]`, …).
    private static func samples(of raw: [UInt8], path: String) throws -> [ArraySlice<UInt8>] {
        func u32(_ at: Int) -> Int? {
            guard at + 4 <= raw.count else { return nil }
            return Int(raw[at]) | Int(raw[at + 1]) << 8 | Int(raw[at + 2]) << 16 | Int(raw[at + 3]) << 24
        }
        guard let count = u32(0) else { throw MDSFileError(path: path, reason: "the shard is truncated") }
        var offsets: [Int] = []
        for index in 0...count {
            guard let offset = u32(4 + 4 * index), offset <= raw.count, offset >= (offsets.last ?? 0) else {
                throw MDSFileError(path: path, reason: "bad sample offset \(index)")
            }
            offsets.append(offset)
        }
        return (0..<count).map { raw[offsets[$0]..<offsets[$0 + 1]] }
    }
}
