/// Counts of values in equal-width bins over `[lower, upper]`, binned as `numpy.histogram` does
/// with `range=(lower, upper)`: each bin holds `[edge_i, edge_i+1)`, the last one also its upper
/// edge; values outside the range are not counted (but reported in `outside`).
public struct Histogram: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public private(set) var counts: [Int]
    /// Values below `lower`, above `upper` or not finite.
    public private(set) var outside = 0

    public init(lower: Double, upper: Double, bins: Int) {
        self.lower = lower
        self.upper = upper
        self.counts = Array(repeating: 0, count: max(1, bins))
    }

    /// The bin edges, as `numpy.linspace(lower, upper, bins + 1)` makes them.
    public var edges: [Double] {
        let step = (upper - lower) / Double(counts.count)
        return (0...counts.count).map { $0 == counts.count ? upper : Double($0) * step + lower }
    }

    public var total: Int { counts.reduce(0, +) }

    public mutating func add(_ value: Double) {
        guard value.isFinite, value >= lower, value <= upper else {
            outside += 1
            return
        }
        let edges = self.edges
        // The last edge not above the value: the same bin numpy picks, edge cases included.
        var low = 0
        var high = counts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if edges[middle] <= value { low = middle } else { high = middle - 1 }
        }
        counts[low] += 1
    }
}

/// How many times each whole number occurred (e.g. changed positions per augmentation).
public struct IntegerCounts: Sendable, Equatable {
    public private(set) var counts: [Int: Int] = [:]

    public init() {}

    public mutating func add(_ value: Int) { counts[value, default: 0] += 1 }

    public var total: Int { counts.values.reduce(0, +) }
    public var maximum: Int { counts.keys.max() ?? 0 }
    public var mean: Double {
        total > 0 ? Double(counts.reduce(0) { $0 + $1.key * $1.value }) / Double(total) : 0
    }
}
