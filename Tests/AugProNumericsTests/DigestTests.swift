import AugProNumerics
import AugProTestSupport
import Foundation
import Testing

/// SHA-1, SHA-256 and XXH64 against Python's `hashlib` and the `xxhash` package.
@Suite struct DigestTests {
    /// Lengths around the 32/64-byte block edges and the padding boundary at 56, plus larger inputs.
    static let lengths = [0, 1, 3, 4, 7, 8, 31, 32, 33, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 100_003]

    /// Reference digests per (algorithm, length) for prefixes of the bytes sent on stdin.
    static let referenceScript = """
        import hashlib, sys, xxhash
        data = sys.stdin.buffer.read()
        for length in map(int, sys.argv[1:]):
            prefix = data[:length]
            print(length, hashlib.sha1(prefix).hexdigest(), hashlib.sha256(prefix).hexdigest(),
                  xxhash.xxh64(prefix).hexdigest())
        """

    static func pseudoRandomBytes(_ count: Int) -> [UInt8] {
        var state: UInt64 = 0x1234_5678_9ABC_DEF0
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return UInt8(truncatingIfNeeded: z ^ (z >> 31))
        }
    }

    static func reference(_ data: [UInt8]) throws -> [Int: [String]] {
        let script = try TestEnvironment.temporaryDirectory("digest").appendingPathComponent("digest.py")
        try referenceScript.write(to: script, atomically: true, encoding: .utf8)
        let output = try TestEnvironment.runPython(
            script, arguments: lengths.map(String.init), standardInput: Data(data))
        var table: [Int: [String]] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            table[Int(fields[0])!] = Array(fields[1...])
        }
        return table
    }

    /// Feeds `bytes` in chunks of `chunk` bytes (all at once when 0).
    static func digest(_ algorithm: DigestAlgorithm, _ bytes: ArraySlice<UInt8>, chunk: Int) -> String {
        var digest = algorithm.makeDigest()
        let step = chunk == 0 ? max(1, bytes.count) : chunk
        var start = bytes.startIndex
        while start < bytes.endIndex {
            let end = min(start + step, bytes.endIndex)
            bytes[start..<end].withUnsafeBytes { digest.update($0) }
            start = end
        }
        return digest.hexDigest()
    }

    @Test func matchesPythonForEveryLengthAndChunking() throws {
        let data = Self.pseudoRandomBytes(Self.lengths.max()!)
        let expected = try Self.reference(data)
        for length in Self.lengths {
            let prefix = data[0..<length]
            for chunk in [0, 1, 5, 32, 63, 64, 100] {
                for (column, algorithm) in [DigestAlgorithm.sha1, .sha256, .xxh64].enumerated() {
                    #expect(
                        Self.digest(algorithm, prefix, chunk: chunk) == expected[length]?[column],
                        "\(algorithm) of \(length) bytes fed in chunks of \(chunk)")
                }
            }
        }
    }

    @Test func finalizeDoesNotConsumeTheState() {
        var digest = SHA256()
        digest.update(Array("abc".utf8))
        let first = digest.hexDigest()
        #expect(digest.hexDigest() == first)
        digest.update(Array("def".utf8))
        #expect(digest.hexDigest() == SHA256.hash(Array("abcdef".utf8)).map { String(format: "%02x", $0) }.joined())
    }

    @Test func algorithmNamesAreTheHashlibNames() {
        #expect(DigestAlgorithm(rawValue: "sha1") == .sha1)
        #expect(DigestAlgorithm(rawValue: "sha256") == .sha256)
        #expect(DigestAlgorithm(rawValue: "xxh64") == .xxh64)
        #expect(DigestAlgorithm(rawValue: "md5") == nil)
    }
}
