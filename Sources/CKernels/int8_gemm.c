#include "int8_gemm.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AUGPRO_X86 1
#define AVX2_TARGET __attribute__((target("avx2")))
#define VNNI_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#endif

/* Rows of activations processed per block, so the block's quantized rows stay in L2 while
 * every weight panel streams past them. */
#define ROW_BLOCK 64

static int round_up(int value, int multiple) { return (value + multiple - 1) / multiple * multiple; }

/* Round to nearest even for |v| < 2^22 without a libm call (vectorises on any SSE2). */
static inline float round_even(float v) { return (v + 12582912.0f) - 12582912.0f; }

static inline int32_t load_i32(const void *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

int augpro_i8_kernel_supported(int kernel) {
    switch (kernel) {
    case AUGPRO_I8_PORTABLE:
        return 1;
#ifdef AUGPRO_X86
    case AUGPRO_I8_AVX2:
        return __builtin_cpu_supports("avx2");
    case AUGPRO_I8_AVX512_VNNI:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#endif
    default:
        return 0;
    }
}

int augpro_i8_best_kernel(void) {
    if (augpro_i8_kernel_supported(AUGPRO_I8_AVX512_VNNI)) return AUGPRO_I8_AVX512_VNNI;
    if (augpro_i8_kernel_supported(AUGPRO_I8_AVX2)) return AUGPRO_I8_AVX2;
    return AUGPRO_I8_PORTABLE;
}

/* Padded depth and panel width of each layout. */
static int padded_depth(int kernel, int k) {
    return kernel == AUGPRO_I8_AVX2 ? round_up(k, 2) : kernel == AUGPRO_I8_AVX512_VNNI ? round_up(k, 4) : k;
}
static int panel_width(int kernel) { return kernel == AUGPRO_I8_AVX2 ? 8 : 16; }

size_t augpro_i8_packed_weight_bytes(int kernel, int n, int k) {
    if (kernel == AUGPRO_I8_PORTABLE) return (size_t)n * (size_t)k;
    int width = panel_width(kernel);
    size_t element = kernel == AUGPRO_I8_AVX2 ? 2 : 1;
    return (size_t)round_up(n, width) * (size_t)padded_depth(kernel, k) * element;
}

size_t augpro_i8_activation_row_bytes(int kernel, int k) {
    return (size_t)padded_depth(kernel, k) * (kernel == AUGPRO_I8_AVX2 ? 2 : 1);
}

/* Symmetric per-row quantization of `count` values into q[-127, 127]; returns the scale. */
static float quantize_row(const float *x, int count, int32_t *q) {
    float largest = 0;
    for (int j = 0; j < count; j++) largest = fmaxf(largest, fabsf(x[j]));
    float inverse = largest > 0 ? 127.0f / largest : 0.0f;
    for (int j = 0; j < count; j++) {
        float r = round_even(x[j] * inverse);
        q[j] = (int32_t)fminf(fmaxf(r, -127.0f), 127.0f);
    }
    return largest / 127.0f;
}

void augpro_i8_pack_weights(int kernel, const float *w, int n, int k, void *packed, float *column_scales, int32_t *column_sums) {
    int depth = padded_depth(kernel, k);
    int32_t q[depth > 0 ? depth : 1];
    memset(packed, 0, augpro_i8_packed_weight_bytes(kernel, n, k));
    for (int row = 0; row < n; row++) {
        column_scales[row] = quantize_row(w + (size_t)row * k, k, q);
        int32_t sum = 0;
        for (int j = 0; j < k; j++) sum += q[j];
        column_sums[row] = sum;
        if (kernel == AUGPRO_I8_PORTABLE) {
            for (int j = 0; j < k; j++) ((int8_t *)packed)[(size_t)row * k + j] = (int8_t)q[j];
        } else if (kernel == AUGPRO_I8_AVX2) {
            /* panel p = row / 8: [depth/2][8 columns][2 values] int16 */
            int16_t *panel = (int16_t *)packed + (size_t)(row / 8) * 8 * depth;
            for (int j = 0; j < k; j++) panel[(size_t)(j / 2) * 16 + (row % 8) * 2 + (j % 2)] = (int16_t)q[j];
        } else {
            /* panel p = row / 16: [depth/4][16 columns][4 values] int8 */
            int8_t *panel = (int8_t *)packed + (size_t)(row / 16) * 16 * depth;
            for (int j = 0; j < k; j++) panel[(size_t)(j / 4) * 64 + (row % 16) * 4 + (j % 4)] = (int8_t)q[j];
        }
    }
}

void augpro_i8_quantize_rows(int kernel, const float *x, int m, int k, int ldx, void *xq, float *row_scales) {
    int depth = padded_depth(kernel, k);
    size_t stride = augpro_i8_activation_row_bytes(kernel, k);
    int32_t q[depth > 0 ? depth : 1];
    for (int row = 0; row < m; row++) {
        row_scales[row] = quantize_row(x + (size_t)row * ldx, k, q);
        for (int j = k; j < depth; j++) q[j] = 0;
        unsigned char *target = (unsigned char *)xq + (size_t)row * stride;
        if (kernel == AUGPRO_I8_PORTABLE) {
            for (int j = 0; j < depth; j++) ((int8_t *)target)[j] = (int8_t)q[j];
        } else if (kernel == AUGPRO_I8_AVX2) {
            for (int j = 0; j < depth; j++) ((int16_t *)target)[j] = (int16_t)q[j];
        } else {
            for (int j = 0; j < depth; j++) target[j] = (uint8_t)(q[j] + 128);
        }
    }
}

/* y = dot · row scale · column scale, in that order on every path (identical results). */
static inline float scaled(int32_t dot, float row_scale, float column_scale) {
    return (float)dot * row_scale * column_scale;
}

static void gemm_portable(const int8_t *xq, const float *rs, int m, int k, const int8_t *w, const float *cs, int n, float *y, int ldy) {
    for (int row = 0; row < m; row++) {
        const int8_t *x = xq + (size_t)row * k;
        for (int column = 0; column < n; column++) {
            const int8_t *weights = w + (size_t)column * k;
            int32_t dot = 0;
            for (int j = 0; j < k; j++) dot += (int32_t)x[j] * (int32_t)weights[j];
            y[(size_t)row * ldy + column] = scaled(dot, rs[row], cs[column]);
        }
    }
}

#ifdef AUGPRO_X86
/* AVX2: 4 rows × 3 panels of 8 columns; each step multiplies a broadcast pair of int16
 * activations with 8 columns' pairs of int16 weights (vpmaddwd) and accumulates in int32. */
AVX2_TARGET static void avx2_block(const int16_t *x, int xs, int rows, const int16_t *w, int ws, int panels, int depth, int32_t out[4][24]) {
    if (rows == 4 && panels == 3) {
        __m256i acc[4][3];
        for (int r = 0; r < 4; r++)
            for (int p = 0; p < 3; p++) acc[r][p] = _mm256_setzero_si256();
        for (int pair = 0; pair < depth / 2; pair++) {
            __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + (size_t)pair * 16));
            __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + ws + (size_t)pair * 16));
            __m256i w2 = _mm256_loadu_si256((const __m256i *)(w + 2 * (size_t)ws + (size_t)pair * 16));
            for (int r = 0; r < 4; r++) {
                __m256i b = _mm256_set1_epi32(load_i32(x + (size_t)r * xs + 2 * pair));
                acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(b, w0));
                acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(b, w1));
                acc[r][2] = _mm256_add_epi32(acc[r][2], _mm256_madd_epi16(b, w2));
            }
        }
        for (int r = 0; r < 4; r++)
            for (int p = 0; p < 3; p++) _mm256_storeu_si256((__m256i *)(out[r] + 8 * p), acc[r][p]);
        return;
    }
    for (int r = 0; r < rows; r++) {
        for (int p = 0; p < panels; p++) {
            __m256i acc = _mm256_setzero_si256();
            for (int pair = 0; pair < depth / 2; pair++) {
                __m256i b = _mm256_set1_epi32(load_i32(x + (size_t)r * xs + 2 * pair));
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(b, _mm256_loadu_si256((const __m256i *)(w + (size_t)p * ws + (size_t)pair * 16))));
            }
            _mm256_storeu_si256((__m256i *)(out[r] + 8 * p), acc);
        }
    }
}

AVX2_TARGET static void gemm_avx2(const int16_t *xq, const float *rs, int m, int k, const int16_t *w, const float *cs, int n, float *y, int ldy) {
    int depth = padded_depth(AUGPRO_I8_AVX2, k);
    int panels = (n + 7) / 8;
    int32_t out[4][24];
    for (int first = 0; first < m; first += ROW_BLOCK) {
        int last = first + ROW_BLOCK < m ? first + ROW_BLOCK : m;
        for (int p = 0; p < panels; p += 3) {
            int count = panels - p < 3 ? panels - p : 3;
            for (int row = first; row < last; row += 4) {
                int rows = last - row < 4 ? last - row : 4;
                avx2_block(xq + (size_t)row * depth, depth, rows, w + (size_t)p * 8 * depth, 8 * depth, count, depth, out);
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < 8 * count && p * 8 + c < n; c++)
                        y[(size_t)(row + r) * ldy + p * 8 + c] = scaled(out[r][c], rs[row + r], cs[p * 8 + c]);
            }
        }
    }
}

/* AVX-512 VNNI: 8 rows × 2 panels of 16 columns; each step multiplies a broadcast quad of
 * u8 activations (q + 128) with 16 columns' quads of s8 weights (vpdpbusd). */
VNNI_TARGET static void vnni_block(const uint8_t *x, int xs, int rows, const int8_t *w, int ws, int panels, int depth, int32_t out[8][32]) {
    if (rows == 8 && panels == 2) {
        __m512i acc[8][2];
        for (int r = 0; r < 8; r++)
            for (int p = 0; p < 2; p++) acc[r][p] = _mm512_setzero_si512();
        for (int quad = 0; quad < depth / 4; quad++) {
            __m512i w0 = _mm512_loadu_si512((const void *)(w + (size_t)quad * 64));
            __m512i w1 = _mm512_loadu_si512((const void *)(w + ws + (size_t)quad * 64));
            for (int r = 0; r < 8; r++) {
                __m512i b = _mm512_set1_epi32(load_i32(x + (size_t)r * xs + 4 * quad));
                acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], b, w0);
                acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], b, w1);
            }
        }
        for (int r = 0; r < 8; r++)
            for (int p = 0; p < 2; p++) _mm512_storeu_si512((void *)(out[r] + 16 * p), acc[r][p]);
        return;
    }
    for (int r = 0; r < rows; r++) {
        for (int p = 0; p < panels; p++) {
            __m512i acc = _mm512_setzero_si512();
            for (int quad = 0; quad < depth / 4; quad++) {
                __m512i b = _mm512_set1_epi32(load_i32(x + (size_t)r * xs + 4 * quad));
                acc = _mm512_dpbusd_epi32(acc, b, _mm512_loadu_si512((const void *)(w + (size_t)p * ws + (size_t)quad * 64)));
            }
            _mm512_storeu_si512((void *)(out[r] + 16 * p), acc);
        }
    }
}

VNNI_TARGET static void gemm_vnni(const uint8_t *xq, const float *rs, int m, int k, const int8_t *w, const float *cs, const int32_t *sums, int n, float *y, int ldy) {
    int depth = padded_depth(AUGPRO_I8_AVX512_VNNI, k);
    int panels = (n + 15) / 16;
    int32_t out[8][32];
    for (int first = 0; first < m; first += ROW_BLOCK) {
        int last = first + ROW_BLOCK < m ? first + ROW_BLOCK : m;
        for (int p = 0; p < panels; p += 2) {
            int count = panels - p < 2 ? panels - p : 2;
            for (int row = first; row < last; row += 8) {
                int rows = last - row < 8 ? last - row : 8;
                vnni_block(xq + (size_t)row * depth, depth, rows, w + (size_t)p * 16 * depth, 16 * depth, count, depth, out);
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < 16 * count && p * 16 + c < n; c++) {
                        int column = p * 16 + c;
                        y[(size_t)(row + r) * ldy + column] = scaled(out[r][c] - 128 * sums[column], rs[row + r], cs[column]);
                    }
            }
        }
    }
}
#endif

void augpro_i8_gemm(int kernel, const void *xq, const float *row_scales, int m, int k,
                    const void *packed, const float *column_scales, const int32_t *column_sums,
                    int n, float *y, int ldy) {
#ifdef AUGPRO_X86
    if (kernel == AUGPRO_I8_AVX2) {
        gemm_avx2((const int16_t *)xq, row_scales, m, k, (const int16_t *)packed, column_scales, n, y, ldy);
        return;
    }
    if (kernel == AUGPRO_I8_AVX512_VNNI) {
        gemm_vnni((const uint8_t *)xq, row_scales, m, k, (const int8_t *)packed, column_scales, column_sums, n, y, ldy);
        return;
    }
#endif
    (void)column_sums;
    gemm_portable((const int8_t *)xq, row_scales, m, k, (const int8_t *)packed, column_scales, n, y, ldy);
}
