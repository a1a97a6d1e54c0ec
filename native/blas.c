/*
 * The CBLAS library, opened at run time (dlopen) rather than linked: the addon then loads on a
 * machine without a BLAS and says which package to install, and a packaged app can point
 * NEPENTHE_BLAS_LIBRARY at the copy it ships.
 *
 * Candidates, first that has cblas_sgemm wins: $NEPENTHE_BLAS_LIBRARY, OpenBLAS (Debian's
 * libopenblas0-pthread, the BLAS PyTorch uses there), the system libblas.so.3 (an alternatives
 * link to OpenBLAS or BLIS), Apple's Accelerate.
 */
#include "blas.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *handle = NULL;
static char opened_path[512] = "";
static char load_error[1024] = "";

sgemm_fn nep_sgemm = NULL;
static void (*set_threads)(int) = NULL;
static int (*get_threads)(void) = NULL;
static char *(*get_config)(void) = NULL;

static const char *const CANDIDATES[] = {
    "libopenblas.so.0",
    "libopenblas.so",
    "libopenblasp-r0.3.21.so",
    "libblas.so.3",
    "/System/Library/Frameworks/Accelerate.framework/Accelerate",
    "libopenblas.dylib",
};

static int try_open(const char *path) {
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    const char *why = dlerror();
    size_t used = strlen(load_error);
    snprintf(load_error + used, sizeof load_error - used, "%s%s", used ? "; " : "",
             why ? why : path);
    return 0;
  }
  sgemm_fn sgemm = (sgemm_fn)dlsym(h, "cblas_sgemm");
  if (sgemm == NULL) {
    size_t used = strlen(load_error);
    snprintf(load_error + used, sizeof load_error - used, "%s%s has no cblas_sgemm",
             used ? "; " : "", path);
    dlclose(h);
    return 0;
  }
  handle = h;
  nep_sgemm = sgemm;
  set_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
  get_threads = (int (*)(void))dlsym(h, "openblas_get_num_threads");
  get_config = (char *(*)(void))dlsym(h, "openblas_get_config");
  snprintf(opened_path, sizeof opened_path, "%s", path);
  return 1;
}

/*
 * OpenBLAS's DYNAMIC_ARCH picks its kernels by the CPU's family and model numbers, and falls
 * back to its oldest x86-64 kernels ("Prescott", SSE3) for a model it does not know: Debian 12's
 * 0.3.21 does not know Sapphire or Emerald Rapids (family 6, models 143 and 207), and ran the
 * cpu-small train step at half speed there (bench/RESULTS.md "OpenBLAS core type"). Naming the
 * kernel set by the instructions the CPU has is right for every CPU that has them: SkylakeX's
 * are OpenBLAS's AVX-512 sgemm, Haswell's its AVX2 one (which it also uses on AMD Zen). Without
 * AVX2, or on another architecture, OpenBLAS's own detection stands; the user's value always wins.
 */
static void choose_core_type(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    setenv("OPENBLAS_CORETYPE", "Haswell", 0);
#endif
}

int nep_blas_open(void) {
  if (handle != NULL) return 1;
  load_error[0] = '\0';
  choose_core_type();
  /* OpenBLAS's idle workers spin for up to 2^28 cycles by default, on the cores our own pool
   * (pool.c) needs between two products. 2^18 (about 0.1 ms) keeps them awake across a run of
   * back-to-back products and lets them sleep during the element-wise kernels. A sweep of 2^4 to
   * 2^28 on the cpu-small train step stayed within the machine's noise (bench/RESULTS.md), so
   * this is a choice, not a measured win. Read by OpenBLAS when it loads; the user's value wins. */
  setenv("OPENBLAS_THREAD_TIMEOUT", "18", 0);
  const char *chosen = getenv("NEPENTHE_BLAS_LIBRARY");
  if (chosen != NULL && chosen[0] != '\0') return try_open(chosen);
  for (size_t i = 0; i < sizeof CANDIDATES / sizeof CANDIDATES[0]; i++) {
    if (try_open(CANDIDATES[i])) return 1;
  }
  return 0;
}

const char *nep_blas_error(void) { return load_error; }

const char *nep_blas_path(void) { return opened_path; }

const char *nep_blas_config(void) { return get_config ? get_config() : ""; }

void nep_blas_set_threads(int n) {
  if (set_threads) set_threads(n);
}

int nep_blas_threads(void) { return get_threads ? get_threads() : 1; }
