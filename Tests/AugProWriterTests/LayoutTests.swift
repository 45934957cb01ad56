import AugProNumerics
import AugProTestSupport
import AugProWriter
import Foundation
import Testing

/// Dataset layout: shard rollover, compression, index.json, determinism, options.
@Suite struct LayoutTests {
    /// The shard config Streaming embeds for the `id`/`text` schema, written out by hand.
    static func idTextConfig(sizeLimit: Int, compression: String? = nil) -> String {
        #"{"column_encodings": ["int64", "str"], "column_names": ["id", "text"], "column_sizes": [8, null], "#
            + #""compression": \#(compression.map { "\"\($0)\"" } ?? "null"), "format": "mds", "hashes": ["sha1"], "#
            + #""size_limit": \#(sizeLimit), "version": 2}"#
    }

    /// Streaming's rule, replayed from sample sizes: a new shard starts when
    /// `size_limit < current + len(sample) + 4`, `current` starting at `4 + 4 + len(config)`.
    static func expectedShardSizes(_ sizes: [Int], limit: Int) -> [Int] {
        let start = 8 + idTextConfig(sizeLimit: limit).utf8.count
        var shards: [Int] = []
        var current = start
        var inShard = 0
        for size in sizes {
            if inShard > 0 && limit < current + size + 4 {
                shards.append(inShard)
                inShard = 0
                current = start
            }
            inShard += 1
            current += size + 4
        }
        if inShard > 0 { shards.append(inShard) }
        return shards
    }

    static func shardSizesSeenByPython(_ directory: URL) throws -> [Int] {
        var counts: [String: Int] = [:]
        for sample in try MDSTest.pythonSamples(directory, withShard: true) {
            counts[sample["__shard"] as! String, default: 0] += 1
        }
        return counts.keys.sorted().map { counts[$0]! }
    }

    @Test func rolloverAtTheExactBoundary() throws {
        let rows = (0..<10).map { IDTextRow(id: Int64($0), text: String(repeating: "x", count: 100)) }
        let sampleSize = IDTextEncoder.sampleSize(rows[0])
        // The limit at which exactly three samples fill a shard to the byte.
        var limit = 1000
        for _ in 0..<3 { limit = 8 + Self.idTextConfig(sizeLimit: limit).utf8.count + 3 * (sampleSize + 4) }
        #expect(limit == 8 + Self.idTextConfig(sizeLimit: limit).utf8.count + 3 * (sampleSize + 4))
        for (shardSize, perShard) in [(limit, [3, 3, 3, 1]), (limit - 1, [2, 2, 2, 2, 2]), (limit + sampleSize + 3, [3, 3, 3, 1])] {
            let directory = try TestEnvironment.temporaryDirectory("mds-rollover")
            let summary = try MDSTest.write(rows, encoder: IDTextEncoder(), to: directory, shardSize: shardSize)
            #expect(summary.shards.map(\.samples) == perShard, "size limit \(shardSize)")
            #expect(try Self.shardSizesSeenByPython(directory) == perShard)
            #expect(summary.shards.allSatisfy { $0.rawBytes <= shardSize })
        }
    }

    @Test func rolloverWithVariedSamplesMatchesTheRule() throws {
        var numbers = MDSTest.Numbers(state: 3)
        let rows = (0..<300).map { IDTextRow(id: Int64($0), text: String(repeating: "é", count: numbers.below(300))) }
        let limit = 4096
        let directory = try TestEnvironment.temporaryDirectory("mds-rollover-varied")
        let commits = Collected<ShardCommit>()
        let options = try WriterOptions(path: directory.path, compression: .zstd(level: 5), shardSize: limit)
        let writer = try MDSDatasetWriter(options: options, schema: IDTextEncoder().schema) { commit in
            commits.append(commit)
        }
        for row in rows { try writer.write { try IDTextEncoder().encode(row, into: &$0) } }
        let summary = try writer.finish()
        let expected = Self.expectedShardSizes(rows.map(IDTextEncoder.sampleSize), limit: limit)
        #expect(expected.count > 5)
        #expect(summary.shards.map(\.samples) == expected)
        #expect(try Self.shardSizesSeenByPython(directory) == expected)
        // The commit callback saw every shard, with contiguous row ordinals.
        let seen = commits.values
        #expect(seen == summary.shards)
        #expect(seen.first?.firstRow == 0 && seen.last?.lastRow == rows.count - 1)
        for (previous, next) in zip(seen, seen.dropFirst()) { #expect(next.firstRow == previous.lastRow + 1) }
    }

    @Test func aSampleLargerThanTheLimitGetsAShardOfItsOwn() throws {
        let rows = [IDTextRow(id: 0, text: "a"), IDTextRow(id: 1, text: String(repeating: "b", count: 5000)), IDTextRow(id: 2, text: "c")]
        let directory = try TestEnvironment.temporaryDirectory("mds-oversize")
        let summary = try MDSTest.write(rows, encoder: IDTextEncoder(), to: directory, shardSize: 1000)
        #expect(summary.shards.map(\.samples) == [1, 1, 1])
        #expect(try MDSTest.pythonSamples(directory).map { $0["text"] as? String } == rows.map(\.text))
    }

    @Test func zstdShardsAreSingleFramesAndReplaceRawFiles() throws {
        let rows = (0..<2000).map { IDTextRow(id: Int64($0), text: "sample number \($0) with some repeated text text text") }
        let directory = try TestEnvironment.temporaryDirectory("mds-zstd")
        try MDSTest.write(rows, encoder: IDTextEncoder(), to: directory, compression: .zstd(level: 3), shardSize: 1 << 16)
        let files = try MDSTest.files(directory)
        #expect(files.first == "index.json")
        #expect(files.dropFirst().allSatisfy { $0.hasPrefix("shard.") && $0.hasSuffix(".mds.zstd") })
        #expect(files.count > 2)
        // One frame recording its content size: what Streaming's one-shot decompression needs.
        let script = try TestEnvironment.temporaryDirectory("zstd-check").appendingPathComponent("frames.py")
        try """
            import sys, zstandard
            for path in sys.argv[1:]:
                data = open(path, "rb").read()
                params = zstandard.get_frame_parameters(data)
                size = len(zstandard.ZstdDecompressor().decompress(data))
                assert params.content_size == size, (path, params.content_size, size)
                assert zstandard.frame_content_size(data) == size
                # The first frame spans the whole file: nothing follows it.
                obj = zstandard.ZstdDecompressor().decompressobj()
                obj.decompress(data)
                assert obj.eof and obj.unused_data == b"", path
            print("ok")
            """.write(to: script, atomically: true, encoding: .utf8)
        let output = try TestEnvironment.runPython(script, arguments: files.dropFirst().map { directory.appendingPathComponent($0).path })
        #expect(String(decoding: output, as: UTF8.self) == "ok\n")
        #expect(try MDSTest.pythonSamples(directory).count == rows.count)
    }

    @Test func rerunsAreByteIdentical() throws {
        let rows = EncodingTests.allTypesRows()
        var snapshots: [[String: Data]] = []
        for _ in 0..<2 {
            let directory = try TestEnvironment.temporaryDirectory("mds-determinism")
            try MDSTest.write(rows, encoder: AllTypesEncoder(), to: directory, compression: .zstd(level: 7), shardSize: 40_000, hashes: [.sha256, .xxh64])
            var files: [String: Data] = [:]
            for name in try MDSTest.files(directory) { files[name] = try Data(contentsOf: directory.appendingPathComponent(name)) }
            snapshots.append(files)
        }
        #expect(snapshots[0].count > 2)
        #expect(snapshots[0] == snapshots[1])
    }

    @Test func indexRecordsEveryShardField() throws {
        let rows = (0..<50).map { IDTextRow(id: Int64($0), text: "row \($0)") }
        for compression in [ShardCompression.none, .zstd(level: 3)] {
            let directory = try TestEnvironment.temporaryDirectory("mds-index")
            try MDSTest.write(rows, encoder: IDTextEncoder(), to: directory, compression: compression, shardSize: 600, hashes: [.sha256, .sha1])
            let data = try Data(contentsOf: directory.appendingPathComponent("index.json"))
            let index = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            #expect(Set(index.keys) == ["shards", "version"])
            #expect(MDSTest.int(index["version"]) == 2)
            let shards = index["shards"] as! [[String: Any]]
            #expect(shards.count > 1)
            for (number, shard) in shards.enumerated() {
                #expect(Set(shard.keys) == [
                    "column_encodings", "column_names", "column_sizes", "compression", "format", "hashes",
                    "raw_data", "samples", "size_limit", "version", "zip_data",
                ])
                #expect(shard["hashes"] as? [String] == ["sha1", "sha256"])
                #expect(shard["format"] as? String == "mds")
                #expect(MDSTest.int(shard["size_limit"]) == 600)
                let raw = shard["raw_data"] as! [String: Any]
                #expect(raw["basename"] as? String == String(format: "shard.%05d.mds", number))
                #expect(Set((raw["hashes"] as! [String: String]).keys) == ["sha1", "sha256"])
                if compression == .none {
                    #expect(shard["compression"] is NSNull && shard["zip_data"] is NSNull)
                } else {
                    #expect(shard["compression"] as? String == "zstd:3")
                    let zip = shard["zip_data"] as! [String: Any]
                    #expect(zip["basename"] as? String == String(format: "shard.%05d.mds.zstd", number))
                }
            }
            // The Python reader checks index.json and each embedded config are json.dumps(sort_keys=True).
            #expect(try MDSTest.pythonSamples(directory).count == rows.count)
        }
        let directory = try TestEnvironment.temporaryDirectory("mds-config")
        try MDSTest.write([IDTextRow(id: 1, text: "x")], encoder: IDTextEncoder(), to: directory, shardSize: 777)
        let shard = try [UInt8](Data(contentsOf: directory.appendingPathComponent("shard.00000.mds")))
        #expect(shard[12...].starts(with: Array(Self.idTextConfig(sizeLimit: 777).utf8)))
    }

    @Test func anEmptyInputGivesAnEmptyIndex() throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-empty")
        let summary = try MDSTest.write([IDTextRow](), encoder: IDTextEncoder(), to: directory)
        #expect(summary.shards.isEmpty)
        #expect(try MDSTest.files(directory) == ["index.json"])
        #expect(try String(contentsOf: directory.appendingPathComponent("index.json"), encoding: .utf8) == #"{"shards": [], "version": 2}"#)
        #expect(try MDSTest.pythonSamples(directory).isEmpty)
        #expect(MDSDatasetReader.verify(path: directory.path) == [])
    }

    @Test func byteSizesParseLikeStreaming() throws {
        #expect(try parseByteSize("67108864") == 67_108_864)
        #expect(try parseByteSize("64MB") == 64 << 20)
        #expect(try parseByteSize("64mb") == 64 << 20)
        #expect(try parseByteSize("512KB") == 512 << 10)
        #expect(try parseByteSize("512 KiB") == 512 << 10)
        #expect(try parseByteSize("1GiB") == 1 << 30)
        #expect(try parseByteSize("1.5k") == 1536)
        #expect(try parseByteSize("100b") == 100)
        for bad in ["", "MB", "-1MB", "0", "1.5", "12 parsecs", "1e3", "0.1KB"] {
            #expect(throws: WriterOptionsError.badShardSize(bad)) { try parseByteSize(bad) }
        }
    }

    @Test func optionsValidateAndNormalize() throws {
        #expect(try ShardCompression(parsing: "zstd:7") == .zstd(level: 7))
        #expect(try ShardCompression(parsing: "zstd") == .zstd(level: 3))
        #expect(try ShardCompression(parsing: "none") == .none)
        for bad in ["zstd:0", "zstd:23", "gzip", "zstd:x"] {
            #expect(throws: WriterOptionsError.badCompression(bad)) { try ShardCompression(parsing: bad) }
        }
        let options = try WriterOptions(path: "/tmp/x", hashes: [.xxh64, .sha1, .xxh64])
        #expect(options.hashes == [.sha1, .xxh64])
        #expect(options.compression == .zstd(level: 3) && options.shardSize == 1 << 26)
        #expect(throws: WriterOptionsError.noHashes) { try WriterOptions(path: "/tmp/x", hashes: []) }
        #expect(throws: WriterOptionsError.unknownHash("md5")) { try WriterOptions.parseHashes(["sha1", "md5"]) }
        #expect(try WriterOptions.parseHashes(["SHA256"]) == [.sha256])
    }

    @Test func anExistingDatasetIsKeptUnlessOverwriting() throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-existing")
        try MDSTest.write([IDTextRow(id: 1, text: "old")], encoder: IDTextEncoder(), to: directory)
        try Data("keep".utf8).write(to: directory.appendingPathComponent("notes.txt"))
        // Another stage's file being written atomically in the same folder.
        try Data("keep".utf8).write(to: directory.appendingPathComponent(".tmp-rejects.jsonl"))
        try Data("stale".utf8).write(to: directory.appendingPathComponent(".tmp-shard.00001.mds"))
        #expect(throws: MDSWriterError.outputNotEmpty(path: directory.path, files: [".tmp-shard.00001.mds", "index.json", "shard.00000.mds"])) {
            try MDSDatasetWriter(options: WriterOptions(path: directory.path, compression: .none), schema: IDTextEncoder().schema)
        }
        try MDSTest.write([IDTextRow(id: 2, text: "new")], encoder: IDTextEncoder(), to: directory, compression: .zstd(level: 1))
        #expect(try MDSTest.files(directory) == [".tmp-rejects.jsonl", "index.json", "notes.txt", "shard.00000.mds.zstd"])
        #expect(try MDSTest.pythonSamples(directory).map { $0["text"] as? String } == ["new"])
    }
}
