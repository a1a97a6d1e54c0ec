/*
 * Attention's softmax over the last axis with the additive causal mask folded in, and its
 * gradient, in the float32 order of tfjs's Softmax kernel and gradient:
 *   forward   v = x + mask[row % t]  (mask (t, s), or none),  y = exp(v - max v) / sum exp(v - max v)
 *   backward  p = dy y,  dx = p - (sum p) y
 */
#include <math.h>

#include "kernels.h"
#include "mathf.h"
#include "simd.h"

NEP_HOT void nep_masked_softmax(const float *restrict x, const float *restrict mask,
                                float *restrict y, size_t rows, size_t s, size_t t) {
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * s;
    const float *mr = mask != NULL ? mask + (r % t) * s : NULL;
    float *yr = y + r * s;
    float best = -INFINITY;
    for (size_t i = 0; i < s; i++) {
      float v = mr != NULL ? xr[i] + mr[i] : xr[i];
      yr[i] = v;
      best = v > best ? v : best;
    }
    for (size_t i = 0; i < s; i++) yr[i] = nep_expf(yr[i] - best);
    float total = nep_row_sum(yr, s);
    for (size_t i = 0; i < s; i++) yr[i] = yr[i] / total;
  }
}

NEP_HOT void nep_softmax_grad(const float *restrict y, const float *restrict dy, float *restrict dx,
                              size_t rows, size_t s) {
  for (size_t r = 0; r < rows; r++) {
    const float *yr = y + r * s;
    const float *dyr = dy + r * s;
    float *dxr = dx + r * s;
    for (size_t i = 0; i < s; i++) dxr[i] = dyr[i] * yr[i];
    float total = nep_row_sum(dxr, s);
    for (size_t i = 0; i < s; i++) dxr[i] = dxr[i] - total * yr[i];
  }
}
