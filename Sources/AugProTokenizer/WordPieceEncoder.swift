/// Reusable buffers for one encoding thread: the current word's normalized UTF-8 bytes.
struct EncoderScratch {
    var word: [UInt8] = []
    var wordChars = 0
    /// Byte offset where the word's trailing run of nonzero-combining-class scalars starts, and
    /// the word length right after that run (a run is live only while nothing followed it).
    var runStart = 0
    var runEnd = -1
    var lastCombiningClass: UInt8 = 0
    var decoded: [UInt32] = []

    init() { word.reserveCapacity(256) }
}

/// HF's BertNormalizer + BertPreTokenizer + WordPiece model, fused into one pass over UTF-8
/// bytes: ASCII goes through 256-entry tables, other scalars through ``UnicodeTables``; words
/// are matched against the vocabulary trie as soon as they end.
struct WordPieceEncoder: Sendable {
    private enum ASCIIClass: UInt8 { case drop, space, punctuation, word }

    let trie: VocabularyTrie
    /// The trie node of the continuing-subword prefix (`##`), nil when no token starts with it.
    let continuationRoot: Int32?
    let unkId: Int32
    let maxInputCharsPerWord: Int
    let normalizer: NormalizerFlags?
    private let tables = UnicodeTables.shared
    private let asciiClass: [UInt8]
    private let asciiMap: [UInt8]

    init(model: TokenizerModel, unkId: Int32) {
        trie = VocabularyTrie(tokens: model.vocabulary.map { Array($0.utf8) })
        continuationRoot = trie.walk(from: VocabularyTrie.root, bytes: Array(model.continuingSubwordPrefix.utf8))
        self.unkId = unkId
        maxInputCharsPerWord = model.maxInputCharsPerWord
        normalizer = model.normalizer
        var classes = [UInt8](repeating: ASCIIClass.word.rawValue, count: 256)
        var map = (0..<256).map { UInt8($0) }
        let tables = UnicodeTables.shared
        for byte in 0..<128 {
            let flags = tables.flags(of: UInt32(byte))
            var cls = ASCIIClass.word
            if let normalizer, normalizer.cleanText, flags.contains(.removedByCleanText) {
                cls = .drop
            } else if let normalizer, normalizer.cleanText, flags.contains(.spaceByCleanText) {
                cls = .space
            } else if flags.contains(.splitWhitespace) {
                cls = .space
            } else if flags.contains(.punctuation) {
                cls = .punctuation
            }
            classes[byte] = cls.rawValue
            if let normalizer, normalizer.lowercase, byte >= 0x41, byte <= 0x5A { map[byte] = UInt8(byte + 0x20) }
        }
        asciiClass = classes
        asciiMap = map
    }

    /// Appends the WordPiece ids of `bytes[range]` (no special tokens) to `ids`.
    func encode(
        _ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, into ids: inout [Int32], scratch: inout EncoderScratch
    ) {
        var index = range.lowerBound
        let end = range.upperBound
        asciiClass.withUnsafeBufferPointer { classes in
            asciiMap.withUnsafeBufferPointer { map in
                while index < end {
                    let byte = bytes[index]
                    if byte < 0x80 {
                        let cls = classes[Int(byte)]
                        if cls == ASCIIClass.word.rawValue {
                            scratch.word.append(map[Int(byte)])
                            scratch.wordChars += 1
                        } else if cls == ASCIIClass.space.rawValue {
                            flushWord(into: &ids, scratch: &scratch)
                        } else if cls == ASCIIClass.punctuation.rawValue {
                            flushWord(into: &ids, scratch: &scratch)
                            scratch.word.append(byte)
                            scratch.wordChars = 1
                            flushWord(into: &ids, scratch: &scratch)
                        }
                        index += 1
                    } else {
                        let (scalar, length) = Self.decodeScalar(bytes, at: index, end: end)
                        index += length
                        handle(scalar, into: &ids, scratch: &scratch)
                    }
                }
            }
        }
        flushWord(into: &ids, scratch: &scratch)
    }

    /// Decodes the UTF-8 scalar starting at `index` (the text is valid UTF-8).
    @inline(__always)
    static func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, end: Int) -> (UInt32, Int) {
        let lead = UInt32(bytes[index])
        let length = lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4
        guard index + length <= end else { return (0xFFFD, 1) }
        switch length {
        case 2:
            return (((lead & 0x1F) << 6) | (UInt32(bytes[index + 1]) & 0x3F), 2)
        case 3:
            return (((lead & 0x0F) << 12) | ((UInt32(bytes[index + 1]) & 0x3F) << 6) | (UInt32(bytes[index + 2]) & 0x3F), 3)
        default:
            let value = ((lead & 0x07) << 18) | ((UInt32(bytes[index + 1]) & 0x3F) << 12)
                | ((UInt32(bytes[index + 2]) & 0x3F) << 6) | (UInt32(bytes[index + 3]) & 0x3F)
            return (value, 4)
        }
    }

    /// One non-ASCII input scalar through clean_text, chinese spacing, accents and lowercase.
    private func handle(_ scalar: UInt32, into ids: inout [Int32], scratch: inout EncoderScratch) {
        guard let normalizer else {
            emit(scalar, into: &ids, scratch: &scratch)
            return
        }
        let flags = tables.flags(of: scalar)
        if normalizer.cleanText {
            if flags.contains(.removedByCleanText) { return }
            if flags.contains(.spaceByCleanText) {
                flushWord(into: &ids, scratch: &scratch)
                return
            }
        }
        let chinese = normalizer.handleChineseChars && flags.contains(.chinese)
        if chinese { flushWord(into: &ids, scratch: &scratch) }
        if normalizer.stripAccents {
            if flags.contains(.removedByStripAccents) {
            } else if flags.contains(.strippedMapping) {
                for mapped in tables.strippedMapping[scalar]! { emitLowercased(mapped, normalizer, &ids, &scratch) }
            } else if scalar >= UnicodeTables.hangulFirst, scalar <= UnicodeTables.hangulLast {
                var jamo: [UInt32] = []
                UnicodeTables.appendHangulDecomposition(scalar, to: &jamo)
                for mapped in jamo { emitLowercased(mapped, normalizer, &ids, &scratch) }
            } else {
                emitLowercased(scalar, normalizer, &ids, &scratch)
            }
        } else {
            emitLowercased(scalar, normalizer, &ids, &scratch)
        }
        if chinese { flushWord(into: &ids, scratch: &scratch) }
    }

    private func emitLowercased(
        _ scalar: UInt32, _ normalizer: NormalizerFlags, _ ids: inout [Int32], _ scratch: inout EncoderScratch
    ) {
        if normalizer.lowercase, tables.flags(of: scalar).contains(.lowercaseMapping) {
            for mapped in tables.lowercaseMapping[scalar]! { emit(mapped, into: &ids, scratch: &scratch) }
        } else {
            emit(scalar, into: &ids, scratch: &scratch)
        }
    }

    /// One normalized scalar through the pre-tokenizer: split on whitespace, isolate punctuation.
    private func emit(_ scalar: UInt32, into ids: inout [Int32], scratch: inout EncoderScratch) {
        let flags = tables.flags(of: scalar)
        if flags.contains(.splitWhitespace) {
            flushWord(into: &ids, scratch: &scratch)
        } else if flags.contains(.punctuation) {
            flushWord(into: &ids, scratch: &scratch)
            Self.appendUTF8(scalar, to: &scratch.word)
            scratch.wordChars = 1
            flushWord(into: &ids, scratch: &scratch)
        } else if scalar >= 0x300, normalizer?.stripAccents == true,
            let combining = Unicode.Scalar(scalar)?.properties.canonicalCombiningClass.rawValue, combining != 0
        {
            appendCombining(scalar, combining, &scratch)
        } else {
            Self.appendUTF8(scalar, to: &scratch.word)
            scratch.wordChars += 1
        }
    }

    /// Appends a combining scalar, keeping the trailing combining run in canonical order (NFD).
    private func appendCombining(_ scalar: UInt32, _ combining: UInt8, _ scratch: inout EncoderScratch) {
        scratch.wordChars += 1
        guard scratch.runEnd == scratch.word.count, scratch.lastCombiningClass > combining else {
            if scratch.runEnd != scratch.word.count { scratch.runStart = scratch.word.count }
            Self.appendUTF8(scalar, to: &scratch.word)
            scratch.runEnd = scratch.word.count
            scratch.lastCombiningClass = combining
            return
        }
        let run = String(decoding: scratch.word[scratch.runStart...], as: UTF8.self).unicodeScalars.map(\.value)
        var insertAt = run.count
        while insertAt > 0,
            let previous = Unicode.Scalar(run[insertAt - 1])?.properties.canonicalCombiningClass.rawValue,
            previous > combining
        {
            insertAt -= 1
        }
        var reordered = run
        reordered.insert(scalar, at: insertAt)
        scratch.word.removeSubrange(scratch.runStart...)
        for value in reordered { Self.appendUTF8(value, to: &scratch.word) }
        scratch.runEnd = scratch.word.count
    }

    @inline(__always)
    static func appendUTF8(_ scalar: UInt32, to bytes: inout [UInt8]) {
        if scalar < 0x80 {
            bytes.append(UInt8(scalar))
        } else if scalar < 0x800 {
            bytes.append(UInt8(0xC0 | (scalar >> 6)))
            bytes.append(UInt8(0x80 | (scalar & 0x3F)))
        } else if scalar < 0x10000 {
            bytes.append(UInt8(0xE0 | (scalar >> 12)))
            bytes.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (scalar & 0x3F)))
        } else {
            bytes.append(UInt8(0xF0 | (scalar >> 18)))
            bytes.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (scalar & 0x3F)))
        }
    }

    /// Runs WordPiece on the finished word, then empties it.
    @inline(__always)
    private func flushWord(into ids: inout [Int32], scratch: inout EncoderScratch) {
        if scratch.word.isEmpty { return }
        if scratch.wordChars > maxInputCharsPerWord {
            ids.append(unkId)
        } else {
            scratch.word.withUnsafeBufferPointer { word in wordPiece(word, into: &ids) }
        }
        scratch.word.removeAll(keepingCapacity: true)
        scratch.wordChars = 0
        scratch.runEnd = -1
    }

    /// Greedy longest-match-first WordPiece; a word with any unmatched rest becomes one [UNK].
    @inline(__always)
    private func wordPiece(_ word: UnsafeBufferPointer<UInt8>, into ids: inout [Int32]) {
        let mark = ids.count
        var start = 0
        while start < word.count {
            let node = start == 0 ? VocabularyTrie.root : continuationRoot
            guard let node, let match = trie.longestMatch(from: node, in: word, start: start, end: word.count) else {
                ids.removeSubrange(mark...)
                ids.append(unkId)
                return
            }
            ids.append(match.id)
            start = match.end
        }
    }
}
