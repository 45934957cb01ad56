import Synchronization

/// Wall time the embedded teacher spends per operator family, accumulated process-wide while
/// enabled (bench-teacher's breakdown). Off by default; when off a measurement costs one
/// atomic load.
public enum OperatorProfile {
    /// The operator families the breakdown distinguishes.
    public enum Operator: String, CaseIterable, Sendable {
        /// Embedding lookups and the embedding LayerNorm.
        case embedding
        /// The Linear layers' matrix products (QKV, attention output, feed-forward), with quantization for int8.
        case gemm
        /// The attention products `QKᵀ` and `PV` and their data movement.
        case attention
        /// The attention softmax.
        case softmax
        /// Bias + residual + LayerNorm after attention and after the feed-forward block.
        case layerNorm = "layer_norm"
        /// Bias + GELU of the feed-forward block.
        case gelu
        /// Pooling, normalisation and heads.
        case heads
    }

    private static let enabled = Atomic<Bool>(false)
    private static let totals = Mutex<[Operator: Double]>([:])

    /// Clears the totals and starts accumulating.
    public static func start() {
        totals.withLock { $0 = [:] }
        enabled.store(true, ordering: .relaxed)
    }

    /// Stops accumulating and returns seconds per operator.
    public static func stop() -> [Operator: Double] {
        enabled.store(false, ordering: .relaxed)
        return totals.withLock { $0 }
    }

    static var isEnabled: Bool { enabled.load(ordering: .relaxed) }

    /// Adds `seconds` to `family` (used where one phase is split between families).
    static func add(_ family: Operator, seconds: Double) {
        totals.withLock { $0[family, default: 0] += seconds }
    }

    /// Runs `body`, adding its wall time to `family` when profiling is on.
    @inline(__always)
    static func measure<R>(_ family: Operator, _ body: () throws -> R) rethrows -> R {
        guard isEnabled else { return try body() }
        let clock = ContinuousClock()
        let start = clock.now
        let result = try body()
        add(family, seconds: seconds(clock.now - start))
        return result
    }

    /// A duration in seconds.
    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
