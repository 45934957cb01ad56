import AugProTeacher
import Foundation

/// Settings of the remote teacher (`teacher: {kind: open-inference, …}`): which Open Inference
/// Protocol server and model to call, how to shape requests and how hard to retry.
public struct RemoteTeacherOptions: Sendable, Equatable {
    /// The server's base URL, e.g. `http://127.0.0.1:8000` (`/v2/...` is appended).
    public var url: URL
    /// The model name on the server.
    public var model: String
    /// A model version, or nil for the server's default.
    public var version: String?
    /// The tensors sent with each request, in order; leave one out to not send it.
    public var inputs: [InputTensor]
    /// The output tensor to read: the logits (for logits/probs/top-k) or an embedding.
    public var output: String
    /// Which targets to attach; `embedding` reads the output as an embedding, the others as logits.
    public var outputs: Set<TeacherOutput>
    /// Softmax temperature for `probs`.
    public var temperature: Float
    /// Also store the top-k logits and their class ids.
    public var topK: Int?
    /// Sequences per request.
    public var batchSize: Int
    /// Requests in flight at once over the whole run.
    public var maxInFlight: Int
    /// Deadline of one request attempt (connect, send, server compute, receive).
    public var timeout: Duration
    /// Further attempts after a transient failure (refused, reset, timeout, 5xx, 429).
    public var retries: Int
    /// The first retry's back-off; each later one doubles it (with ±50 % jitter, at most 30 s).
    public var backoff: Duration
    /// How tensors travel: JSON, Triton's binary tensor extension, or whichever the server supports.
    public var binary: BinaryMode
    /// Extra HTTP headers (authentication). Values are secrets: never logged, reported or fingerprinted.
    public var headers: HTTPHeaderSecrets

    public init(
        url: URL, model: String, version: String? = nil, inputs: [InputTensor] = InputTensor.defaults,
        output: String = "logits", outputs: Set<TeacherOutput> = [.logits], temperature: Float = 1,
        topK: Int? = nil, batchSize: Int = 64, maxInFlight: Int = 4, timeout: Duration = .seconds(30),
        retries: Int = 5, backoff: Duration = .milliseconds(200), binary: BinaryMode = .auto,
        headers: HTTPHeaderSecrets = HTTPHeaderSecrets()
    ) {
        self.url = url
        self.model = model
        self.version = version
        self.inputs = inputs
        self.output = output
        self.outputs = outputs
        self.temperature = temperature
        self.topK = topK
        self.batchSize = batchSize
        self.maxInFlight = maxInFlight
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.binary = binary
        self.headers = headers
    }

    /// The targets this configuration attaches, built like the embedded teacher's.
    public var selection: TeacherTargetSelection {
        TeacherTargetSelection(outputs: outputs, temperature: temperature, topK: topK)
    }

    /// Whether the output tensor is read as an embedding (otherwise as logits).
    public var readsEmbedding: Bool { outputs.contains(.embedding) }

    /// Checks the settings that need no server; throws naming the offending option.
    public func validate() throws {
        try selection.validate()
        if readsEmbedding, outputs.count > 1 || topK != nil {
            throw RemoteTeacherError.configuration(
                "outputs: one output tensor is read, so embedding cannot be combined with logits, probs or top_k")
        }
        guard let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw RemoteTeacherError.configuration("url: expected http://host:port, got \(url.absoluteString)")
        }
        guard !model.isEmpty else { throw RemoteTeacherError.configuration("model: must not be empty") }
        guard inputs.contains(where: { $0.role == .inputIds }) else {
            throw RemoteTeacherError.configuration("inputs: input_ids must be sent")
        }
        guard batchSize > 0 else { throw RemoteTeacherError.configuration("batch_size: must be positive") }
        guard maxInFlight > 0 else { throw RemoteTeacherError.configuration("max_in_flight: must be positive") }
        guard timeout > .zero else { throw RemoteTeacherError.configuration("timeout: must be positive") }
        guard retries >= 0 else { throw RemoteTeacherError.configuration("retries: must be 0 or more") }
    }

    /// The `/v2/models/NAME[/versions/V]` path.
    var modelPath: String {
        let name = model.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? model
        guard let version else { return "/v2/models/\(name)" }
        return "/v2/models/\(name)/versions/\(version.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? version)"
    }

    /// The base URL without a trailing slash.
    var baseURL: String {
        var text = url.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}

/// One tensor a request carries: which token array it holds, its name on the server and its type.
public struct InputTensor: Sendable, Equatable {
    /// The token arrays a BERT teacher takes.
    public enum Role: String, Sendable, CaseIterable {
        case inputIds = "input_ids"
        case attentionMask = "attention_mask"
        case tokenTypeIds = "token_type_ids"
    }

    public var role: Role
    public var name: String
    public var datatype: IntegerDatatype

    public init(role: Role, name: String? = nil, datatype: IntegerDatatype = .int64) {
        self.role = role
        self.name = name ?? role.rawValue
        self.datatype = datatype
    }

    /// `input_ids`, `attention_mask` and `token_type_ids`, all INT64 (Hugging Face exports).
    public static let defaults = Role.allCases.map { InputTensor(role: $0) }
}

/// Integer tensor types augpro can send.
public enum IntegerDatatype: String, Sendable, CaseIterable {
    case int64 = "INT64"
    case int32 = "INT32"

    var byteWidth: Int { self == .int64 ? 8 : 4 }
}

/// How tensors travel.
public enum BinaryMode: String, Sendable, CaseIterable {
    /// Binary when the server lists the `binary_tensor_data` extension, else JSON.
    case auto
    /// Always JSON.
    case json
    /// Always Triton's binary tensor extension (fails at start when the server does not list it).
    case binary
}

/// HTTP header names and values where the values are secrets: reflection (the checkpoint
/// fingerprint), `description` and reports show the names only.
public struct HTTPHeaderSecrets: Sendable, Equatable, CustomReflectable, CustomStringConvertible {
    /// Name → value, as resolved from the config.
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    public var names: [String] { values.keys.sorted() }
    public var customMirror: Mirror { Mirror(self, children: ["names": names], displayStyle: .struct) }
    public var description: String { "headers \(names) (values hidden)" }
}

extension RemoteTeacherOptions {
    /// Parses a timeout: `500ms`, `30s`, `2m` or a plain number of seconds; nil when malformed or ≤ 0.
    public static func duration(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
        var number = trimmed
        var scale = 1.0
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            number = String(trimmed.dropLast(unit.suffix.count)).trimmingCharacters(in: .whitespaces)
            scale = unit.seconds
            break
        }
        guard let value = Double(number), value.isFinite, value > 0 else { return nil }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }
}
