import CKernels

/// int8 × int8 → int32 matrix products for dynamic quantization (the only importer of
/// `CKernels` int8 part): weights quantized symmetrically per output row, activations per row,
/// `y[m][n] = Σ_k xq·wq (exact in int32) · rowScale[m] · columnScale[n]`. Every kernel gives
/// bit-identical results; the vector ones are chosen at run time from what the CPU supports.
public enum Int8GEMM {
    /// An implementation of the product.
    public enum Kernel: Int32, Sendable, CaseIterable {
        /// Plain C loops (any CPU).
        case portable = 0
        /// AVX2: int16 pairs through `vpmaddwd`.
        case avx2 = 1
        /// AVX-512 VNNI: u8 × s8 quads through `vpdpbusd`, offset compensated by column sums.
        case avx512VNNI = 2

        /// Whether this CPU and OS can run the kernel.
        public var isSupported: Bool { augpro_i8_kernel_supported(rawValue) != 0 }
        /// The fastest supported kernel.
        public static var best: Kernel { Kernel(rawValue: augpro_i8_best_kernel()) ?? .portable }
    }

    /// A weight matrix `[rows × depth]` quantized per row and packed for one kernel.
    public final class PackedWeights: @unchecked Sendable {
        public let kernel: Kernel
        /// Output channels (the matrix's rows).
        public let rows: Int
        /// Input width (the matrix's columns).
        public let depth: Int
        let packed: UnsafeMutableRawPointer
        let scales: UnsafeMutablePointer<Float>
        let sums: UnsafeMutablePointer<Int32>

        /// Quantizes and packs `weight` (row-major `[rows × depth]`).
        public init(kernel: Kernel, weight: UnsafePointer<Float>, rows: Int, depth: Int) {
            self.kernel = kernel
            self.rows = rows
            self.depth = depth
            packed = .allocate(byteCount: max(1, augpro_i8_packed_weight_bytes(kernel.rawValue, Int32(rows), Int32(depth))), alignment: 64)
            scales = .allocate(capacity: rows)
            sums = .allocate(capacity: rows)
            augpro_i8_pack_weights(kernel.rawValue, weight, Int32(rows), Int32(depth), packed, scales, sums)
        }

        deinit {
            packed.deallocate()
            scales.deallocate()
            sums.deallocate()
        }
    }

    /// Bytes of one quantized activation row of `depth` values for `kernel`.
    public static func activationRowBytes(_ kernel: Kernel, depth: Int) -> Int {
        augpro_i8_activation_row_bytes(kernel.rawValue, Int32(depth))
    }

    /// Quantizes `rows` rows of `x` (row stride `stride`) into `quantized`
    /// (`activationRowBytes` per row) and their scales.
    public static func quantizeRows(
        _ kernel: Kernel, _ x: UnsafePointer<Float>, rows: Int, depth: Int, stride: Int,
        into quantized: UnsafeMutableRawPointer, scales: UnsafeMutablePointer<Float>
    ) {
        augpro_i8_quantize_rows(kernel.rawValue, x, Int32(rows), Int32(depth), Int32(stride), quantized, scales)
    }

    /// `output[rows × weights.rows]` (row stride `outputStride`) from quantized rows.
    public static func multiply(
        _ quantized: UnsafeRawPointer, scales: UnsafePointer<Float>, rows: Int,
        _ weights: PackedWeights, output: UnsafeMutablePointer<Float>, outputStride: Int
    ) {
        guard rows > 0 else { return }
        augpro_i8_gemm(
            weights.kernel.rawValue, quantized, scales, Int32(rows), Int32(weights.depth),
            weights.packed, weights.scales, weights.sums, Int32(weights.rows), output, Int32(outputStride))
    }
}
