/// XXH64 (xxHash, 64-bit, seed 0 by default), pure Swift. `finalize` gives the canonical
/// big-endian bytes, so `hexDigest()` equals Python `xxhash.xxh64(data).hexdigest()`.
public struct XXH64: StreamingDigest {
    private static let prime1: UInt64 = 11_400_714_785_074_694_791
    private static let prime2: UInt64 = 14_029_467_366_897_019_727
    private static let prime3: UInt64 = 1_609_587_929_392_839_161
    private static let prime4: UInt64 = 9_650_029_242_287_828_579
    private static let prime5: UInt64 = 2_870_177_450_012_600_261

    private let seed: UInt64
    private var lanes: Lanes
    private var feeder = BlockFeeder(blockSize: 32)

    /// The four accumulators, each fed one 8-byte lane of every 32-byte stripe.
    private struct Lanes: Sendable {
        var v1: UInt64, v2: UInt64, v3: UInt64, v4: UInt64

        @inline(__always) mutating func consumeStripe(_ pointer: UnsafeRawPointer) {
            v1 = XXH64.round(v1, XXH64.load64(pointer, 0))
            v2 = XXH64.round(v2, XXH64.load64(pointer, 8))
            v3 = XXH64.round(v3, XXH64.load64(pointer, 16))
            v4 = XXH64.round(v4, XXH64.load64(pointer, 24))
        }
    }

    public init() { self.init(seed: 0) }

    /// A hasher with the given seed.
    public init(seed: UInt64) {
        self.seed = seed
        lanes = Lanes(v1: seed &+ Self.prime1 &+ Self.prime2, v2: seed &+ Self.prime2, v3: seed, v4: seed &- Self.prime1)
    }

    @inline(__always) private static func rotateLeft(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }

    @inline(__always) fileprivate static func round(_ accumulator: UInt64, _ input: UInt64) -> UInt64 {
        rotateLeft(accumulator &+ input &* prime2, 31) &* prime1
    }

    @inline(__always) private static func merge(_ accumulator: UInt64, _ value: UInt64) -> UInt64 {
        (accumulator ^ round(0, value)) &* prime1 &+ prime4
    }

    @inline(__always) fileprivate static func load64(_ pointer: UnsafeRawPointer, _ offset: Int) -> UInt64 {
        UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        feeder.feed(bytes, into: &lanes) { $0.consumeStripe($1) }
    }

    public func finalize() -> [UInt8] {
        var hash: UInt64
        let (v1, v2, v3, v4) = (lanes.v1, lanes.v2, lanes.v3, lanes.v4)
        if feeder.totalBytes >= 32 {
            hash = Self.rotateLeft(v1, 1) &+ Self.rotateLeft(v2, 7) &+ Self.rotateLeft(v3, 12) &+ Self.rotateLeft(v4, 18)
            for lane in [v1, v2, v3, v4] { hash = Self.merge(hash, lane) }
        } else {
            hash = seed &+ Self.prime5
        }
        hash &+= feeder.totalBytes
        let pendingCount = feeder.pendingCount
        feeder.pending.withUnsafeBytes { buffer in
            let base = buffer.baseAddress!
            var offset = 0
            while offset + 8 <= pendingCount {
                hash ^= Self.round(0, Self.load64(base, offset))
                hash = Self.rotateLeft(hash, 27) &* Self.prime1 &+ Self.prime4
                offset += 8
            }
            if offset + 4 <= pendingCount {
                let word = UInt64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                hash ^= word &* Self.prime1
                hash = Self.rotateLeft(hash, 23) &* Self.prime2 &+ Self.prime3
                offset += 4
            }
            while offset < pendingCount {
                hash ^= UInt64(buffer[offset]) &* Self.prime5
                hash = Self.rotateLeft(hash, 11) &* Self.prime1
                offset += 1
            }
        }
        hash ^= hash >> 33
        hash &*= Self.prime2
        hash ^= hash >> 29
        hash &*= Self.prime3
        hash ^= hash >> 32
        return (0..<8).map { UInt8(truncatingIfNeeded: hash >> UInt64(56 - 8 * $0)) }
    }
}
