/* The kernels behind the Node-API functions; each trusts addon.c's range checks. */
#ifndef NEP_KERNELS_H
#define NEP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* For each i: c_i = alpha * op(a_i) op(b_i) + beta * c_i, row-major; offsets holds the byte
 * offsets (a_i, b_i, c_i) into heap. op(a) is (m, k), op(b) is (k, n), c is (m, n). */
void nep_gemm_batch(uint8_t *heap, const double *offsets, size_t products, int trans_a,
                    int trans_b, int m, int n, int k, float alpha, float beta);

/* y = exp(x), y = tanh(x); y may be x. */
void nep_exp(const float *x, float *y, size_t n);
void nep_tanh(const float *x, float *y, size_t n);

/* One fused AdamW step over n parameters; c: b1, 1-b1, b2, 1-b2, c1, c2, eps, lr, 1-lr·wd. */
void nep_adamw(const float *p, const float *g, const float *m, const float *v, float *p_out,
               float *m_out, float *v_out, size_t n, const float *c);

/* y[o, i] = sum over r of x[o, r, i]; x is (outer, reduce, inner). */
void nep_sum(const float *x, float *y, size_t outer, size_t reduce, size_t inner);

#endif
