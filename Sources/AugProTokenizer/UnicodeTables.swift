/// Per-code-point character classes and mappings of HF's BertNormalizer and BertPreTokenizer,
/// decoded once from ``UnicodeTableSource`` into a flat flag array (one byte per code point).
struct UnicodeTables: Sendable {
    /// Bits of ``flags``.
    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        static let removedByCleanText = Flags(rawValue: 1 << 0)
        static let spaceByCleanText = Flags(rawValue: 1 << 1)
        static let splitWhitespace = Flags(rawValue: 1 << 2)
        static let punctuation = Flags(rawValue: 1 << 3)
        static let removedByStripAccents = Flags(rawValue: 1 << 4)
        static let strippedMapping = Flags(rawValue: 1 << 5)
        static let lowercaseMapping = Flags(rawValue: 1 << 6)
        static let chinese = Flags(rawValue: 1 << 7)
    }

    static let shared = UnicodeTables()

    static let hangulFirst: UInt32 = 0xAC00
    static let hangulLast: UInt32 = 0xD7A3

    /// One byte of ``Flags`` per code point 0...0x10FFFF.
    let flags: [UInt8]
    let strippedMapping: [UInt32: [UInt32]]
    let lowercaseMapping: [UInt32: [UInt32]]

    private init() {
        var flags = [UInt8](repeating: 0, count: 0x110000)
        func mark(_ source: String, _ flag: Flags) {
            for (first, last) in Self.parseRanges(source) {
                for code in first...last { flags[Int(code)] |= flag.rawValue }
            }
        }
        mark(UnicodeTableSource.removedByCleanText, .removedByCleanText)
        mark(UnicodeTableSource.spaceByCleanText, .spaceByCleanText)
        mark(UnicodeTableSource.splitWhitespace, .splitWhitespace)
        mark(UnicodeTableSource.punctuation, .punctuation)
        mark(UnicodeTableSource.removedByStripAccents, .removedByStripAccents)
        for (first, last) in Self.chineseRanges {
            for code in first...last { flags[Int(code)] |= Flags.chinese.rawValue }
        }
        // ASCII punctuation as Rust's `char::is_ascii_punctuation` defines it.
        for byte in UInt8(0x21)...UInt8(0x7E) where !Self.isASCIIAlphanumeric(byte) {
            flags[Int(byte)] |= Flags.punctuation.rawValue
        }
        let stripped = Self.parseMapping(UnicodeTableSource.stripAccentsMapping)
        let lowered = Self.parseMapping(UnicodeTableSource.lowercaseMapping)
        for code in stripped.keys { flags[Int(code)] |= Flags.strippedMapping.rawValue }
        for code in lowered.keys { flags[Int(code)] |= Flags.lowercaseMapping.rawValue }
        self.flags = flags
        self.strippedMapping = stripped
        self.lowercaseMapping = lowered
    }

    /// The CJK ideograph blocks HF's `is_chinese_char` lists.
    static let chineseRanges: [(UInt32, UInt32)] = [
        (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
        (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
    ]

    static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    @inline(__always)
    func flags(of code: UInt32) -> Flags { Flags(rawValue: flags[Int(code)]) }

    /// Appends the NFD decomposition of a Hangul syllable.
    static func appendHangulDecomposition(_ code: UInt32, to out: inout [UInt32]) {
        let index = code - hangulFirst
        out.append(0x1100 + index / 588)
        out.append(0x1161 + (index % 588) / 28)
        let trail = index % 28
        if trail != 0 { out.append(0x11A7 + trail) }
    }

    private static func parseRanges(_ source: String) -> [(UInt32, UInt32)] {
        source.split(whereSeparator: { $0 == " " || $0 == "\n" }).map { item in
            let bounds = item.split(separator: "-").map { UInt32($0, radix: 16)! }
            return (bounds[0], bounds.count > 1 ? bounds[1] : bounds[0])
        }
    }

    private static func parseMapping(_ source: String) -> [UInt32: [UInt32]] {
        var result: [UInt32: [UInt32]] = [:]
        for item in source.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let sides = item.split(separator: "=")
            result[UInt32(sides[0], radix: 16)!] = sides[1].split(separator: ".").map { UInt32($0, radix: 16)! }
        }
        return result
    }
}
