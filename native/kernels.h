/* The kernels behind the Node-API functions; each trusts addon.c's range checks. */
#ifndef NEP_KERNELS_H
#define NEP_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* Elements (or row elements) below which a kernel runs on the calling thread alone. */
#define NEP_PARALLEL_MIN ((size_t)1 << 16)

/* A kernel body over the index range [begin, end). */
typedef void (*nep_range_fn)(void *ctx, size_t begin, size_t end);

/* Runs fn over [0, n) split across the pool (pool.c); on the caller alone below min_n. */
void nep_parallel(nep_range_fn fn, void *ctx, size_t n, size_t min_n);
void nep_pool_set_threads(int n);
int nep_pool_threads(void);

/* For each i: c_i = alpha * op(a_i) op(b_i) + beta * c_i, row-major; pointers holds the
 * (a_i, b_i, c_i) triples. op(a) is (m, k), op(b) is (k, n), c is (m, n). With a bias
 * (n floats), c_i = alpha * op(a_i) op(b_i) + bias on every row instead (beta ignored). */
void nep_gemm_batch(float *const *pointers, size_t products, int trans_a,
                    int trans_b, int m, int n, int k, float alpha, float beta, const float *bias);

/* y = exp(x), y = tanh(x); y may be x. */
void nep_exp(const float *x, float *y, size_t n);
void nep_tanh(const float *x, float *y, size_t n);

/* y = a op b[i mod bn] (bn divides n); op 0 add, 1 sub, 2 mul, 3 div; y may be a. */
void nep_binary(int op, const float *a, const float *b, float *y, size_t n, size_t bn);
/* Row broadcast: y row r = a row ai[r] op b row bi[r], rows of `width` floats. */
void nep_binary_rows(int op, const float *a, const int32_t *ai, const float *b, const int32_t *bi,
                     float *y, size_t rows, size_t width);

/* One fused AdamW step over n parameters; c: b1, 1-b1, b2, 1-b2, c1, c2, eps, lr, 1-lr·wd. */
void nep_adamw(const float *p, const float *g, const float *m, const float *v, float *p_out,
               float *m_out, float *v_out, size_t n, const float *c);

/* y[o, i] = sum over r of x[o, r, i]; x is (outer, reduce, inner). */
void nep_sum(const float *x, float *y, size_t outer, size_t reduce, size_t inner);

/* The sum of n floats with 8 running partial sums. */
float nep_row_sum(const float *x, size_t n);

/* GELU (tanh form) and its gradient dx = dy · gelu'(x); see fused.c. */
void nep_gelu_tanh(const float *x, float *y, size_t n);
void nep_gelu_tanh_grad(const float *x, const float *dy, float *dx, size_t n);

/* LayerNorm over rows of length c: y, and each row's mean and 1/sqrt(var + eps). */
void nep_layer_norm(const float *x, const float *w, const float *b, float *y, float *mean,
                    float *rstd, size_t rows, size_t c, float eps);
/* Its gradient: dx (rows, c), dw and db (c) summed over rows. */
void nep_layer_norm_grad(const float *x, const float *w, const float *mean, const float *rstd,
                         const float *dy, float *dx, float *dw, float *db, size_t rows, size_t c);

/* blocks runs of count floats from src (stride src_stride) to dst (stride dst_stride). */
void nep_copy_blocks(const float *src, float *dst, size_t blocks, size_t count, size_t src_stride,
                     size_t dst_stride);
/* out[i] = table[index[i]] (rows of width floats); -1, or the position of a bad index. */
long nep_gather_rows(const float *table, size_t rows, size_t width, const int32_t *index,
                     size_t count, float *out);

/* Softmax cross-entropy rows; forward returns -1, or the row whose target is out of range. */
long nep_xent_forward(const float *z, const int32_t *targets, float *loss, float *e, float *s,
                      size_t n, size_t v);
void nep_xent_backward(const float *e, const float *s, const int32_t *targets, const float *dy,
                       float *dz, size_t n, size_t v);

/* Next-token statistics rows (token-stats.c): out (n, 4); -1, or the row whose target is bad. */
long nep_token_stats(const float *z, const int32_t *targets, float *out, size_t n, size_t v);

/*
 * Row softmax of x (rows, s) plus, when mask is not NULL, mask row r % t (group 0: one (t, s)
 * mask) or (r / (t·group))·t + r % t (a (B, t, s) mask, each batch row's shared by its `group`
 * heads); and its gradient.
 */
void nep_masked_softmax(const float *x, const float *mask, float *y, size_t rows, size_t s,
                        size_t t, size_t group);
void nep_softmax_grad(const float *y, const float *dy, float *dx, size_t rows, size_t s);

/* Bounded PEU's update (bounded.c): w = base + f(m omega) scale and, when dm is not NULL,
 * dm = (dw f'(m omega)) grad_scale; bound 0 none (f(x) = x, omega unused), 1 sine, 2 tanh. */
void nep_bounded(int bound, const float *m, const float *base, const float *dw, float *w,
                 float *dm, size_t n, float omega, float scale, float grad_scale);

/* SwiGLU y = silu(g) u and its gradients (fused.c). */
void nep_swiglu(const float *g, const float *u, float *y, size_t n);
void nep_swiglu_grad(const float *g, const float *u, const float *dy, float *dg, float *du,
                     size_t n);
/* RMSNorm over rows of length c: y and each row's 1/sqrt(mean(x²) + eps); its gradient. */
void nep_rms_norm(const float *x, const float *w, float *y, float *rstd, size_t rows, size_t c,
                  float eps);
void nep_rms_norm_grad(const float *x, const float *w, const float *rstd, const float *dy,
                       float *dx, float *dw, size_t rows, size_t c);

/* The sum of x² in double precision (the global gradient norm). */
double nep_sum_squares(const float *x, size_t n);

/* SAU's importance redistribution of g over a mask m, both (in, out) row-major (sparsity.c);
 * Wanda scores |w|·xnorm[row] with w and xnorm, Fisher g² when they are NULL. -1: no memory. */
int nep_sau_importance(const float *g, const float *m, const float *w, const float *xnorm,
                       float lambda, size_t in, size_t out_width, float *out);
/* out = m != 0 ? w : +0 over n floats (SAU's re-imposed zeros). */
void nep_mask_keep(const float *w, const float *m, float *out, size_t n);

#endif
