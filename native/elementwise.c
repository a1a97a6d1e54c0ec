/*
 * Element-wise kernels: exp and tanh written so the compiler vectorizes them (the wasm build's
 * std::exp / std::tanh are scalar calls, 10-20 ns per element), and the fused AdamW update.
 *
 * exp: Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, and Cephes' degree-6 polynomial
 * for exp(r) (about 1 ulp in float32), scaled by 2^n through the exponent bits (two factors, so
 * subnormal results come out right). Below -104 the result is 0, above log(FLT_MAX) +inf, NaN
 * stays NaN.
 * tanh: Cephes' odd polynomial for |x| < 0.625, else 1 - 2 / (exp(2|x|) + 1) with the sign.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "simd.h"

static inline float exp_core(float x) {
  /* x is already inside [EXP_LOW, EXP_HIGH]. */
  const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
  float n = (x * 1.44269504088896341f + magic) - magic;
  float r = x - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  /* 2^n as two factors 2^h 2^(n-h): each stays a normal float for n in [-150, 128]. */
  int32_t whole = (int32_t)n;
  int32_t half = whole >> 1;
  int32_t bits1 = (half + 127) << 23, bits2 = (whole - half + 127) << 23;
  float scale1, scale2;
  memcpy(&scale1, &bits1, sizeof scale1);
  memcpy(&scale2, &bits2, sizeof scale2);
  return (p * scale1) * scale2;
}

#define EXP_LOW -104.0f  /* exp below this is under half the smallest subnormal: 0 */
#define EXP_HIGH 88.7228f /* log(FLT_MAX) */

static inline float nep_expf(float x) {
  float c = x < EXP_LOW ? EXP_LOW : (x > EXP_HIGH ? EXP_HIGH : x);
  float y = exp_core(c);
  y = x < EXP_LOW ? 0.0f : y;
  y = x > EXP_HIGH ? INFINITY : y;
  return x != x ? x : y;
}

static inline float nep_tanhf(float x) {
  float a = fabsf(x);
  float z = x * x;
  float small = ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) * z +
                  1.33314422036e-1f) * z - 3.33332819422e-1f) * z * x + x;
  float twice = 2.0f * a;
  float e = exp_core(twice > 88.0f ? 88.0f : twice);
  float large = 1.0f - 2.0f / (e + 1.0f);
  large = x < 0.0f ? -large : large;
  float y = a < 0.625f ? small : large;
  return x != x ? x : y;
}

NEP_HOT void nep_exp(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = nep_expf(x[i]);
}

NEP_HOT void nep_tanh(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = nep_tanhf(x[i]);
}

/*
 * torch.optim.AdamW's update, in tfjs's float32 order (src/worker/unlearn/optim/adamw.ts):
 *   m' = m b1 + g (1 - b1);  v' = v b2 + g² (1 - b2)
 *   p' = p (1 - lr wd) - ((m' / c1) / (sqrt(v' / c2) + eps)) lr
 * c holds the float32 constants b1, 1 - b1, b2, 1 - b2, c1, c2, eps, lr, 1 - lr wd.
 */
NEP_HOT void nep_adamw(const float *restrict p, const float *restrict g, const float *restrict m,
                       const float *restrict v, float *restrict p_out, float *restrict m_out,
                       float *restrict v_out, size_t n, const float *restrict c) {
  const float b1 = c[0], one_b1 = c[1], b2 = c[2], one_b2 = c[3], c1 = c[4], c2 = c[5];
  const float eps = c[6], lr = c[7], decay = c[8];
  for (size_t i = 0; i < n; i++) {
    float gi = g[i];
    float mi = m[i] * b1 + gi * one_b1;
    float vi = v[i] * b2 + (gi * gi) * one_b2;
    float update = ((mi / c1) / (sqrtf(vi / c2) + eps)) * lr;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = p[i] * decay - update;
  }
}
