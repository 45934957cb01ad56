import Foundation

/// A problem in a pipeline file, located by file, line, column and key path, e.g.
/// `quickstart.yaml:12:7: stages[1].writer.compression: expected zstd:N with N in 1...22`.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var column: Int?
    /// The key path, e.g. `stages[1].writer.compression` (empty for the whole file).
    public var path: String
    public var message: String

    public init(file: String, line: Int?, column: Int?, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}

/// An error thrown while decoding a config value; the loader adds file, line and column.
public struct ConfigIssue: Error {
    public var codingPath: [any CodingKey]
    public var message: String

    public init(codingPath: [any CodingKey], message: String) {
        self.codingPath = codingPath
        self.message = message
    }
}

/// A coding key for any string or index, used to see every key a mapping holds.
public struct AnyKey: CodingKey, Hashable {
    public var stringValue: String
    public var intValue: Int?

    public init(stringValue: String) { self.stringValue = stringValue }
    public init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
    public init(_ string: String) { self.stringValue = string }
}

extension [any CodingKey] {
    /// `stages[1].writer.compression` style rendering of a coding path.
    public var renderedPath: String {
        var out = ""
        for key in self {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                if !out.isEmpty { out += "." }
                out += key.stringValue
            }
        }
        return out
    }
}

extension Decoder {
    /// Throws a ``ConfigIssue`` for the first key of this mapping that is not in `allowed`.
    public func rejectUnknownKeys(_ allowed: [String]) throws {
        let container = try self.container(keyedBy: AnyKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw ConfigIssue(
                codingPath: codingPath + [key],
                message: "unknown key `\(key.stringValue)` (expected one of: \(allowed.joined(separator: ", ")))")
        }
    }

    /// Throws a ``ConfigIssue`` at this value's own path.
    public func issue(_ message: String) -> ConfigIssue {
        ConfigIssue(codingPath: codingPath, message: message)
    }

    /// The folder relative paths in this file are resolved against.
    public var baseDirectory: URL {
        userInfo[.baseDirectory] as? URL ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }
}

extension CodingUserInfoKey {
    public static let baseDirectory = CodingUserInfoKey(rawValue: "augpro.baseDirectory")!
}

extension KeyedDecodingContainer {
    /// Decodes a path and resolves it against the pipeline file's folder.
    public func decodePath(_ key: Key, in decoder: Decoder, mustExist: Bool) throws -> URL {
        let raw = try decode(String.self, forKey: key)
        return try resolvePath(raw, key: key, in: decoder, mustExist: mustExist)
    }

    /// Like ``decodePath(_:in:mustExist:)`` for an optional key.
    public func decodePathIfPresent(_ key: Key, in decoder: Decoder, mustExist: Bool) throws -> URL? {
        guard let raw = try decodeIfPresent(String.self, forKey: key) else { return nil }
        return try resolvePath(raw, key: key, in: decoder, mustExist: mustExist)
    }

    private func resolvePath(_ raw: String, key: Key, in decoder: Decoder, mustExist: Bool) throws -> URL {
        guard !raw.isEmpty else {
            throw ConfigIssue(codingPath: codingPath + [key], message: "expected a path, got an empty string")
        }
        let url =
            raw.hasPrefix("/")
            ? URL(fileURLWithPath: raw)
            : decoder.baseDirectory.appendingPathComponent(raw).standardizedFileURL
        if mustExist && !FileManager.default.fileExists(atPath: url.path) {
            throw ConfigIssue(codingPath: codingPath + [key], message: "no such file or folder: \(url.path)")
        }
        return url
    }

    /// Decodes an integer and checks it lies in `range`.
    public func decodeInt(_ key: Key, in range: ClosedRange<Int>, default value: Int) throws -> Int {
        guard let decoded = try decodeIfPresent(Int.self, forKey: key) else { return value }
        guard range.contains(decoded) else {
            throw ConfigIssue(
                codingPath: codingPath + [key],
                message: "expected an integer in \(range.lowerBound)...\(range.upperBound), got \(decoded)")
        }
        return decoded
    }

    /// Decodes a string that must be one of `choices`.
    public func decodeChoice(_ key: Key, _ choices: [String], default value: String) throws -> String {
        guard let decoded = try decodeIfPresent(String.self, forKey: key) else { return value }
        guard choices.contains(decoded) else {
            throw ConfigIssue(
                codingPath: codingPath + [key],
                message: "expected one of \(choices.joined(separator: " | ")), got `\(decoded)`")
        }
        return decoded
    }

    /// Decodes a string naming one case of a stage's option enum (by its raw value).
    public func decodeEnum<Choice: RawRepresentable & CaseIterable>(_ key: Key, default value: Choice) throws -> Choice
    where Choice.RawValue == String {
        let name = try decodeChoice(key, Choice.allCases.map(\.rawValue), default: value.rawValue)
        return Choice(rawValue: name)!
    }

    /// Decodes a non-empty list of option-enum cases; a bad entry is reported at its index.
    public func decodeEnumList<Choice: RawRepresentable & CaseIterable>(_ key: Key, default value: [Choice]) throws -> [Choice]
    where Choice.RawValue == String {
        let names = try decodeIfPresent([String].self, forKey: key) ?? value.map(\.rawValue)
        let supported = Choice.allCases.map(\.rawValue).joined(separator: ", ")
        guard !names.isEmpty else { throw issue(key, "expected at least one of \(supported)") }
        return try names.enumerated().map { index, name in
            guard let choice = Choice(rawValue: name) else {
                throw ConfigIssue(
                    codingPath: codingPath + [key, AnyKey(intValue: index)],
                    message: "expected one of \(supported), got `\(name)`")
            }
            return choice
        }
    }

    /// An issue located at `key`.
    public func issue(_ key: Key, _ message: String) -> ConfigIssue {
        ConfigIssue(codingPath: codingPath + [key], message: message)
    }
}
