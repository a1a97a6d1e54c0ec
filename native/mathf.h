/*
 * exp and tanh for float32, inline and branch-free so that loops over them vectorize.
 *
 * exp: Cody-Waite range reduction x = n ln2 + r, |r| <= ln2/2, and Cephes' degree-6 polynomial
 * for exp(r) (about 1 ulp in float32), scaled by 2^n through the exponent bits (two factors, so
 * subnormal results are produced, within one subnormal step). Below -104 the result is 0, above
 * the largest float32 whose exp is finite +inf, NaN stays NaN.
 * tanh: Cephes' odd polynomial for |x| < 0.625, else 1 - 2 / (exp(2|x|) + 1) with the sign.
 */
#ifndef NEP_MATHF_H
#define NEP_MATHF_H

#include <math.h>
#include <stdint.h>
#include <string.h>

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
#define EXP_HIGH 88.72283172607422f /* the largest float32 whose exp is finite */

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

#endif
