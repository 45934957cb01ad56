import AugProRuntime
import AugProTestSupport
import AugProWriter
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Reading a dataset back never leaves its folder or trusts what index.json says about files:
/// names with `..`, `/`, control characters, duplicates, symbolic links, FIFOs, oversized files.
@Suite struct DatasetSafetyTests {
    static func dataset() throws -> URL {
        try VerifyTests.writeDataset(compression: .zstd(level: 3))
    }

    /// `verify` and `inspect` (forEachSample) both refuse the dataset, naming index.json.
    static func expectIndexRefused(_ directory: URL, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let problems = MDSDatasetReader.verify(path: directory.path)
        #expect(problems.count == 1, sourceLocation: sourceLocation)
        #expect(problems.first?.file == "index.json", sourceLocation: sourceLocation)
        #expect(problems.first?.message.contains(fragment) == true, "\(problems)", sourceLocation: sourceLocation)
        #expect(throws: MDSFileError.self, sourceLocation: sourceLocation) {
            try MDSDatasetReader(path: directory.path).forEachSample { _ in }
        }
    }

    @Test(arguments: [
        ("../outside/stolen.zstd", "is not a file name inside"),
        ("part-0/../../outside/stolen.zstd", "is not a file name inside"),
        ("part-0//shard.zstd", "is not a file name inside"),
        ("/etc/passwd", "is an absolute path"),
        ("..", "is not a file name inside"),
        (".", "is not a file name inside"),
        ("", "an empty file name"),
        ("shard\n.zstd", "control character"),
        ("index.json", "listed twice"),
    ])
    func aShardNameOutsideTheFolderIsRefused(name: String, fragment: String) throws {
        let directory = try Self.dataset()
        let outside = directory.deletingLastPathComponent().appendingPathComponent("outside")
        try? FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let json = String(decoding: try JSONSerialization.data(withJSONObject: [name]), as: UTF8.self)
        try VerifyTests.editIndex(directory, "index['shards'][1]['zip_data']['basename'] = json.loads('\(json.replacingOccurrences(of: "\\", with: "\\\\"))')[0]")
        Self.expectIndexRefused(directory, containing: fragment)
    }

    /// A merged dataset names shards in subfolders (`part-0/shard…`); a subfolder that is a
    /// symbolic link (here to a folder outside holding an exact copy of the shard) is refused.
    @Test func aSymbolicLinkSubfolderIsRefused() throws {
        let directory = try Self.dataset()
        let name = try MDSTest.files(directory).first { $0.hasPrefix("shard.") }!
        let outside = try TestEnvironment.temporaryDirectory("outside")
        try FileManager.default.copyItem(
            at: directory.appendingPathComponent(name), to: outside.appendingPathComponent(name))
        try FileManager.default.createSymbolicLink(
            at: directory.appendingPathComponent("part-0"), withDestinationURL: outside)
        try VerifyTests.editIndex(directory, "index['shards'][0]['zip_data']['basename'] = 'part-0/' + index['shards'][0]['zip_data']['basename']")
        let problems = MDSDatasetReader.verify(path: directory.path, allowedExtraFiles: ["part-0", name])
        #expect(problems.contains { $0.message.contains("symbolic link") }, "\(problems)")
    }

    @Test func aShardListedTwiceIsRefused() throws {
        let directory = try Self.dataset()
        try VerifyTests.editIndex(directory, "index['shards'].append(index['shards'][0])")
        Self.expectIndexRefused(directory, containing: "listed twice")
        let other = try Self.dataset()
        try VerifyTests.editIndex(other, "index['shards'][2]['raw_data']['basename'] = index['shards'][0]['raw_data']['basename']")
        Self.expectIndexRefused(other, containing: "listed twice")
    }

    @Test func impossibleSizesAreRefused() throws {
        for edit in [
            "index['shards'][0]['raw_data']['bytes'] = 1 << 40",
            "index['shards'][0]['raw_data']['bytes'] = -1",
            "index['shards'][0]['samples'] = -3",
            "index['shards'][0]['zip_data']['bytes'] = -5",
        ] {
            let directory = try Self.dataset()
            try VerifyTests.editIndex(directory, edit)
            Self.expectIndexRefused(directory, containing: "must be non-negative")
        }
    }

    /// A symbolic link in place of a shard is refused, wherever it points (here: an exact copy
    /// of the shard outside the folder, which would otherwise verify as ok).
    @Test func aSymbolicLinkShardIsRefused() throws {
        let directory = try Self.dataset()
        let name = try MDSTest.files(directory).first { $0.hasPrefix("shard.") }!
        let copy = try TestEnvironment.temporaryDirectory("outside").appendingPathComponent(name)
        try FileManager.default.moveItem(at: directory.appendingPathComponent(name), to: copy)
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent(name).path, withDestinationPath: copy.path)
        let problems = MDSDatasetReader.verify(path: directory.path)
        #expect(problems == [MDSProblem(file: name, message: "is a symbolic link; dataset files must be regular files in the dataset folder")])
        #expect(throws: MDSFileError.self) { try MDSDatasetReader(path: directory.path).forEachSample { _ in } }
    }

    @Test func aSymbolicLinkIndexIsRefused() throws {
        let directory = try Self.dataset()
        let copy = try TestEnvironment.temporaryDirectory("outside").appendingPathComponent("index.json")
        try FileManager.default.moveItem(at: directory.appendingPathComponent("index.json"), to: copy)
        try FileManager.default.createSymbolicLink(atPath: directory.appendingPathComponent("index.json").path, withDestinationPath: copy.path)
        Self.expectIndexRefused(directory, containing: "symbolic link")
    }

    /// A FIFO or a folder under a shard's name is refused at once (opening a FIFO would block).
    @Test func aFIFOOrFolderShardIsRefusedWithoutBlocking() throws {
        let directory = try Self.dataset()
        let names = try MDSTest.files(directory).filter { $0.hasPrefix("shard.") }
        try FileManager.default.removeItem(at: directory.appendingPathComponent(names[0]))
        #expect(mkfifo(directory.appendingPathComponent(names[0]).path, 0o600) == 0)
        try FileManager.default.removeItem(at: directory.appendingPathComponent(names[1]))
        try FileManager.default.createDirectory(at: directory.appendingPathComponent(names[1]), withIntermediateDirectories: false)
        let problems = MDSDatasetReader.verify(path: directory.path)
        #expect(problems == [
            MDSProblem(file: names[0], message: "is not a regular file"),
            MDSProblem(file: names[1], message: "is not a regular file"),
        ])
    }

    /// A shard grown past its recorded size is not read into memory.
    @Test func anOversizedShardIsNotRead() throws {
        let directory = try Self.dataset()
        let reader = try MDSDatasetReader(path: directory.path)
        let shard = reader.index.shards[0].file
        let handle = try FileHandle(forWritingTo: directory.appendingPathComponent(shard.basename))
        try handle.truncate(atOffset: UInt64(shard.bytes) + 10_000_000)
        try handle.close()
        let problems = MDSDatasetReader.verify(path: directory.path)
        #expect(problems == [MDSProblem(file: shard.basename, message: "has \(shard.bytes + 10_000_000) bytes, more than the \(shard.bytes) expected")])
    }

    /// Values beyond Int and non-finite floats, written by the independent Python writer, are
    /// printed so that Python's `json.loads` gives back exactly the values written (float32
    /// columns compared after rounding both sides to float32).
    @Test func exactUInt64AndNonFiniteFloatsRoundTripThroughPythonJSON() throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-exact")
        let script = directory.appendingPathComponent("exact.py")
        try #"""
            import json, math, struct, subprocess, sys
            nan, inf = float("nan"), float("inf")
            columns = {"big": "uint64", "single": "float32", "double": "float64", "values": "ndarray:float32", "wide": "ndarray:uint64"}
            rows = [
                {"big": 2**64 - 1, "single": nan, "double": inf, "values": [-inf, 1.5, nan], "wide": [2**63, 1]},
                {"big": 2**63, "single": -inf, "double": nan, "values": [0.1], "wide": [2**64 - 2]},
                {"big": 2**63 - 1, "single": 0.25, "double": -0.0, "values": [3.4028234663852886e38], "wide": [0]},
            ]
            if sys.argv[1] == "write":
                spec = {"columns": columns, "rows": rows, "size_limit": 1 << 20, "hashes": ["sha1"]}
                subprocess.run([sys.executable, sys.argv[2], sys.argv[3]], input=json.dumps(spec).encode(), check=True)
                sys.exit(0)

            def bits(value, encoding):
                if isinstance(value, list):
                    return [bits(v, encoding) for v in value]
                if "float32" in encoding:
                    return struct.pack("<f", value)
                if "float64" in encoding:
                    return struct.pack("<d", value)
                return (type(value), value)

            lines = sys.stdin.read().splitlines()
            assert len(lines) == len(rows), lines
            for row, line in zip(rows, lines):
                printed = json.loads(line)
                for key, value in row.items():
                    if bits(value, columns[key]) != bits(printed[key], columns[key]):
                        sys.exit(f"{key}: wrote {value!r}, printed {printed[key]!r} in {line}")
            """#.write(to: script, atomically: true, encoding: .utf8)
        let dataset = directory.appendingPathComponent("data")
        _ = try TestEnvironment.runPython(script, arguments: ["write", ReferenceWriterTests.writerScript.path, dataset.path])
        var lines: [String] = []
        try MDSDatasetReader(path: dataset.path).forEachSample { lines.append(JSONValue.object($0).serialized()) }
        try #require(lines.count == 3)
        #expect(lines[0].contains("\"big\": 18446744073709551615"))
        #expect(lines[0].contains("\"single\": NaN") && lines[0].contains("\"double\": Infinity"))
        _ = try TestEnvironment.runPython(script, arguments: ["check"], standardInput: Data(lines.joined(separator: "\n").utf8))
    }
}
