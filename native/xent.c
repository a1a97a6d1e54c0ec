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

static void xent_forward_rows(const float *z, const int32_t *targets, float *loss, float *e,
                              float *s, size_t r0, size_t r1, size_t v) {
  for (size_t r = r0; r < r1; r++) {
    int32_t t = targets[r];
    const float *zr = z + r * v;
    float *er = e + r * v;
    float m = row_max(zr, v);
    shifted_exp(zr, er, v, m);
    float sum = nep_row_sum(er, v);
    s[r] = sum;
    loss[r] = (m + logf(sum)) - zr[t];
  }
}

struct xent {
  const float *z, *e, *s, *dy;
  const int32_t *targets;
  float *loss, *e_out, *s_out, *dz;
  size_t v;
};

static void xent_forward_range(void *ctx, size_t r0, size_t r1) {
  struct xent *x = ctx;
  xent_forward_rows(x->z, x->targets, x->loss, x->e_out, x->s_out, r0, r1, x->v);
}

long nep_xent_forward(const float *z, const int32_t *targets, float *loss, float *e, float *s,
                      size_t n, size_t v) {
  for (size_t r = 0; r < n; r++)
    if (targets[r] < 0 || (size_t)targets[r] >= v) return (long)r;
  struct xent x = {z, NULL, NULL, NULL, targets, loss, e, s, NULL, v};
  nep_parallel(xent_forward_range, &x, n, NEP_PARALLEL_MIN / (v > 0 ? v : 1) + 1);
  return -1;
}

NEP_HOT static void scale_row(const float *restrict e, float *restrict dz, size_t v, float k) {
  for (size_t i = 0; i < v; i++) dz[i] = e[i] * k;
}

static void xent_backward_range(void *ctx, size_t r0, size_t r1) {
  struct xent *x = ctx;
  size_t v = x->v;
  for (size_t r = r0; r < r1; r++) {
    scale_row(x->e + r * v, x->dz + r * v, v, x->dy[r] / x->s[r]);
    x->dz[r * v + (size_t)x->targets[r]] -= x->dy[r];
  }
}

void nep_xent_backward(const float *e, const float *s, const int32_t *targets, const float *dy,
                       float *dz, size_t n, size_t v) {
  struct xent x = {NULL, e, s, dy, targets, NULL, NULL, NULL, dz, v};
  nep_parallel(xent_backward_range, &x, n, NEP_PARALLEL_MIN / (v > 0 ? v : 1) + 1);
}
