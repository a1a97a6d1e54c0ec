/*
 * Softmax cross-entropy per row, z (n, v) and integer targets t (n), in one pass forward and one
 * backward; the same arithmetic as the tfjs composition in
 * src/worker/model/architectures/ops.ts (tokenCrossEntropy):
 *   forward   e = exp(z - max z), s = sum e, loss = (max z + log s) - z[t];  e and s are kept
 *   backward  dz = e (dy / s), then dz[t] -= dy
 */
#include <math.h>

#include "kernels.h"
#include "mathf.h"
#include "simd.h"

NEP_HOT static float row_max(const float *z, size_t v) {
  float acc[8];
  size_t i = 0;
  for (int j = 0; j < 8; j++) acc[j] = -INFINITY;
  for (; i + 8 <= v; i += 8)
    for (int j = 0; j < 8; j++) acc[j] = z[i + j] > acc[j] ? z[i + j] : acc[j];
  float best = -INFINITY;
  for (int j = 0; j < 8; j++) best = acc[j] > best ? acc[j] : best;
  for (; i < v; i++) best = z[i] > best ? z[i] : best;
  return best;
}

NEP_HOT static void shifted_exp(const float *restrict z, float *restrict e, size_t v, float shift) {
  for (size_t i = 0; i < v; i++) e[i] = nep_expf(z[i] - shift);
}

long nep_xent_forward(const float *z, const int32_t *targets, float *loss, float *e, float *s,
                      size_t n, size_t v) {
  for (size_t r = 0; r < n; r++) {
    int32_t t = targets[r];
    if (t < 0 || (size_t)t >= v) return (long)r;
    const float *zr = z + r * v;
    float *er = e + r * v;
    float m = row_max(zr, v);
    shifted_exp(zr, er, v, m);
    float sum = nep_row_sum(er, v);
    s[r] = sum;
    loss[r] = (m + logf(sum)) - zr[t];
  }
  return -1;
}

NEP_HOT static void scale_row(const float *restrict e, float *restrict dz, size_t v, float k) {
  for (size_t i = 0; i < v; i++) dz[i] = e[i] * k;
}

void nep_xent_backward(const float *e, const float *s, const int32_t *targets, const float *dy,
                       float *dz, size_t n, size_t v) {
  for (size_t r = 0; r < n; r++) {
    scale_row(e + r * v, dz + r * v, v, dy[r] / s[r]);
    dz[r * v + (size_t)targets[r]] -= dy[r];
  }
}
