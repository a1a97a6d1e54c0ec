/*
 * SAU's per-step work on a masked weight (src/worker/unlearn/sparsity/), one or two passes each
 * instead of a dozen tfjs kernels with a full-size temporary each (at the Qwen2.5-0.5B shape the
 * composition took most of SAU's extra step time: bench/RESULTS.md "SAU on the native kernels").
 * Weights are [in, out] row-major; an output i is a column.
 *
 * Importance redistribution, with s the importance (Wanda: |w_ji|·xnorm_j, Fisher: g_ji²):
 *   lost_i = Σ_j (1 − m_ji)|g_ji|,  kept_i = Σ_j m_ji s_ji          (double accumulators)
 *   r_i    = kept_i > 0 ? λ·lost_i / kept_i : 0
 *   out_ji = m_ji·(g_ji + sign(g_ji)·s_ji·r_i)
 * Mask keep: out = m ≠ 0 ? w : +0 (exactly zero where pruned, as tf.where).
 */
#include <math.h>
#include <stdlib.h>

#include "kernels.h"
#include "simd.h"

struct importance {
  const float *g, *m, *w, *xnorm; /* w and xnorm NULL: Fisher */
  float *out;
  double *lost, *kept;
  size_t in, width;
  float lambda;
};

static inline float score(const struct importance *k, size_t j, size_t at) {
  if (k->xnorm == NULL) return k->g[at] * k->g[at];
  return fabsf(k->w[at]) * k->xnorm[j];
}

static inline float sign_of(float x) { return (float)((x > 0.0f) - (x < 0.0f)); }

/* Columns [begin, end) over every row: both passes, so a thread owns its columns' sums. */
NEP_HOT static void importance_range(void *ctx, size_t begin, size_t end) {
  const struct importance *k = ctx;
  const size_t width = k->width;
  for (size_t i = begin; i < end; i++) k->lost[i] = k->kept[i] = 0.0;
  for (size_t j = 0; j < k->in; j++) {
    const size_t row = j * width;
    for (size_t i = begin; i < end; i++) {
      const float m = k->m[row + i];
      k->lost[i] += (double)((1.0f - m) * fabsf(k->g[row + i]));
      k->kept[i] += (double)(m * score(k, j, row + i));
    }
  }
  for (size_t i = begin; i < end; i++)
    k->lost[i] = k->kept[i] > 0.0 ? (double)k->lambda * k->lost[i] / k->kept[i] : 0.0;
  for (size_t j = 0; j < k->in; j++) {
    const size_t row = j * width;
    for (size_t i = begin; i < end; i++) {
      const float g = k->g[row + i];
      const float bonus = sign_of(g) * score(k, j, row + i) * (float)k->lost[i];
      k->out[row + i] = k->m[row + i] * (g + bonus);
    }
  }
}

int nep_sau_importance(const float *g, const float *m, const float *w, const float *xnorm,
                       float lambda, size_t in, size_t out_width, float *out) {
  double *sums = malloc(2 * (out_width > 0 ? out_width : 1) * sizeof(double));
  if (sums == NULL) return -1;
  struct importance k = {g, m, w, xnorm, out, sums, sums + out_width, in, out_width, lambda};
  size_t min_columns = in > 0 ? NEP_PARALLEL_MIN / in + 1 : out_width;
  nep_parallel(importance_range, &k, out_width, min_columns);
  free(sums);
  return 0;
}

struct keep {
  const float *w, *m;
  float *out;
};

NEP_HOT static void keep_range(void *ctx, size_t begin, size_t end) {
  const struct keep *k = ctx;
  for (size_t i = begin; i < end; i++) k->out[i] = k->m[i] != 0.0f ? k->w[i] : 0.0f;
}

void nep_mask_keep(const float *w, const float *m, float *out, size_t n) {
  struct keep k = {w, m, out};
  nep_parallel(keep_range, &k, n, NEP_PARALLEL_MIN);
}
