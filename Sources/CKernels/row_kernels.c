#include "row_kernels.h"

#include <stdint.h>
#include <string.h>

/* Σ values with 8 partial sums (vectorisable without reassociation flags). */
static inline float sum8(const float *v, int n) {
    float a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int lane = 0; lane < 8; lane++) a[lane] += v[i + lane];
    float s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    for (; i < n; i++) s += v[i];
    return s;
}

/* Σ (values − mean)² with 8 partial sums. */
static inline float centred_squares8(const float *v, int n, float mean) {
    float a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int i = 0;
    for (; i + 8 <= n; i += 8)
        for (int lane = 0; lane < 8; lane++) {
            float c = v[i + lane] - mean;
            a[lane] += c * c;
        }
    float s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    for (; i < n; i++) {
        float c = v[i] - mean;
        s += c * c;
    }
    return s;
}

void augpro_bias_residual_layer_norm(float *x, const float *bias, const float *residual, int rows, int width,
                                     const float *scale, const float *shift, float epsilon) {
    float inverse_width = 1.0f / (float)width;
    for (int row = 0; row < rows; row++) {
        float *v = x + (size_t)row * width;
        const float *r = residual ? residual + (size_t)row * width : NULL;
        if (bias && r) {
            for (int j = 0; j < width; j++) v[j] = (v[j] + bias[j]) + r[j];
        } else if (bias) {
            for (int j = 0; j < width; j++) v[j] += bias[j];
        } else if (r) {
            for (int j = 0; j < width; j++) v[j] += r[j];
        }
        float mean = sum8(v, width) * inverse_width;
        float variance = centred_squares8(v, width, mean) * inverse_width;
        float inverse_deviation = 1.0f / __builtin_sqrtf(variance + epsilon);
        for (int j = 0; j < width; j++) v[j] = (v[j] - mean) * inverse_deviation * scale[j] + shift[j];
    }
}

/* erf on [-4, 4] (Eigen's float rational approximation; the same constants as Kernels.erf32). */
static inline float erf_approx(float input) {
    float x = input < -4.0f ? -4.0f : (input > 4.0f ? 4.0f : input);
    float x2 = x * x;
    float p = -2.7261422e-10f;
    p = p * x2 + 2.7706814e-08f;
    p = p * x2 - 2.1010240e-06f;
    p = p * x2 - 5.6925064e-05f;
    p = p * x2 - 7.3499063e-04f;
    p = p * x2 - 2.9546000e-03f;
    p = p * x2 - 1.6096033e-02f;
    float q = -1.4566072e-05f;
    q = q * x2 - 2.1337406e-04f;
    q = q * x2 - 1.6828270e-03f;
    q = q * x2 - 7.3733292e-03f;
    q = q * x2 - 1.4264739e-02f;
    return x * p / q;
}

void augpro_bias_gelu(float *x, const float *bias, int rows, int width) {
    const float inverse_root_two = 0.70710678118654752f;
    for (int row = 0; row < rows; row++) {
        float *v = x + (size_t)row * width;
        for (int j = 0; j < width; j++) {
            float value = bias ? v[j] + bias[j] : v[j];
            v[j] = 0.5f * value * (1.0f + erf_approx(value * inverse_root_two));
        }
    }
}

/* e^x: x = n·ln2 + r (n by the 1.5·2²³ rounding trick), a degree-6 polynomial in r (Cephes'
 * expf coefficients), 2ⁿ through the exponent bits; relative error ≈ 1e-7 on [-87.3, 88.7]. */
static inline float exp_approx(float input) {
    const float magic = 12582912.0f;
    float x = input < -87.3f ? -87.3f : (input > 88.7f ? 88.7f : input);
    float shifted = x * 1.44269504f + magic;
    float n = shifted - magic;
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    int32_t exponent = (bits - 0x4B400000 + 127) << 23;
    float power;
    memcpy(&power, &exponent, sizeof power);
    return p * power;
}

void augpro_softmax_rows(float *x, int rows, int width) {
    for (int row = 0; row < rows; row++) {
        float *v = x + (size_t)row * width;
        float largest = v[0];
        for (int j = 1; j < width; j++) largest = v[j] > largest ? v[j] : largest;
        for (int j = 0; j < width; j++) v[j] = exp_approx(v[j] - largest);
        float inverse = 1.0f / sum8(v, width);
        for (int j = 0; j < width; j++) v[j] *= inverse;
    }
}
