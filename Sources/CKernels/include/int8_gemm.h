#ifndef AUGPRO_CINT8GEMM_H
#define AUGPRO_CINT8GEMM_H

#include <stddef.h>
#include <stdint.h>

/* int8 × int8 → int32 matrix products for the embedded teacher's dynamic quantization.
 * Y[m][n] = (float)(Σ_k xq[m][k] · wq[n][k]) · row_scale[m] · column_scale[n], exact in int32.
 * Three kernels with the same results: portable C, AVX2 (int16 pairs, vpmaddwd) and
 * AVX-512 VNNI (u8 × s8 vpdpbusd with the +128 offset compensated by column sums).
 * The vector kernels are compiled with per-function target attributes and chosen at run time. */

enum {
    AUGPRO_I8_PORTABLE = 0,
    AUGPRO_I8_AVX2 = 1,
    AUGPRO_I8_AVX512_VNNI = 2,
};

/* The fastest kernel this CPU (and OS) supports. */
int augpro_i8_best_kernel(void);
/* Whether `kernel` can run here. */
int augpro_i8_kernel_supported(int kernel);
/* Bytes of packed weights for an n × k matrix. */
size_t augpro_i8_packed_weight_bytes(int kernel, int n, int k);
/* Bytes of one quantized activation row of width k. */
size_t augpro_i8_activation_row_bytes(int kernel, int k);
/* Quantizes weights per output row (symmetric, scale = max|w| / 127) and packs them. */
void augpro_i8_pack_weights(int kernel, const float *w, int n, int k, void *packed, float *column_scales, int32_t *column_sums);
/* Quantizes m rows of x (row stride ldx) per row (symmetric) into `xq` (row stride
 * augpro_i8_activation_row_bytes). */
void augpro_i8_quantize_rows(int kernel, const float *x, int m, int k, int ldx, void *xq, float *row_scales);
/* y[m × n] (row stride ldy) from quantized rows and packed weights. */
void augpro_i8_gemm(int kernel, const void *xq, const float *row_scales, int m, int k,
                    const void *packed, const float *column_scales, const int32_t *column_sums,
                    int n, float *y, int ldy);

#endif
