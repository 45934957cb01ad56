import Foundation

/// Messages of the Open Inference Protocol (KServe v2) REST API that augpro reads.
enum InferenceMessages {
    /// `GET /v2`: server name, version and the protocol extensions it supports.
    struct ServerMetadata: Decodable {
        var name: String?
        var version: String?
        var extensions: [String]?
    }

    /// One tensor of `GET /v2/models/NAME`: `-1` in `shape` is a variable dimension.
    struct TensorMetadata: Decodable, CustomStringConvertible {
        var name: String
        var datatype: String
        var shape: [Int]

        var description: String { "\(name) \(datatype) \(shape)" }
    }

    /// `GET /v2/models/NAME[/versions/V]`.
    struct ModelMetadata: Decodable {
        var name: String
        var versions: [String]?
        var platform: String?
        var inputs: [TensorMetadata]
        var outputs: [TensorMetadata]

        /// `inputs: [...]; outputs: [...]`, for error messages.
        var declaration: String {
            "inputs \(inputs.map(\.description).joined(separator: ", ")); outputs \(outputs.map(\.description).joined(separator: ", "))"
        }
    }

    /// An error body: `{"error": "..."}`.
    struct ErrorBody: Decodable {
        var error: String
    }

    /// The JSON part of an inference response.
    struct InferResponse: Decodable {
        var modelName: String?
        var modelVersion: String?
        var outputs: [OutputTensor]

        enum CodingKeys: String, CodingKey {
            case outputs
            case modelName = "model_name"
            case modelVersion = "model_version"
        }
    }

    /// One output tensor: inline `data` (JSON) or `binary_data_size` bytes after the JSON part.
    struct OutputTensor: Decodable {
        var name: String
        var datatype: String
        var shape: [Int]
        var data: [Double]?
        var parameters: Parameters?

        struct Parameters: Decodable {
            var binaryDataSize: Int?

            enum CodingKeys: String, CodingKey {
                case binaryDataSize = "binary_data_size"
            }
        }
    }

    /// `GET /v2/models/NAME/stats` (Triton's statistics extension): cumulative server-side times.
    struct ModelStatistics: Decodable {
        var modelStats: [Entry]

        enum CodingKeys: String, CodingKey {
            case modelStats = "model_stats"
        }

        struct Entry: Decodable {
            var inferenceStats: InferenceStats

            enum CodingKeys: String, CodingKey {
                case inferenceStats = "inference_stats"
            }
        }

        struct InferenceStats: Decodable {
            var success: Duration
            var queue: Duration
            var computeInput: Duration
            var computeInfer: Duration
            var computeOutput: Duration

            enum CodingKeys: String, CodingKey {
                case success, queue
                case computeInput = "compute_input"
                case computeInfer = "compute_infer"
                case computeOutput = "compute_output"
            }
        }

        struct Duration: Decodable {
            var count: Int
            var ns: Int
        }
    }
}
