import AugProConfig
import Foundation
import Yams

/// Reads a pipeline file: YAML → `${VAR}` interpolation → `--set` overrides → strict decoding,
/// with every error located by file, line, column and key path (``ConfigError``).
///
/// Interpolation: `${NAME}` is replaced by the environment variable `NAME` inside any scalar;
/// `${NAME:-fallback}` uses `fallback` when `NAME` is unset; an unset variable without fallback
/// is an error. Overrides: `key.path=value`, where the path is dotted and a stage is addressed
/// by its kind (`stages.writer.path=out/x`) or its index (`stages[5].writer.path=out/x`); the
/// value is read as YAML (`seed=7`, `stages.writer.hashes=[sha1, xxh64]`).
public struct PipelineLoader {
    public var environment: [String: String]
    /// The stage kinds the file may use.
    public var registry: StageRegistry

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, registry: StageRegistry = .standard) {
        self.environment = environment
        self.registry = registry
    }

    /// Loads and validates `url`. Relative paths inside resolve against the file's folder.
    public func load(_ url: URL, overrides: [String] = []) throws -> PipelineConfig {
        let file = url.path
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(file: file, line: nil, column: nil, path: "", message: "cannot read the pipeline file")
        }
        guard let yaml = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: file, line: nil, column: nil, path: "", message: "the file is not valid UTF-8")
        }
        return try load(yaml: yaml, file: file, baseDirectory: url.deletingLastPathComponent(), overrides: overrides)
    }

    /// Loads a pipeline from text; `file` names it in messages.
    public func load(yaml: String, file: String, baseDirectory: URL, overrides: [String] = []) throws -> PipelineConfig {
        var root: Node
        do {
            guard let composed = try Yams.compose(yaml: yaml) else {
                throw ConfigError(file: file, line: 1, column: 1, path: "", message: "the file is empty")
            }
            root = composed
        } catch let error as YamlError {
            throw Self.configError(from: error, file: file)
        }
        root = try interpolate(root, path: [], file: file)
        for override in overrides {
            root = try apply(override: override, to: root, file: file)
        }
        do {
            return try YAMLDecoder().decode(
                PipelineConfig.self, from: root,
                userInfo: [.baseDirectory: baseDirectory.standardizedFileURL, .stageRegistry: registry])
        } catch let issue as ConfigIssue {
            throw locate(issue.codingPath, in: root, file: file, message: issue.message)
        } catch let error as DecodingError {
            let (codingPath, message) = Self.describe(error)
            throw locate(codingPath, in: root, file: file, message: message)
        } catch let error as YamlError {
            throw Self.configError(from: error, file: file)
        }
    }

    // MARK: Interpolation

    private func interpolate(_ node: Node, path: [String], file: String) throws -> Node {
        switch node {
        case .scalar(var scalar):
            guard scalar.string.contains("${") else { return node }
            scalar.string = try substitute(scalar.string) { name in
                ConfigError(
                    file: file, line: scalar.mark?.line, column: scalar.mark?.column, path: path.joined(separator: "."),
                    message: "environment variable `\(name)` is not set (write ${\(name):-default} for a fallback)")
            }
            return .scalar(scalar)
        case .mapping(let mapping):
            let pairs = try mapping.map { pair in
                (pair.key, try interpolate(pair.value, path: path + [pair.key.string ?? "?"], file: file))
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .sequence(let sequence):
            let nodes = try sequence.enumerated().map { index, item in
                try interpolate(item, path: path + ["[\(index)]"], file: file)
            }
            return .sequence(Node.Sequence(nodes, sequence.tag, sequence.style, sequence.mark))
        case .alias:
            return node
        }
    }

    private func substitute(_ text: String, missing: (String) -> ConfigError) throws -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                result += rest[start.lowerBound...]
                return result
            }
            let body = rest[start.upperBound..<end]
            let parts = body.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            if let value = environment[name] {
                result += value
            } else if parts.count == 2 {
                result += parts[1]
            } else {
                throw missing(name)
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    // MARK: Overrides

    private func apply(override: String, to root: Node, file: String) throws -> Node {
        let origin = "--set \(override)"
        guard let equals = override.firstIndex(of: "=") else {
            throw ConfigError(file: origin, line: nil, column: nil, path: "", message: "expected key.path=value")
        }
        let keyPath = String(override[..<equals])
        let valueText = String(override[override.index(after: equals)...])
        let value: Node
        do {
            value = try Yams.compose(yaml: valueText) ?? Node("")
        } catch {
            throw ConfigError(file: origin, line: nil, column: nil, path: keyPath, message: "the value is not valid YAML")
        }
        let components = try Self.parseKeyPath(keyPath, origin: origin)
        return try set(Self.withoutMarks(value), at: components[...], in: root, origin: origin, keyPath: keyPath)
    }

    /// The value's marks point into the `--set` text, not the file: drop them so that an error
    /// in an overridden value is reported at the key it replaces.
    private static func withoutMarks(_ node: Node) -> Node {
        switch node {
        case .scalar(var scalar):
            scalar.mark = nil
            return .scalar(scalar)
        case .mapping(let mapping):
            return .mapping(Node.Mapping(mapping.map { (withoutMarks($0.key), withoutMarks($0.value)) }, mapping.tag, mapping.style))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map(withoutMarks), sequence.tag, sequence.style))
        case .alias:
            return node
        }
    }

    private enum PathComponent {
        case key(String)
        case index(Int)
    }

    private static func parseKeyPath(_ keyPath: String, origin: String) throws -> [PathComponent] {
        var components: [PathComponent] = []
        for part in keyPath.split(separator: ".", omittingEmptySubsequences: false) {
            var name = Substring(part)
            var indices: [Int] = []
            while let open = name.lastIndex(of: "["), name.hasSuffix("]") {
                guard let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) else {
                    throw ConfigError(file: origin, line: nil, column: nil, path: keyPath, message: "bad index in key path")
                }
                indices.insert(index, at: 0)
                name = name[..<open]
            }
            guard !name.isEmpty else {
                throw ConfigError(file: origin, line: nil, column: nil, path: keyPath, message: "empty key in key path")
            }
            components.append(.key(String(name)))
            components += indices.map(PathComponent.index)
        }
        return components
    }

    private func set(
        _ value: Node, at path: ArraySlice<PathComponent>, in node: Node, origin: String, keyPath: String
    ) throws -> Node {
        guard let component = path.first else { return value }
        let rest = path.dropFirst()
        switch (component, node) {
        case (.key(let key), .mapping(let mapping)):
            var pairs = mapping.map { ($0.key, $0.value) }
            if let position = pairs.firstIndex(where: { $0.0.string == key }) {
                pairs[position].1 = try set(value, at: rest, in: pairs[position].1, origin: origin, keyPath: keyPath)
            } else {
                pairs.append((Node(key), try set(value, at: rest, in: Node([(Node, Node)]()), origin: origin, keyPath: keyPath)))
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case (.key(let kind), .sequence(let sequence)):
            // `stages.writer` addresses the stage whose kind is `writer`.
            let matches = sequence.indices.filter { sequence[$0].mapping?[kind] != nil }
            guard matches.count == 1, let position = matches.first else {
                throw ConfigError(
                    file: origin, line: nil, column: nil, path: keyPath,
                    message: matches.isEmpty ? "no stage of kind `\(kind)`" : "several `\(kind)` stages: use stages[N].\(kind)")
            }
            var nodes = Array(sequence)
            nodes[position] = try set(value, at: path, in: nodes[position], origin: origin, keyPath: keyPath)
            return .sequence(Node.Sequence(nodes, sequence.tag, sequence.style, sequence.mark))
        case (.index(let index), .sequence(let sequence)):
            guard sequence.indices.contains(index) else {
                throw ConfigError(file: origin, line: nil, column: nil, path: keyPath, message: "index \(index) is out of range")
            }
            var nodes = Array(sequence)
            nodes[index] = try set(value, at: rest, in: nodes[index], origin: origin, keyPath: keyPath)
            return .sequence(Node.Sequence(nodes, sequence.tag, sequence.style, sequence.mark))
        default:
            throw ConfigError(file: origin, line: nil, column: nil, path: keyPath, message: "the key path does not match the file's structure")
        }
    }

    // MARK: Locating errors

    /// Finds the deepest node along `codingPath` and reports the error at its position.
    private func locate(_ codingPath: [any CodingKey], in root: Node, file: String, message: String) -> ConfigError {
        var node = root
        var mark = root.mark
        for key in codingPath {
            if let index = key.intValue, let sequence = node.sequence, sequence.indices.contains(index) {
                node = sequence[index]
            } else if let mapping = node.mapping,
                let pair = mapping.first(where: { $0.key.string == key.stringValue })
            {
                // An unknown or invalid key is reported at the key itself when its value is a block.
                node = pair.value
                if node.scalar == nil || node.mark == nil {
                    mark = pair.key.mark ?? node.mark ?? mark
                    continue
                }
            } else {
                break
            }
            mark = node.mark ?? mark
        }
        return ConfigError(file: file, line: mark?.line, column: mark?.column, path: codingPath.renderedPath, message: message)
    }

    private static func describe(_ error: DecodingError) -> ([any CodingKey], String) {
        switch error {
        case let .typeMismatch(type, context):
            return (context.codingPath, "expected \(typeName(type))")
        case let .valueNotFound(type, context):
            return (context.codingPath, "expected \(typeName(type)), found nothing")
        case let .keyNotFound(key, context):
            return (context.codingPath, "missing required key `\(key.stringValue)`")
        case let .dataCorrupted(context):
            if let yamlError = context.underlyingError as? YamlError {
                return (context.codingPath, "\(yamlError)")
            }
            return (context.codingPath, context.debugDescription)
        @unknown default:
            return ([], "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is UInt64.Type, is Int64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        case is [String].Type: return "a list of strings"
        case is [Double].Type: return "a list of numbers"
        case is Node.Scalar.Type: return "a single value, not a list or mapping"
        case is Node.Mapping.Type: return "a mapping"
        case is Node.Sequence.Type: return "a list"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") || name.hasPrefix("[") { return "a list" }
            if name.contains("Dictionary") || name.contains("KeyedDecodingContainer") { return "a mapping" }
            return "a value of type \(name)"
        }
    }

    private static func configError(from error: YamlError, file: String) -> ConfigError {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return ConfigError(file: file, line: mark.line, column: mark.column, path: "", message: "invalid YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return ConfigError(
                file: file, line: context.mark.line, column: context.mark.column, path: "",
                message: "duplicate keys: \(duplicates.joined(separator: ", "))")
        default:
            return ConfigError(file: file, line: nil, column: nil, path: "", message: "invalid YAML: \(error)")
        }
    }
}
