import AugProTestSupport
import AugProWriter
import Foundation
import Testing

/// Datasets in subfolders joined by a top-level index.json: the independent Python reader
/// decodes the merged folder to the parts' samples in part order, with every hash checked.
@Suite("MDS index merge")
struct MergeTests {
    static func parts(_ counts: [Int], compression: ShardCompression = .zstd(level: 3)) throws -> (URL, [[String: Any]]) {
        let root = try TestEnvironment.temporaryDirectory("mds-merge")
        var expected: [[String: Any]] = []
        var first = 0
        for (part, count) in counts.enumerated() {
            let folder = root.appendingPathComponent("part-\(part)")
            let rows = (first..<first + count).map { IDTextRow(id: Int64($0), text: "row \($0) of part \(part)") }
            _ = try MDSTest.write(rows, encoder: IDTextEncoder(), to: folder, compression: compression, shardSize: 2000, hashes: [.sha1, .xxh64])
            expected += try MDSTest.pythonSamples(folder)
            first += count
        }
        return (root, expected)
    }

    @Test(arguments: [ShardCompression.none, .zstd(level: 3)])
    func mergedFolderDecodesToThePartsInOrder(compression: ShardCompression) throws {
        let (root, expected) = try Self.parts([120, 0, 75, 300], compression: compression)
        let summary = try MDSIndexMerge.merge(into: root.path, parts: (0..<4).map { "part-\($0)" })
        #expect(summary.samples == 495)
        let merged = try MDSTest.pythonSamples(root)
        #expect(merged.count == expected.count)
        #expect(merged.map { MDSTest.int($0["id"]) } == expected.map { MDSTest.int($0["id"]) })
        #expect(merged.map { $0["text"] as? String } == expected.map { $0["text"] as? String })
        #expect(MDSDatasetReader.verify(path: root.path, allowedExtraFiles: ["part-1"]) == [], "part-1 holds no samples, so no shard")
        let reader = try MDSDatasetReader(path: root.path)
        #expect(reader.sampleCount == 495)
        #expect(reader.index.shards.allSatisfy { $0.file.basename.hasPrefix("part-") })
    }

    @Test func partsWithOtherColumnsAreRefused() throws {
        let (root, _) = try Self.parts([10])
        let other = root.appendingPathComponent("part-1")
        _ = try MDSTest.write(Array(EncodingTests.allTypesRows().prefix(3)), encoder: AllTypesEncoder(), to: other,
                          compression: .zstd(level: 3), shardSize: 2000, hashes: [.sha1])
        #expect(throws: MDSFileError.self) { try MDSIndexMerge.merge(into: root.path, parts: ["part-0", "part-1"]) }
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("index.json").path))
    }

    @Test func partsOutsideTheFolderAreRefused() throws {
        let (root, _) = try Self.parts([10])
        for part in ["../part-0", "/tmp", "part-0/..", ""] {
            #expect(throws: MDSFileError.self) { try MDSIndexMerge.merge(into: root.path, parts: [part]) }
        }
    }
}
