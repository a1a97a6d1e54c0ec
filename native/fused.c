/*
 * Fused layers, forward and backward, so that a transformer block's element-wise work is one pass
 * each instead of a dozen tfjs kernels with a temporary each:
 *
 * GELU, tanh form (HF NewGELUActivation), in the float32 order of the tfjs composition
 * (src/worker/model/architectures/ops.ts geluTanh):
 *   u = (x + ((x x) x) 0.044715) k,  k = sqrt(2/pi);   y = (x (tanh(u) + 1)) 0.5
 *   dy/dx = 0.5 (1 + t) + 0.5 x (1 - t²) k (1 + 3 · 0.044715 x²),  t = tanh(u)
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

NEP_HOT void nep_gelu_tanh(const float *restrict x, float *restrict y, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float xi = x[i];
    float u = (xi + ((xi * xi) * xi) * GELU_A) * GELU_K;
    y[i] = (xi * (nep_tanhf(u) + 1.0f)) * 0.5f;
  }
}

NEP_HOT void nep_gelu_tanh_grad(const float *restrict x, const float *restrict dy,
                                float *restrict dx, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float xi = x[i];
    float x2 = xi * xi;
    float t = nep_tanhf((xi + (x2 * xi) * GELU_A) * GELU_K);
    float du = GELU_K * (1.0f + 3.0f * GELU_A * x2);
    dx[i] = dy[i] * (0.5f * (1.0f + t) + 0.5f * xi * (1.0f - t * t) * du);
  }
}

NEP_HOT void nep_layer_norm(const float *restrict x, const float *restrict w,
                            const float *restrict b, float *restrict y, float *restrict mean_out,
                            float *restrict rstd_out, size_t rows, size_t c, float eps) {
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
