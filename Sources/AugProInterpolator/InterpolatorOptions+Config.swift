import AugProConfig
import AugProRuntime
import Foundation

/// `interpolator: {method: mixup, ...}` — AugPro-Mix pairing and λ, decoded straight into
/// ``InterpolatorOptions``. `method` selects the sub-kind (registered under `interpolator`).
extension InterpolatorOptions: StageSettings {
    enum ConfigKeys: String, SettingKey, CaseIterable {
        case method
        case perExample = "per_example"
        case window, lambda, granularity, length
        case keepOriginals = "keep_originals"
    }

    enum LambdaKeys: String, CodingKey, CaseIterable {
        case beta, uniform, fixed
    }

    /// The `method` value of this sub-kind.
    public static let method = "mixup"

    public init(config decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(ConfigKeys.allCases.map(\.rawValue))
        let container = try decoder.container(keyedBy: ConfigKeys.self)
        self.init(
            perExample: try container.decodeInt(.perExample, in: 1...64, default: 2),
            window: try container.decodeInt(.window, in: 2...1_000_000, default: 1024),
            granularity: try container.decodeEnum(.granularity, default: .token),
            length: try container.decodeEnum(.length, default: .longer),
            keepOriginals: try container.decodeIfPresent(Bool.self, forKey: .keepOriginals) ?? true)
        if container.contains(.lambda) {
            lambda = try Self.decodeLambda(container.superDecoder(forKey: .lambda))
        }
    }

    private static func decodeLambda(_ decoder: any Decoder) throws -> LambdaDistribution {
        try decoder.rejectUnknownKeys(LambdaKeys.allCases.map(\.rawValue))
        let lambdas = try decoder.container(keyedBy: LambdaKeys.self)
        guard lambdas.allKeys.count == 1, let kind = lambdas.allKeys.first else {
            throw decoder.issue("expected exactly one of {beta: α}, {uniform: [lo, hi]}, {fixed: x}")
        }
        switch kind {
        case .beta:
            let alpha = try lambdas.decode(Double.self, forKey: .beta)
            guard alpha > 0, alpha.isFinite else { throw lambdas.issue(.beta, "expected α > 0, got \(alpha)") }
            return .beta(alpha)
        case .uniform:
            let bounds = try lambdas.decode([Double].self, forKey: .uniform)
            guard bounds.count == 2, 0 <= bounds[0], bounds[0] <= bounds[1], bounds[1] <= 1 else {
                throw lambdas.issue(.uniform, "expected [lo, hi] with 0 ≤ lo ≤ hi ≤ 1")
            }
            return .uniform(bounds[0], bounds[1])
        case .fixed:
            let value = try lambdas.decode(Double.self, forKey: .fixed)
            guard (0...1).contains(value) else { throw lambdas.issue(.fixed, "expected 0 ≤ x ≤ 1, got \(value)") }
            return .fixed(value)
        }
    }

    /// Restarts are rounded down to a window boundary, so pairing regenerates exactly.
    public var restartGranule: Int64? { Int64(window) }

    public func recordSettings(into settings: inout OutputSettings) {
        settings.record(ConfigKeys.method, Self.method)
        settings.record(ConfigKeys.perExample, perExample)
        settings.record(ConfigKeys.window, window)
        settings.record(ConfigKeys.lambda, lambda)
        settings.record(ConfigKeys.granularity, granularity)
        settings.record(ConfigKeys.length, length)
        settings.record(ConfigKeys.keepOriginals, keepOriginals)
    }

    public func assemble(in assembly: inout StageAssembly) throws -> [PipelineNode] {
        guard let vocabulary = assembly.vocabulary else {
            throw StagePlacementError("needs a tokenizer before it (for [CLS], [SEP] and [PAD])")
        }
        var options = self
        options.maxLength = vocabulary.maxLength
        return [PipelineNode(try MixupInterpolator(options: options, specials: vocabulary.specials))]
    }
}

extension LambdaDistribution: SettingValue {
    /// `lambda.beta`, `lambda.uniform.0` / `.1` or `lambda.fixed`.
    public func render(into settings: inout OutputSettings, at path: String) {
        switch self {
        case .beta(let alpha): settings.store(alpha.description, at: "\(path).beta")
        case .uniform(let lo, let hi):
            settings.store(lo.description, at: "\(path).uniform.0")
            settings.store(hi.description, at: "\(path).uniform.1")
        case .fixed(let value): settings.store(value.description, at: "\(path).fixed")
        }
    }
}

extension MixGranularity: SettingValue {}
extension MixLength: SettingValue {}
