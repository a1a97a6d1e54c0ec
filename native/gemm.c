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

struct batch {
  float *const *pointers;
  int trans_a, trans_b, m, n, k;
  float alpha, beta;
  const float *bias;
};

static void products_range(void *ctx, size_t first, size_t end) {
  const struct batch *g = ctx;
  /* Leading dimensions of the stored (untransposed) row-major matrices. */
  int lda = g->trans_a ? g->m : g->k;
  int ldb = g->trans_b ? g->k : g->n;
  int m = g->m, n = g->n, k = g->k;
  for (size_t i = first; i < end; i++) {
    const float *a = g->pointers[3 * i];
    const float *b = g->pointers[3 * i + 1];
    float *c = g->pointers[3 * i + 2];
    if (g->bias != NULL) {
      /* c = op(a) op(b) + bias (one row of n, added to every row): start c at the bias. */
      for (int r = 0; r < m; r++) memcpy(c + (size_t)r * n, g->bias, (size_t)n * sizeof(float));
    }
    if (k == 0) {
      /* BLAS leaves c untouched when k = 0 only if beta = 1; spell out c = beta * c. */
      if (g->bias == NULL)
        for (int j = 0; j < m * n; j++) c[j] = g->beta == 0.0f ? 0.0f : g->beta * c[j];
      continue;
    }
    nep_sgemm(NEP_ROW_MAJOR, g->trans_a ? NEP_TRANS : NEP_NO_TRANS,
              g->trans_b ? NEP_TRANS : NEP_NO_TRANS, m, n, k, g->alpha, a, lda > 0 ? lda : 1, b,
              ldb > 0 ? ldb : 1, g->bias != NULL ? 1.0f : g->beta, c, n);
  }
}

void nep_gemm_batch(float *const *pointers, size_t products, int trans_a,
                    int trans_b, int m, int n, int k, float alpha, float beta, const float *bias) {
  if (m == 0 || n == 0 || products == 0) return;
  struct batch g = {pointers, trans_a, trans_b, m, n, k, alpha, beta, bias};
  /* Many small products (attention's per-head ones): BLAS on one thread per product, the
   * products split across our pool. Waking BLAS's pool for every 128x128x32 product costs more
   * than the product (measured in a train step: 2.6 ms per 32-product call with 2 BLAS threads,
   * 0.8 ms with 1). */
  int threads = nep_blas_threads();
  if (products > 1 && (double)m * n * k < NEP_SMALL_PRODUCT) {
    if (threads > 1) nep_blas_set_threads(1);
    nep_parallel(products_range, &g, products, 2);
    if (threads > 1) nep_blas_set_threads(threads);
    return;
  }
  products_range(&g, 0, products);
}
