import AugProNumerics
import Foundation

/// The element-wise and row-wise pieces of the encoder, as passes over contiguous row-major
/// buffers: bias + residual + LayerNorm, bias + activation and softmax each read and write
/// every value once (`RowKernels`). Matrix products go through `BLAS.sgemm` or `Int8GEMM`.
enum Kernels {
    /// `output[rows × n] = input[rows × k] · weight[n × k]ᵀ + bias` (a PyTorch `Linear`).
    static func linear(
        _ input: UnsafePointer<Float>, rows: Int, inputWidth: Int,
        _ dense: BertWeights.Dense, output: UnsafeMutablePointer<Float>
    ) {
        let width = dense.bias.count
        let biasPointer = dense.bias.pointer
        for row in 0..<rows {
            (output + row * width).update(from: biasPointer, count: width)
        }
        BLAS.sgemm(
            .none, .transpose, m: rows, n: width, k: inputWidth,
            a: input, lda: inputWidth, b: dense.weight.pointer, ldb: inputWidth,
            beta: 1, c: output, ldc: width)
    }

    /// In place: `x = LayerNorm(x + residual) · scale + shift` over each row of `width`.
    static func addLayerNorm(
        _ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int, width: Int,
        _ norm: BertWeights.Norm, epsilon: Float
    ) {
        biasResidualLayerNorm(x, bias: nil, residual: residual, rows: rows, width: width, norm, epsilon: epsilon)
    }

    /// In place, one pass per row: `x = LayerNorm((x + bias) + residual) · scale + shift`.
    static func biasResidualLayerNorm(
        _ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
        rows: Int, width: Int, _ norm: BertWeights.Norm, epsilon: Float
    ) {
        RowKernels.biasResidualLayerNorm(
            x, bias: bias, residual: residual, rows: rows, width: width,
            scale: norm.scale.pointer, shift: norm.shift.pointer, epsilon: epsilon)
    }

    /// In place over `count` values: the configured activation.
    static func activate(_ x: UnsafeMutablePointer<Float>, count: Int, _ activation: BertConfig.Activation) {
        biasActivate(x, bias: nil, rows: 1, width: count, activation)
    }

    /// In place, one pass: `x = activation(x + bias)` over `rows` rows of `width`.
    static func biasActivate(
        _ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, rows: Int, width: Int,
        _ activation: BertConfig.Activation
    ) {
        if activation == .gelu {
            RowKernels.biasGELU(x, bias: bias, rows: rows, width: width)
            return
        }
        for row in 0..<rows {
            let values = x + row * width
            if let bias {
                for column in 0..<width { values[column] += bias[column] }
            }
            switch activation {
            case .gelu:
                break
            case .geluNew, .geluPytorchTanh:
                let rootTwoOverPi: Float = 0.797_884_560_802_865_4
                for column in 0..<width {
                    let value = values[column]
                    values[column] = 0.5 * value * (1 + Foundation.tanh(rootTwoOverPi * (value + 0.044715 * value * value * value)))
                }
            case .relu:
                for column in 0..<width { values[column] = max(values[column], 0) }
            }
        }
    }

    /// erf for Float: a rational approximation on [-4, 4] (Eigen's), within 5e-7 of the exact
    /// value everywhere and branch-free so the activation loop vectorises.
    @inline(__always)
    static func erf32(_ input: Float) -> Float {
        let x = min(max(input, -4), 4)
        let x2 = x * x
        var p: Float = -2.726_142_2e-10
        p = p * x2 + 2.770_681_4e-08
        p = p * x2 - 2.101_024_0e-06
        p = p * x2 - 5.692_506_4e-05
        p = p * x2 - 7.349_906_3e-04
        p = p * x2 - 2.954_600_0e-03
        p = p * x2 - 1.609_603_3e-02
        var q: Float = -1.456_607_2e-05
        q = q * x2 - 2.133_740_6e-04
        q = q * x2 - 1.682_827_0e-03
        q = q * x2 - 7.373_329_2e-03
        q = q * x2 - 1.426_473_9e-02
        return x * p / q
    }

    /// In place: each of `rows` rows of `width` becomes its softmax (max-subtracted).
    static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        RowKernels.softmaxRows(x, rows: rows, width: width)
    }
}
