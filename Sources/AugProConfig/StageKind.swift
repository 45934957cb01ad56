import AugProRuntime
import Foundation

/// What a stage is in a chain: the first (produces records), one in the middle, or the last.
public enum StageRole: Sendable, Equatable {
    case source, transform, sink
}

/// The decoded, validated settings of one stage of a pipeline file, and everything the
/// assembler needs to know about that stage kind. Each stage module defines its settings type
/// (usually its `Options` struct) beside the stage, plus one ``StageKind`` registry entry.
public protocol StageSettings: Sendable {
    /// Decodes and validates the stage's section (`reader: {...}`) with file:line:col errors:
    /// refuse unknown keys, fill defaults, check every value once.
    init(config decoder: any Decoder) throws

    /// Where the stage sits in a chain (a source must be first, a sink last).
    var role: StageRole { get }

    /// True when the output of a batch depends on which other elements share it (a duplicate
    /// check within a batch, length-sorted passes): an ordinal batcher is put before the stage
    /// so batches, and thus output bytes, do not depend on timing or on a resume point.
    var dependsOnBatchMakeup: Bool { get }

    /// Input ordinals a restart must be rounded down to (a look-ahead window), if any.
    var restartGranule: Int64? { get }

    /// The input file a source reads (identifies the run in `checkpoint.json`).
    var inputFile: URL? { get }

    /// The folder a sink writes.
    var outputFolder: URL? { get }

    /// Records every setting under its key (``SettingKey`` says which can change the output).
    func recordSettings(into settings: inout OutputSettings)

    /// Builds the stage's node(s) after the stages already in `assembly`, checking that they fit
    /// (`assembly.previousOutput`) and adding what later stages need (vocabulary, columns,
    /// model facts). A thrown error is reported at the stage's position in the file.
    func assemble(in assembly: inout StageAssembly) throws -> [PipelineNode]
}

extension StageSettings {
    public var role: StageRole { .transform }
    public var dependsOnBatchMakeup: Bool { false }
    public var restartGranule: Int64? { nil }
    public var inputFile: URL? { nil }
    public var outputFolder: URL? { nil }
}

/// One entry of a ``StageRegistry``: the name used in pipeline files and how to decode its
/// section. A kind either decodes its settings directly, or reads a selector key
/// (`teacher.kind`, `interpolator.method`) and hands the section to the sub-kind it names.
public struct StageKind: Sendable {
    /// The name in the file: a stage key (`projector`) or a selector value (`mixup`).
    public let name: String
    let body: Body

    enum Body: Sendable {
        case settings(@Sendable (any Decoder) throws -> any StageSettings)
        case choice(selector: String, defaultKind: String, kinds: [StageKind])
    }

    /// A kind decoded into `settings`.
    public init<Settings: StageSettings>(_ name: String, _ settings: Settings.Type) {
        self.name = name
        body = .settings { try Settings(config: $0) }
    }

    /// A kind whose section names its sub-kind in `selector` (default `defaultKind`); register
    /// the sub-kinds with ``StageRegistry/register(_:under:)``.
    public init(_ name: String, selector: String, default defaultKind: String) {
        self.name = name
        body = .choice(selector: selector, defaultKind: defaultKind, kinds: [])
    }

    /// Decodes the stage section at `decoder`.
    func decode(_ decoder: any Decoder) throws -> any StageSettings {
        switch body {
        case .settings(let decode):
            return try decode(decoder)
        case .choice(let selector, let defaultKind, let kinds):
            let container = try decoder.container(keyedBy: AnyKey.self)
            let name = try container.decodeChoice(AnyKey(selector), kinds.map(\.name), default: defaultKind)
            return try kinds.first { $0.name == name }!.decode(decoder)
        }
    }
}

/// The stage kinds a pipeline file may use, in pipeline order. A new kind is one line:
/// `registry.register(StageKind("lowercase", LowercaseSettings.self))`; a new sub-kind is
/// `registry.register(StageKind("fgsm", FGSMSettings.self), under: "interpolator")`.
public struct StageRegistry: Sendable {
    public private(set) var kinds: [StageKind] = []

    public init(_ kinds: [StageKind] = []) {
        for kind in kinds { register(kind) }
    }

    /// Adds a stage kind (replacing one of the same name).
    public mutating func register(_ kind: StageKind) {
        if let position = kinds.firstIndex(where: { $0.name == kind.name }) {
            kinds[position] = kind
        } else {
            kinds.append(kind)
        }
    }

    /// Adds a sub-kind to the kind named `parent` (one made with a selector).
    public mutating func register(_ subKind: StageKind, under parent: String) {
        guard let position = kinds.firstIndex(where: { $0.name == parent }),
            case .choice(let selector, let defaultKind, var subKinds) = kinds[position].body
        else {
            preconditionFailure("no stage kind `\(parent)` with sub-kinds is registered")
        }
        subKinds.removeAll { $0.name == subKind.name }
        subKinds.append(subKind)
        kinds[position] = StageKind(name: parent, body: .choice(selector: selector, defaultKind: defaultKind, kinds: subKinds))
    }

    /// A copy with `kind` registered too.
    public func registering(_ kind: StageKind) -> StageRegistry {
        var copy = self
        copy.register(kind)
        return copy
    }

    /// The registered stage names, in order.
    public var names: [String] { kinds.map(\.name) }

    /// Decodes one item of `stages:`: a mapping with exactly one key, the stage kind.
    public func decodeStage(from decoder: any Decoder) throws -> (kind: String, settings: any StageSettings) {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let keys = container.allKeys
        guard keys.count == 1, let key = keys.first else {
            throw decoder.issue(
                "expected a mapping with exactly one stage kind (\(names.joined(separator: ", "))), found \(keys.count) keys")
        }
        guard let kind = kinds.first(where: { $0.name == key.stringValue }) else {
            throw ConfigIssue(
                codingPath: decoder.codingPath + [key],
                message: "unknown stage kind `\(key.stringValue)` (expected one of: \(names.joined(separator: ", ")))")
        }
        return (kind.name, try kind.decode(container.superDecoder(forKey: key)))
    }
}

extension StageKind {
    fileprivate init(name: String, body: Body) {
        self.name = name
        self.body = body
    }
}

extension CodingUserInfoKey {
    /// The ``StageRegistry`` a pipeline file is decoded with.
    public static let stageRegistry = CodingUserInfoKey(rawValue: "augpro.stageRegistry")!
}
