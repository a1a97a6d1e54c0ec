/*
 * Attention's softmax over the last axis with the additive causal mask folded in, and its
 * gradient, in the float32 order of tfjs's Softmax kernel and gradient:
 *   forward   v = x + mask row m(r)  (or none),  y = exp(v - max v) / sum exp(v - max v)
 *             m(r) = r % t with one (t, s) mask for every row (group 0); with a mask per batch
 *             row, (B, t, s) for x (B, group, t, s), m(r) = (r / (t·group))·t + r % t
 *   backward  p = dy y,  dx = p - (sum p) y
 */
#include <math.h>

#include "kernels.h"
#include "mathf.h"
#include "simd.h"

NEP_HOT static void masked_softmax_rows(const float *restrict x, const float *restrict mask,
                                        float *restrict y, size_t r0, size_t r1, size_t s,
                                        size_t t, size_t group) {
  for (size_t r = r0; r < r1; r++) {
    const float *xr = x + r * s;
    size_t m = group == 0 ? r % t : (r / (t * group)) * t + r % t;
    const float *mr = mask != NULL ? mask + m * s : NULL;
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

NEP_HOT static void softmax_grad_rows(const float *restrict y, const float *restrict dy,
                                      float *restrict dx, size_t r0, size_t r1, size_t s) {
  for (size_t r = r0; r < r1; r++) {
    const float *yr = y + r * s;
    const float *dyr = dy + r * s;
    float *dxr = dx + r * s;
    for (size_t i = 0; i < s; i++) dxr[i] = dyr[i] * yr[i];
    float total = nep_row_sum(dxr, s);
    for (size_t i = 0; i < s; i++) dxr[i] = dxr[i] - total * yr[i];
  }
}

struct softmax {
  const float *x, *mask, *dy;
  float *out;
  size_t s, t, group;
};

static void masked_softmax_range(void *ctx, size_t r0, size_t r1) {
  struct softmax *m = ctx;
  masked_softmax_rows(m->x, m->mask, m->out, r0, r1, m->s, m->t, m->group);
}

static void softmax_grad_range(void *ctx, size_t r0, size_t r1) {
  struct softmax *m = ctx;
  softmax_grad_rows(m->x, m->dy, m->out, r0, r1, m->s);
}

void nep_masked_softmax(const float *x, const float *mask, float *y, size_t rows, size_t s,
                        size_t t, size_t group) {
  struct softmax m = {x, mask, NULL, y, s, t, group};
  nep_parallel(masked_softmax_range, &m, rows, NEP_PARALLEL_MIN / (s > 0 ? s : 1) + 1);
}

void nep_softmax_grad(const float *y, const float *dy, float *dx, size_t rows, size_t s) {
  struct softmax m = {y, NULL, dy, dx, s, 1, 0};
  nep_parallel(softmax_grad_range, &m, rows, NEP_PARALLEL_MIN / (s > 0 ? s : 1) + 1);
}
