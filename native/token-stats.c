/*
 * Teacher-forced next-token statistics per row of logits z (n, v) and integer targets t (n),
 * what the per-token metrics read (src/worker/metrics/token-stats.ts), in two passes over a row
 * and without any (n, v) output:
 *   pass 1  m = max z, a = the lowest index holding it (tf.argMax's tie rule)
 *   pass 2  with d = z − m and e = exp(d), in double: s = Σ e, A = Σ e·d, Q = Σ e·d²
 *   out (n, 4) = [ log p(t) = d[t] − log s,  a == t,
 *                  μ = Σ p log p = A/s − log s,  σ = sqrt(max(0, Q/s − (A/s)²)) ]
 * (σ² is the variance of log p under p, which a shift by log s does not change.) The doubles
 * keep Q/s − (A/s)² accurate to about 1e-14 of Q/s, far inside float32's resolution of μ.
 */
#include <math.h>

#include "kernels.h"
#include "mathf.h"

static void stats_row(const float *z, int32_t t, float *out, size_t v) {
  float m = -INFINITY;
  size_t a = 0;
  for (size_t i = 0; i < v; i++)
    if (z[i] > m) {
      m = z[i];
      a = i;
    }
  double s = 0, sa = 0, sq = 0;
  for (size_t i = 0; i < v; i++) {
    float d = z[i] - m;
    double e = (double)nep_expf(d);
    s += e;
    sa += e * d;
    sq += e * d * (double)d;
  }
  double log_s = log(s);
  double mean = sa / s;
  double variance = sq / s - mean * mean;
  out[0] = (float)((double)(z[t] - m) - log_s);
  out[1] = a == (size_t)t ? 1.0f : 0.0f;
  out[2] = (float)(mean - log_s);
  out[3] = (float)sqrt(variance > 0 ? variance : 0);
}

struct token_stats {
  const float *z;
  const int32_t *targets;
  float *out;
  size_t v;
};

static void token_stats_range(void *ctx, size_t r0, size_t r1) {
  struct token_stats *x = ctx;
  for (size_t r = r0; r < r1; r++)
    stats_row(x->z + r * x->v, x->targets[r], x->out + 4 * r, x->v);
}

long nep_token_stats(const float *z, const int32_t *targets, float *out, size_t n, size_t v) {
  for (size_t r = 0; r < n; r++)
    if (targets[r] < 0 || (size_t)targets[r] >= v) return (long)r;
  struct token_stats x = {z, targets, out, v};
  nep_parallel(token_stats_range, &x, n, NEP_PARALLEL_MIN / (v > 0 ? v : 1) + 1);
  return -1;
}
