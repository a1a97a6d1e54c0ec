/* The CBLAS entry points the kernels use, resolved by blas.c at load time. */
#ifndef NEP_BLAS_H
#define NEP_BLAS_H

enum { NEP_ROW_MAJOR = 101, NEP_NO_TRANS = 111, NEP_TRANS = 112 };

typedef void (*sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha,
                         const float *a, int lda, const float *b, int ldb, float beta, float *c,
                         int ldc);

/* cblas_sgemm of the opened library; NULL until nep_blas_open() succeeded. */
extern sgemm_fn nep_sgemm;

/* 1 when a library with cblas_sgemm is open (opens it on the first call), else 0. */
int nep_blas_open(void);
/* Why nep_blas_open failed: every candidate's dlopen/dlsym message. */
const char *nep_blas_error(void);
/* The file that was opened, and OpenBLAS's build string when it has one. */
const char *nep_blas_path(void);
const char *nep_blas_config(void);
void nep_blas_set_threads(int n);
int nep_blas_threads(void);

#endif
