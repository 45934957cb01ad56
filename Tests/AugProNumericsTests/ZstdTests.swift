import AugProNumerics
import AugProTestSupport
import Foundation
import Testing

/// Checks the zstd wrapper against the python `zstandard` package (an independent implementation
/// binding): each side decompresses what the other compressed.
@Suite("Zstd vs python zstandard")
struct ZstdTests {
    static let script = TestEnvironment.fixture("reader/scripts/zstd_reference.py")

    /// Deterministic, moderately compressible bytes (text-like words from a SplitMix64 stream).
    static func sampleBytes(count: Int, seed: UInt64 = 7) -> [UInt8] {
        let words: [[UInt8]] = ["the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ", "\n", "é "]
            .map { Array($0.utf8) }
        var state = seed
        var out: [UInt8] = []
        out.reserveCapacity(count + 8)
        while out.count < count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            if z % 5 == 0 { out.append(UInt8(truncatingIfNeeded: z >> 8)) } else { out += words[Int(z % 10)] }
        }
        return Array(out.prefix(count))
    }

    static func inspect(_ url: URL) throws -> [String: Any] {
        let json = try TestEnvironment.runPython(script, arguments: ["inspect", url.path])
        return try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
    }

    @Test("Swift compress → python decompress; one frame with content size", arguments: [0, 1, 1000, 300_000])
    func swiftToPython(size: Int) throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = Self.sampleBytes(count: size)
        let compressed = try Zstd.compress(raw, level: 7)
        let zst = dir.appendingPathComponent("a.zst")
        let out = dir.appendingPathComponent("a.out")
        try Data(compressed).write(to: zst)
        let info = try Self.inspect(zst)
        #expect(info["content_size"] as? Int == size)
        #expect(info["frames"] as? Int == 1)
        #expect(info["has_checksum"] as? Bool == true)
        _ = try TestEnvironment.runPython(Self.script, arguments: ["decompress", zst.path, out.path])
        #expect(try [UInt8](Data(contentsOf: out)) == raw)
        #expect(try Zstd.frameContentSize(compressed.withUnsafeBytes { UnsafeRawBufferPointer($0) }) == UInt64(size))
    }

    @Test("multi-threaded compression is one frame with content size and deterministic")
    func workers() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = Self.sampleBytes(count: 3_000_000, seed: 11)
        let first = try Zstd.compress(raw, level: 3, workers: 2)
        let second = try Zstd.compress(raw, level: 3, workers: 2)
        #expect(first == second)
        let zst = dir.appendingPathComponent("w.zst")
        try Data(first).write(to: zst)
        let info = try Self.inspect(zst)
        #expect(info["content_size"] as? Int == raw.count)
        #expect(info["frames"] as? Int == 1)
        #expect(try Zstd.decompress(first) == raw)
    }

    @Test("python compress → Swift decompress (one-shot and file streaming)", arguments: ["oneshot", "stream", "concat"])
    func pythonToSwift(mode: String) throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = Self.sampleBytes(count: 400_000, seed: 3)
        let rawURL = dir.appendingPathComponent("r.raw")
        let zst = dir.appendingPathComponent("r.zst")
        try Data(raw).write(to: rawURL)
        _ = try TestEnvironment.runPython(Self.script, arguments: ["compress", rawURL.path, zst.path, mode])
        let compressed = try [UInt8](Data(contentsOf: zst))
        #expect(try Zstd.decompress(compressed) == raw)
        for (chunk, outSize) in [(1, 7), (13, 4096), (131_075, 1 << 20)] {
            let reader = try ZstdFileReader(path: zst.path, chunkSize: chunk)
            var result: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: outSize)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { break }
                result += buffer[0..<n]
            }
            #expect(result == raw, "chunk \(chunk), output \(outSize)")
            #expect(reader.compressedBytesRead == compressed.count)
        }
    }

    @Test("corrupt and truncated input give clear errors naming the file")
    func errors() throws {
        let dir = try TestEnvironment.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let raw = Self.sampleBytes(count: 50_000)
        let compressed = try Zstd.compress(raw)
        #expect(throws: ZstdError.self) { try Zstd.decompress(Array("not zstd at all".utf8)) }
        #expect(throws: ZstdError.self) { try Zstd.decompress(Array(compressed.prefix(compressed.count / 2))) }
        #expect(throws: ZstdError.self) { try Zstd.decompress(compressed, maxSize: 100) }

        let truncated = dir.appendingPathComponent("t.zst")
        try Data(compressed.prefix(compressed.count - 10)).write(to: truncated)
        let reader = try ZstdFileReader(path: truncated.path, chunkSize: 1000)
        var buffer = [UInt8](repeating: 0, count: 4096)
        let error = try #require(throws: ZstdError.self) {
            while try buffer.withUnsafeMutableBytes({ try reader.read(into: $0) }) > 0 {}
        }
        #expect(error.description.contains(truncated.path))
        #expect(error.description.contains("truncated"))

        let garbage = dir.appendingPathComponent("g.zst")
        try Data("plain text, not compressed".utf8).write(to: garbage)
        let garbageReader = try ZstdFileReader(path: garbage.path)
        let garbageError = try #require(throws: ZstdError.self) {
            _ = try buffer.withUnsafeMutableBytes { try garbageReader.read(into: $0) }
        }
        #expect(garbageError.description.hasPrefix("\(garbage.path): zstd: decompression failed:"))
        #expect(throws: ZstdError.self) { try ZstdFileReader(path: dir.appendingPathComponent("missing.zst").path) }
    }
}
