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
    /// A CSV record that breaks the quoting rules: consumed through the end of the line where
    /// the fault is (`faultLine` lines after the record's first), so reading resumes at the next
    /// line start.
    case malformed(reason: String, raw: [UInt8], lines: Int, faultLine: Int)
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
                let prefix = overlongPrefix(buffer.bytes())
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
            return .overlong(prefix: overlongPrefix(bytes), lines: 1)
        }
        return .record(UnsafeBufferPointer(rebasing: bytes[0..<length]), lines: 1)
    }

    /// The next CSV record, its unescaped fields stored in `fields`.
    ///
    /// A quoted field must close within the record's first `maxBytes` bytes and before the end of
    /// the input; otherwise it is an unterminated quote, reported at the line where it opens.
    /// After a quoting fault, reading resumes at the start of the line after the one where the
    /// faulty quoted field opens, so one bad quote never swallows the rest of the file. A record
    /// that passes `maxBytes` outside quotes is overlong and ends at the next newline (quotes
    /// after that point are not interpreted). The outcome never depends on the chunk size.
    func nextCSVRecord(into fields: inout FieldStore) throws -> ScannedRecord {
        while true {
            if buffer.available == 0 && buffer.endOfInput { return .end }
            let bytes = buffer.bytes()
            switch parseCSV(bytes, atEnd: buffer.endOfInput, into: &fields) {
            case .record(let length, let consumed, let newlines):
                buffer.start += consumed
                return .record(UnsafeBufferPointer(rebasing: bytes[0..<length]), lines: newlines + 1)
            case .fault(let reason, let offset):
                return try malformed(reason, faultAt: offset)
            case .overlong(let offset):
                let prefix = overlongPrefix(bytes)
                let lines = newlineCount(UnsafeBufferPointer(rebasing: bytes[0..<offset])) + 1
                if let newline = buffer.find(newlineByte, from: offset) {
                    buffer.start += newline + 1
                } else {
                    try buffer.discardThroughNewline(from: bytes.count)
                }
                return .overlong(prefix: prefix, lines: lines)
            case .incomplete:
                _ = try buffer.readMore()
            }
        }
    }

    /// The outcome of parsing one CSV record at the start of the bytes read so far.
    private enum CSVParse {
        /// A whole record of at most `maxBytes`: its length without the line ending, the bytes it
        /// takes with it, and the newlines inside its quoted fields.
        case record(length: Int, consumed: Int, newlines: Int)
        /// A quoting fault; `offset` is the opening quote of the faulty field.
        case fault(reason: String, offset: Int)
        /// The record passes `maxBytes` outside quotes; it ends at the first newline from `offset`.
        case overlong(from: Int)
        /// The record may continue past the bytes read.
        case incomplete
    }

    /// Parses one record at the start of `bytes` into `fields`. Decisions about `maxBytes` are
    /// taken only once the bytes read settle them, so they do not depend on how much was read.
    private func parseCSV(_ bytes: UnsafeBufferPointer<UInt8>, atEnd: Bool, into fields: inout FieldStore) -> CSVParse {
        fields.reset()
        let count = bytes.count
        let limit = maxBytes
        var index = 0
        var innerNewlines = 0
        while true {
            if index > limit { return .overlong(from: index) }
            var fieldStart = fields.bytes.count
            if index < count && bytes[index] == quoteByte {
                let openQuote = index
                index += 1
                while true {
                    let found = nextIndex(of: quoteByte, in: bytes, from: index)
                    if (found ?? count) >= limit && (found != nil || count > limit) {
                        return .fault(
                            reason: "unterminated quote: the quoted field opened on this line does not close within max_line_bytes (\(limit) bytes)",
                            offset: openQuote)
                    }
                    guard let quote = found else {
                        guard atEnd else { return .incomplete }
                        return .fault(
                            reason: "unterminated quote: the quoted field opened on this line is not closed before the end of the file",
                            offset: openQuote)
                    }
                    let segment = UnsafeBufferPointer(rebasing: bytes[index..<quote])
                    innerNewlines += newlineCount(segment)
                    fields.bytes.append(contentsOf: segment)
                    if quote + 1 == count && !atEnd { return .incomplete }
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
                    guard atEnd else { return .incomplete }
                    return .record(length: count, consumed: count, newlines: innerNewlines)
                }
                switch bytes[index] {
                case commaByte:
                    index += 1
                    continue
                case newlineByte:
                    return .record(length: index, consumed: index + 1, newlines: innerNewlines)
                case returnByte where index + 1 < count && bytes[index + 1] == newlineByte:
                    return .record(length: index, consumed: index + 2, newlines: innerNewlines)
                case returnByte where index + 1 == count:
                    guard atEnd else { return .incomplete }
                    return .record(length: index, consumed: count, newlines: innerNewlines)
                default:
                    let spanned = newlineCount(UnsafeBufferPointer(rebasing: bytes[openQuote..<index]))
                    let reason = spanned == 0
                        ? "unexpected character after the closing quote of field \(fields.ranges.count) (a quote inside a quoted field must be doubled)"
                        : "unterminated quote: the quoted field opened on this line runs over \(spanned + 1) lines to a quote followed by \(describe(bytes[index])) (a quote inside a quoted field must be doubled)"
                    return .fault(reason: reason, offset: openQuote)
                }
            }
            var stop = index
            while stop < count && bytes[stop] != commaByte && bytes[stop] != newlineByte { stop += 1 }
            if stop == count && !atEnd {
                // The field may end with "\r" before a newline still unread: one byte of slack.
                return count > limit + 1 ? .overlong(from: index) : .incomplete
            }
            var fieldEnd = stop
            let endsRecord = stop == count || bytes[stop] == newlineByte
            if endsRecord && fieldEnd > index && bytes[fieldEnd - 1] == returnByte { fieldEnd -= 1 }
            if fieldEnd > limit { return .overlong(from: index) }
            fieldStart = fields.bytes.count
            fields.bytes.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<fieldEnd]))
            fields.ranges.append(fieldStart..<fields.bytes.count)
            if !endsRecord {
                index = stop + 1
                continue
            }
            return .record(length: fieldEnd, consumed: min(stop + 1, count), newlines: innerNewlines)
        }
    }

    /// Reports a malformed record and consumes it through the end of the line holding `offset`
    /// (reading more when that line continues past the window); the rejects file gets the
    /// record's bytes up to that line end, at most `maxBytes` of them.
    private func malformed(_ reason: String, faultAt offset: Int) throws -> ScannedRecord {
        let faultLine = newlineCount(UnsafeBufferPointer(rebasing: buffer.bytes()[0..<offset]))
        // Read on until the fault's line ends or the raw text is settled (maxBytes of it), so the
        // rejects entry does not depend on how much happened to be read.
        var newline = buffer.find(newlineByte, from: offset)
        while newline == nil && buffer.available <= maxBytes, try buffer.readMore() {
            newline = buffer.find(newlineByte, from: offset)
        }
        let bytes = buffer.bytes()
        var end = newline ?? bytes.count
        if let newline, end > offset && bytes[end - 1] == returnByte { end = newline - 1 }
        let raw = Array(bytes[0..<end].prefix(maxBytes))
        if let newline {
            buffer.start += newline + 1
        } else {
            try buffer.discardThroughNewline(from: bytes.count)
        }
        return .malformed(reason: reason, raw: raw, lines: faultLine + 1, faultLine: faultLine)
    }

    /// The first bytes of an overlong record for the rejects file: at most `rejectPrefixBytes`,
    /// and no more than `maxBytes` (which an overlong record always has, however it was read).
    private func overlongPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        Array(bytes.prefix(min(rejectPrefixBytes, maxBytes)))
    }

    /// A byte for a message: printable ASCII quoted, anything else as hex.
    private func describe(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? "'\(Character(UnicodeScalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
    }

    private func newlineCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard var cursor = bytes.baseAddress else { return 0 }
        let end = cursor + bytes.count
        var newlines = 0
        while cursor < end, let found = memchr(cursor, Int32(newlineByte), end - cursor) {
            newlines += 1
            cursor = UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) + 1
        }
        return newlines
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
