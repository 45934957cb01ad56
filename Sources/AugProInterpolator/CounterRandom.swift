import Foundation

/// A counter-based random stream: every value is a pure function of (seed, example id, stream
/// tag, index, counter), so results never depend on batching, workers, timing or resumption.
///
/// Each draw is SplitMix64's finalizer applied to a key derived from the identifying tuple plus
/// the draw counter times the golden-ratio increment, the same construction as SplitMix64 with
/// the state replaced by an explicit counter.
public struct CounterRandom: Sendable {
    private let key: UInt64
    private var counter: UInt64 = 0

    /// Purposes kept apart so that, e.g., the partner choice never reuses a λ draw.
    public enum Stream: UInt64, Sendable {
        case partner = 1
        case lambda = 2
        case tokenLambda = 3
    }

    /// A stream for `(seed, id, stream, index)`; `index` is the augmentation index (and, for
    /// token-level λ, combines it with the position).
    public init(seed: UInt64, id: Int64, stream: Stream, index: UInt64) {
        var key = CounterRandom.mix(seed &+ 0x9E37_79B9_7F4A_7C15)
        key = CounterRandom.mix(key ^ UInt64(bitPattern: id))
        key = CounterRandom.mix(key ^ (stream.rawValue &* 0xD1B5_4A32_D192_ED03))
        self.key = CounterRandom.mix(key ^ index)
    }

    /// SplitMix64's output finalizer: a bijective 64-bit mix.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        counter &+= 1
        return CounterRandom.mix(key &+ counter &* 0x9E37_79B9_7F4A_7C15)
    }

    /// A uniform double in the open interval (0, 1).
    public mutating func nextUniform() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1p-53
    }

    /// A uniform integer in `0..<bound` (`bound > 0`).
    public mutating func nextInt(below bound: Int) -> Int {
        Int(next() % UInt64(bound))
    }

    /// A standard normal draw (Box–Muller, one value per two uniforms).
    public mutating func nextNormal() -> Double {
        let u1 = nextUniform()
        let u2 = nextUniform()
        return (-2 * Foundation.log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// The logarithm of a Gamma(shape, 1) draw (Marsaglia–Tsang; for shape < 1 the boost
    /// G(α) = G(α+1)·U^(1/α), kept in log space so tiny shapes never underflow to zero).
    public mutating func nextLogGamma(shape: Double) -> Double {
        if shape < 1 {
            let boosted = nextLogGamma(shape: shape + 1)
            return boosted + Foundation.log(nextUniform()) / shape
        }
        let d = shape - 1.0 / 3.0
        let c = 1 / (9 * d).squareRoot()
        while true {
            let x = nextNormal()
            let t = 1 + c * x
            guard t > 0 else { continue }
            let v = t * t * t
            let u = nextUniform()
            if u < 1 - 0.0331 * x * x * x * x || Foundation.log(u) < 0.5 * x * x + d * (1 - v + Foundation.log(v)) {
                return Foundation.log(d) + Foundation.log(v)
            }
        }
    }

    /// A Beta(α, β) draw as X / (X + Y) with X ~ Gamma(α), Y ~ Gamma(β), computed from logs.
    public mutating func nextBeta(_ alpha: Double, _ beta: Double) -> Double {
        let logX = nextLogGamma(shape: alpha)
        let logY = nextLogGamma(shape: beta)
        return 1 / (1 + Foundation.exp(logY - logX))
    }
}
