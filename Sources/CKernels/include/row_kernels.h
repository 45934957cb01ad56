#ifndef AUGPRO_ROW_KERNELS_H
#define AUGPRO_ROW_KERNELS_H

/* The encoder's row-wise passes over contiguous row-major float buffers, in C so they are
 * vectorised in release builds and stay fast in debug builds. Each reads and writes every
 * value once per pass; reductions use 8 partial sums. */

/* In place: x = LayerNorm((x + bias) + residual) · scale + shift per row of `width`
 * (bias and residual may be NULL; residual has the same row stride as x). */
void augpro_bias_residual_layer_norm(float *x, const float *bias, const float *residual, int rows, int width,
                                     const float *scale, const float *shift, float epsilon);

/* In place: x = GELU(x + bias) with erf (a rational approximation within 5e-7); bias may be NULL. */
void augpro_bias_gelu(float *x, const float *bias, int rows, int width);

/* In place: each row of `width` becomes its softmax (max-subtracted, Cephes-style expf). */
void augpro_softmax_rows(float *x, int rows, int width);

#endif
