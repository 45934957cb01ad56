@testable import AugProNumerics
import AugProTestSupport
import Foundation
import Testing

/// Seeded random-mutation fuzzing of the safetensors header parser over real headers (the
/// MiniLM checkpoint's) and generated ones. Every mutant must either be refused with a
/// `SafetensorsError` or parse into a header that really satisfies the format's invariants;
/// none may crash. Mutations that are invalid by construction must always be refused.
///
/// For longer coverage-guided runs, the same entry point (`SafetensorsHeader.parse` on a byte
/// buffer) can be driven by libFuzzer: build a small executable whose
/// `@_cdecl("LLVMFuzzerTestOneInput")` function calls it, with `swiftc -sanitize=fuzzer,address`.
/// That harness is not part of the package; this test is the kept-in-repo regression fuzzer.
@Suite("Safetensors header fuzzing")
struct SafetensorsFuzzTests {
    typealias SplitMix64 = SeededRandom

    /// Bytes that are likely to matter to the parser.
    static let interesting: [UInt8] = Array(#"{}[]",:"\-0123456789.eEu FBIU_tfn"#.utf8) + [0, 0x7F, 0x80, 0xC3, 0xFF, 0x0A]

    /// One random edit: overwrite, insert, delete, duplicate a run, or rewrite a length byte.
    static func mutate(_ bytes: inout [UInt8], _ random: inout SplitMix64) {
        guard !bytes.isEmpty else { bytes = [UInt8(truncatingIfNeeded: random.next())]; return }
        let position = random.below(bytes.count)
        let byte = random.below(2) == 0 ? interesting[random.below(interesting.count)] : UInt8(truncatingIfNeeded: random.next())
        switch random.below(6) {
        case 0: bytes[position] = byte
        case 1: bytes.insert(byte, at: position)
        case 2: bytes.remove(at: position)
        case 3:
            let length = min(random.below(16) + 1, bytes.count - position)
            bytes.insert(contentsOf: bytes[position..<(position + length)], at: position)
        case 4: bytes[random.below(min(8, bytes.count))] = byte
        default: bytes.removeLast(min(bytes.count, random.below(4) + 1))
        }
    }

    /// Independently re-checks what a successful parse promises.
    static func checkInvariants(_ header: SafetensorsHeader, fileSize: Int) {
        let dataLength = fileSize - header.dataStart
        var covered = 0
        for tensor in header.tensors.values.sorted(by: { $0.dataOffsets.lowerBound < $1.dataOffsets.lowerBound || ($0.dataOffsets.lowerBound == $1.dataOffsets.lowerBound && $0.dataOffsets.upperBound < $1.dataOffsets.upperBound) }) {
            #expect(tensor.dataOffsets.lowerBound == covered)
            #expect(tensor.dataOffsets.count == tensor.shape.reduce(1, *) * tensor.dtype.byteSize)
            #expect(tensor.shape.allSatisfy { $0 >= 0 })
            covered = tensor.dataOffsets.upperBound
        }
        #expect(covered == dataLength)
    }

    /// Parses a mutant; returns whether it was accepted. Errors must be `SafetensorsError`s naming the file.
    @discardableResult
    static func probe(_ bytes: [UInt8], fileSize: Int) -> Bool {
        bytes.withUnsafeBytes { raw in
            do {
                let header = try SafetensorsHeader.parse(raw, fileSize: fileSize, path: "fuzz.safetensors")
                checkInvariants(header, fileSize: fileSize)
                return true
            } catch {
                #expect("\(error)".hasPrefix("fuzz.safetensors: "))
                return false
            }
        }
    }

    /// A random valid file: a few tensors of random dtypes and shapes, metadata sometimes.
    static func generatedFile(_ random: inout SplitMix64) -> [UInt8] {
        let dtypes = SafetensorsDType.allCases
        var entries: [String] = []
        var offset = 0
        for index in 0..<(random.below(5) + 1) {
            let dtype = dtypes[random.below(dtypes.count)]
            let shape = (0..<random.below(4)).map { _ in random.below(5) }
            let length = shape.reduce(1, *) * dtype.byteSize
            entries.append(#""t\#(index)":{"dtype":"\#(dtype.rawValue)","shape":\#(shape),"data_offsets":[\#(offset),\#(offset + length)]}"#)
            offset += length
        }
        if random.below(2) == 0 { entries.insert(#""__metadata__":{"format":"pt","é":"\u00e9"}"#, at: random.below(entries.count + 1)) }
        let json = Array(("{" + entries.joined(separator: ",") + "}").utf8)
        return withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + json + [UInt8](repeating: 0x3C, count: offset)
    }

    @Test("mutants of generated files never crash and accepted ones are really valid")
    func generatedHeaders() {
        var random = SplitMix64(state: 0xA5A5_2026)
        var accepted = 0
        for _ in 0..<400 {
            let original = Self.generatedFile(&random)
            #expect(Self.probe(original, fileSize: original.count), "a generated valid file was refused")
            for _ in 0..<10 {
                var mutant = original
                for _ in 0..<(random.below(3) + 1) { Self.mutate(&mutant, &random) }
                if Self.probe(mutant, fileSize: mutant.count) { accepted += 1 }
            }
        }
        #expect(accepted < 4000, "every mutant accepted: mutations are not reaching the parser")
    }

    @Test("mutants of the real MiniLM header never crash; invalid-by-construction ones are refused")
    func miniLMHeader() throws {
        let model = try #require(TestEnvironment.modelDirectory, "the all-MiniLM-L6-v2 model folder is missing: run `make venv`")
        let file = try MappedFile(url: model.appendingPathComponent("model.safetensors"))
        let length = Int(UInt64(littleEndian: file.bytes.loadUnaligned(as: UInt64.self)))
        let prefix = Array(file.bytes[0..<(8 + length)])
        #expect(Self.probe(prefix, fileSize: file.count))

        var random = SplitMix64(state: 0x5EED_0005)
        for _ in 0..<1500 {
            var mutant = prefix
            for _ in 0..<(random.below(4) + 1) { Self.mutate(&mutant, &random) }
            Self.probe(mutant, fileSize: file.count)
        }
        #expect(!Self.probe(prefix, fileSize: file.count - 1), "a truncated data region was accepted")
        #expect(!Self.probe(prefix, fileSize: file.count + 4), "trailing bytes after the data region were accepted")
        #expect(!Self.probe(Array(prefix.dropLast()), fileSize: file.count), "a truncated header was accepted")
        let text = String(decoding: prefix[8...], as: UTF8.self)
        for (target, replacement) in [("\"F32\"", "\"F31\""), ("\"shape\":[384]", "\"shape\":[385]"), ("\"data_offsets\":[0,", "\"data_offsets\":[1,")] {
            let header = Array(text.replacingOccurrences(of: target, with: replacement).utf8)
            #expect(header != Array(prefix[8...]), "the header has no \(target)")
            let bytes = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) } + header
            #expect(!Self.probe(bytes, fileSize: file.count - prefix.count + bytes.count), "accepted after replacing \(target)")
        }
    }
}
