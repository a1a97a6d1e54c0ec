/*
 * Bounded PEU's sine- (or tanh-) bounded LoRA update (src/worker/model/adapters/lora.ts), fused
 * into one pass over the full-size weight instead of five to eight tfjs kernels with a temporary
 * each (at the Qwen2.5-0.5B shape tfjs-cpu's JavaScript Sin and Cos alone took 16 of a bounded
 * step's 34 s: bench/RESULTS.md "Bounded on the native kernels"). m = (B·A)ᵀ, s the scale, ω the
 * frequency; in the float32 order of lora.ts's composition:
 *
 *   weight   w  = base + f(m ω) s            f = sin | tanh;  none: w = base + m s
 *   gradient w as above, and dm = (dw f′(m ω)) (s ω)       none: dm = dw s
 *            (f′ = cos for sin, 1 − tanh² for tanh)
 *
 * sin and cos: Cody-Waite reduction by π/2 in three parts and Cephes' single-precision
 * polynomials on [−π/4, π/4] (about 1 ulp), branch-free so the loop vectorizes; arguments beyond
 * ±8192, where the reduction starts to lose bits, are redone with libm's sinf/cosf in a second
 * pass over the range.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels.h"
#include "mathf.h"
#include "simd.h"

#define SINCOS_LIMIT 8192.0f

static inline void sincos_poly(float x, float *sin_out, float *cos_out) {
  const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
  float j = (x * 0.636619772367581343f + magic) - magic; /* round(x · 2/π) */
  float r = x - j * 1.5703125f;
  r = r - j * 4.837512969970703125e-4f;
  r = r - j * 7.54978995489188216e-8f;
  float z = r * r;
  float s = ((-1.9515295891e-4f * z + 8.3321608736e-3f) * z - 1.6666654611e-1f) * z * r + r;
  float c = ((2.443315711809948e-5f * z - 1.388731625493765e-3f) * z + 4.166664568298827e-2f) *
                z * z -
            0.5f * z + 1.0f;
  /* sin(r + qπ/2), cos(r + qπ/2) by q mod 4 (two's complement), selected with bit masks so the
   * loop has no branches: odd q swaps sin and cos, and the sign bits flip by quadrant. */
  uint32_t q = (uint32_t)(int32_t)j;
  uint32_t swap = 0u - (q & 1u);
  uint32_t sb, cb;
  memcpy(&sb, &s, sizeof sb);
  memcpy(&cb, &c, sizeof cb);
  uint32_t sin_bits = ((sb & ~swap) | (cb & swap)) ^ ((q & 2u) << 30);
  uint32_t cos_bits = ((cb & ~swap) | (sb & swap)) ^ (((q + 1u) & 2u) << 30);
  memcpy(sin_out, &sin_bits, sizeof sin_bits);
  memcpy(cos_out, &cos_bits, sizeof cos_bits);
}

struct bounded {
  const float *m, *base, *dw;
  float *w, *dm; /* dm is NULL for the weight alone */
  float omega, scale, grad_scale;
  int bound; /* 0 none, 1 sine, 2 tanh */
};

NEP_HOT static void bounded_range(void *ctx, size_t begin, size_t end) {
  const struct bounded *k = ctx;
  const float *restrict m = k->m, *restrict base = k->base, *restrict dw = k->dw;
  float *restrict w = k->w, *restrict dm = k->dm;
  const float omega = k->omega, scale = k->scale, gs = k->grad_scale;
  switch (k->bound) {
    case 0:
      for (size_t i = begin; i < end; i++) w[i] = base[i] + m[i] * scale;
      if (dm)
        for (size_t i = begin; i < end; i++) dm[i] = dw[i] * scale;
      return;
    case 2:
      if (dm)
        for (size_t i = begin; i < end; i++) {
          float f = nep_tanhf(m[i] * omega);
          w[i] = base[i] + f * scale;
          dm[i] = (dw[i] * (1.0f - f * f)) * gs;
        }
      else
        for (size_t i = begin; i < end; i++) w[i] = base[i] + nep_tanhf(m[i] * omega) * scale;
      return;
    default:
      break;
  }
  if (dm) {
    for (size_t i = begin; i < end; i++) {
      float s, c;
      sincos_poly(m[i] * omega, &s, &c);
      w[i] = base[i] + s * scale;
      dm[i] = (dw[i] * c) * gs;
    }
  } else {
    for (size_t i = begin; i < end; i++) {
      float s, c;
      sincos_poly(m[i] * omega, &s, &c);
      w[i] = base[i] + s * scale;
    }
  }
  for (size_t i = begin; i < end; i++) {
    float angle = m[i] * omega;
    if (!(fabsf(angle) > SINCOS_LIMIT) || angle != angle) continue;
    w[i] = base[i] + sinf(angle) * scale;
    if (dm) dm[i] = (dw[i] * cosf(angle)) * gs;
  }
}

void nep_bounded(int bound, const float *m, const float *base, const float *dw, float *w,
                 float *dm, size_t n, float omega, float scale, float grad_scale) {
  struct bounded k = {m, base, dw, w, dm, omega, scale, grad_scale, bound};
  nep_parallel(bounded_range, &k, n, NEP_PARALLEL_MIN);
}
