import AugProRecords

/// Segment-aware position alignment of two token sequences for mixup.
///
/// The rule:
/// - A sequence is `[CLS]` (when it starts with it), then segments, each the word pieces up to
///   and including its closing `[SEP]`. `[CLS]` and every `[SEP]` are *fixed*: they keep their
///   places and are never projected.
/// - Segment k of a is paired with segment k of b, word piece by word piece. The aligned
///   segment has the longer source's length (`length: longer`) or a's length (`length: first`:
///   b is truncated or padded); the shorter side is padded with `[PAD]`. A segment present in
///   only one source is mixed with `[PAD]` throughout (`longer`) or dropped (`first`, when a
///   lacks it).
/// - Segment k of the result closes with `[SEP]` when the source defining it had one; token
///   types are 0 for `[CLS]` and segment 0, 1 for later segments.
/// - When `maxLength` is set and the result is longer, the longest segment (the later one on
///   ties) loses its last word piece until it fits.
public struct SegmentAlignment: Sendable, Equatable {
    public var tokensA: [Int32]
    public var tokensB: [Int32]
    public var fixed: [Bool]
    public var tokenTypeIds: [UInt8]
    /// Which side is `[PAD]` filler at each position.
    public var padded: [PaddedSide]

    /// Aligns `a` with `b` under `length`, keeping at most `maxLength` tokens.
    public init(a: [Int32], b: [Int32], specials: SpecialTokenIDs, length: MixLength, maxLength: Int?) {
        let parsedA = ParsedSequence(a, specials: specials)
        let parsedB = ParsedSequence(b, specials: specials)
        let segmentCount = length == .longer
            ? max(parsedA.segments.count, parsedB.segments.count) : parsedA.segments.count
        var lengths: [Int] = (0..<segmentCount).map { k in
            let lengthA = parsedA.wordCount(k)
            return length == .longer ? max(lengthA, parsedB.wordCount(k)) : lengthA
        }
        let closing: [Bool] = (0..<segmentCount).map { k in
            parsedA.closed(k) || (length == .longer && parsedB.closed(k))
        }
        let hasCLS = parsedA.hasCLS || (length == .longer && parsedB.hasCLS)
        if let maxLength {
            let overhead = (hasCLS ? 1 : 0) + closing.filter { $0 }.count
            while overhead + lengths.reduce(0, +) > maxLength {
                var longest = 0
                for k in lengths.indices where lengths[k] >= lengths[longest] { longest = k }
                guard lengths[longest] > 0 else { break }
                lengths[longest] -= 1
            }
        }
        tokensA = []
        tokensB = []
        fixed = []
        tokenTypeIds = []
        padded = []
        if hasCLS { appendFixed(specials.cls, type: 0) }
        for k in 0..<segmentCount {
            let type: UInt8 = k == 0 ? 0 : 1
            for position in 0..<lengths[k] {
                let wordA = parsedA.word(k, position)
                let wordB = parsedB.word(k, position)
                tokensA.append(wordA ?? specials.pad)
                tokensB.append(wordB ?? specials.pad)
                padded.append(wordA == nil ? .a : wordB == nil ? .b : .neither)
                fixed.append(false)
                tokenTypeIds.append(type)
            }
            if closing[k] { appendFixed(specials.sep, type: type) }
        }
    }

    private mutating func appendFixed(_ token: Int32, type: UInt8) {
        tokensA.append(token)
        tokensB.append(token)
        fixed.append(true)
        tokenTypeIds.append(type)
        padded.append(.neither)
    }
}

/// A token sequence split into `[CLS]` and segments of word pieces.
struct ParsedSequence {
    var hasCLS: Bool
    /// Word pieces of each segment and whether a `[SEP]` closed it.
    var segments: [(words: ArraySlice<Int32>, closed: Bool)] = []

    init(_ tokens: [Int32], specials: SpecialTokenIDs) {
        hasCLS = tokens.first == specials.cls
        var start = hasCLS ? 1 : 0
        var index = start
        while index < tokens.count {
            if tokens[index] == specials.sep {
                segments.append((tokens[start..<index], true))
                start = index + 1
            }
            index += 1
        }
        if start < tokens.count { segments.append((tokens[start..<tokens.count], false)) }
    }

    func wordCount(_ k: Int) -> Int { k < segments.count ? segments[k].words.count : 0 }
    func closed(_ k: Int) -> Bool { k < segments.count && segments[k].closed }

    func word(_ k: Int, _ position: Int) -> Int32? {
        guard k < segments.count, position < segments[k].words.count else { return nil }
        let words = segments[k].words
        return words[words.startIndex + position]
    }
}
