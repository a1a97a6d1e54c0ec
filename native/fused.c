/*
 * Fused layers, forward and backward, so that a transformer block's element-wise work is one pass
 * each instead of a dozen tfjs kernels with a temporary each:
 *
 * GELU, tanh form (HF NewGELUActivation), in the float32 order of the tfjs composition
 * (src/worker/model/architectures/ops.ts geluTanh):
 *   u = (x + ((x x) x) 0.044715) k,  k = sqrt(2/pi);   y = (x (tanh(u) + 1)) 0.5
 *   dy/dx = 0.5 (1 + t) + 0.5 x (1 - t²) k (1 + 3 · 0.044715 x²),  t = tanh(u)
 *
 * SwiGLU (Llama's MLP, HF LlamaMLP): y = silu(g) u, silu(g) = g sigma(g), sigma(g) = 1/(1+exp(-g))
 *   dg = dy u sigma (1 + g (1 - sigma)),  du = dy silu(g)
 *
 * RMSNorm (HF LlamaRMSNorm): y = (x rstd) w, rstd = 1 / sqrt(mean(x²) + eps) per row
 *   backward xhat = x rstd, g = dy w, dx = rstd (g - xhat mean(g xhat)), dw = sum_rows dy xhat
 *
 * LayerNorm over the last axis (torch.nn.LayerNorm, biased variance), rows of length c:
 *   forward  y = (x - mean) rstd w + b, rstd = 1 / sqrt(var + eps); mean and rstd kept per row
 *   backward xhat = (x - mean) rstd, g = dy w,
 *            dx = rstd (g - mean(g) - xhat mean(g xhat)), dw = sum_rows dy xhat, db = sum_rows dy
 */
#include <math.h>

#include "kernels.h"
#include "mathf.h"
#include "simd.h"

#define GELU_K 0.7978845608028654f
#define GELU_A 0.044715f

NEP_HOT static void gelu_loop(const float *restrict x, float *restrict y, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float xi = x[i];
    float u = (xi + ((xi * xi) * xi) * GELU_A) * GELU_K;
    y[i] = (xi * (nep_tanhf(u) + 1.0f)) * 0.5f;
  }
}

NEP_HOT static void gelu_grad_loop(const float *restrict x, const float *restrict dy,
                                   float *restrict dx, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float xi = x[i];
    float x2 = xi * xi;
    float t = nep_tanhf((xi + (x2 * xi) * GELU_A) * GELU_K);
    float du = GELU_K * (1.0f + 3.0f * GELU_A * x2);
    dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * xi * (1.0f - t * t) * du);
  }
}

NEP_HOT static void layer_norm_rows(const float *restrict x, const float *restrict w,
                                    const float *restrict b, float *restrict y,
                                    float *restrict mean_out, float *restrict rstd_out,
                                    size_t rows, size_t c, float eps) {
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    float *yr = y + r * c;
    float mean = nep_row_sum(xr, c) / (float)c;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= c; i += 8)
      for (int j = 0; j < 8; j++) {
        float d = xr[i + j] - mean;
        acc[j] += d * d;
      }
    float var = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < c; i++) var += (xr[i] - mean) * (xr[i] - mean);
    var /= (float)c;
    float rstd = 1.0f / sqrtf(var + eps);
    for (i = 0; i < c; i++) yr[i] = ((xr[i] - mean) * rstd) * w[i] + b[i];
    mean_out[r] = mean;
    rstd_out[r] = rstd;
  }
}

struct gelu {
  const float *x, *dy;
  float *out;
};

static void gelu_range(void *ctx, size_t b, size_t e) {
  struct gelu *g = ctx;
  gelu_loop(g->x + b, g->out + b, e - b);
}

static void gelu_grad_range(void *ctx, size_t b, size_t e) {
  struct gelu *g = ctx;
  gelu_grad_loop(g->x + b, g->dy + b, g->out + b, e - b);
}

void nep_gelu_tanh(const float *x, float *y, size_t n) {
  struct gelu g = {x, NULL, y};
  nep_parallel(gelu_range, &g, n, NEP_PARALLEL_MIN);
}

void nep_gelu_tanh_grad(const float *x, const float *dy, float *dx, size_t n) {
  struct gelu g = {x, dy, dx};
  nep_parallel(gelu_grad_range, &g, n, NEP_PARALLEL_MIN);
}

struct layer_norm {
  const float *x, *w, *b;
  float *y, *mean, *rstd;
  size_t c;
  float eps;
};

static void layer_norm_range(void *ctx, size_t r0, size_t r1) {
  struct layer_norm *l = ctx;
  layer_norm_rows(l->x + r0 * l->c, l->w, l->b, l->y + r0 * l->c, l->mean + r0, l->rstd + r0,
                  r1 - r0, l->c, l->eps);
}

void nep_layer_norm(const float *x, const float *w, const float *b, float *y, float *mean,
                    float *rstd, size_t rows, size_t c, float eps) {
  struct layer_norm l = {x, w, b, y, mean, rstd, c, eps};
  nep_parallel(layer_norm_range, &l, rows, NEP_PARALLEL_MIN / (c > 0 ? c : 1) + 1);
}

NEP_HOT void nep_layer_norm_grad(const float *restrict x, const float *restrict w,
                                 const float *restrict mean, const float *restrict rstd,
                                 const float *restrict dy, float *restrict dx, float *restrict dw,
                                 float *restrict db, size_t rows, size_t c) {
  for (size_t i = 0; i < c; i++) dw[i] = db[i] = 0.0f;
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    const float *dyr = dy + r * c;
    float *dxr = dx + r * c;
    float m = mean[r], s = rstd[r];
    float sum_g = 0.0f, sum_gx = 0.0f;
    for (size_t i = 0; i < c; i++) {
      float xhat = (xr[i] - m) * s;
      float g = dyr[i] * w[i];
      sum_g += g;
      sum_gx += g * xhat;
      dw[i] += dyr[i] * xhat;
      db[i] += dyr[i];
    }
    float mean_g = sum_g / (float)c, mean_gx = sum_gx / (float)c;
    for (size_t i = 0; i < c; i++) {
      float xhat = (xr[i] - m) * s;
      dxr[i] = s * ((dyr[i] * w[i] - mean_g) - xhat * mean_gx);
    }
  }
}

NEP_HOT static void swiglu_loop(const float *restrict g, const float *restrict u,
                                float *restrict y, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float gi = g[i];
    float sigma = 1.0f / (1.0f + nep_expf(-gi));
    y[i] = (gi * sigma) * u[i];
  }
}

NEP_HOT static void swiglu_grad_loop(const float *restrict g, const float *restrict u,
                                     const float *restrict dy, float *restrict dg,
                                     float *restrict du, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float gi = g[i];
    float sigma = 1.0f / (1.0f + nep_expf(-gi));
    float d = dy[i];
    dg[i] = d * u[i] * (sigma * (1.0f + gi * (1.0f - sigma)));
    du[i] = d * (gi * sigma);
  }
}

struct swiglu {
  const float *g, *u, *dy;
  float *y, *dg, *du;
};

static void swiglu_range(void *ctx, size_t b, size_t e) {
  struct swiglu *s = ctx;
  swiglu_loop(s->g + b, s->u + b, s->y + b, e - b);
}

static void swiglu_grad_range(void *ctx, size_t b, size_t e) {
  struct swiglu *s = ctx;
  swiglu_grad_loop(s->g + b, s->u + b, s->dy + b, s->dg + b, s->du + b, e - b);
}

void nep_swiglu(const float *g, const float *u, float *y, size_t n) {
  struct swiglu s = {g, u, NULL, y, NULL, NULL};
  nep_parallel(swiglu_range, &s, n, NEP_PARALLEL_MIN);
}

void nep_swiglu_grad(const float *g, const float *u, const float *dy, float *dg, float *du,
                     size_t n) {
  struct swiglu s = {g, u, dy, NULL, dg, du};
  nep_parallel(swiglu_grad_range, &s, n, NEP_PARALLEL_MIN);
}

NEP_HOT static void rms_norm_rows(const float *restrict x, const float *restrict w,
                                  float *restrict y, float *restrict rstd_out, size_t rows,
                                  size_t c, float eps) {
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    float *yr = y + r * c;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= c; i += 8)
      for (int j = 0; j < 8; j++) acc[j] += xr[i + j] * xr[i + j];
    float ss = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (; i < c; i++) ss += xr[i] * xr[i];
    float rstd = 1.0f / sqrtf(ss / (float)c + eps);
    for (i = 0; i < c; i++) yr[i] = (xr[i] * rstd) * w[i];
    rstd_out[r] = rstd;
  }
}

struct rms_norm {
  const float *x, *w;
  float *y, *rstd;
  size_t c;
  float eps;
};

static void rms_norm_range(void *ctx, size_t r0, size_t r1) {
  struct rms_norm *l = ctx;
  rms_norm_rows(l->x + r0 * l->c, l->w, l->y + r0 * l->c, l->rstd + r0, r1 - r0, l->c, l->eps);
}

void nep_rms_norm(const float *x, const float *w, float *y, float *rstd, size_t rows, size_t c,
                  float eps) {
  struct rms_norm l = {x, w, y, rstd, c, eps};
  nep_parallel(rms_norm_range, &l, rows, NEP_PARALLEL_MIN / (c > 0 ? c : 1) + 1);
}

NEP_HOT void nep_rms_norm_grad(const float *restrict x, const float *restrict w,
                               const float *restrict rstd, const float *restrict dy,
                               float *restrict dx, float *restrict dw, size_t rows, size_t c) {
  for (size_t i = 0; i < c; i++) dw[i] = 0.0f;
  for (size_t r = 0; r < rows; r++) {
    const float *xr = x + r * c;
    const float *dyr = dy + r * c;
    float *dxr = dx + r * c;
    float s = rstd[r];
    float sum_gx = 0.0f;
    for (size_t i = 0; i < c; i++) {
      float xhat = xr[i] * s;
      sum_gx += dyr[i] * w[i] * xhat;
      dw[i] += dyr[i] * xhat;
    }
    float mean_gx = sum_gx / (float)c;
    for (size_t i = 0; i < c; i++) dxr[i] = s * (dyr[i] * w[i] - (xr[i] * s) * mean_gx);
  }
}
