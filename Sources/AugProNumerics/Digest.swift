/// A streaming hash function: feed bytes in any chunking with `update`, then `finalize` once.
public protocol StreamingDigest: Sendable {
    init()
    /// Hashes `bytes` after everything fed so far.
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    /// The digest of everything fed so far, in the algorithm's canonical byte order.
    func finalize() -> [UInt8]
}

extension StreamingDigest {
    /// Hashes the bytes of an array.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var digest = Self()
        digest.update(bytes)
        return digest.finalize()
    }

    /// The digest of an array in one call.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The lowercase hex digest of everything fed so far (what Python's `hexdigest()` prints).
    public func hexDigest() -> String {
        hexString(finalize())
    }
}

/// Lowercase hexadecimal text of `bytes`, two digits per byte.
public func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text = [UInt8]()
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 15)])
    }
    return String(decoding: text, as: UTF8.self)
}

/// The hash algorithms a dataset can record for its files, named as Python's `hashlib`/`xxhash`
/// (and so MosaicML Streaming) name them.
public enum DigestAlgorithm: String, Sendable, CaseIterable, Comparable {
    case sha1
    case sha256
    case xxh64

    public static func < (lhs: DigestAlgorithm, rhs: DigestAlgorithm) -> Bool {
        lhs.rawValue < rhs.rawValue
    }

    /// A fresh streaming hasher for this algorithm.
    public func makeDigest() -> any StreamingDigest {
        switch self {
        case .sha1: SHA1()
        case .sha256: SHA256()
        case .xxh64: XXH64()
        }
    }

    /// The lowercase hex digest of `bytes`.
    public func hexDigest(of bytes: UnsafeRawBufferPointer) -> String {
        var digest = makeDigest()
        digest.update(bytes)
        return digest.hexDigest()
    }

    /// The lowercase hex digest of an array.
    public func hexDigest(of bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { hexDigest(of: $0) }
    }
}

/// The compression function of a 64-byte-block Merkle–Damgård hash (SHA-1, SHA-256).
protocol BlockCompressor: Sendable {
    init()
    /// Mixes one 64-byte block into the state.
    mutating func compress(_ block: UnsafeRawPointer)
    /// The state words written big-endian: the digest.
    var digestBytes: [UInt8] { get }
}

/// Cuts a byte stream into whole blocks, keeping the incomplete tail for the next update.
struct BlockFeeder: Sendable {
    let blockSize: Int
    private(set) var pending: [UInt8]
    private(set) var pendingCount = 0
    private(set) var totalBytes: UInt64 = 0

    init(blockSize: Int) {
        self.blockSize = blockSize
        pending = [UInt8](repeating: 0, count: blockSize)
    }

    /// Passes every completed block of `bytes` (after the pending tail) to `consume` with `state`.
    mutating func feed<State>(
        _ bytes: UnsafeRawBufferPointer, into state: inout State,
        _ consume: (inout State, UnsafeRawPointer) -> Void
    ) {
        guard var source = bytes.baseAddress, !bytes.isEmpty else { return }
        var remaining = bytes.count
        totalBytes &+= UInt64(remaining)
        if pendingCount > 0 {
            let take = min(blockSize - pendingCount, remaining)
            let offset = pendingCount
            pending.withUnsafeMutableBytes { ($0.baseAddress! + offset).copyMemory(from: source, byteCount: take) }
            pendingCount += take
            source += take
            remaining -= take
            if pendingCount < blockSize { return }
            pending.withUnsafeBytes { consume(&state, $0.baseAddress!) }
            pendingCount = 0
        }
        while remaining >= blockSize {
            consume(&state, source)
            source += blockSize
            remaining -= blockSize
        }
        if remaining > 0 {
            pending.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: source, byteCount: remaining) }
            pendingCount = remaining
        }
    }
}

/// Block buffering and length padding shared by SHA-1 and SHA-256.
struct MerkleDamgard<Compressor: BlockCompressor>: Sendable {
    private var compressor = Compressor()
    private var feeder = BlockFeeder(blockSize: 64)

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        feeder.feed(bytes, into: &compressor) { $0.compress($1) }
    }

    func finalize() -> [UInt8] {
        var copy = self
        let bitLength = feeder.totalBytes &* 8
        let used = feeder.pendingCount
        var tail: [UInt8] = [0x80]
        let padding = (used + 1 + 8 <= 64) ? 64 - used - 1 - 8 : 128 - used - 1 - 8
        tail.append(contentsOf: repeatElement(0, count: padding))
        for shift in stride(from: 56, through: 0, by: -8) {
            tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        tail.withUnsafeBytes { copy.update($0) }
        return copy.compressor.digestBytes
    }
}

@inline(__always) func loadBigEndian32(_ pointer: UnsafeRawPointer, _ index: Int) -> UInt32 {
    UInt32(bigEndian: pointer.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
}

@inline(__always) func rotateLeft(_ value: UInt32, _ count: UInt32) -> UInt32 {
    (value << count) | (value >> (32 - count))
}

func bigEndianBytes(_ words: [UInt32]) -> [UInt8] {
    words.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - 8 * $0)) } }
}

/// SHA-1 (FIPS 180-4), pure Swift.
public struct SHA1: StreamingDigest {
    private var engine = MerkleDamgard<SHA1Compressor>()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) { engine.update(bytes) }

    public func finalize() -> [UInt8] { engine.finalize() }
}

struct SHA1Compressor: BlockCompressor {
    private var h0: UInt32 = 0x6745_2301
    private var h1: UInt32 = 0xEFCD_AB89
    private var h2: UInt32 = 0x98BA_DCFE
    private var h3: UInt32 = 0x1032_5476
    private var h4: UInt32 = 0xC3D2_E1F0

    init() {}

    mutating func compress(_ block: UnsafeRawPointer) {
        var a = h0, b = h1, c = h2, d = h3, e = h4
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            for t in 0..<16 { w[t] = loadBigEndian32(block, t) }
            for t in 16..<80 { w[t] = rotateLeft(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1) }
            for t in 0..<20 {
                let temp = rotateLeft(a, 5) &+ ((b & c) | (~b & d)) &+ e &+ 0x5A82_7999 &+ w[t]
                (e, d, c, b, a) = (d, c, rotateLeft(b, 30), a, temp)
            }
            for t in 20..<40 {
                let temp = rotateLeft(a, 5) &+ (b ^ c ^ d) &+ e &+ 0x6ED9_EBA1 &+ w[t]
                (e, d, c, b, a) = (d, c, rotateLeft(b, 30), a, temp)
            }
            for t in 40..<60 {
                let temp = rotateLeft(a, 5) &+ ((b & c) | (b & d) | (c & d)) &+ e &+ 0x8F1B_BCDC &+ w[t]
                (e, d, c, b, a) = (d, c, rotateLeft(b, 30), a, temp)
            }
            for t in 60..<80 {
                let temp = rotateLeft(a, 5) &+ (b ^ c ^ d) &+ e &+ 0xCA62_C1D6 &+ w[t]
                (e, d, c, b, a) = (d, c, rotateLeft(b, 30), a, temp)
            }
        }
        h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e
    }

    var digestBytes: [UInt8] { bigEndianBytes([h0, h1, h2, h3, h4]) }
}

/// SHA-256 (FIPS 180-4), pure Swift.
public struct SHA256: StreamingDigest {
    private var engine = MerkleDamgard<SHA256Compressor>()

    public init() {}

    public mutating func update(_ bytes: UnsafeRawBufferPointer) { engine.update(bytes) }

    public func finalize() -> [UInt8] { engine.finalize() }
}

struct SHA256Compressor: BlockCompressor {
    private static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    private var state: [UInt32] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ]
    init() {}

    @inline(__always) private static func rotateRight(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value >> count) | (value << (32 - count))
    }

    mutating func compress(_ block: UnsafeRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            state.withUnsafeMutableBufferPointer { h in
                Self.roundConstants.withUnsafeBufferPointer { k in
                    for t in 0..<16 { w[t] = loadBigEndian32(block, t) }
                    for t in 16..<64 {
                        let x = w[t - 15], y = w[t - 2]
                        let s0 = Self.rotateRight(x, 7) ^ Self.rotateRight(x, 18) ^ (x >> 3)
                        let s1 = Self.rotateRight(y, 17) ^ Self.rotateRight(y, 19) ^ (y >> 10)
                        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                    }
                    var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
                    for t in 0..<64 {
                        let s1 = Self.rotateRight(e, 6) ^ Self.rotateRight(e, 11) ^ Self.rotateRight(e, 25)
                        let choice = (e & f) ^ (~e & g)
                        let temp1 = hh &+ s1 &+ choice &+ k[t] &+ w[t]
                        let s0 = Self.rotateRight(a, 2) ^ Self.rotateRight(a, 13) ^ Self.rotateRight(a, 22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let temp2 = s0 &+ majority
                        hh = g; g = f; f = e
                        e = d &+ temp1
                        d = c; c = b; b = a
                        a = temp1 &+ temp2
                    }
                    h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d
                    h[4] &+= e; h[5] &+= f; h[6] &+= g; h[7] &+= hh
                }
            }
        }
    }

    var digestBytes: [UInt8] { bigEndianBytes(state) }
}
