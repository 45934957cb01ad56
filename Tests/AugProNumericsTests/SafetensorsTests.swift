@testable import AugProNumerics
import AugProTestSupport
import Foundation
import Testing

/// Checks `SafetensorsFile` against files written and read by the reference `safetensors`
/// python package, and its refusal of malformed files.
@Suite("Safetensors reader")
struct SafetensorsTests {
    static let samplesScript = TestEnvironment.fixture("teacher/make_safetensors_samples.py")
    static let describeScript = TestEnvironment.fixture("teacher/safetensors_reference.py")

    static func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The expected float from the sample script's JSON (numbers, or "inf"/"-inf").
    static func expectedFloat(_ value: Any) -> Float {
        if let text = value as? String { return text == "inf" ? .infinity : -.infinity }
        return Float((value as! NSNumber).doubleValue)
    }

    @Test("reads F32, F16, BF16, empty and scalar tensors exactly as written by python safetensors")
    func readsReferenceSamples() throws {
        let folder = try TestEnvironment.temporaryDirectory("augpro-safetensors")
        defer { try? FileManager.default.removeItem(at: folder) }
        let expected = try Self.json(try TestEnvironment.runPython(Self.samplesScript, arguments: [folder.path]))
        for (fileName, tensorsValue) in expected {
            let file = try SafetensorsFile(url: folder.appendingPathComponent(fileName))
            let tensors = try #require(tensorsValue as? [String: [String: Any]])
            #expect(file.tensorNames == tensors.keys.sorted())
            for (name, entry) in tensors {
                let info = try file.info(name)
                #expect(info.dtype.rawValue == entry["dtype"] as? String, "\(fileName) \(name)")
                #expect(info.shape == entry["shape"] as? [Int], "\(fileName) \(name)")
                guard let values = entry["values"] as? [Any] else {
                    #expect(throws: SafetensorsError.self) { try file.floats(name) }
                    continue
                }
                let want = values.map(Self.expectedFloat)
                let got = try file.floats(name)
                #expect(got.map(\.bitPattern) == want.map(\.bitPattern), "\(fileName) \(name)")
                let viaBuffer = try file.withFloat32(name) { Array($0) }
                #expect(viaBuffer.map(\.bitPattern) == want.map(\.bitPattern), "\(fileName) \(name)")
                let tensor = try file.float32Tensor(name)
                #expect(tensor.shape == info.shape)
                #expect(Array(tensor.buffer).map(\.bitPattern) == want.map(\.bitPattern), "\(fileName) \(name)")
            }
        }
        let mixed = try SafetensorsFile(url: folder.appendingPathComponent("mixed.safetensors"))
        #expect(mixed.metadata == ["format": "np", "note": "fixture"])
    }

    @Test("F32 tensors of the real MiniLM checkpoint are read in place and match python safetensors")
    func readsMiniLM() throws {
        let model = try #require(TestEnvironment.modelDirectory, "the all-MiniLM-L6-v2 model folder is missing: run `make venv`")
        let url = model.appendingPathComponent("model.safetensors")
        let reference = try Self.json(try TestEnvironment.runPython(Self.describeScript, arguments: [url.path]))
        let tensors = try #require(reference["tensors"] as? [String: [String: Any]])
        let file = try SafetensorsFile(url: url)
        #expect(file.tensorNames == tensors.keys.sorted())
        #expect(file.metadata == reference["metadata"] as? [String: String])
        for (name, entry) in tensors {
            let info = try file.info(name)
            #expect(info.shape == entry["shape"] as? [Int], "\(name)")
            guard let head = entry["head"] as? [Double], let sum = entry["sum"] as? Double else { continue }
            #expect(info.dtype == .f32)
            let inPlace = try file.float32Tensor(name)
            try file.withRawBytes(name) { raw in
                #expect(UnsafeRawPointer(inPlace.pointer) == raw.baseAddress, "\(name) was copied, not mapped")
            }
            try file.withFloat32(name) { values in
                #expect(values.count == info.elementCount)
                #expect(Array(values.prefix(8)) == head.map { Float($0) }, "\(name)")
                var total = 0.0
                for value in values { total += Double(value) }
                #expect(abs(total - sum) <= 1e-9 * max(1, abs(sum)) + 1e-6, "\(name)")
            }
        }
    }

    /// A valid two-tensor file (F32 [2], F16 [3]) built by hand, for targeted corruption.
    static func smallFile(header: String, dataLength: Int = 14) -> [UInt8] {
        let json = Array(header.utf8)
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) }
        bytes += json
        bytes += (0..<dataLength).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        return bytes
    }

    static let validHeader = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F16","shape":[3],"data_offsets":[8,14]},"__metadata__":{"k":"v"}}"#

    @Test("the hand-built small file is valid")
    func smallFileIsValid() throws {
        let file = try SafetensorsFile(file: MappedFile(copying: Self.smallFile(header: Self.validHeader), name: "small.safetensors"))
        #expect(file.tensorNames == ["a", "b"])
        #expect(try file.info("b").dataOffsets == 8..<14)
        #expect(file.metadata == ["k": "v"])
    }

    @Test(
        "malformed files are refused with an error naming the file and the problem",
        arguments: [
            (smallFile(header: validHeader, dataLength: 13), "data region"),
            (smallFile(header: validHeader, dataLength: 15), "data region"),
            (Array(smallFile(header: validHeader).prefix(7)), "at least the 8-byte"),
            ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7B, 0x7D], "exceeds the limit"),
            ([0x40, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D], "runs past the end"),
            (smallFile(header: "[1,2]", dataLength: 0), "JSON object"),
            (smallFile(header: "{\"a\":", dataLength: 0), "invalid JSON"),
            (smallFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  x"#, dataLength: 8), "invalid JSON"),
            (smallFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}"#, dataLength: 8), "duplicate key"),
            (smallFile(header: #"{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}"#, dataLength: 8), "unknown dtype \"F33\""),
            (smallFile(header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, dataLength: 8), "non-negative integers"),
            (smallFile(header: #"{"a":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}"#, dataLength: 8), "non-negative integers"),
            (smallFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,9]}}"#, dataLength: 9), "needs 2 × 4"),
            (smallFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, dataLength: 8), "end before begin"),
            (smallFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}"#, dataLength: 8), "data_offsets"),
            (smallFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataLength: 12), "leaves a gap"),
            (smallFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, dataLength: 12), "overlaps"),
            (smallFile(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}"#, dataLength: 8), "unknown field"),
            (smallFile(header: #"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, dataLength: 8), "needs a string \"dtype\""),
            (smallFile(header: #"{"__metadata__":{"k":1}}"#, dataLength: 0), "must be a string"),
            (smallFile(header: #"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}"#, dataLength: 8), "too large"),
            (smallFile(header: "{\"a\u{01}\":1}", dataLength: 0), "control character"),
            (smallFile(header: String(repeating: "[", count: 40), dataLength: 0), "JSON object"),
            (smallFile(header: "{\"a\":" + String(repeating: "[", count: 40), dataLength: 0), "nesting deeper"),
        ] as [([UInt8], String)]
    )
    func refusesMalformed(bytes: [UInt8], expectedProblem: String) {
        do {
            _ = try SafetensorsFile(file: MappedFile(copying: bytes, name: "bad.safetensors"))
            Issue.record("accepted a malformed file; expected \"\(expectedProblem)\"")
        } catch {
            #expect(error.description.hasPrefix("bad.safetensors: "))
            #expect(error.description.contains(expectedProblem), "\(error.description)")
        }
    }

    @Test("missing tensors and non-float dtypes are clear errors")
    func accessorErrors() throws {
        let file = try SafetensorsFile(file: MappedFile(copying: Self.smallFile(header: Self.validHeader), name: "small.safetensors"))
        #expect(throws: SafetensorsError.self) { try file.info("c") }
        let ints = Self.smallFile(header: #"{"i":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}"#, dataLength: 8)
        let intFile = try SafetensorsFile(file: MappedFile(copying: ints, name: "ints.safetensors"))
        do {
            _ = try intFile.floats("i")
            Issue.record("converted an I32 tensor to floats")
        } catch {
            #expect("\(error)".contains("dtype I32"))
        }
    }

    @Test("a missing file is an error naming the path")
    func missingFile() {
        do {
            _ = try SafetensorsFile(url: URL(fileURLWithPath: "/nonexistent/model.safetensors"))
            Issue.record("opened a missing file")
        } catch {
            #expect("\(error)".contains("/nonexistent/model.safetensors"))
        }
    }

    @Test("F16 conversion is exact for every bit pattern (checked against Float16 where available)")
    func halfConversion() {
        #if arch(x86_64) && os(Linux) || arch(arm64)
        let mismatches = (0...UInt16.max).filter { bits in
            let mine = SafetensorsFile.halfToFloat(bits)
            let reference = Float(Float16(bitPattern: bits))
            return reference.isNaN ? !mine.isNaN : mine.bitPattern != reference.bitPattern
        }
        #expect(mismatches.isEmpty, "first mismatching bit patterns: \(mismatches.prefix(5))")
        #endif
    }
}
