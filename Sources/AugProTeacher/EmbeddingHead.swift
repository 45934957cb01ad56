import AugProNumerics
import Foundation

/// A linear classifier over the pooled sentence embedding (a SetFit-style head):
/// `logits = W·e + b` with `W` [C × D] and `b` [C] from a safetensors file.
///
/// The tensors are `weight` and `bias`; a file with other names qualifies when it holds exactly
/// one 2-D tensor whose name ends in `weight` and one 1-D tensor whose name ends in `bias`
/// (e.g. `linear.weight`, `linear.bias`). F16/BF16 are converted once.
struct EmbeddingHead: Sendable {
    let dense: BertWeights.Dense
    /// The file it was loaded from.
    let url: URL
    /// The number of classes C.
    var labelCount: Int { dense.bias.count }

    /// Loads the head at `url` for embeddings of `width` values.
    init(url: URL, width: Int) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw TeacherError.file(url.path, "the classifier head file does not exist (expected a .safetensors file with weight [C, \(width)] and bias [C])")
        }
        let file = try SafetensorsFile(url: url)
        let names = try Self.tensorNames(file)
        let weightInfo = try file.info(names.weight)
        let biasInfo = try file.info(names.bias)
        guard weightInfo.shape.count == 2, weightInfo.shape[0] > 0, weightInfo.shape[1] == width else {
            throw TeacherError.file(
                url.path, "tensor \"\(names.weight)\" has shape \(weightInfo.shape); expected [C, \(width)] (C classes × the embedding width \(width))")
        }
        guard biasInfo.shape == [weightInfo.shape[0]] else {
            throw TeacherError.file(url.path, "tensor \"\(names.bias)\" has shape \(biasInfo.shape); expected [\(weightInfo.shape[0])] to match \"\(names.weight)\"")
        }
        dense = BertWeights.Dense(weight: try file.float32Tensor(names.weight), bias: try file.float32Tensor(names.bias))
        self.url = url
        if let bad = (0..<dense.weight.count).first(where: { !dense.weight.pointer[$0].isFinite }) {
            throw TeacherError.file(url.path, "\"\(names.weight)\" holds a non-finite value at element \(bad)")
        }
    }

    private static func tensorNames(_ file: SafetensorsFile) throws -> (weight: String, bias: String) {
        if file.contains("weight") && file.contains("bias") { return ("weight", "bias") }
        let weights = try file.tensorNames.filter { try $0.hasSuffix("weight") && file.info($0).shape.count == 2 }
        let biases = try file.tensorNames.filter { try $0.hasSuffix("bias") && file.info($0).shape.count == 1 }
        guard weights.count == 1, biases.count == 1 else {
            throw TeacherError.file(
                file.path, "expected tensors \"weight\" [C, D] and \"bias\" [C] (or exactly one *weight and one *bias); it has \(file.tensorNames.sorted().joined(separator: ", "))")
        }
        return (weights[0], biases[0])
    }

    /// `logits[rows × C] = embeddings[rows × D] · Wᵀ + b`.
    func logits(_ embeddings: [[Float]]) -> [[Float]] {
        guard let width = embeddings.first?.count else { return [] }
        let packed = embeddings.flatMap { $0 }
        var output = [Float](repeating: 0, count: embeddings.count * labelCount)
        packed.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                Kernels.linear(input.baseAddress!, rows: embeddings.count, inputWidth: width, dense, output: output.baseAddress!)
            }
        }
        return (0..<embeddings.count).map { Array(output[($0 * labelCount)..<(($0 + 1) * labelCount)]) }
    }

    /// SHA-256 (hex) of the head file.
    func sha256() throws -> String {
        hexString(SHA256.hash([UInt8](try Data(contentsOf: url))))
    }
}
