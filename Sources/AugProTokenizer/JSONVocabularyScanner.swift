/// Reads `model.vocab` of a tokenizer.json straight from its bytes. Foundation's JSON objects
/// key by `String`, and Swift strings compare by canonical equivalence, so tokens such as `;`
/// and U+037E (GREEK QUESTION MARK) would collapse into one entry; here keys stay raw UTF-8.
struct JSONVocabularyScanner {
    private let bytes: [UInt8]
    private let path: String
    private var index = 0

    /// The `(token bytes, id)` entries of `model.vocab`, in file order.
    static func vocabulary(in bytes: [UInt8], path: String) throws -> [([UInt8], Int)] {
        var scanner = JSONVocabularyScanner(bytes: bytes, path: path)
        var found: [([UInt8], Int)]?
        try scanner.object { scanner, key in
            guard key == Array("model".utf8) else { return try scanner.skipValue() }
            try scanner.object { scanner, key in
                guard key == Array("vocab".utf8) else { return try scanner.skipValue() }
                var entries: [([UInt8], Int)] = []
                try scanner.object { scanner, token in entries.append((token, try scanner.integer())) }
                found = entries
            }
        }
        guard let found else { throw TokenizerError.invalidFile(path: path, expected: "model.vocab as an object of token → id") }
        return found
    }

    private init(bytes: [UInt8], path: String) {
        self.bytes = bytes
        self.path = path
    }

    private func failure(_ expected: String) -> TokenizerError {
        .invalidFile(path: path, expected: "\(expected) at byte \(index)")
    }

    private mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else { throw failure("'\(Character(Unicode.Scalar(byte)))'") }
        index += 1
    }

    /// Calls `member` for each key of an object; `member` must consume the value.
    private mutating func object(_ member: (inout JSONVocabularyScanner, [UInt8]) throws -> Void) throws {
        try expect(0x7B)
        skipSpace()
        if index < bytes.count, bytes[index] == 0x7D {
            index += 1
            return
        }
        while true {
            skipSpace()
            let key = try string()
            try expect(0x3A)
            try member(&self, key)
            skipSpace()
            guard index < bytes.count else { throw failure("',' or '}'") }
            index += 1
            if bytes[index - 1] == 0x7D { return }
            guard bytes[index - 1] == 0x2C else { throw failure("',' or '}'") }
        }
    }

    private mutating func integer() throws -> Int {
        skipSpace()
        let start = index
        if index < bytes.count, bytes[index] == 0x2D { index += 1 }
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        guard index > start, let value = Int(String(decoding: bytes[start..<index], as: UTF8.self)) else {
            throw failure("an integer id")
        }
        return value
    }

    /// A JSON string as raw UTF-8 bytes (escapes decoded, nothing normalized).
    private mutating func string() throws -> [UInt8] {
        try expect(0x22)
        var out: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == 0x22 { return out }
            guard byte == 0x5C else {
                out.append(byte)
                continue
            }
            guard index < bytes.count else { break }
            let escape = bytes[index]
            index += 1
            switch escape {
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4()
                if scalar >= 0xD800, scalar < 0xDC00, index + 1 < bytes.count, bytes[index] == 0x5C, bytes[index + 1] == 0x75 {
                    index += 2
                    let low = try hex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                }
                WordPieceEncoder.appendUTF8(Unicode.Scalar(scalar) == nil ? 0xFFFD : scalar, to: &out)
            default: out.append(escape)
            }
        }
        throw failure("a closing '\"'")
    }

    private mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count, let value = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16) else {
            throw failure("four hex digits after \\u")
        }
        index += 4
        return value
    }

    private mutating func skipValue() throws {
        skipSpace()
        guard index < bytes.count else { throw failure("a value") }
        switch bytes[index] {
        case 0x22: _ = try string()
        case 0x7B: try object { scanner, _ in try scanner.skipValue() }
        case 0x5B:
            index += 1
            skipSpace()
            if index < bytes.count, bytes[index] == 0x5D {
                index += 1
                return
            }
            while true {
                try skipValue()
                skipSpace()
                guard index < bytes.count else { throw failure("',' or ']'") }
                index += 1
                if bytes[index - 1] == 0x5D { return }
                guard bytes[index - 1] == 0x2C else { throw failure("',' or ']'") }
            }
        default:
            while index < bytes.count, !(bytes[index] == 0x2C || bytes[index] == 0x7D || bytes[index] == 0x5D) { index += 1 }
        }
    }
}
