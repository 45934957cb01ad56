import AugProRecords

/// Turns rows of one type into MDS samples of a fixed schema. Every row of a dataset gets the
/// same columns, so optional columns are chosen when the encoder is made (from the config), and
/// a row lacking a chosen value is an error.
public protocol MDSRowEncoder<Row>: Sendable {
    associatedtype Row: Sendable

    /// The dataset's columns.
    var schema: MDSSchema { get }

    /// Appends one value per schema column, in schema order.
    func encode(_ row: Row, into sample: inout MDSSampleBuilder) throws
}

/// A row that lacks a value for a column the dataset has.
public struct MDSMissingValueError: Error, CustomStringConvertible, Equatable {
    public var column: String
    /// Which row, e.g. `example 17 (line 18)`.
    public var row: String

    public init(column: String, row: String) {
        self.column = column
        self.row = row
    }

    public var description: String {
        "\(row) has no \(column), but the dataset has a \(column) column (every sample needs the same columns)"
    }
}

/// Writes reader output (`TextRecord`) as `id` int64, `label` int32, `text` str and, when
/// chosen, `text_pair` str.
public struct TextRecordEncoder: MDSRowEncoder {
    public let schema: MDSSchema
    public let includesTextPair: Bool

    public init(includesTextPair: Bool) {
        self.includesTextPair = includesTextPair
        var columns = [MDSColumn("id", .int64), MDSColumn("label", .int32), MDSColumn("text", .str)]
        if includesTextPair { columns.append(MDSColumn("text_pair", .str)) }
        // The names are fixed and distinct, so the schema is always valid.
        self.schema = try! MDSSchema(columns)
    }

    public func encode(_ row: TextRecord, into sample: inout MDSSampleBuilder) throws {
        sample.append(int64: row.id)
        sample.append(int32: row.label)
        sample.append(string: row.text)
        if includesTextPair {
            guard let pair = row.textPair else {
                throw MDSMissingValueError(column: "text_pair", row: "example \(row.id) (line \(row.line))")
            }
            sample.append(string: pair)
        }
    }
}

/// Writes tokenized samples: always `id` (the source example id), `sample_id` (unique per
/// sample and the same whichever worker wrote it: input ordinal × 65536 + aug_index + 1, or the
/// output position when the input ordinal is unknown), `aug_index`, `input_ids`, `token_type_ids` (int32, as PyTorch
/// embedding layers take them), `length`, `label`, `kind`, `source_a`, `source_b`,
/// `mix_lambda`; plus the chosen ``TokenSampleColumns``.
public struct TokenSampleEncoder: MDSRowEncoder {
    /// `sample_id`: input ordinal × 65536 + aug_index + 1 (originals: + 0), independent of how many
    /// workers wrote the dataset; the output position when the ordinal is unknown (−1).
    public static func sampleID(_ row: TokenSample, position: Int64) -> Int64 {
        let ordinal = row.provenance.ordinal
        guard ordinal >= 0 else { return position }
        return ordinal << 16 + Int64(row.provenance.augmentationIndex) + 1
    }

    /// One column of a token-sample dataset.
    enum Field: CaseIterable {
        case id, sampleID, augIndex, inputIds, tokenTypeIds, length, label, kind, sourceA, sourceB, mixLambda
        case text, textPair, teacherLogits, teacherProbs, teacherEmbedding, teacherTopKIds, teacherTopKLogits

        var column: MDSColumn {
            switch self {
            case .id: MDSColumn("id", .int64)
            case .sampleID: MDSColumn("sample_id", .int64)
            case .augIndex: MDSColumn("aug_index", .int32)
            case .inputIds: MDSColumn("input_ids", .ndarray(.int32))
            case .tokenTypeIds: MDSColumn("token_type_ids", .ndarray(.int32))
            case .length: MDSColumn("length", .int32)
            case .label: MDSColumn("label", .int32)
            case .kind: MDSColumn("kind", .str)
            case .sourceA: MDSColumn("source_a", .int64)
            case .sourceB: MDSColumn("source_b", .int64)
            case .mixLambda: MDSColumn("mix_lambda", .float32)
            case .text: MDSColumn("text", .str)
            case .textPair: MDSColumn("text_pair", .str)
            case .teacherLogits: MDSColumn("teacher_logits", .ndarray(.float32))
            case .teacherProbs: MDSColumn("teacher_probs", .ndarray(.float32))
            case .teacherEmbedding: MDSColumn("teacher_embedding", .ndarray(.float32))
            case .teacherTopKIds: MDSColumn("teacher_topk_ids", .ndarray(.int32))
            case .teacherTopKLogits: MDSColumn("teacher_topk_logits", .ndarray(.float32))
            }
        }

        /// The option that adds this column, or nil for the columns every dataset has.
        var option: TokenSampleColumns? {
            switch self {
            case .id, .sampleID, .augIndex, .inputIds, .tokenTypeIds, .length, .label, .kind, .sourceA, .sourceB,
                .mixLambda: nil
            case .text: .text
            case .textPair: .textPair
            case .teacherLogits: .teacherLogits
            case .teacherProbs: .teacherProbs
            case .teacherEmbedding: .teacherEmbedding
            case .teacherTopKIds, .teacherTopKLogits: .teacherTopK
            }
        }
    }

    public let schema: MDSSchema
    public let columns: TokenSampleColumns
    /// The fields in schema (name-sorted) order.
    private let fields: [Field]

    public init(columns: TokenSampleColumns) {
        self.columns = columns
        let chosen = Field.allCases.filter { field in field.option.map(columns.contains) ?? true }
        // The names are fixed and distinct, so the schema is always valid.
        self.schema = try! MDSSchema(chosen.map(\.column))
        let byName = Dictionary(uniqueKeysWithValues: chosen.map { ($0.column.name, $0) })
        self.fields = schema.names.map { byName[$0]! }
    }

    public func encode(_ row: TokenSample, into sample: inout MDSSampleBuilder) throws {
        func required<Value>(_ value: Value?, _ field: Field) throws -> Value {
            guard let value else {
                let source = row.provenance.kind == .original
                    ? "sample \(row.id)"
                    : "augmentation \(row.provenance.augmentationIndex) of sample \(row.id)"
                throw MDSMissingValueError(column: field.column.name, row: source)
            }
            return value
        }
        for field in fields {
            switch field {
            case .id: sample.append(int64: row.id)
            case .sampleID: sample.append(int64: Self.sampleID(row, position: sample.sampleIndex))
            case .augIndex: sample.append(int32: row.provenance.augmentationIndex)
            case .inputIds: try sample.append(array: row.inputIds)
            case .tokenTypeIds: try sample.append(array: row.tokenTypeIds.map(Int32.init))
            case .length: sample.append(int32: Int32(row.inputIds.count))
            case .label: sample.append(int32: row.label)
            case .kind: sample.append(string: row.provenance.kind.rawValue)
            case .sourceA: sample.append(int64: row.provenance.sourceA)
            case .sourceB: sample.append(int64: row.provenance.sourceB)
            case .mixLambda: sample.append(float32: row.provenance.mixLambda)
            case .text: sample.append(string: try required(row.text, field))
            case .textPair: sample.append(string: try required(row.textPair, field))
            case .teacherLogits: try sample.append(array: try required(row.teacher?.logits, field))
            case .teacherProbs: try sample.append(array: try required(row.teacher?.probs, field))
            case .teacherEmbedding: try sample.append(array: try required(row.teacher?.embedding, field))
            case .teacherTopKIds: try sample.append(array: try required(row.teacher?.topKIds, field))
            case .teacherTopKLogits: try sample.append(array: try required(row.teacher?.topKLogits, field))
            }
        }
    }
}
