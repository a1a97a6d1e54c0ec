/*
 * Products through CBLAS: one sgemm per batch entry, transposes passed to BLAS, never copied; an
 * optional bias row is written into c first and accumulated onto (beta = 1), so a linear layer's
 * bias add is not a separate pass.
 */
#include <string.h>

#include "blas.h"
#include "kernels.h"

/* Multiply-adds below which a product in a batch runs on one BLAS thread. */
#define NEP_SMALL_PRODUCT (1 << 21)

void nep_gemm_batch(uint8_t *heap, const double *offsets, size_t products, int trans_a,
                    int trans_b, int m, int n, int k, float alpha, float beta, const float *bias) {
  /* Leading dimensions of the stored (untransposed) row-major matrices. */
  int lda = trans_a ? m : k;
  int ldb = trans_b ? k : n;
  int ldc = n;
  if (m == 0 || n == 0) return;
  /* Many small products (attention's per-head ones): one BLAS thread each. Waking the BLAS
   * pool for every 128x128x32 product costs more than the product (measured in a train step:
   * 2.6 ms per 32-product call with 2 threads, 0.8 ms with 1). */
  int threads = nep_blas_threads();
  int narrow = threads > 1 && products > 1 && (double)m * n * k < NEP_SMALL_PRODUCT;
  if (narrow) nep_blas_set_threads(1);
  for (size_t i = 0; i < products; i++) {
    const float *a = (const float *)(heap + (size_t)offsets[3 * i]);
    const float *b = (const float *)(heap + (size_t)offsets[3 * i + 1]);
    float *c = (float *)(heap + (size_t)offsets[3 * i + 2]);
    if (bias != NULL) {
      /* c = op(a) op(b) + bias (one row of n, added to every row): start c at the bias. */
      for (int r = 0; r < m; r++) memcpy(c + (size_t)r * n, bias, (size_t)n * sizeof(float));
    }
    if (k == 0) {
      /* BLAS leaves c untouched when k = 0 only if beta = 1; spell out c = beta * c. */
      if (bias == NULL)
        for (int j = 0; j < m * n; j++) c[j] = beta == 0.0f ? 0.0f : beta * c[j];
      continue;
    }
    nep_sgemm(NEP_ROW_MAJOR, trans_a ? NEP_TRANS : NEP_NO_TRANS, trans_b ? NEP_TRANS : NEP_NO_TRANS,
              m, n, k, alpha, a, lda > 0 ? lda : 1, b, ldb > 0 ? ldb : 1,
              bias != NULL ? 1.0f : beta, c, ldc);
  }
  if (narrow) nep_blas_set_threads(threads);
}
