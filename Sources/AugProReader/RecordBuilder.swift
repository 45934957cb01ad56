import AugProRecords

/// Why a row was rejected (becomes `FILE:LINE: reason` or a rejects.jsonl entry).
struct RowProblem: Error {
    var reason: String
}

/// Turns the bytes of a row's text, pair, label and id into a ``TextRecord``: validates UTF-8
/// once per field, rejects empty text, maps labels, parses ids and checks they are unique.
struct RecordBuilder {
    /// The names used in messages: `column 'x'` or `field 'x'`.
    let textName: String
    let textPairName: String?
    let labelName: String?
    let idName: String?
    /// The label names as UTF-8, in id order.
    private let labelNames: [[UInt8]]?
    private let labelList: String
    private var seenIds = Set<Int64>()
    /// Data rows whose id repeated an earlier row's, in file order (kept for partition indexes).
    private(set) var duplicateRows: [Int64] = []
    /// A worker reading part of a file replays the full parse's duplicate decisions instead of
    /// tracking ids itself (it cannot see the rows before its part).
    var replayedDuplicateRows: Set<Int64>?

    init(options: ReaderOptions, noun: String) {
        textName = "\(noun) '\(options.text)'"
        textPairName = options.textPair.map { "\(noun) '\($0)'" }
        labelName = options.label.map { "\(noun) '\($0)'" }
        idName = options.id.map { "\(noun) '\($0)'" }
        labelNames = options.labels?.map { Array($0.utf8) }
        labelList = options.labels?.joined(separator: ", ") ?? ""
    }

    /// Builds a record; `rowIndex` is the default id, `line` where the row starts.
    /// Each byte argument is nil when that option is not set.
    mutating func build(
        text: UnsafeBufferPointer<UInt8>, textPair: UnsafeBufferPointer<UInt8>?,
        label: UnsafeBufferPointer<UInt8>?, id: UnsafeBufferPointer<UInt8>?,
        rowIndex: Int64, line: Int
    ) throws(RowProblem) -> TextRecord {
        let textString = try Self.string(text, name: textName)
        let pairString = try textPair.map { bytes throws(RowProblem) in try Self.string(bytes, name: textPairName!) }
        let labelValue = try label.map { bytes throws(RowProblem) in try labelId(bytes) } ?? -1
        var exampleId = rowIndex
        if let id {
            guard let value = parseInteger(id) else {
                throw RowProblem(reason: "\(idName!) is not an int64: '\(Self.lossy(id))'")
            }
            let duplicate = replayedDuplicateRows.map { $0.contains(rowIndex) } ?? !seenIds.insert(value).inserted
            if duplicate {
                duplicateRows.append(rowIndex)
                throw RowProblem(reason: "duplicate id \(value) in \(idName!)")
            }
            exampleId = value
        }
        return TextRecord(id: exampleId, line: line, text: textString, textPair: pairString, label: labelValue)
    }

    /// A non-blank, valid UTF-8 string.
    private static func string(_ bytes: UnsafeBufferPointer<UInt8>, name: String) throws(RowProblem) -> String {
        guard bytes.contains(where: { !isASCIIWhitespace($0) }) else {
            throw RowProblem(reason: bytes.isEmpty ? "empty text in \(name)" : "text in \(name) is only whitespace")
        }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw RowProblem(reason: "invalid UTF-8 in \(name)")
        }
        return string
    }

    private func labelId(_ bytes: UnsafeBufferPointer<UInt8>) throws(RowProblem) -> Int32 {
        let name = labelName!
        guard !bytes.isEmpty else { throw RowProblem(reason: "empty label in \(name)") }
        if let labelNames {
            for (index, candidate) in labelNames.enumerated() where candidate.elementsEqual(bytes) {
                return Int32(index)
            }
            throw RowProblem(reason: "unknown label '\(Self.lossy(bytes))' in \(name) (labels: \(labelList))")
        }
        guard let value = parseInteger(bytes), value >= 0, value <= Int64(Int32.max) else {
            throw RowProblem(
                reason: "label '\(Self.lossy(bytes))' in \(name) is not a non-negative integer (give labels: to map label names to ids)")
        }
        return Int32(value)
    }

    /// The bytes as text for a message, invalid UTF-8 replaced, at most 100 bytes.
    static func lossy(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let shown = String(decoding: bytes.prefix(100), as: UTF8.self)
        return bytes.count > 100 ? shown + "…" : shown
    }
}

/// ASCII space, tab, newline, vertical tab, form feed, carriage return.
@inline(__always)
func isASCIIWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)
}

/// A decimal integer (optional `-`, digits only) that fits in Int64, or nil.
func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
    var index = 0
    let negative = bytes.first == UInt8(ascii: "-")
    if negative { index = 1 }
    guard index < bytes.count else { return nil }
    var value: Int64 = 0
    while index < bytes.count {
        let digit = bytes[index] &- UInt8(ascii: "0")
        guard digit < 10 else { return nil }
        let (scaled, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (next, overflow2) = negative
            ? scaled.subtractingReportingOverflow(Int64(digit)) : scaled.addingReportingOverflow(Int64(digit))
        guard !overflow1 && !overflow2 else { return nil }
        value = next
        index += 1
    }
    return value
}
