import AugProNumerics
import AugProRecords
import AugProRuntime
import AugProTestSupport
import AugProWriter
import Foundation
import Testing

/// Column encodings, checked by decoding with the independent Python reader (and our own).
@Suite struct EncodingTests {
    static func allTypesRows() -> [AllTypesRow] {
        var numbers = MDSTest.Numbers(state: 7)
        var rows = [
            AllTypesRow(
                count: .min, label: .min, weight: -0.5, title: "", ids: [.max], bytes: [0, 255],
                values: [.leastNonzeroMagnitude, .greatestFiniteMagnitude, -1e-30], wide: [.max, .min]),
            AllTypesRow(
                count: .max, label: .max, weight: .leastNormalMagnitude,
                title: "héllo 😀 \u{7F}\u{01}\n\t\"quoted\" \\ 漢字",
                ids: (0..<256).map { Int32($0) - 128 }, bytes: (0..<255).map { UInt8($0) },
                values: (0..<70_000).map { Float($0) * 0.25 }, wide: [0]),
        ]
        for index in 0..<30 {
            rows.append(AllTypesRow(
                count: Int64(bitPattern: numbers.next()), label: Int32(truncatingIfNeeded: numbers.next()),
                weight: numbers.unitFloat(), title: String(repeating: "word\(index) ", count: numbers.below(40)),
                ids: (0...numbers.below(600)).map { _ in Int32(truncatingIfNeeded: numbers.next()) },
                bytes: (0...numbers.below(70)).map { _ in UInt8(truncatingIfNeeded: numbers.next()) },
                values: (0...numbers.below(400)).map { _ in numbers.unitFloat() * 1000 },
                wide: (0...numbers.below(5)).map { _ in Int64(bitPattern: numbers.next()) }))
        }
        return rows
    }

    @Test func schemaSortsColumnsAsPythonDoes() {
        #expect(AllTypesEncoder().schema.names == AllTypesEncoder.sortedNames)
        #expect(throws: MDSSchemaError.duplicateColumn("a")) {
            try MDSSchema([MDSColumn("a", .str), MDSColumn("a", .int64)])
        }
    }

    @Test(arguments: [ShardCompression.none, .zstd(level: 3)])
    func everyColumnTypeDecodesInPython(compression: ShardCompression) throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-types")
        let rows = Self.allTypesRows()
        try MDSTest.write(
            rows, encoder: AllTypesEncoder(), to: directory, compression: compression,
            hashes: [.sha1, .sha256, .xxh64])
        let samples = try MDSTest.pythonSamples(directory)
        try #require(samples.count == rows.count)
        for (row, sample) in zip(rows, samples) {
            #expect(Set(sample.keys) == Set(AllTypesEncoder.sortedNames))
            #expect(MDSTest.int(sample["count"]) == row.count)
            #expect(MDSTest.int(sample["label"]) == Int64(row.label))
            #expect(MDSTest.float(sample["weight"]) == row.weight)
            #expect(sample["title"] as? String == row.title)
            #expect(MDSTest.ints(sample["ids"]) == row.ids.map(Int64.init))
            #expect(MDSTest.ints(sample["bytes"]) == row.bytes.map(Int64.init))
            #expect(MDSTest.floats(sample["values"]) == row.values)
            #expect(MDSTest.ints(sample["wide"]) == row.wide)
        }
    }

    @Test func swiftReaderDecodesWhatWasWritten() throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-swift-reader")
        let rows = Self.allTypesRows()
        try MDSTest.write(rows, encoder: AllTypesEncoder(), to: directory, compression: .zstd(level: 1), shardSize: 50_000)
        var decoded: [[String: JSONValue]] = []
        let reader = try MDSDatasetReader(path: directory.path)
        #expect(reader.index.shards.count > 1)
        try reader.forEachSample { decoded.append($0) }
        try #require(decoded.count == rows.count)
        func floats(_ value: JSONValue?) -> [Float]? {
            guard case .array(let items)? = value else { return nil }
            return items.compactMap { if case .double(let x) = $0 { Float(x) } else { nil } }
        }
        for (row, sample) in zip(rows, decoded) {
            #expect(sample["count"] == .int(Int(row.count)))
            #expect(sample["label"] == .int(Int(row.label)))
            #expect(sample["title"] == .string(row.title))
            #expect(sample["ids"] == .array(row.ids.map { .int(Int($0)) }))
            #expect(sample["bytes"] == .array(row.bytes.map { .int(Int($0)) }))
            #expect(sample["wide"] == .array(row.wide.map { .int(Int($0)) }))
            #expect(floats(sample["values"]) == row.values)
            if case .double(let weight)? = sample["weight"] { #expect(Float(weight) == row.weight) } else { Issue.record("weight") }
        }
        var limited = 0
        try reader.forEachSample(limit: 3) { _ in limited += 1 }
        #expect(limited == 3)
    }

    /// The whole raw shard of one tiny sample, laid out by hand from the MDS spec.
    @Test func rawShardBytesFollowTheSpec() throws {
        struct Row: Sendable {}
        struct Encoder: MDSRowEncoder {
            let schema = try! MDSSchema([MDSColumn("v", .ndarray(.int32)), MDSColumn("id", .int64), MDSColumn("text", .str)])
            func encode(_ row: Row, into sample: inout MDSSampleBuilder) throws {
                sample.append(int64: 1)
                sample.append(string: "hi")
                try sample.append(array: [Int32(7)])
            }
        }
        let directory = try TestEnvironment.temporaryDirectory("mds-bytes")
        try MDSTest.write([Row()], encoder: Encoder(), to: directory, shardSize: 1000)
        let config = #"{"column_encodings": ["int64", "str", "ndarray:int32"], "column_names": ["id", "text", "v"], "#
            + #""column_sizes": [8, null, null], "compression": null, "format": "mds", "hashes": ["sha1"], "#
            + #""size_limit": 1000, "version": 2}"#
        let sample: [UInt8] = [2, 0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x68, 0x69, 0x04, 0x01, 7, 0, 0, 0]
        let start = 4 + 8 + config.utf8.count
        func u32(_ value: Int) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 255) } }
        let expected = u32(1) + u32(start) + u32(start + sample.count) + Array(config.utf8) + sample
        let written = try [UInt8](Data(contentsOf: directory.appendingPathComponent("shard.00000.mds")))
        #expect(written == expected)
        #expect(try MDSTest.files(directory) == ["index.json", "shard.00000.mds"])
    }

    static func tokenSamples() -> [TokenSample] {
        var numbers = MDSTest.Numbers(state: 99)
        return (0..<40).map { index in
            let length = 3 + numbers.below(60)
            let teacher = TeacherTargets(
                logits: (0..<3).map { _ in numbers.unitFloat() * 8 },
                probs: (0..<3).map { _ in (numbers.unitFloat() + 1) / 2 },
                topKIds: (0..<5).map { _ in Int32(numbers.below(30_522)) },
                topKLogits: (0..<5).map { _ in numbers.unitFloat() * 20 },
                embedding: (0..<384).map { _ in numbers.unitFloat() })
            let provenance = index % 3 == 0
                ? Provenance.original(id: Int64(index))
                : Provenance(kind: .augproMix, sourceA: Int64(index), sourceB: Int64(numbers.below(40)),
                             mixLambda: (numbers.unitFloat() + 1) / 2, augmentationIndex: Int32(index % 3 - 1))
            return TokenSample(
                id: Int64(index), inputIds: [101] + (2..<length).map { _ in Int32(1000 + numbers.below(29_000)) } + [102],
                tokenTypeIds: (0..<length).map { $0 < length / 2 ? 0 : 1 },
                label: provenance.kind == .original ? Int32(index % 3) : -1,
                text: "sentence \(index) — ünïcode", textPair: "pair \(index)",
                provenance: provenance, teacher: teacher)
        }
    }

    @Test func tokenSamplesWithEveryOptionalColumn() throws {
        let directory = try TestEnvironment.temporaryDirectory("mds-token")
        let rows = Self.tokenSamples()
        let encoder = TokenSampleEncoder(columns: [.text, .textPair, .teacherLogits, .teacherProbs, .teacherEmbedding, .teacherTopK])
        #expect(encoder.schema.names == [
            "aug_index", "id", "input_ids", "kind", "label", "length", "mix_lambda", "sample_id", "source_a", "source_b",
            "teacher_embedding", "teacher_logits", "teacher_probs", "teacher_topk_ids", "teacher_topk_logits", "text",
            "text_pair", "token_type_ids",
        ])
        let encodings = Dictionary(uniqueKeysWithValues: encoder.schema.columns.map { ($0.name, $0.encoding.name) })
        #expect(encodings["token_type_ids"] == "ndarray:int32")
        #expect(encodings["sample_id"] == "int64")
        #expect(encodings["aug_index"] == "int32")
        #expect(encodings["length"] == "int32")
        try MDSTest.write(rows, encoder: encoder, to: directory, compression: .zstd(level: 3), shardSize: 20_000)
        let samples = try MDSTest.pythonSamples(directory)
        try #require(samples.count == rows.count)
        #expect(Set(samples.compactMap { MDSTest.int($0["sample_id"]) }).count == rows.count, "sample_id is unique")
        for (ordinal, (row, sample)) in zip(rows, samples).enumerated() {
            #expect(MDSTest.int(sample["id"]) == row.id)
            #expect(MDSTest.int(sample["sample_id"]) == TokenSampleEncoder.sampleID(row, position: Int64(ordinal)))
            #expect(MDSTest.int(sample["aug_index"]) == Int64(row.provenance.augmentationIndex))
            #expect(MDSTest.int(sample["length"]) == Int64(row.inputIds.count))
            #expect(MDSTest.ints(sample["input_ids"]) == row.inputIds.map(Int64.init))
            #expect(MDSTest.ints(sample["token_type_ids"]) == row.tokenTypeIds.map(Int64.init))
            #expect(MDSTest.int(sample["label"]) == Int64(row.label))
            #expect(sample["kind"] as? String == row.provenance.kind.rawValue)
            #expect(MDSTest.int(sample["source_a"]) == row.provenance.sourceA)
            #expect(MDSTest.int(sample["source_b"]) == row.provenance.sourceB)
            #expect(MDSTest.float(sample["mix_lambda"]) == row.provenance.mixLambda)
            #expect(sample["text"] as? String == row.text)
            #expect(sample["text_pair"] as? String == row.textPair)
            #expect(MDSTest.floats(sample["teacher_logits"]) == row.teacher?.logits)
            #expect(MDSTest.floats(sample["teacher_probs"]) == row.teacher?.probs)
            #expect(MDSTest.floats(sample["teacher_embedding"]) == row.teacher?.embedding)
            #expect(MDSTest.ints(sample["teacher_topk_ids"]) == row.teacher?.topKIds?.map(Int64.init))
            #expect(MDSTest.floats(sample["teacher_topk_logits"]) == row.teacher?.topKLogits)
        }
    }

    @Test func tokenSamplesWithoutOptionalColumnsAndMissingValues() throws {
        let plain = TokenSampleEncoder(columns: [])
        #expect(plain.schema.names == [
            "aug_index", "id", "input_ids", "kind", "label", "length", "mix_lambda", "sample_id", "source_a", "source_b",
            "token_type_ids",
        ])
        let directory = try TestEnvironment.temporaryDirectory("mds-token-plain")
        var rows = Self.tokenSamples()
        try MDSTest.write(rows, encoder: plain, to: directory)
        #expect(try MDSTest.pythonSamples(directory).map { Set($0.keys) }.allSatisfy { $0 == Set(plain.schema.names) })

        rows[5].teacher = nil
        let withTeacher = try MDSDatasetWriter(
            options: WriterOptions(path: directory.path + "/b", compression: .none),
            schema: TokenSampleEncoder(columns: [.teacherLogits]).schema)
        #expect(throws: MDSMissingValueError.self) {
            for row in rows { try withTeacher.write { try TokenSampleEncoder(columns: [.teacherLogits]).encode(row, into: &$0) } }
        }
        rows[0].inputIds = []
        let empty = try MDSDatasetWriter(options: WriterOptions(path: directory.path + "/c"), schema: plain.schema)
        #expect(throws: MDSValueError(column: "input_ids", reason: "an empty array (MDS cannot store 0-element arrays)")) {
            try empty.write { try plain.encode(rows[0], into: &$0) }
        }
        // A failed row leaves nothing behind: the next good row still encodes cleanly.
        try empty.write { try plain.encode(rows[1], into: &$0) }
        try empty.finish()
        #expect(try MDSTest.pythonSamples(URL(fileURLWithPath: directory.path + "/c")).count == 1)
    }

    @Test func textRecordsWithAndWithoutPairs() throws {
        let records = (0..<25).map { TextRecord(id: Int64($0 * 10), line: $0 + 2, text: "text \($0)", textPair: "pair \($0)", label: Int32($0 % 2)) }
        for includesPair in [false, true] {
            let directory = try TestEnvironment.temporaryDirectory("mds-text")
            let encoder = TextRecordEncoder(includesTextPair: includesPair)
            try MDSTest.write(records, encoder: encoder, to: directory)
            let samples = try MDSTest.pythonSamples(directory)
            try #require(samples.count == records.count)
            for (record, sample) in zip(records, samples) {
                #expect(MDSTest.int(sample["id"]) == record.id)
                #expect(MDSTest.int(sample["label"]) == Int64(record.label))
                #expect(sample["text"] as? String == record.text)
                #expect(sample["text_pair"] as? String == (includesPair ? record.textPair : nil))
            }
        }
        let missing = TextRecord(id: 3, line: 4, text: "alone")
        let writer = try MDSDatasetWriter(
            options: WriterOptions(path: try TestEnvironment.temporaryDirectory("mds-text-missing").path),
            schema: TextRecordEncoder(includesTextPair: true).schema)
        #expect(throws: MDSMissingValueError(column: "text_pair", row: "example 3 (line 4)")) {
            try writer.write { try TextRecordEncoder(includesTextPair: true).encode(missing, into: &$0) }
        }
    }
}
