import Foundation

/// The parts of a Hugging Face `config.json` a BERT-family encoder needs, validated.
public struct BertConfig: Sendable, Equatable {
    /// The activation of the feed-forward layers.
    public enum Activation: String, Sendable {
        case gelu
        case geluNew = "gelu_new"
        case geluPytorchTanh = "gelu_pytorch_tanh"
        case relu
    }

    public var hiddenSize: Int
    public var layerCount: Int
    public var headCount: Int
    public var intermediateSize: Int
    public var activation: Activation
    public var layerNormEpsilon: Float
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var vocabularySize: Int
    public var architectures: [String]
    /// Label names by class index, when the config has `id2label`.
    public var id2label: [String]?

    /// Model types whose encoder is exactly BERT's (MiniLM checkpoints declare `bert`).
    public static let supportedModelTypes: Set<String> = ["bert"]

    /// Parses and validates `config.json` at `url`.
    public init(url: URL) throws {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TeacherError.file(path, "cannot read the model config: \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data), let json = object as? [String: Any] else {
            throw TeacherError.file(path, "expected a JSON object")
        }
        try self.init(json: json, path: path)
    }

    /// Validates an already decoded config object; `path` is used in messages.
    init(json: [String: Any], path: String) throws {
        func fail(_ problem: String) -> TeacherError { TeacherError.file(path, problem) }
        func integer(_ key: String, default value: Int? = nil) throws -> Int {
            guard let raw = json[key] else {
                if let value { return value }
                throw fail("missing required key \"\(key)\"")
            }
            guard let exact = Self.integerValue(raw), exact > 0 else {
                throw fail("\"\(key)\" must be a positive integer, found \(Self.describe(raw))")
            }
            return exact
        }

        guard let modelType = json["model_type"] as? String else { throw fail("missing required key \"model_type\"") }
        guard Self.supportedModelTypes.contains(modelType) else {
            throw fail("unsupported model_type \"\(modelType)\" (supported: \(Self.supportedModelTypes.sorted().joined(separator: ", ")))")
        }
        if let positionType = json["position_embedding_type"], positionType as? String != "absolute" {
            throw fail("unsupported position_embedding_type \(positionType) (only \"absolute\")")
        }
        hiddenSize = try integer("hidden_size")
        layerCount = try integer("num_hidden_layers")
        headCount = try integer("num_attention_heads")
        intermediateSize = try integer("intermediate_size")
        maxPositions = try integer("max_position_embeddings")
        typeVocabularySize = try integer("type_vocab_size", default: 2)
        vocabularySize = try integer("vocab_size")
        guard hiddenSize % headCount == 0 else {
            throw fail("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount)")
        }
        let activationName = json["hidden_act"] as? String ?? "gelu"
        guard let activation = Activation(rawValue: activationName) else {
            throw fail("unsupported hidden_act \"\(activationName)\" (supported: gelu, gelu_new, gelu_pytorch_tanh, relu)")
        }
        self.activation = activation
        if let eps = json["layer_norm_eps"] {
            guard let number = eps as? NSNumber, String(cString: number.objCType) != "c", number.doubleValue > 0, number.doubleValue.isFinite else {
                throw fail("\"layer_norm_eps\" must be a positive number, found \(Self.describe(eps))")
            }
            layerNormEpsilon = number.floatValue
        } else {
            layerNormEpsilon = 1e-12
        }
        architectures = json["architectures"] as? [String] ?? []
        id2label = try Self.parseLabels(json["id2label"], fail: fail)
    }

    /// `id2label` as an array indexed by class id; ids must be exactly 0..<n.
    private static func parseLabels(_ raw: Any?, fail: (String) -> TeacherError) throws -> [String]? {
        guard let raw else { return nil }
        guard let mapping = raw as? [String: Any] else { throw fail("\"id2label\" must be an object of id → name") }
        var labels = [String?](repeating: nil, count: mapping.count)
        for (key, value) in mapping {
            guard let index = Int(key), labels.indices.contains(index), labels[index] == nil, let name = value as? String else {
                throw fail("\"id2label\" must map the ids 0..<\(mapping.count) to names; found \"\(key)\": \(value)")
            }
            labels[index] = name
        }
        return labels.compactMap { $0 }
    }

    /// A JSON number that is an integer, exactly. `JSONSerialization` gives booleans as
    /// `NSNumber` too (and on Linux `0 is Bool` holds): booleans are told apart by their
    /// `objCType` ("c"), integers read without a detour through `Double`.
    static func integerValue(_ raw: Any) -> Int? {
        guard let number = raw as? NSNumber, !(raw is String) else { return nil }
        switch String(cString: number.objCType) {
        case "c", "C", "B": return nil
        case "q", "l", "i", "s": return Int(exactly: number.int64Value)
        case "Q", "L", "I", "S": return Int(exactly: number.uint64Value)
        default: return Int(exactly: number.doubleValue)
        }
    }

    /// A JSON value for a message, saying what kind it is: `the string "64"`, `true (a boolean)`,
    /// `null`, `an array`, `an object`, or the number.
    static func describe(_ raw: Any) -> String {
        switch raw {
        case let text as String:
            let shown = text.unicodeScalars.count > 40 ? String(String.UnicodeScalarView(text.unicodeScalars.prefix(40))) + "…" : text
            return "the string \"\(shown.unicodeScalars.map { $0.value < 0x20 ? "\\u{\(String($0.value, radix: 16))}" : String($0) }.joined())\""
        case let number as NSNumber where String(cString: number.objCType) == "c": return "\(number.boolValue) (a boolean)"
        case is NSNull: return "null"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        default: return "\(raw)"
        }
    }

    /// The width of one attention head.
    public var headSize: Int { hiddenSize / headCount }
}
