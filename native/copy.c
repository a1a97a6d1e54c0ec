/*
 * Memory movement the wasm kernels do slowly: strided block copies (SplitV, Concat: the fused
 * qkv projection is split into q, k, v every layer) and row gathers (embedding lookups).
 */
#include <string.h>

#include "kernels.h"

void nep_copy_blocks(const float *src, float *dst, size_t blocks, size_t count, size_t src_stride,
                     size_t dst_stride) {
  for (size_t i = 0; i < blocks; i++)
    memcpy(dst + i * dst_stride, src + i * src_stride, count * sizeof(float));
}

long nep_gather_rows(const float *table, size_t rows, size_t width, const int32_t *index,
                     size_t count, float *out) {
  for (size_t i = 0; i < count; i++) {
    int32_t r = index[i];
    if (r < 0 || (size_t)r >= rows) return (long)i;
    memcpy(out + i * width, table + (size_t)r * width, width * sizeof(float));
  }
  return -1;
}
