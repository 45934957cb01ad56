/// Finds added tokens (`[CLS]`, `[MASK]`, ...) in raw text, leftmost-longest as HF's
/// AddedVocabulary does, so text between them is normalized and tokenized separately.
struct AddedTokenMatcher: Sendable {
    /// A match: the byte range it covers (after lstrip/rstrip) and the token id.
    struct Match {
        var range: Range<Int>
        var id: Int32
    }

    private let tokens: [AddedToken]
    /// Indices into `tokens` by first byte, longest content first.
    private let byFirstByte: [[Int]]
    private let isFirstByte: [Bool]

    init(tokens: [AddedToken]) {
        let usable = tokens.filter { !$0.content.isEmpty }
        var groups = [[Int]](repeating: [], count: 256)
        for (index, token) in usable.enumerated() { groups[Int(token.content[0])].append(index) }
        for byte in 0..<256 {
            groups[byte].sort { usable[$0].content.count > usable[$1].content.count }
        }
        self.tokens = usable
        self.byFirstByte = groups
        self.isFirstByte = groups.map { !$0.isEmpty }
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// The first match at or after `start`, or nil.
    func nextMatch(in bytes: UnsafeBufferPointer<UInt8>, from start: Int, end: Int) -> Match? {
        var index = start
        while index < end {
            if isFirstByte[Int(bytes[index])] {
                for candidate in byFirstByte[Int(bytes[index])] {
                    let token = tokens[candidate]
                    let length = token.content.count
                    guard index + length <= end else { continue }
                    var equal = true
                    for offset in 1..<max(length, 1) where bytes[index + offset] != token.content[offset] {
                        equal = false
                        break
                    }
                    if equal {
                        var lower = index
                        var upper = index + length
                        if token.leftStrip { lower = Self.skipWhitespace(backwardFrom: lower, in: bytes, bound: start) }
                        if token.rightStrip { upper = Self.skipWhitespace(forwardFrom: upper, in: bytes, bound: end) }
                        return Match(range: lower..<upper, id: token.id)
                    }
                }
            }
            index += 1
        }
        return nil
    }

    private static func isWhitespace(_ scalar: UInt32) -> Bool {
        UnicodeTables.shared.flags(of: scalar).contains(.splitWhitespace)
    }

    private static func skipWhitespace(forwardFrom index: Int, in bytes: UnsafeBufferPointer<UInt8>, bound: Int) -> Int {
        var index = index
        while index < bound {
            let (scalar, length) = WordPieceEncoder.decodeScalar(bytes, at: index, end: bound)
            let value = bytes[index] < 0x80 ? UInt32(bytes[index]) : scalar
            guard isWhitespace(value) else { break }
            index += bytes[index] < 0x80 ? 1 : length
        }
        return index
    }

    private static func skipWhitespace(backwardFrom index: Int, in bytes: UnsafeBufferPointer<UInt8>, bound: Int) -> Int {
        var index = index
        while index > bound {
            var lead = index - 1
            while lead > bound, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
            let value = bytes[lead] < 0x80 ? UInt32(bytes[lead]) : WordPieceEncoder.decodeScalar(bytes, at: lead, end: index).0
            guard isWhitespace(value) else { break }
            index = lead
        }
        return index
    }
}
