/// SplitMix64: a deterministic pseudo-random stream for test inputs, so every failure
/// reproduces from its seed.
public struct SeededRandom: Sendable {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }
    public init(seed: UInt64) { self.state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (0 when `bound` ≤ 1).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(1, bound))) }

    /// A float in [-1, 1).
    public mutating func unitFloat() -> Float { Float(next() >> 40) / Float(1 << 24) * 2 - 1 }

    /// `count` distinct values in `range`, ascending.
    public mutating func distinct(_ count: Int, in range: Range<Int>) -> [Int] {
        var chosen = Set<Int>()
        while chosen.count < min(count, range.count) {
            chosen.insert(range.lowerBound + below(range.count))
        }
        return chosen.sorted()
    }
}
