/// A value found for one of the wanted keys of a JSON line.
enum JSONSlot: Equatable {
    case missing
    /// A string (unescaped) or number (as written), as a byte range of the parser's `bytes`.
    case string(Range<Int>)
    case number(Range<Int>)
    /// Any other JSON type; the name is for messages.
    case other(String)
}

/// A small, strict parser for one JSON object per line that extracts only the wanted keys.
///
/// Validates the whole line as JSON (RFC 8259 grammar, nesting up to 256 levels) but builds
/// nothing for keys it is not asked for. Strings are unescaped into `bytes`; their UTF-8 is
/// validated later, once per used field.
struct JSONLineParser {
    /// Wanted keys as UTF-8, in slot order.
    let keys: [[UInt8]]
    /// Unescaped strings and numbers of the current line.
    private(set) var bytes: [UInt8] = []
    private(set) var slots: [JSONSlot]
    private var keyScratch: [UInt8] = []

    init(keys: [String]) {
        self.keys = keys.map { Array($0.utf8) }
        self.slots = Array(repeating: .missing, count: keys.count)
    }

    /// Parses `line`; throws the reason when it is not one valid JSON object.
    mutating func parse(_ line: UnsafeBufferPointer<UInt8>) throws(RowProblem) {
        bytes.removeAll(keepingCapacity: true)
        for index in slots.indices { slots[index] = .missing }
        var cursor = Cursor(line: line)
        cursor.skipWhitespace()
        guard cursor.peek == UInt8(ascii: "{") else {
            throw RowProblem(reason: "invalid JSON: expected an object '{' at column \(cursor.column)")
        }
        cursor.index += 1
        cursor.skipWhitespace()
        if cursor.peek == UInt8(ascii: "}") {
            cursor.index += 1
        } else {
            while true {
                cursor.skipWhitespace()
                guard cursor.peek == UInt8(ascii: "\"") else { throw cursor.problem("expected a key string") }
                keyScratch.removeAll(keepingCapacity: true)
                try cursor.string(into: &keyScratch)
                cursor.skipWhitespace()
                guard cursor.peek == UInt8(ascii: ":") else { throw cursor.problem("expected ':'") }
                cursor.index += 1
                cursor.skipWhitespace()
                if let slot = keys.firstIndex(of: keyScratch) {
                    guard slots[slot] == .missing else {
                        throw RowProblem(reason: "duplicate key '\(String(decoding: keyScratch, as: UTF8.self))'")
                    }
                    slots[slot] = try value(&cursor)
                } else {
                    try cursor.skipValue(depth: 0)
                }
                cursor.skipWhitespace()
                if cursor.peek == UInt8(ascii: ",") {
                    cursor.index += 1
                    continue
                }
                guard cursor.peek == UInt8(ascii: "}") else { throw cursor.problem("expected ',' or '}'") }
                cursor.index += 1
                break
            }
        }
        cursor.skipWhitespace()
        guard cursor.atEnd else { throw cursor.problem("unexpected text after the object") }
    }

    private mutating func value(_ cursor: inout Cursor) throws(RowProblem) -> JSONSlot {
        let start = bytes.count
        switch cursor.peek ?? 0 {
        case UInt8(ascii: "\""):
            try cursor.string(into: &bytes)
            return .string(start..<bytes.count)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let numberStart = cursor.index
            try cursor.number()
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: cursor.line[numberStart..<cursor.index]))
            return .number(start..<bytes.count)
        default:
            let kind: String
            switch cursor.peek {
            case UInt8(ascii: "{"): kind = "an object"
            case UInt8(ascii: "["): kind = "an array"
            case UInt8(ascii: "n"): kind = "null"
            default: kind = "a boolean"
            }
            try cursor.skipValue(depth: 0)
            return .other(kind)
        }
    }
}

/// A read position in one JSON line.
private struct Cursor {
    let line: UnsafeBufferPointer<UInt8>
    var index = 0

    var atEnd: Bool { index >= line.count }
    var peek: UInt8? { index < line.count ? line[index] : nil }
    var column: Int { index + 1 }

    func problem(_ what: String) -> RowProblem {
        RowProblem(reason: atEnd ? "invalid JSON: \(what) but the line ended" : "invalid JSON: \(what) at column \(column)")
    }

    mutating func skipWhitespace() {
        while index < line.count {
            switch line[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Reads a string starting at its opening quote, appending the unescaped bytes to `out`.
    mutating func string(into out: inout [UInt8]) throws(RowProblem) {
        index += 1
        var runStart = index
        while index < line.count {
            let byte = line[index]
            if byte == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: line[runStart..<index]))
                index += 1
                return
            }
            if byte < 0x20 { throw problem("control character inside a string") }
            if byte == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: line[runStart..<index]))
                try escape(into: &out)
                runStart = index
                continue
            }
            index += 1
        }
        throw problem("unterminated string")
    }

    private mutating func escape(into out: inout [UInt8]) throws(RowProblem) {
        index += 1
        guard let byte = peek else { throw problem("unterminated escape") }
        index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(byte)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard peek == UInt8(ascii: "\\"), index + 1 < line.count, line[index + 1] == UInt8(ascii: "u") else {
                    throw problem("lone surrogate \\u escape")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw problem("lone surrogate \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw problem("lone surrogate \\u escape")
            }
            out.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            index -= 1
            throw problem("invalid escape '\\\(String(UnicodeScalar(byte)))'")
        }
    }

    private mutating func hex4() throws(RowProblem) -> UInt32 {
        guard index + 4 <= line.count else { throw problem("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = hexDigitValue(line[index]) else { throw problem("invalid hex digit in \\u escape") }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Reads a number per the JSON grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func number() throws(RowProblem) {
        if peek == UInt8(ascii: "-") { index += 1 }
        if peek == UInt8(ascii: "0") {
            index += 1
        } else {
            guard digits() > 0 else { throw problem("invalid number") }
        }
        if peek == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw problem("invalid number") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            index += 1
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw problem("invalid number") }
        }
    }

    private mutating func digits() -> Int {
        let start = index
        while let byte = peek, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") { index += 1 }
        return index - start
    }

    /// Skips any JSON value, validating it.
    mutating func skipValue(depth: Int) throws(RowProblem) {
        guard depth < 256 else { throw problem("nesting deeper than 256 levels") }
        switch peek ?? 0 {
        case UInt8(ascii: "\""):
            var discard: [UInt8] = []
            try string(into: &discard)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try number()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case UInt8(ascii: "["):
            try container(close: UInt8(ascii: "]"), depth: depth) { (cursor: inout Cursor) throws(RowProblem) in
                try cursor.skipValue(depth: depth + 1)
            }
        case UInt8(ascii: "{"):
            try container(close: UInt8(ascii: "}"), depth: depth) { (cursor: inout Cursor) throws(RowProblem) in
                guard cursor.peek == UInt8(ascii: "\"") else { throw cursor.problem("expected a key string") }
                var discard: [UInt8] = []
                try cursor.string(into: &discard)
                cursor.skipWhitespace()
                guard cursor.peek == UInt8(ascii: ":") else { throw cursor.problem("expected ':'") }
                cursor.index += 1
                cursor.skipWhitespace()
                try cursor.skipValue(depth: depth + 1)
            }
        default:
            throw problem("expected a value")
        }
    }

    private mutating func container(
        close: UInt8, depth: Int, element: (inout Cursor) throws(RowProblem) -> Void
    ) throws(RowProblem) {
        index += 1
        skipWhitespace()
        if peek == close {
            index += 1
            return
        }
        while true {
            skipWhitespace()
            try element(&self)
            skipWhitespace()
            if peek == UInt8(ascii: ",") {
                index += 1
                continue
            }
            guard peek == close else { throw problem("expected ',' or '\(String(UnicodeScalar(close)))'") }
            index += 1
            return
        }
    }

    private mutating func literal(_ word: StaticString) throws(RowProblem) {
        let count = word.utf8CodeUnitCount
        guard index + count <= line.count else { throw problem("invalid literal") }
        for offset in 0..<count where line[index + offset] != word.utf8Start[offset] {
            throw problem("invalid literal")
        }
        index += count
    }
}

/// The value of an ASCII hex digit (either case), or nil.
private func hexDigitValue(_ byte: UInt8) -> UInt32? {
    if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") { return UInt32(byte - UInt8(ascii: "0")) }
    let lower = byte | 0x20
    if lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "f") { return UInt32(lower - UInt8(ascii: "a") + 10) }
    return nil
}
