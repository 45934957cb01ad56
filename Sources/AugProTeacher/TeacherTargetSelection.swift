import AugProRecords
import Foundation

/// Which targets a teacher attaches and how they derive from its raw head outputs; shared by
/// the embedded and the remote teacher so both label samples the same way.
public struct TeacherTargetSelection: Sendable, Equatable {
    public var outputs: Set<TeacherOutput>
    /// Softmax temperature for `probs`.
    public var temperature: Float
    /// When set, the top-k logits and their class ids.
    public var topK: Int?

    public init(outputs: Set<TeacherOutput>, temperature: Float = 1, topK: Int? = nil) {
        self.outputs = outputs
        self.temperature = temperature
        self.topK = topK
    }

    /// Whether logits must be computed (for logits, probs or top-k).
    public var needsLogits: Bool { outputs.contains(.logits) || outputs.contains(.probs) }

    /// Checks outputs, temperature and top_k; throws naming the offending option.
    public func validate() throws {
        guard !outputs.isEmpty else { throw TeacherError("teacher: outputs must name at least one of logits, probs, embedding") }
        guard temperature > 0, temperature.isFinite else { throw TeacherError("teacher: temperature must be a positive number, got \(temperature)") }
        if let topK {
            guard topK > 0 else { throw TeacherError("teacher: top_k must be positive, got \(topK)") }
            guard needsLogits else { throw TeacherError("teacher: top_k needs the logits or probs output") }
        }
    }

    /// The configured targets from one sequence's raw head outputs.
    public func targets(logits: [Float]?, embedding: [Float]?) -> TeacherTargets {
        var targets = TeacherTargets()
        if let logits {
            if outputs.contains(.logits) { targets.logits = logits }
            if outputs.contains(.probs) { targets.probs = Self.softmax(logits, temperature: temperature) }
            if let k = topK {
                let ranked = logits.indices.sorted { (logits[$0], -$0) > (logits[$1], -$1) }.prefix(k)
                targets.topKIds = ranked.map { Int32($0) }
                targets.topKLogits = ranked.map { logits[$0] }
            }
        }
        if outputs.contains(.embedding) { targets.embedding = embedding }
        return targets
    }

    /// `softmax(logits / temperature)`, max-subtracted, accumulated in Double.
    public static func softmax(_ logits: [Float], temperature: Float) -> [Float] {
        let scaled = logits.map { Double($0) / Double(temperature) }
        let largest = scaled.max() ?? 0
        let exponentials = scaled.map { Foundation.exp($0 - largest) }
        let total = exponentials.reduce(0, +)
        return exponentials.map { Float($0 / total) }
    }
}
