/// HF `tokenizers`' `truncate_encodings` (direction right, no stride) over id lists, applied
/// with `max_length` minus the template's special tokens.
enum Truncation {
    /// Truncates in place; returns whether anything was removed.
    static func apply(
        _ strategy: TruncationStrategy, maxLength: Int, first: inout [Int32], second: inout [Int32]?
    ) throws -> Bool {
        if maxLength == 0 {
            let removed = !first.isEmpty || !(second?.isEmpty ?? true)
            first.removeAll()
            if second != nil { second = [] }
            return removed
        }
        let total = first.count + (second?.count ?? 0)
        guard total > maxLength else { return false }
        let toRemove = total - maxLength
        switch strategy {
        case .longestFirst:
            guard var pair = second else {
                first.removeSubrange(maxLength...)
                return true
            }
            var short = first.count
            var long = pair.count
            let swapped = short > long
            if swapped { swap(&short, &long) }
            long = short > maxLength ? short : max(short, maxLength - short)
            if short + long > maxLength {
                short = maxLength / 2
                long = short + maxLength % 2
            }
            let (firstLength, secondLength) = swapped ? (long, short) : (short, long)
            if first.count > firstLength { first.removeSubrange(firstLength...) }
            if pair.count > secondLength { pair.removeSubrange(secondLength...) }
            second = pair
        case .onlyFirst:
            guard first.count > toRemove else {
                throw TokenizerError.truncationImpossible("only_first cannot shorten the first sequence (\(first.count) tokens) by \(toRemove)")
            }
            first.removeSubrange((first.count - toRemove)...)
        case .onlySecond:
            guard var pair = second else {
                throw TokenizerError.truncationImpossible("only_second needs a second sequence, but the input has none")
            }
            guard pair.count > toRemove else {
                throw TokenizerError.truncationImpossible("only_second cannot shorten the second sequence (\(pair.count) tokens) by \(toRemove)")
            }
            pair.removeSubrange((pair.count - toRemove)...)
            second = pair
        }
        return true
    }
}
