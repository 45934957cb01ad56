import CKernels

/// Row-wise passes of a transformer layer over contiguous row-major float buffers (C, so they
/// vectorise in release builds and stay fast in debug builds).
public enum RowKernels {
    /// In place: `x = LayerNorm((x + bias) + residual) · scale + shift` per row of `width`.
    public static func biasResidualLayerNorm(
        _ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?,
        rows: Int, width: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, epsilon: Float
    ) {
        augpro_bias_residual_layer_norm(x, bias, residual, Int32(rows), Int32(width), scale, shift, epsilon)
    }

    /// In place: `x = GELU(x + bias)` (erf form) over `rows` rows of `width`.
    public static func biasGELU(_ x: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, rows: Int, width: Int) {
        augpro_bias_gelu(x, bias, Int32(rows), Int32(width))
    }

    /// In place: each row of `width` becomes its softmax.
    public static func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        augpro_softmax_rows(x, Int32(rows), Int32(width))
    }
}
