import Foundation

/// A config key that says whether its value can change a run's output bytes, and whether the
/// value may be secret. Stage settings list their values under these keys in
/// ``OutputSettings``, which keeps only the keys that affect the output and never a secret one.
public protocol SettingKey: CodingKey {
    /// False for settings that cannot change the output (`workers`, caches, the output folder).
    var affectsOutput: Bool { get }
    /// True for values that may carry credentials (URLs with a user, headers, API keys): they are
    /// never recorded, so `checkpoint.json` cannot leak a `${NAME}` value.
    var isSecret: Bool { get }
}

extension SettingKey {
    public var affectsOutput: Bool { true }
    public var isSecret: Bool { false }
}

/// The settings of a pipeline that can change its output, flattened to `key path → value`
/// (`stages[2].interpolator.window → 256`): the canonical config a checkpoint records.
public struct OutputSettings: Sendable, Equatable {
    /// Rendered values by key path.
    public private(set) var values: [String: String] = [:]
    private var prefix: String

    /// An empty record whose keys start with `prefix` (`stages[2].interpolator`, or empty).
    public init(prefix: String = "") {
        self.prefix = prefix
    }

    /// Records `value` under `key`, unless the key cannot change the output or is secret.
    public mutating func record(_ key: some SettingKey, _ value: some SettingValue) {
        guard key.affectsOutput, !key.isSecret else { return }
        record(path: key.stringValue, value)
    }

    /// Records `value` under a sub-path of this record (for values with their own structure).
    public mutating func record(path: String, _ value: some SettingValue) {
        value.render(into: &self, at: prefix.isEmpty ? path : "\(prefix).\(path)")
    }

    /// Stores one rendered value at a full key path.
    public mutating func store(_ text: String, at path: String) {
        values[path] = text
    }

    /// Records the settings of a nested section under `path`.
    public mutating func nest(_ path: String, _ body: (inout OutputSettings) -> Void) {
        var nested = OutputSettings(prefix: prefix.isEmpty ? path : "\(prefix).\(path)")
        body(&nested)
        values.merge(nested.values) { first, _ in first }
    }
}

/// A value that can be written into ``OutputSettings``: one line per leaf.
public protocol SettingValue {
    func render(into settings: inout OutputSettings, at path: String)
}

extension SettingValue where Self: CustomStringConvertible {
    public func render(into settings: inout OutputSettings, at path: String) {
        settings.store(description, at: path)
    }
}

extension SettingValue where Self: RawRepresentable, RawValue == String {
    public func render(into settings: inout OutputSettings, at path: String) {
        settings.store(rawValue, at: path)
    }
}

extension String: SettingValue {}
extension Bool: SettingValue {}
extension Int: SettingValue {}
extension Int64: SettingValue {}
extension UInt64: SettingValue {}
extension Double: SettingValue {}
extension Float: SettingValue {}

extension URL: SettingValue {
    public func render(into settings: inout OutputSettings, at path: String) {
        settings.store(standardizedFileURL.path, at: path)
    }
}

extension Optional: SettingValue where Wrapped: SettingValue {
    public func render(into settings: inout OutputSettings, at path: String) {
        switch self {
        case .some(let value): value.render(into: &settings, at: path)
        case .none: settings.store("null", at: path)
        }
    }
}

extension Array: SettingValue where Element: SettingValue {
    public func render(into settings: inout OutputSettings, at path: String) {
        if isEmpty { settings.store("[]", at: path) }
        for (index, element) in enumerated() { element.render(into: &settings, at: "\(path)[\(index)]") }
    }
}
