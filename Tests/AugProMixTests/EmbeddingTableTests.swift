import AugProProjector
import AugProTestSupport
import Foundation
import Testing

@Suite struct EmbeddingTableTests {
    struct Expected: Decodable {
        var rows: Int
        var cols: Int
        var f32: [Float]
        var f16: [Float]
        var bf16: [Float]
    }

    /// Small F32/F16/BF16 tables written by `fixtures/mix/write_tables.py` and the values numpy expects.
    static func writeTables() throws -> (URL, Expected) {
        let directory = try TestEnvironment.temporaryDirectory("augpro-tables")
        let output = try TestEnvironment.runPython(TestEnvironment.fixture("mix/write_tables.py"), arguments: [directory.path])
        return (directory, try JSONDecoder().decode(Expected.self, from: output))
    }

    @Test func loadsF32F16AndBF16AsFloat32() throws {
        let (directory, expected) = try Self.writeTables()
        let f32 = try EmbeddingTable(path: directory.appendingPathComponent("f32.safetensors").path)
        #expect(f32.vocabularySize == expected.rows && f32.dimension == expected.cols)
        #expect(Array(f32.values) == expected.f32)
        #expect(f32.isMapped)
        let f16 = try EmbeddingTable(path: directory.appendingPathComponent("f16.safetensors").path)
        #expect(Array(f16.values) == expected.f16)
        #expect(!f16.isMapped)
        let bf16 = try EmbeddingTable(path: directory.appendingPathComponent("bf16.safetensors").path, tensor: "custom.table")
        #expect(Array(bf16.values) == expected.bf16)
        let folder = try EmbeddingTable(path: directory.appendingPathComponent("model").path)
        #expect(Array(folder.values) == expected.f32)
        #expect(Array(UnsafeBufferPointer(start: folder.row(3), count: expected.cols)) == Array(expected.f32[30..<40]))
    }

    @Test func badInputsThrowClearErrors() throws {
        let (directory, _) = try Self.writeTables()
        func message(_ body: () throws -> Void) -> String {
            do {
                try body()
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        #expect(message { _ = try EmbeddingTable(path: path("missing.safetensors")) }.contains("no such file"))
        #expect(message { _ = try EmbeddingTable(path: path("bf16.safetensors")) }.contains("no tensor named"))
        #expect(message { _ = try EmbeddingTable(path: path("f32.safetensors"), tensor: "absent") }.contains("\"absent\""))
        #expect(message { _ = try EmbeddingTable(path: path("bad_shape.safetensors")) }.contains("expected [vocabulary, dimension]"))
        #expect(message { _ = try EmbeddingTable(path: path("int.safetensors")) }.contains("expected F32, F16 or BF16"))
        #expect(message { _ = try EmbeddingTable(path: directory.path) }.contains("no model.safetensors"))
        #expect(message { _ = try EmbeddingTable(values: [1, 2, 3], vocabularySize: 2, dimension: 2) }.contains("expected 2×2"))
    }

    @Test func projectorRejectsMismatchedVocabularyAndUnknownExclusions() throws {
        let table = try EmbeddingTable(values: [0, 1, 1, 0, 1, 1], vocabularySize: 3, dimension: 2)
        #expect(throws: ProjectorError.self) { _ = try MixProjector(table: table, vocabulary: ["a", "b"]) }
        #expect(throws: ProjectorError.self) {
            _ = try MixProjector(table: table, vocabulary: ["a", "b", "c"], options: ProjectorOptions(exclude: ["zzz"], fastPath: false))
        }
        #expect(throws: ProjectorError.self) {
            _ = try MixProjector(table: table, vocabulary: ["[A]", "[B]", "[C]"], options: ProjectorOptions(fastPath: false))
        }
        let broken = try EmbeddingTable(values: [0, 1, .nan, 0, 1, 1], vocabularySize: 3, dimension: 2)
        #expect(throws: ProjectorError.self) { _ = try MixProjector(table: broken, vocabulary: ["a", "b", "c"]) }
        let excluded = try MixProjector.excludedTokens(vocabulary: ["[PAD]", "[unused12]", "!", "[", "[]", "x"], extra: ["x"])
        #expect(excluded == [true, true, false, false, false, true])
    }
}
