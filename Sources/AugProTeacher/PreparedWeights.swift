import AugProNumerics

/// The numeric precision of the teacher's Linear layers.
public enum TeacherPrecision: String, Sendable, CaseIterable, Hashable {
    /// float32 everywhere (OpenBLAS sgemm).
    case fp32
    /// Dynamic int8 quantization of every encoder Linear: weights per output channel at load,
    /// activations per row at run time, int8 × int8 → int32 products; attention, softmax,
    /// LayerNorm and GELU stay float32.
    case int8
}

/// The encoder's Linear layers arranged for the forward pass: Q, K and V fused into one
/// `[3·hidden × hidden]` product per layer, and for int8 every Linear quantized and packed.
/// Biases are applied by the fused passes that follow each product, not by the product.
struct PreparedWeights: Sendable {
    /// One Linear: `y = x · weightᵀ` (+ `bias`, applied by the caller's fused pass).
    struct Linear: Sendable {
        var weight: Float32Tensor
        var bias: Float32Tensor
        /// The int8 form, when the encoder runs in int8.
        var quantized: Int8GEMM.PackedWeights?

        var outputs: Int { weight.shape[0] }
        var inputs: Int { weight.shape[1] }
    }

    /// One transformer layer.
    struct Layer: Sendable {
        var queryKeyValue, attentionOutput, intermediate, output: Linear
        var attentionNorm, outputNorm: BertWeights.Norm
    }

    let layers: [Layer]
    let precision: TeacherPrecision
    /// The int8 kernel in use (nil in fp32).
    let kernel: Int8GEMM.Kernel?

    init(_ weights: BertWeights, precision: TeacherPrecision, kernel: Int8GEMM.Kernel = .best) {
        self.precision = precision
        self.kernel = precision == .int8 ? kernel : nil
        func prepare(_ weight: Float32Tensor, _ bias: Float32Tensor) -> Linear {
            let quantized = precision == .int8
                ? Int8GEMM.PackedWeights(kernel: kernel, weight: weight.pointer, rows: weight.shape[0], depth: weight.shape[1])
                : nil
            return Linear(weight: weight, bias: bias, quantized: quantized)
        }
        layers = weights.layers.map { layer in
            let parts = [layer.query, layer.key, layer.value]
            let fusedWeight = Float32Tensor(
                shape: [parts.reduce(0) { $0 + $1.weight.shape[0] }, layer.query.weight.shape[1]],
                values: parts.flatMap { Array($0.weight.buffer) })
            let fusedBias = Float32Tensor(shape: [fusedWeight.shape[0]], values: parts.flatMap { Array($0.bias.buffer) })
            return Layer(
                queryKeyValue: prepare(fusedWeight, fusedBias),
                attentionOutput: prepare(layer.attentionOutput.weight, layer.attentionOutput.bias),
                intermediate: prepare(layer.intermediate.weight, layer.intermediate.bias),
                output: prepare(layer.output.weight, layer.output.bias),
                attentionNorm: layer.attentionNorm, outputNorm: layer.outputNorm)
        }
    }
}
