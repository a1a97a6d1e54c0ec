/*
 * Sums over one contiguous block of axes: x viewed as (outer, reduce, inner), y as (outer, inner).
 * inner == 1 (the last axes) sums each row with 8 running partial sums, so the loop vectorizes
 * without reassociation flags; inner > 1 (leading or middle axes, e.g. a bias gradient summed
 * over rows) adds whole rows into the output, which vectorizes as is and needs no transpose.
 */
#include "kernels.h"
#include "simd.h"

NEP_HOT float nep_row_sum(const float *x, size_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; j++) acc[j] += x[i + j];
  float total = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; i++) total += x[i];
  return total;
}

NEP_HOT void nep_sum(const float *x, float *y, size_t outer, size_t reduce, size_t inner) {
  if (inner == 1) {
    for (size_t o = 0; o < outer; o++) y[o] = nep_row_sum(x + o * reduce, reduce);
    return;
  }
  for (size_t o = 0; o < outer; o++) {
    float *out = y + o * inner;
    const float *block = x + o * reduce * inner;
    for (size_t i = 0; i < inner; i++) out[i] = 0.0f;
    for (size_t r = 0; r < reduce; r++) {
      const float *row = block + r * inner;
      for (size_t i = 0; i < inner; i++) out[i] += row[i];
    }
  }
}

NEP_HOT double nep_sum_squares(const float *x, size_t n) {
  double acc[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; j++) acc[j] += (double)x[i + j] * (double)x[i + j];
  double total = (acc[0] + acc[2]) + (acc[1] + acc[3]);
  for (; i < n; i++) total += (double)x[i] * (double)x[i];
  return total;
}
