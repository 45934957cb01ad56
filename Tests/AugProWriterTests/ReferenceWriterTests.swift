import AugProNumerics
import AugProRuntime
import AugProTestSupport
import AugProWriter
import Foundation
import Testing

/// Uncompressed datasets are byte-identical to those of an independent Python MDS writer
/// (`mds_writer.py`, written from Streaming's MDSWriter): shards, offsets, embedded configs,
/// rollover points and index.json.
@Suite struct ReferenceWriterTests {
    static let writerScript = TestEnvironment.packageRoot.appendingPathComponent("Tests/AugProWriterTests/mds_writer.py")

    static func pythonDataset(columns: [MDSColumn], rows: [JSONValue], sizeLimit: Int, hashes: [DigestAlgorithm]) throws -> URL {
        let directory = try TestEnvironment.temporaryDirectory("mds-python-writer")
        let spec = JSONValue.object([
            "columns": .object(Dictionary(uniqueKeysWithValues: columns.map { ($0.name, .string($0.encoding.name)) })),
            "rows": .array(rows), "size_limit": .int(sizeLimit), "hashes": .array(hashes.map { .string($0.rawValue) }),
        ])
        _ = try TestEnvironment.runPython(writerScript, arguments: [directory.path], standardInput: Data(spec.serialized().utf8))
        return directory
    }

    static func snapshot(_ directory: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try MDSTest.files(directory) { files[name] = try Data(contentsOf: directory.appendingPathComponent(name)) }
        return files
    }

    static func json(_ row: AllTypesRow) -> JSONValue {
        .object([
            "count": .int(Int(row.count)), "label": .int(Int(row.label)), "weight": .double(Double(row.weight)),
            "title": .string(row.title), "ids": .array(row.ids.map { .int(Int($0)) }),
            "bytes": .array(row.bytes.map { .int(Int($0)) }), "values": .array(row.values.map { .double(Double($0)) }),
            "wide": .array(row.wide.map { .int(Int($0)) }),
        ])
    }

    @Test(arguments: [30_000, 300_000, 1 << 26])
    func everyColumnTypeMatchesThePythonWriter(sizeLimit: Int) throws {
        let rows = EncodingTests.allTypesRows()
        let ours = try TestEnvironment.temporaryDirectory("mds-swift-writer")
        try MDSTest.write(rows, encoder: AllTypesEncoder(), to: ours, shardSize: sizeLimit, hashes: [.sha1, .sha256, .xxh64])
        let reference = try Self.pythonDataset(
            columns: AllTypesEncoder().schema.columns, rows: rows.map(Self.json), sizeLimit: sizeLimit, hashes: [.sha1, .sha256, .xxh64])
        let expected = try Self.snapshot(reference)
        #expect(expected.count >= 2)
        #expect(try Self.snapshot(ours) == expected)
    }

    @Test func rolloverMatchesThePythonWriter() throws {
        var numbers = MDSTest.Numbers(state: 11)
        let rows = (0..<600).map { IDTextRow(id: Int64($0) - 300, text: String(repeating: "ü", count: numbers.below(200))) }
        for sizeLimit in [700, 2048, 5000] {
            let ours = try TestEnvironment.temporaryDirectory("mds-swift-rollover")
            try MDSTest.write(rows, encoder: IDTextEncoder(), to: ours, shardSize: sizeLimit)
            let reference = try Self.pythonDataset(
                columns: IDTextEncoder().schema.columns,
                rows: rows.map { .object(["id": .int(Int($0.id)), "text": .string($0.text)]) },
                sizeLimit: sizeLimit, hashes: [.sha1])
            let expected = try Self.snapshot(reference)
            #expect(expected.count > 3, "size limit \(sizeLimit)")
            #expect(try Self.snapshot(ours) == expected, "size limit \(sizeLimit)")
        }
    }
}
