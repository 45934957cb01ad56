/// How λ (the weight of source a) is drawn for each pair or position.
public enum LambdaDistribution: Sendable, Equatable {
    /// λ ~ Beta(α, α) (`lambda: {beta: α}`).
    case beta(Double)
    /// λ ~ Uniform(lo, hi) (`lambda: {uniform: [lo, hi]}`).
    case uniform(Double, Double)
    /// λ = x always (`lambda: {fixed: x}`).
    case fixed(Double)

    /// One λ from `random`.
    public func sample(_ random: inout CounterRandom) -> Float {
        switch self {
        case .beta(let alpha): return Float(random.nextBeta(alpha, alpha))
        case .uniform(let lo, let hi): return Float(lo + (hi - lo) * random.nextUniform())
        case .fixed(let value): return Float(value)
        }
    }
}

/// Whether one λ is drawn per pair or one per position.
public enum MixGranularity: String, Sendable, Equatable, CaseIterable {
    case example
    case token
}

/// How long an aligned segment is: the longer of the two sources' segments, or a's.
public enum MixLength: String, Sendable, Equatable, CaseIterable {
    case longer
    case first
}

/// The `interpolator:` section: mixup of each example with partners from its window.
public struct InterpolatorOptions: Sendable, Equatable {
    /// Virtual examples per input example (`per_example`).
    public var perExample: Int = 2
    /// Size of the fixed blocks of consecutive input positions partners are drawn from.
    public var window: Int = 1024
    public var lambda: LambdaDistribution = .beta(0.4)
    /// One λ per position by default: one λ per pair under l2 mostly copies the dominant source
    /// (see README, "How AugPro-Mix is computed here"); `.example` is the paper's form.
    public var granularity: MixGranularity = .token
    public var length: MixLength = .longer
    /// Pass every original through as well (`keep_originals`).
    public var keepOriginals: Bool = true
    /// The longest aligned sequence (the tokenizer's `max_length`); nil for no limit.
    public var maxLength: Int? = nil

    public init(
        perExample: Int = 2, window: Int = 1024, lambda: LambdaDistribution = .beta(0.4),
        granularity: MixGranularity = .token, length: MixLength = .longer,
        keepOriginals: Bool = true, maxLength: Int? = nil
    ) {
        self.perExample = perExample
        self.window = window
        self.lambda = lambda
        self.granularity = granularity
        self.length = length
        self.keepOriginals = keepOriginals
        self.maxLength = maxLength
    }

    /// Throws ``InterpolatorOptionsError`` when a value is out of range.
    public func validate() throws {
        guard perExample >= 1 else { throw InterpolatorOptionsError("per_example must be at least 1, got \(perExample)") }
        guard window >= 2 else { throw InterpolatorOptionsError("window must be at least 2, got \(window)") }
        if let maxLength, maxLength < 3 {
            throw InterpolatorOptionsError("max_length must be at least 3, got \(maxLength)")
        }
        switch lambda {
        case .beta(let alpha):
            guard alpha > 0, alpha.isFinite else { throw InterpolatorOptionsError("lambda.beta must be a positive number, got \(alpha)") }
        case .uniform(let lo, let hi):
            guard lo >= 0, hi <= 1, lo <= hi else {
                throw InterpolatorOptionsError("lambda.uniform must be [lo, hi] with 0 ≤ lo ≤ hi ≤ 1, got [\(lo), \(hi)]")
            }
        case .fixed(let value):
            guard value >= 0, value <= 1 else { throw InterpolatorOptionsError("lambda.fixed must be in [0, 1], got \(value)") }
        }
    }
}

/// An invalid `interpolator:` setting.
public struct InterpolatorOptionsError: Error, CustomStringConvertible, Equatable {
    public var description: String
    init(_ message: String) { description = "interpolator: \(message)" }
}
