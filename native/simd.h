/* Hot loops are compiled twice, AVX2 and baseline, and picked at load time (GCC target_clones). */
#ifndef NEP_SIMD_H
#define NEP_SIMD_H
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define NEP_HOT __attribute__((target_clones("avx2", "default")))
#else
#define NEP_HOT
#endif
#endif
