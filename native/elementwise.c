/*
 * Element-wise kernels: exp and tanh (mathf.h) in loops the compiler vectorizes — the wasm build's
 * std::exp / std::tanh are scalar calls, 10-20 ns per element — and the fused AdamW update.
 */
#include <math.h>

#include "kernels.h"
#include "mathf.h"
#include "simd.h"

NEP_HOT static void exp_loop(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = nep_expf(x[i]);
}

NEP_HOT static void tanh_loop(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = nep_tanhf(x[i]);
}

struct unary {
  const float *x;
  float *y;
};

static void exp_range(void *ctx, size_t begin, size_t end) {
  struct unary *u = ctx;
  exp_loop(u->x + begin, u->y + begin, end - begin);
}

static void tanh_range(void *ctx, size_t begin, size_t end) {
  struct unary *u = ctx;
  tanh_loop(u->x + begin, u->y + begin, end - begin);
}

void nep_exp(const float *x, float *y, size_t n) {
  struct unary u = {x, y};
  nep_parallel(exp_range, &u, n, NEP_PARALLEL_MIN);
}

void nep_tanh(const float *x, float *y, size_t n) {
  struct unary u = {x, y};
  nep_parallel(tanh_range, &u, n, NEP_PARALLEL_MIN);
}

/*
 * torch.optim.AdamW's update, in tfjs's float32 order (src/worker/unlearn/optim/adamw.ts), on the
 * gradient scaled by the global-norm clip factor (g = g_raw · scale):
 *   m' = m b1 + g (1 - b1);  v' = v b2 + g² (1 - b2)
 *   p' = p (1 - lr wd) - ((m' / c1) / (sqrt(v' / c2) + eps)) lr
 * c holds the float32 constants b1, 1 - b1, b2, 1 - b2, c1, c2, eps, lr, 1 - lr wd, scale.
 */
NEP_HOT static void adamw_loop(const float *restrict p, const float *restrict g,
                              const float *restrict m, const float *restrict v,
                              float *restrict p_out, float *restrict m_out, float *restrict v_out,
                              size_t n, const float *restrict c) {
  const float b1 = c[0], one_b1 = c[1], b2 = c[2], one_b2 = c[3], c1 = c[4], c2 = c[5];
  const float eps = c[6], lr = c[7], decay = c[8], scale = c[9];
  for (size_t i = 0; i < n; i++) {
    float gi = g[i] * scale; /* the clipped gradient, as g.mul(scale) */
    float mi = m[i] * b1 + gi * one_b1;
    float vi = v[i] * b2 + (gi * gi) * one_b2;
    float update = ((mi / c1) / (sqrtf(vi / c2) + eps)) * lr;
    m_out[i] = mi;
    v_out[i] = vi;
    p_out[i] = p[i] * decay - update;
  }
}

struct adamw {
  const float *p, *g, *m, *v;
  float *p_out, *m_out, *v_out;
  const float *c;
};

static void adamw_range(void *ctx, size_t b, size_t e) {
  struct adamw *a = ctx;
  adamw_loop(a->p + b, a->g + b, a->m + b, a->v + b, a->p_out + b, a->m_out + b, a->v_out + b,
             e - b, a->c);
}

void nep_adamw(const float *p, const float *g, const float *m, const float *v, float *p_out,
               float *m_out, float *v_out, size_t n, const float *c) {
  struct adamw a = {p, g, m, v, p_out, m_out, v_out, c};
  nep_parallel(adamw_range, &a, n, NEP_PARALLEL_MIN);
}

/*
 * y = a op b[i mod bn] over n floats (bn divides n): same shapes (bn = n), a scalar (bn = 1) or
 * a trailing-axes broadcast such as a bias row. op 0 add, 1 sub, 2 mul, 3 div. y may be a.
 */
struct binary {
  const float *a, *b;
  float *y;
  size_t bn;
  int op;
};

#define NEP_BINARY_LOOP(EXPR)                                                   \
  do {                                                                          \
    if (bn == 1) {                                                              \
      const float bv = b[0];                                                    \
      for (size_t i = begin; i < end; i++) { float x = a[i], z = bv; y[i] = (EXPR); } \
    } else {                                                                    \
      size_t i = begin;                                                         \
      while (i < end) {                                                         \
        size_t j = i % bn, run = bn - j < end - i ? bn - j : end - i;           \
        const float *bb = b + j - i;                                            \
        for (size_t e = i + run; i < e; i++) { float x = a[i], z = bb[i]; y[i] = (EXPR); } \
      }                                                                         \
    }                                                                           \
  } while (0)

NEP_HOT static void binary_range(void *ctx, size_t begin, size_t end) {
  const struct binary *s = ctx;
  const float *a = s->a, *b = s->b;
  float *y = s->y;
  size_t bn = s->bn;
  switch (s->op) {
    case 0: NEP_BINARY_LOOP(x + z); break;
    case 1: NEP_BINARY_LOOP(x - z); break;
    case 2: NEP_BINARY_LOOP(x * z); break;
    default: NEP_BINARY_LOOP(x / z); break;
  }
}

void nep_binary(int op, const float *a, const float *b, float *y, size_t n, size_t bn) {
  struct binary s = {a, b, y, bn, op};
  nep_parallel(binary_range, &s, n, NEP_PARALLEL_MIN);
}

/* Row broadcast: y row r = a row ai[r] op b row bi[r], rows of `width` floats. */
struct binary_rows {
  const float *a, *b;
  float *y;
  const int32_t *ai, *bi;
  size_t width;
  int op;
};

NEP_HOT static void binary_rows_range(void *ctx, size_t begin, size_t end) {
  const struct binary_rows *s = ctx;
  size_t w = s->width;
  for (size_t r = begin; r < end; r++) {
    const float *x = s->a + (size_t)s->ai[r] * w, *z = s->b + (size_t)s->bi[r] * w;
    float *y = s->y + r * w;
    switch (s->op) {
      case 0: for (size_t j = 0; j < w; j++) y[j] = x[j] + z[j]; break;
      case 1: for (size_t j = 0; j < w; j++) y[j] = x[j] - z[j]; break;
      case 2: for (size_t j = 0; j < w; j++) y[j] = x[j] * z[j]; break;
      default: for (size_t j = 0; j < w; j++) y[j] = x[j] / z[j]; break;
    }
  }
}

void nep_binary_rows(int op, const float *a, const int32_t *ai, const float *b, const int32_t *bi,
                     float *y, size_t rows, size_t width) {
  struct binary_rows s = {a, b, y, ai, bi, width, op};
  nep_parallel(binary_rows_range, &s, rows, width > 0 ? NEP_PARALLEL_MIN / width + 1 : rows + 1);
}
