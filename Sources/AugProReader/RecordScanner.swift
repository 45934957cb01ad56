#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A raw record cut out of the input by a ``RecordScanner``.
enum ScannedRecord {
    /// A record's bytes without its line ending, and how many lines it took.
    /// The bytes stay valid until the next scan.
    case record(UnsafeBufferPointer<UInt8>, lines: Int)
    /// A record longer than `max_line_bytes`: its first bytes, for the rejects file.
    case overlong(prefix: [UInt8], lines: Int)
    /// A CSV record that breaks the quoting rules.
    case malformed(reason: String, raw: [UInt8], lines: Int)
    /// The end of the input.
    case end
}

/// The fields of one delimited record: byte ranges into `bytes` (CSV, unescaped) or into the
/// line itself (TSV, `bytes` unused).
struct FieldStore {
    var bytes: [UInt8] = []
    var ranges: [Range<Int>] = []

    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        ranges.removeAll(keepingCapacity: true)
    }
}

private let newlineByte = UInt8(ascii: "\n")
private let returnByte = UInt8(ascii: "\r")
private let quoteByte = UInt8(ascii: "\"")
private let commaByte = UInt8(ascii: ",")
private let tabByte = UInt8(ascii: "\t")

/// How many leading bytes of an overlong record go into the rejects file.
let rejectPrefixBytes = 256

/// Cuts the input into records: lines (TSV, JSONL) or RFC 4180 records (CSV), with bounded
/// memory: a record longer than `maxBytes` is reported as overlong and skipped to the next newline.
struct RecordScanner {
    let buffer: ChunkedBuffer
    let maxBytes: Int

    /// The next line without its `\n` or `\r\n`.
    func nextLine() throws -> ScannedRecord {
        var scanned = 0
        while true {
            if let newline = buffer.find(newlineByte, from: scanned) {
                return finishLine(length: newline, consumed: newline + 1)
            }
            scanned = buffer.available
            if scanned > maxBytes + 1 {
                let prefix = Array(buffer.bytes().prefix(rejectPrefixBytes))
                try buffer.discardThroughNewline(from: scanned)
                return .overlong(prefix: prefix, lines: 1)
            }
            if !(try buffer.readMore()) {
                if buffer.available == 0 { return .end }
                return finishLine(length: buffer.available, consumed: buffer.available)
            }
        }
    }

    private func finishLine(length: Int, consumed: Int) -> ScannedRecord {
        let bytes = buffer.bytes()
        var length = length
        if length > 0 && bytes[length - 1] == returnByte { length -= 1 }
        buffer.start += consumed
        if length > maxBytes {
            return .overlong(prefix: Array(bytes.prefix(min(length, rejectPrefixBytes))), lines: 1)
        }
        return .record(UnsafeBufferPointer(rebasing: bytes[0..<length]), lines: 1)
    }

    /// The next CSV record, its unescaped fields stored in `fields`.
    func nextCSVRecord(into fields: inout FieldStore) throws -> ScannedRecord {
        while true {
            if buffer.available == 0 && buffer.endOfInput { return .end }
            if let result = parseCSV(buffer.bytes(), atEnd: buffer.endOfInput, into: &fields) {
                if case .malformed = result { try buffer.discardThroughNewline(from: 0) }
                return result
            }
            if buffer.available > maxBytes + 1 {
                let prefix = Array(buffer.bytes().prefix(rejectPrefixBytes))
                return .overlong(prefix: prefix, lines: try discardCSVRecord())
            }
            _ = try buffer.readMore()
        }
    }

    /// Consumes an overlong CSV record up to its end (a newline outside quotes), without keeping
    /// it; returns the number of lines it spanned.
    private func discardCSVRecord() throws -> Int {
        var inQuotes = false
        var newlines = 0
        while true {
            let bytes = buffer.bytes()
            for (offset, byte) in bytes.enumerated() {
                if byte == quoteByte {
                    inQuotes.toggle()
                } else if byte == newlineByte {
                    if !inQuotes {
                        buffer.start += offset + 1
                        return newlines + 1
                    }
                    newlines += 1
                }
            }
            buffer.start += bytes.count
            if !(try buffer.readMore()) { return newlines + 1 }
        }
    }

    /// Parses one record at the start of `bytes`; nil when it may continue past the bytes read.
    private func parseCSV(_ bytes: UnsafeBufferPointer<UInt8>, atEnd: Bool, into fields: inout FieldStore) -> ScannedRecord? {
        fields.reset()
        let count = bytes.count
        var index = 0
        var innerNewlines = 0
        while true {
            var fieldStart = fields.bytes.count
            if index < count && bytes[index] == quoteByte {
                index += 1
                while true {
                    guard let quote = nextIndex(of: quoteByte, in: bytes, from: index) else {
                        guard atEnd else { return nil }
                        return malformed("unterminated quoted field", bytes, length: count, newlines: innerNewlines)
                    }
                    let segment = UnsafeBufferPointer(rebasing: bytes[index..<quote])
                    innerNewlines += segment.reduce(0) { $0 + ($1 == newlineByte ? 1 : 0) }
                    fields.bytes.append(contentsOf: segment)
                    if quote + 1 == count && !atEnd { return nil }
                    if quote + 1 < count && bytes[quote + 1] == quoteByte {
                        fields.bytes.append(quoteByte)
                        index = quote + 2
                        continue
                    }
                    index = quote + 1
                    break
                }
                fields.ranges.append(fieldStart..<fields.bytes.count)
                if index == count {
                    guard atEnd else { return nil }
                    return finishCSV(bytes, length: count, consumed: count, newlines: innerNewlines)
                }
                switch bytes[index] {
                case commaByte:
                    index += 1
                    continue
                case newlineByte:
                    return finishCSV(bytes, length: index, consumed: index + 1, newlines: innerNewlines)
                case returnByte where index + 1 < count && bytes[index + 1] == newlineByte:
                    return finishCSV(bytes, length: index, consumed: index + 2, newlines: innerNewlines)
                case returnByte where index + 1 == count:
                    guard atEnd else { return nil }
                    return finishCSV(bytes, length: index, consumed: count, newlines: innerNewlines)
                default:
                    return malformed(
                        "unexpected character after the closing quote of field \(fields.ranges.count) (a quote inside a quoted field must be doubled)",
                        bytes, length: index, newlines: innerNewlines)
                }
            }
            var stop = index
            while stop < count && bytes[stop] != commaByte && bytes[stop] != newlineByte { stop += 1 }
            if stop == count && !atEnd { return nil }
            var fieldEnd = stop
            let endsRecord = stop == count || bytes[stop] == newlineByte
            if endsRecord && fieldEnd > index && bytes[fieldEnd - 1] == returnByte { fieldEnd -= 1 }
            fieldStart = fields.bytes.count
            fields.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<fieldEnd]))
            fields.ranges.append(fieldStart..<fields.bytes.count)
            if !endsRecord {
                index = stop + 1
                continue
            }
            return finishCSV(bytes, length: fieldEnd, consumed: min(stop + 1, count), newlines: innerNewlines)
        }
    }

    private func finishCSV(_ bytes: UnsafeBufferPointer<UInt8>, length: Int, consumed: Int, newlines: Int) -> ScannedRecord {
        buffer.start += consumed
        if length > maxBytes {
            return .overlong(prefix: Array(bytes.prefix(min(length, rejectPrefixBytes))), lines: newlines + 1)
        }
        return .record(UnsafeBufferPointer(rebasing: bytes[0..<length]), lines: newlines + 1)
    }

    /// Reports a malformed record; the caller then skips to the end of the line with the problem.
    private func malformed(_ reason: String, _ bytes: UnsafeBufferPointer<UInt8>, length: Int, newlines: Int) -> ScannedRecord {
        var lineEnd = length
        while lineEnd < bytes.count && bytes[lineEnd] != newlineByte { lineEnd += 1 }
        let raw = Array(bytes[0..<lineEnd].prefix(maxBytes))
        buffer.start += length
        return .malformed(reason: reason, raw: raw, lines: newlines + 1)
    }

    private func nextIndex(of byte: UInt8, in bytes: UnsafeBufferPointer<UInt8>, from index: Int) -> Int? {
        guard index < bytes.count, let base = bytes.baseAddress,
            let found = memchr(base + index, Int32(byte), bytes.count - index)
        else { return nil }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base)
    }
}

/// Splits a TSV line at tabs into `ranges` (relative to the line).
func splitTabs(_ line: UnsafeBufferPointer<UInt8>, into ranges: inout [Range<Int>]) {
    ranges.removeAll(keepingCapacity: true)
    guard let base = line.baseAddress else {
        ranges.append(0..<0)
        return
    }
    var start = 0
    while start <= line.count {
        if start < line.count, let found = memchr(base + start, Int32(tabByte), line.count - start) {
            let tab = UnsafeRawPointer(found) - UnsafeRawPointer(base)
            ranges.append(start..<tab)
            start = tab + 1
        } else {
            ranges.append(start..<line.count)
            return
        }
    }
}
