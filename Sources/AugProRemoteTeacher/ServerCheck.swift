import Foundation
import NIOCore

/// What the start-up checks learned about the server and model.
public struct ServerDescription: Sendable, Equatable {
    /// The server's name and version from `GET /v2` (e.g. `triton 2.51.0`), when it says.
    public var server: String?
    /// The model name and versions the server reports.
    public var modelName: String
    public var modelVersions: [String]
    public var platform: String?
    /// Whether requests use Triton's binary tensor extension.
    public var binary: Bool
    /// A fixed sequence length the model declares (inputs are padded to it), or nil.
    public var fixedLength: Int?
    /// The output tensor's row width when the model declares it.
    public var outputWidth: Int?
}

/// The start-up checks: server ready, model ready with the configured inputs and output.
enum ServerCheck {
    static func run(_ client: InferenceClient) throws -> ServerDescription {
        let options = client.options
        let ready = try client.getBlocking("/v2/health/ready")
        guard ready.status == 200 else {
            throw RemoteTeacherError.incompatible(
                "\(options.baseURL) is not ready (GET /v2/health/ready → HTTP \(ready.status): \(InferenceClient.errorText(ready.body)))")
        }
        let serverInfo = try client.getBlocking("/v2")
        let server = decode(InferenceMessages.ServerMetadata.self, serverInfo.body)
        let modelInfo = try client.getBlocking(options.modelPath)
        guard modelInfo.status == 200 else {
            throw RemoteTeacherError.incompatible(
                "model \(describeModel(options)) on \(options.baseURL): GET \(options.modelPath) → HTTP \(modelInfo.status): \(InferenceClient.errorText(modelInfo.body))\(availableModels(client))")
        }
        guard let metadata = decode(InferenceMessages.ModelMetadata.self, modelInfo.body) else {
            throw RemoteTeacherError.incompatible(
                "GET \(options.baseURL)\(options.modelPath) did not return model metadata: \(InferenceClient.errorText(modelInfo.body))")
        }
        let readyPath = options.modelPath + "/ready"
        let modelReady = try client.getBlocking(readyPath)
        guard modelReady.status == 200 else {
            throw RemoteTeacherError.incompatible("model \(describeModel(options)) is not ready (GET \(readyPath) → HTTP \(modelReady.status))")
        }
        let (fixedLength, outputWidth) = try checkTensors(metadata, options: options)
        let supportsBinary = server?.extensions?.contains("binary_tensor_data") ?? false
        let binary: Bool
        switch options.binary {
        case .json: binary = false
        case .auto: binary = supportsBinary
        case .binary:
            guard supportsBinary else {
                throw RemoteTeacherError.incompatible(
                    "binary: the server does not list the binary_tensor_data extension (it lists \(server?.extensions ?? [])); use binary: auto or json")
            }
            binary = true
        }
        return ServerDescription(
            server: [server?.name, server?.version].compactMap { $0 }.joined(separator: " ").nilIfEmpty,
            modelName: metadata.name, modelVersions: metadata.versions ?? [], platform: metadata.platform,
            binary: binary, fixedLength: fixedLength, outputWidth: outputWidth)
    }

    /// Checks the configured inputs and output against the model's declaration; returns the
    /// fixed sequence length and output width when declared.
    static func checkTensors(
        _ metadata: InferenceMessages.ModelMetadata, options: RemoteTeacherOptions
    ) throws -> (fixedLength: Int?, outputWidth: Int?) {
        var problems: [String] = []
        var fixedLength: Int?
        for input in options.inputs {
            guard let declared = metadata.inputs.first(where: { $0.name == input.name }) else {
                problems.append("input \(input.name) is not declared")
                continue
            }
            if declared.datatype != input.datatype.rawValue {
                problems.append("input \(input.name) is \(declared.datatype), configured \(input.datatype.rawValue)")
            }
            guard declared.shape.count == 2, declared.shape[0] == -1 else {
                problems.append("input \(input.name) has shape \(declared.shape), expected [-1, -1] or [-1, length]")
                continue
            }
            if declared.shape[1] > 0 {
                if let fixedLength, fixedLength != declared.shape[1] {
                    problems.append("inputs declare different lengths \(fixedLength) and \(declared.shape[1])")
                }
                fixedLength = declared.shape[1]
            }
        }
        let sent = Set(options.inputs.map(\.name))
        for declared in metadata.inputs where !sent.contains(declared.name) {
            problems.append("the model takes input \(declared.name), which is not sent (add it under inputs)")
        }
        var outputWidth: Int?
        if let declared = metadata.outputs.first(where: { $0.name == options.output }) {
            if !["FP32", "FP64"].contains(declared.datatype) {
                problems.append("output \(options.output) is \(declared.datatype), expected FP32 or FP64")
            }
            if declared.shape.count == 2, declared.shape[0] == -1 {
                outputWidth = declared.shape[1] > 0 ? declared.shape[1] : nil
            } else {
                problems.append("output \(options.output) has shape \(declared.shape), expected [-1, width]")
            }
            if let topK = options.topK, let width = outputWidth, topK > width {
                problems.append("top_k \(topK) exceeds the \(width) columns of output \(options.output)")
            }
        } else {
            problems.append("output \(options.output) is not declared")
        }
        guard problems.isEmpty else {
            throw RemoteTeacherError.incompatible(
                "model \(describeModel(options)) on \(options.baseURL) does not match the configuration: \(problems.joined(separator: "; ")). The server declares \(metadata.declaration)")
        }
        return (fixedLength, outputWidth)
    }

    /// Server-side cumulative times from Triton's statistics extension, or nil when not offered.
    static func serverTimes(_ client: InferenceClient) -> InferenceMessages.ModelStatistics.InferenceStats? {
        guard let response = try? client.getBlocking(client.options.modelPath + "/stats"), response.status == 200,
            let statistics = decode(InferenceMessages.ModelStatistics.self, response.body)
        else { return nil }
        return statistics.modelStats.first?.inferenceStats
    }

    private static func availableModels(_ client: InferenceClient) -> String {
        guard let index = try? client.getBlocking("/v2/repository/index", method: .POST), index.status == 200,
            let models = decode([RepositoryEntry].self, index.body)
        else { return "" }
        return ". The server has models \(models.map(\.name).sorted())"
    }

    private struct RepositoryEntry: Decodable {
        var name: String
    }

    private static func describeModel(_ options: RemoteTeacherOptions) -> String {
        options.version.map { "\(options.model) version \($0)" } ?? options.model
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer?) -> T? {
        guard let body else { return nil }
        return try? JSONDecoder().decode(type, from: Data(body.readableBytesView))
    }
}

extension String {
    fileprivate var nilIfEmpty: String? { isEmpty ? nil : self }
}
