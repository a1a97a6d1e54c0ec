/*
 * nepenthe_native: the Node-API glue. Every kernel works in place on memory the caller owns,
 * addressed by byte offsets, and checks each range it touches against that memory's length before
 * it reads or writes: a bad call throws a RangeError, never crashes.
 *
 * `heap` is one memory (tfjs-backend-wasm's heap: offsets are plain byte offsets) or an Array of
 * memories (the native backend's tensors, each its own typed array: offset = slot * 2^40 + byte
 * offset within memory `slot`), so the same kernels serve both backends.
 *
 * JS surface (src/worker/engine/native/addon.ts types it):
 *   open() -> { ok, library, config, threads, error }
 *   setThreads(n)
 *   gemm(heap, transA, transB, m, n, k, offsets, alpha, beta[, bias])
 *     offsets: Float64Array of (a, b, c) byte-offset triples, one per product:
 *     c = alpha * op(a) op(b) + beta * c, row-major, op = transpose when asked; with a bias
 *     offset (n floats), c = alpha * op(a) op(b) + bias on every row.
 *   unary(heap, op, x, y, n)              op 0: exp, 1: tanh, 2: GELU (tanh form)
 *   binary(heap, op, a, b, y, n, bn)      y = a op b[i mod bn]; op 0 add, 1 sub, 2 mul, 3 div
 *   binaryRows(heap, op, a, aRows, aIndex, b, bRows, bIndex, y, width)   y row r = a row
 *                                          aIndex[r] op b row bIndex[r] (Int32Arrays, checked)
 *   geluGrad(heap, x, dy, dx, n)
 *   layerNorm(heap, x, w, b, y, mean, rstd, rows, c, eps)
 *   layerNormGrad(heap, x, w, mean, rstd, dy, dx, dw, db, rows, c)       see fused.c
 *   maskedSoftmax(heap, x, mask | -1, y, rows, s, t), softmaxGrad(heap, y, dy, dx, rows, s)
 *   swiglu(heap, g, u, y, n), swigluGrad(heap, g, u, dy, dg, du, n)
 *   bounded(heap, bound, m, base, dw | -1, w, dm | -1, n, omega, scale, gradScale)   bounded.c
 *   sauImportance(heap, g, m, w | -1, xnorm | -1, out, in, width, lambda)           sparsity.c
 *   maskKeep(heap, w, m, out, n)                                                    sparsity.c
 *   rmsNorm(heap, x, w, y, rstd, rows, c, eps), rmsNormGrad(heap, x, w, rstd, dy, dx, dw, rows, c)
 *   copyBlocks(heap, src, dst, blocks, count, srcStride, dstStride)   strides in floats
 *   gatherRows(heap, table, rows, width, index, count, out)            index int32
 *   xentForward(heap, z, targets, loss, e, s, n, v), xentBackward(heap, e, s, targets, dy, dz, n, v)
 *   sum(heap, x, y, outer, reduce, inner) x (outer, reduce, inner) summed over reduce
 *   sumSquares(heap, offsets, sizes) -> sum of x² (double) over the ranges (Float64Arrays)
 *   adamw(heap, p, g, m, v, pOut, mOut, vOut, n, constants)   see elementwise.c
 *   alloc(bytes) -> ArrayBuffer            zero-filled, 64-byte aligned, owned by the addon
 *   release(buffer)                        detaches an alloc'd buffer and frees its memory now
 *                                          (every view of it then has length 0), instead of
 *                                          whenever the garbage collector gets to it
 */
#include <node_api.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"
#include "kernels.h"

#define CHECK(call)                                                           \
  do {                                                                        \
    if ((call) != napi_ok) {                                                  \
      napi_throw_error(env, NULL, "nepenthe_native: Node-API call failed: " #call); \
      return NULL;                                                            \
    }                                                                         \
  } while (0)

static napi_value make_string(napi_env env, const char *s) {
  napi_value v;
  napi_create_string_utf8(env, s, NAPI_AUTO_LENGTH, &v);
  return v;
}

/* The bytes of an ArrayBuffer or typed array argument. */
static int memory_arg(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  bool is;
  void *raw = NULL;
  if (napi_is_arraybuffer(env, value, &is) == napi_ok && is) {
    if (napi_get_arraybuffer_info(env, value, &raw, length) != napi_ok) return 0;
    *data = raw;
    return 1;
  }
  if (napi_is_typedarray(env, value, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t count, offset;
    napi_value buffer;
    if (napi_get_typedarray_info(env, value, &type, &count, &raw, &buffer, &offset) != napi_ok)
      return 0;
    size_t item = 1;
    if (type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array)
      item = 4;
    else if (type == napi_float64_array || type == napi_bigint64_array ||
             type == napi_biguint64_array)
      item = 8;
    else if (type == napi_int16_array || type == napi_uint16_array)
      item = 2;
    *data = raw;
    *length = count * item;
    return 1;
  }
  napi_throw_type_error(env, NULL, "nepenthe_native: expected an ArrayBuffer or typed array");
  return 0;
}

/* The memories of the current call: slot i is heap[i] (or the heap itself, slot 0). JS calls
 * never nest, so one table serves every call. */
#define NEP_SLOT ((double)((int64_t)1 << 40))
struct memory {
  uint8_t *data;
  size_t length;
};
static struct memory *memories;
static size_t memory_count, memory_capacity;

/* Fills the memory table from a heap argument; throws a TypeError on anything else. */
static int heap_arg(napi_env env, napi_value value) {
  bool is_array = false;
  uint32_t count = 1;
  if (napi_is_array(env, value, &is_array) != napi_ok) return 0;
  if (is_array && napi_get_array_length(env, value, &count) != napi_ok) return 0;
  if (count > memory_capacity) {
    struct memory *grown = realloc(memories, count * sizeof *grown);
    if (grown == NULL) {
      napi_throw_error(env, NULL, "nepenthe_native: out of memory for the memory table");
      return 0;
    }
    memories = grown;
    memory_capacity = count;
  }
  memory_count = 0;
  for (uint32_t i = 0; i < count; i++) {
    napi_value item = value;
    if (is_array && napi_get_element(env, value, i, &item) != napi_ok) return 0;
    if (!memory_arg(env, item, &memories[i].data, &memories[i].length)) return 0;
  }
  memory_count = count;
  return 1;
}

/* The float at an (already checked) offset. */
static float *nep_at(double offset) {
  size_t slot = (size_t)(offset / NEP_SLOT);
  return (float *)(memories[slot].data + (size_t)(offset - (double)slot * NEP_SLOT));
}

/* An integer argument: a finite whole number within ±2^52 (NaN, fractions, strings throw). */
static int int_arg(napi_env env, napi_value value, int64_t *out, const char *name) {
  double d;
  char msg[128];
  if (napi_get_value_double(env, value, &d) != napi_ok) {
    snprintf(msg, sizeof msg, "nepenthe_native: %s must be a number", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  if (!(d == d) || d != (double)(int64_t)d || d > 4503599627370496.0 || d < -4503599627370496.0) {
    snprintf(msg, sizeof msg, "nepenthe_native: %s must be a whole number, got %g", name, d);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

static int bool_arg(napi_env env, napi_value value, bool *out, const char *name) {
  if (napi_get_value_bool(env, value, out) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "nepenthe_native: %s must be a boolean", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

static int double_arg(napi_env env, napi_value value, double *out, const char *name) {
  if (napi_get_value_double(env, value, out) != napi_ok) {
    char msg[128];
    snprintf(msg, sizeof msg, "nepenthe_native: %s must be a number", name);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

/* Throws a RangeError and returns 0 unless [offset, offset + floats*4) lies inside its memory. */
static int in_bounds(napi_env env, double offset, double floats, const char *what) {
  /* Sizes arrive as doubles (products of int64 sizes could overflow): exact below 2^53, and any
   * larger product is far past every memory. */
  size_t slot = offset >= 0 && offset < 4503599627370496.0 ? (size_t)(offset / NEP_SLOT) : 0;
  double within = offset - (double)slot * NEP_SLOT;
  double end = within + floats * 4.0;
  size_t length = slot < memory_count ? memories[slot].length : 0;
  if (offset < 0 || offset != (double)(int64_t)offset || ((int64_t)offset & 3) != 0 ||
      slot >= memory_count || end > (double)length) {
    char msg[192];
    snprintf(msg, sizeof msg,
             "nepenthe_native: %s range [%.0f, %.0f) of memory %zu is outside its %zu bytes or unaligned",
             what, within, end, slot, length);
    napi_throw_range_error(env, NULL, msg);
    return 0;
  }
  return 1;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  (void)info;
  int ok = nep_blas_open();
  napi_value result, flag, threads;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_get_boolean(env, ok, &flag));
  CHECK(napi_set_named_property(env, result, "ok", flag));
  CHECK(napi_set_named_property(env, result, "library", make_string(env, nep_blas_path())));
  CHECK(napi_set_named_property(env, result, "config", make_string(env, nep_blas_config())));
  CHECK(napi_set_named_property(env, result, "error", make_string(env, nep_blas_error())));
  CHECK(napi_create_int32(env, ok ? nep_blas_threads() : 0, &threads));
  CHECK(napi_set_named_property(env, result, "threads", threads));
  return result;
}

/* The one whole-number argument of a one-argument function; throws (naming `usage`) otherwise. */
static int single_int_arg(napi_env env, napi_callback_info info, const char *usage,
                          const char *name, int64_t *out) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < 1) {
    char msg[128];
    snprintf(msg, sizeof msg, "nepenthe_native: %s", usage);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return int_arg(env, argv[0], out, name);
}

static napi_value js_set_threads(napi_env env, napi_callback_info info) {
  int64_t n;
  if (!single_int_arg(env, info, "setThreads takes the thread count", "threads", &n)) return NULL;
  if (n < 1 || n > 1024) {
    napi_throw_range_error(env, NULL, "nepenthe_native: threads must be 1..1024");
    return NULL;
  }
  nep_blas_set_threads((int)n);
  nep_pool_set_threads((int)n);
  return NULL;
}

static napi_value js_gemm(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value argv[10];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 9) {
    napi_throw_type_error(env, NULL, "nepenthe_native: gemm takes 9 arguments");
    return NULL;
  }
  if (nep_sgemm == NULL && !nep_blas_open()) {
    napi_throw_error(env, NULL, "nepenthe_native: no BLAS library is open");
    return NULL;
  }
  if (!heap_arg(env, argv[0])) return NULL;
  bool trans_a, trans_b;
  if (!bool_arg(env, argv[1], &trans_a, "transposeA") ||
      !bool_arg(env, argv[2], &trans_b, "transposeB"))
    return NULL;
  int64_t m, n, k;
  if (!int_arg(env, argv[3], &m, "m") || !int_arg(env, argv[4], &n, "n") ||
      !int_arg(env, argv[5], &k, "k"))
    return NULL;
  if (m < 0 || n < 0 || k < 0 || m > INT32_MAX || n > INT32_MAX || k > INT32_MAX) {
    napi_throw_range_error(env, NULL, "nepenthe_native: gemm sizes must be 0..2^31-1");
    return NULL;
  }
  uint8_t *offsets_raw;
  size_t offsets_length;
  bool is_typed;
  napi_typedarray_type offsets_type = napi_int8_array;
  if (napi_is_typedarray(env, argv[6], &is_typed) == napi_ok && is_typed)
    CHECK(napi_get_typedarray_info(env, argv[6], &offsets_type, NULL, NULL, NULL, NULL));
  if (offsets_type != napi_float64_array) {
    napi_throw_type_error(env, NULL, "nepenthe_native: gemm offsets must be a Float64Array");
    return NULL;
  }
  if (!memory_arg(env, argv[6], &offsets_raw, &offsets_length)) return NULL;
  double alpha, beta;
  if (!double_arg(env, argv[7], &alpha, "alpha") || !double_arg(env, argv[8], &beta, "beta"))
    return NULL;
  if (offsets_length % 24 != 0) {
    napi_throw_range_error(env, NULL, "nepenthe_native: offsets must hold (a, b, c) triples");
    return NULL;
  }
  const double *offsets = (const double *)offsets_raw;
  size_t products = offsets_length / 24;
  for (size_t i = 0; i < products; i++) {
    if (!in_bounds(env, offsets[3 * i], (double)m * k, "a") ||
        !in_bounds(env, offsets[3 * i + 1], (double)k * n, "b") ||
        !in_bounds(env, offsets[3 * i + 2], (double)m * n, "c"))
      return NULL;
  }
  const float *bias = NULL;
  napi_valuetype bias_type = napi_undefined;
  if (argc >= 10) CHECK(napi_typeof(env, argv[9], &bias_type));
  if (bias_type != napi_undefined && bias_type != napi_null) {
    double bias_offset;
    if (!double_arg(env, argv[9], &bias_offset, "bias") ||
        !in_bounds(env, bias_offset, n, "bias"))
      return NULL;
    bias = nep_at(bias_offset);
  }
  float **pointers = malloc((products > 0 ? products : 1) * 3 * sizeof *pointers);
  if (pointers == NULL) {
    napi_throw_error(env, NULL, "nepenthe_native: out of memory for the product list");
    return NULL;
  }
  for (size_t i = 0; i < 3 * products; i++) pointers[i] = nep_at(offsets[i]);
  nep_gemm_batch(pointers, products, trans_a, trans_b, (int)m, (int)n, (int)k, (float)alpha,
                 (float)beta, bias);
  free(pointers);
  return NULL;
}

/* Reads argv[first .. first+count) as non-negative integers (offsets, sizes) into out. */
static int sizes_arg(napi_env env, napi_value *argv, size_t first, size_t count, int64_t *out) {
  for (size_t i = 0; i < count; i++) {
    if (!int_arg(env, argv[first + i], &out[i], "an offset or size")) return 0;
    if (out[i] < 0) {
      napi_throw_range_error(env, NULL, "nepenthe_native: offsets and sizes must be >= 0");
      return 0;
    }
  }
  return 1;
}

/* Gets exactly `want` arguments, the first a heap (into the memory table); throws otherwise. */
static int args_with_heap(napi_env env, napi_callback_info info, size_t want, napi_value *argv,
                          const char *name) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return 0;
  if (argc < want) {
    char msg[96];
    snprintf(msg, sizeof msg, "nepenthe_native: %s takes %zu arguments", name, want);
    napi_throw_type_error(env, NULL, msg);
    return 0;
  }
  return heap_arg(env, argv[0]);
}

#define AT(off) nep_at((double)(off))

/* unary(heap, op, xOffset, yOffset, n): op 0 exp, 1 tanh, 2 GELU (tanh form). */
static napi_value js_unary(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args_with_heap(env, info, 5, argv, "unary")) return NULL;
  int64_t v[4];
  if (!sizes_arg(env, argv, 1, 4, v)) return NULL;
  if (!in_bounds(env, (double)v[1], v[3], "x") ||
      !in_bounds(env, (double)v[2], v[3], "y"))
    return NULL;
  switch (v[0]) {
    case 0: nep_exp(AT(v[1]), AT(v[2]), (size_t)v[3]); break;
    case 1: nep_tanh(AT(v[1]), AT(v[2]), (size_t)v[3]); break;
    case 2: nep_gelu_tanh(AT(v[1]), AT(v[2]), (size_t)v[3]); break;
    default: napi_throw_range_error(env, NULL, "nepenthe_native: unknown unary op"); break;
  }
  return NULL;
}

/* binary(heap, op, a, b, y, n, bn): bn (b's length) must divide n. */
static napi_value js_binary(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args_with_heap(env, info, 7, argv, "binary")) return NULL;
  int64_t v[6];
  if (!sizes_arg(env, argv, 1, 6, v)) return NULL;
  int64_t n = v[4], bn = v[5];
  if (v[0] > 3) {
    napi_throw_range_error(env, NULL, "nepenthe_native: unknown binary op");
    return NULL;
  }
  if (n > 0 && (bn == 0 || n % bn != 0)) {
    napi_throw_range_error(env, NULL, "nepenthe_native: binary b's length must divide n");
    return NULL;
  }
  if (!in_bounds(env, (double)v[1], n, "a") || !in_bounds(env, (double)v[2], bn, "b") ||
      !in_bounds(env, (double)v[3], n, "y"))
    return NULL;
  if (n > 0) nep_binary((int)v[0], AT(v[1]), AT(v[2]), AT(v[3]), (size_t)n, (size_t)bn);
  return NULL;
}

/* An Int32Array argument whose every entry lies in [0, limit). */
static const int32_t *index_arg(napi_env env, napi_value value, size_t *count, int64_t limit,
                                const char *name) {
  bool is = false;
  napi_typedarray_type type = napi_int8_array;
  void *raw = NULL;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, value, &type, count, &raw, NULL, NULL) != napi_ok ||
      type != napi_int32_array) {
    char msg[96];
    snprintf(msg, sizeof msg, "nepenthe_native: %s must be an Int32Array", name);
    napi_throw_type_error(env, NULL, msg);
    return NULL;
  }
  const int32_t *index = raw;
  for (size_t i = 0; i < *count; i++) {
    if (index[i] < 0 || index[i] >= limit) {
      char msg[128];
      snprintf(msg, sizeof msg, "nepenthe_native: %s[%zu] = %d is not in [0, %lld)", name, i,
               index[i], (long long)limit);
      napi_throw_range_error(env, NULL, msg);
      return NULL;
    }
  }
  return *count > 0 ? index : (const int32_t *)"";
}

/* binaryRows(heap, op, a, aRows, aIndex, b, bRows, bIndex, y, width). */
static napi_value js_binary_rows(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!args_with_heap(env, info, 10, argv, "binaryRows")) return NULL;
  int64_t op, a, a_rows, b, b_rows, y, width;
  if (!int_arg(env, argv[1], &op, "op") || !int_arg(env, argv[2], &a, "a") ||
      !int_arg(env, argv[3], &a_rows, "aRows") || !int_arg(env, argv[5], &b, "b") ||
      !int_arg(env, argv[6], &b_rows, "bRows") || !int_arg(env, argv[8], &y, "y") ||
      !int_arg(env, argv[9], &width, "width"))
    return NULL;
  if (op < 0 || op > 3 || a_rows < 0 || b_rows < 0 || width < 0) {
    napi_throw_range_error(env, NULL, "nepenthe_native: binaryRows op or sizes out of range");
    return NULL;
  }
  size_t rows, b_count;
  const int32_t *ai = index_arg(env, argv[4], &rows, a_rows, "aIndex");
  if (ai == NULL) return NULL;
  const int32_t *bi = index_arg(env, argv[7], &b_count, b_rows, "bIndex");
  if (bi == NULL) return NULL;
  if (b_count != rows) {
    napi_throw_range_error(env, NULL, "nepenthe_native: binaryRows index lengths differ");
    return NULL;
  }
  if (!in_bounds(env, (double)a, (double)a_rows * width, "a") ||
      !in_bounds(env, (double)b, (double)b_rows * width, "b") ||
      !in_bounds(env, (double)y, (double)rows * width, "y"))
    return NULL;
  if (rows > 0 && width > 0)
    nep_binary_rows((int)op, AT(a), ai, AT(b), bi, AT(y), rows, (size_t)width);
  return NULL;
}

/* geluGrad(heap, x, dy, dx, n). */
static napi_value js_gelu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args_with_heap(env, info, 5, argv, "geluGrad")) return NULL;
  int64_t v[4];
  if (!sizes_arg(env, argv, 1, 4, v)) return NULL;
  if (!in_bounds(env, (double)v[0], v[3], "x") ||
      !in_bounds(env, (double)v[1], v[3], "dy") ||
      !in_bounds(env, (double)v[2], v[3], "dx"))
    return NULL;
  nep_gelu_tanh_grad(AT(v[0]), AT(v[1]), AT(v[2]), (size_t)v[3]);
  return NULL;
}

/* layerNorm(heap, x, w, b, y, mean, rstd, rows, c, eps). */
static napi_value js_layer_norm(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!args_with_heap(env, info, 10, argv, "layerNorm")) return NULL;
  int64_t v[8];
  if (!sizes_arg(env, argv, 1, 8, v)) return NULL;
  double eps;
  if (!double_arg(env, argv[9], &eps, "eps")) return NULL;
  int64_t rows = v[6], c = v[7];
  if (!in_bounds(env, (double)v[0], (double)rows * c, "x") ||
      !in_bounds(env, (double)v[1], c, "w") || !in_bounds(env, (double)v[2], c, "b") ||
      !in_bounds(env, (double)v[3], (double)rows * c, "y") ||
      !in_bounds(env, (double)v[4], rows, "mean") ||
      !in_bounds(env, (double)v[5], rows, "rstd"))
    return NULL;
  if (c == 0) {
    napi_throw_range_error(env, NULL, "nepenthe_native: layerNorm rows must not be empty");
    return NULL;
  }
  nep_layer_norm(AT(v[0]), AT(v[1]), AT(v[2]), AT(v[3]), AT(v[4]), AT(v[5]), (size_t)rows,
                 (size_t)c, (float)eps);
  return NULL;
}

/* layerNormGrad(heap, x, w, mean, rstd, dy, dx, dw, db, rows, c). */
static napi_value js_layer_norm_grad(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!args_with_heap(env, info, 11, argv, "layerNormGrad")) return NULL;
  int64_t v[10];
  if (!sizes_arg(env, argv, 1, 10, v)) return NULL;
  int64_t rows = v[8], c = v[9];
  if (!in_bounds(env, (double)v[0], (double)rows * c, "x") ||
      !in_bounds(env, (double)v[1], c, "w") ||
      !in_bounds(env, (double)v[2], rows, "mean") ||
      !in_bounds(env, (double)v[3], rows, "rstd") ||
      !in_bounds(env, (double)v[4], (double)rows * c, "dy") ||
      !in_bounds(env, (double)v[5], (double)rows * c, "dx") ||
      !in_bounds(env, (double)v[6], c, "dw") || !in_bounds(env, (double)v[7], c, "db"))
    return NULL;
  nep_layer_norm_grad(AT(v[0]), AT(v[1]), AT(v[2]), AT(v[3]), AT(v[4]), AT(v[5]), AT(v[6]),
                      AT(v[7]), (size_t)rows, (size_t)c);
  return NULL;
}

/* copyBlocks(heap, src, dst, blocks, count, srcStride, dstStride): strides in floats. */
static napi_value js_copy_blocks(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args_with_heap(env, info, 7, argv, "copyBlocks")) return NULL;
  int64_t v[6];
  if (!sizes_arg(env, argv, 1, 6, v)) return NULL;
  int64_t blocks = v[2], count = v[3];
  if (blocks == 0 || count == 0) return NULL;
  if (!in_bounds(env, (double)v[0], (double)(blocks - 1) * v[4] + count, "src") ||
      !in_bounds(env, (double)v[1], (double)(blocks - 1) * v[5] + count, "dst"))
    return NULL;
  nep_copy_blocks(AT(v[0]), AT(v[1]), (size_t)blocks, (size_t)count, (size_t)v[4], (size_t)v[5]);
  return NULL;
}

/* gatherRows(heap, table, rows, width, index (int32), count, out). */
static napi_value js_gather_rows(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args_with_heap(env, info, 7, argv, "gatherRows")) return NULL;
  int64_t v[6];
  if (!sizes_arg(env, argv, 1, 6, v)) return NULL;
  if (!in_bounds(env, (double)v[0], (double)v[1] * v[2], "table") ||
      !in_bounds(env, (double)v[3], v[4], "index") ||
      !in_bounds(env, (double)v[5], (double)v[4] * v[2], "out"))
    return NULL;
  long bad = nep_gather_rows(AT(v[0]), (size_t)v[1], (size_t)v[2], (const int32_t *)AT(v[3]),
                             (size_t)v[4], AT(v[5]));
  if (bad >= 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "nepenthe_native: gather index %d at position %ld is not in [0, %lld)",
             ((const int32_t *)AT(v[3]))[bad], bad, (long long)v[1]);
    napi_throw_range_error(env, NULL, msg);
  }
  return NULL;
}

/* xentForward(heap, z, targets (int32), loss, e, s, n, v). */
static napi_value js_xent_forward(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args_with_heap(env, info, 8, argv, "xentForward")) return NULL;
  int64_t a[7];
  if (!sizes_arg(env, argv, 1, 7, a)) return NULL;
  int64_t n = a[5], v = a[6];
  if (!in_bounds(env, (double)a[0], (double)n * v, "z") ||
      !in_bounds(env, (double)a[1], n, "targets") ||
      !in_bounds(env, (double)a[2], n, "loss") ||
      !in_bounds(env, (double)a[3], (double)n * v, "e") || !in_bounds(env, (double)a[4], n, "s"))
    return NULL;
  long bad = nep_xent_forward(AT(a[0]), (const int32_t *)AT(a[1]), AT(a[2]), AT(a[3]), AT(a[4]),
                              (size_t)n, (size_t)v);
  if (bad >= 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "nepenthe_native: target %d of row %ld is not in [0, %lld)",
             ((const int32_t *)AT(a[1]))[bad], bad, (long long)v);
    napi_throw_range_error(env, NULL, msg);
  }
  return NULL;
}

/* tokenStats(heap, z, targets (int32), out (n, 4), n, v). */
static napi_value js_token_stats(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args_with_heap(env, info, 6, argv, "tokenStats")) return NULL;
  int64_t a[5];
  if (!sizes_arg(env, argv, 1, 5, a)) return NULL;
  int64_t n = a[3], v = a[4];
  if (!in_bounds(env, (double)a[0], (double)n * v, "z") ||
      !in_bounds(env, (double)a[1], n, "targets") ||
      !in_bounds(env, (double)a[2], (double)n * 4, "out"))
    return NULL;
  long bad = nep_token_stats(AT(a[0]), (const int32_t *)AT(a[1]), AT(a[2]), (size_t)n, (size_t)v);
  if (bad >= 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "nepenthe_native: target %d of row %ld is not in [0, %lld)",
             ((const int32_t *)AT(a[1]))[bad], bad, (long long)v);
    napi_throw_range_error(env, NULL, msg);
  }
  return NULL;
}

/* xentBackward(heap, e, s, targets (int32, checked by the forward pass), dy, dz, n, v). */
static napi_value js_xent_backward(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args_with_heap(env, info, 8, argv, "xentBackward")) return NULL;
  int64_t a[7];
  if (!sizes_arg(env, argv, 1, 7, a)) return NULL;
  int64_t n = a[5], v = a[6];
  if (!in_bounds(env, (double)a[0], (double)n * v, "e") ||
      !in_bounds(env, (double)a[1], n, "s") ||
      !in_bounds(env, (double)a[2], n, "targets") ||
      !in_bounds(env, (double)a[3], n, "dy") || !in_bounds(env, (double)a[4], (double)n * v, "dz"))
    return NULL;
  const int32_t *targets = (const int32_t *)AT(a[2]);
  for (int64_t r = 0; r < n; r++) {
    if (targets[r] < 0 || targets[r] >= v) {
      napi_throw_range_error(env, NULL, "nepenthe_native: xentBackward target out of range");
      return NULL;
    }
  }
  nep_xent_backward(AT(a[0]), AT(a[1]), targets, AT(a[3]), AT(a[4]), (size_t)n, (size_t)v);
  return NULL;
}

/* maskedSoftmax(heap, x, mask (or -1), y, rows, s, t, group). */
static napi_value js_masked_softmax(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args_with_heap(env, info, 8, argv, "maskedSoftmax")) return NULL;
  int64_t x, mask, v[5];
  if (!int_arg(env, argv[1], &x, "x") || !int_arg(env, argv[2], &mask, "mask") ||
      !sizes_arg(env, argv, 3, 5, v))
    return NULL;
  int64_t rows = v[1], s = v[2], t = v[3], group = v[4];
  if (mask >= 0 && (t == 0 || rows % (t * (group > 0 ? group : 1)) != 0)) {
    napi_throw_range_error(env, NULL,
                           "nepenthe_native: maskedSoftmax rows must be a multiple of t·group");
    return NULL;
  }
  /* The mask's rows: t, or t per batch row (rows / group of them) with a group. */
  double mask_rows = group > 0 ? (double)(rows / group) : (double)t;
  if (!in_bounds(env, (double)x, (double)rows * s, "x") ||
      !in_bounds(env, (double)v[0], (double)rows * s, "y") ||
      (mask >= 0 && !in_bounds(env, (double)mask, mask_rows * s, "mask")))
    return NULL;
  nep_masked_softmax(AT(x), mask >= 0 ? AT(mask) : NULL, AT(v[0]), (size_t)rows, (size_t)s,
                     (size_t)(t > 0 ? t : 1), (size_t)group);
  return NULL;
}

/* softmaxGrad(heap, y, dy, dx, rows, s). */
static napi_value js_softmax_grad(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args_with_heap(env, info, 6, argv, "softmaxGrad")) return NULL;
  int64_t v[5];
  if (!sizes_arg(env, argv, 1, 5, v)) return NULL;
  int64_t count = v[3] * v[4];
  if (!in_bounds(env, (double)v[0], count, "y") ||
      !in_bounds(env, (double)v[1], count, "dy") ||
      !in_bounds(env, (double)v[2], count, "dx"))
    return NULL;
  nep_softmax_grad(AT(v[0]), AT(v[1]), AT(v[2]), (size_t)v[3], (size_t)v[4]);
  return NULL;
}

/* swiglu(heap, g, u, y, n). */
static napi_value js_swiglu(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args_with_heap(env, info, 5, argv, "swiglu")) return NULL;
  int64_t v[4];
  if (!sizes_arg(env, argv, 1, 4, v)) return NULL;
  if (!in_bounds(env, (double)v[0], v[3], "g") ||
      !in_bounds(env, (double)v[1], v[3], "u") ||
      !in_bounds(env, (double)v[2], v[3], "y"))
    return NULL;
  nep_swiglu(AT(v[0]), AT(v[1]), AT(v[2]), (size_t)v[3]);
  return NULL;
}

/* swigluGrad(heap, g, u, dy, dg, du, n). */
static napi_value js_swiglu_grad(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  if (!args_with_heap(env, info, 7, argv, "swigluGrad")) return NULL;
  int64_t v[6];
  if (!sizes_arg(env, argv, 1, 6, v)) return NULL;
  static const char *const names[5] = {"g", "u", "dy", "dg", "du"};
  for (int i = 0; i < 5; i++)
    if (!in_bounds(env, (double)v[i], v[5], names[i])) return NULL;
  nep_swiglu_grad(AT(v[0]), AT(v[1]), AT(v[2]), AT(v[3]), AT(v[4]), (size_t)v[5]);
  return NULL;
}

/* bounded(heap, bound, m, base, dw | -1, w, dm | -1, n, omega, scale, gradScale): dw and dm
 * both given (the gradient) or both -1 (the weight alone). */
static napi_value js_bounded(napi_env env, napi_callback_info info) {
  napi_value argv[11];
  if (!args_with_heap(env, info, 11, argv, "bounded")) return NULL;
  int64_t bound, n;
  double off[5], c[3];
  if (!int_arg(env, argv[1], &bound, "bound") || !int_arg(env, argv[7], &n, "n")) return NULL;
  for (int i = 0; i < 5; i++)
    if (!double_arg(env, argv[2 + i], &off[i], "an offset")) return NULL;
  for (int i = 0; i < 3; i++)
    if (!double_arg(env, argv[8 + i], &c[i], "a constant")) return NULL;
  if (bound < 0 || bound > 2 || n < 0) {
    napi_throw_range_error(env, NULL, "nepenthe_native: bounded takes bound 0-2 and n >= 0");
    return NULL;
  }
  int gradient = off[2] >= 0;
  if (gradient != (off[4] >= 0)) {
    napi_throw_range_error(env, NULL, "nepenthe_native: bounded needs both dw and dm, or neither");
    return NULL;
  }
  if (!in_bounds(env, off[0], n, "m") || !in_bounds(env, off[1], n, "base") ||
      !in_bounds(env, off[3], n, "w") ||
      (gradient && (!in_bounds(env, off[2], n, "dw") || !in_bounds(env, off[4], n, "dm"))))
    return NULL;
  nep_bounded((int)bound, AT(off[0]), AT(off[1]), gradient ? AT(off[2]) : NULL, AT(off[3]),
              gradient ? AT(off[4]) : NULL, (size_t)n, (float)c[0], (float)c[1], (float)c[2]);
  return NULL;
}

/* rmsNorm(heap, x, w, y, rstd, rows, c, eps). */
static napi_value js_rms_norm(napi_env env, napi_callback_info info) {
  napi_value argv[8];
  if (!args_with_heap(env, info, 8, argv, "rmsNorm")) return NULL;
  int64_t v[6];
  if (!sizes_arg(env, argv, 1, 6, v)) return NULL;
  double eps;
  if (!double_arg(env, argv[7], &eps, "eps")) return NULL;
  int64_t rows = v[4], c = v[5];
  if (c == 0) {
    napi_throw_range_error(env, NULL, "nepenthe_native: rmsNorm rows must not be empty");
    return NULL;
  }
  if (!in_bounds(env, (double)v[0], (double)rows * c, "x") ||
      !in_bounds(env, (double)v[1], c, "w") ||
      !in_bounds(env, (double)v[2], (double)rows * c, "y") ||
      !in_bounds(env, (double)v[3], rows, "rstd"))
    return NULL;
  nep_rms_norm(AT(v[0]), AT(v[1]), AT(v[2]), AT(v[3]), (size_t)rows, (size_t)c, (float)eps);
  return NULL;
}

/* rmsNormGrad(heap, x, w, rstd, dy, dx, dw, rows, c). */
static napi_value js_rms_norm_grad(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!args_with_heap(env, info, 9, argv, "rmsNormGrad")) return NULL;
  int64_t v[8];
  if (!sizes_arg(env, argv, 1, 8, v)) return NULL;
  int64_t rows = v[6], c = v[7];
  if (!in_bounds(env, (double)v[0], (double)rows * c, "x") ||
      !in_bounds(env, (double)v[1], c, "w") ||
      !in_bounds(env, (double)v[2], rows, "rstd") ||
      !in_bounds(env, (double)v[3], (double)rows * c, "dy") ||
      !in_bounds(env, (double)v[4], (double)rows * c, "dx") ||
      !in_bounds(env, (double)v[5], c, "dw"))
    return NULL;
  nep_rms_norm_grad(AT(v[0]), AT(v[1]), AT(v[2]), AT(v[3]), AT(v[4]), AT(v[5]), (size_t)rows,
                    (size_t)c);
  return NULL;
}

/* sumSquares(heap, offsets: Float64Array, sizes: Float64Array) -> the sum of x² over every range. */
static napi_value js_sum_squares(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  if (!args_with_heap(env, info, 3, argv, "sumSquares")) return NULL;
  uint8_t *offsets_raw, *sizes_raw;
  size_t offsets_length, sizes_length;
  if (!memory_arg(env, argv[1], &offsets_raw, &offsets_length) ||
      !memory_arg(env, argv[2], &sizes_raw, &sizes_length))
    return NULL;
  if (offsets_length != sizes_length || offsets_length % 8 != 0) {
    napi_throw_range_error(env, NULL,
                           "nepenthe_native: sumSquares takes Float64Arrays of equal length");
    return NULL;
  }
  const double *offsets = (const double *)offsets_raw, *sizes = (const double *)sizes_raw;
  size_t count = offsets_length / 8;
  for (size_t i = 0; i < count; i++) {
    if (!(sizes[i] >= 0) || sizes[i] != (double)(int64_t)sizes[i]) {
      napi_throw_range_error(env, NULL, "nepenthe_native: sumSquares sizes must be whole numbers");
      return NULL;
    }
    if (!in_bounds(env, offsets[i], sizes[i], "x")) return NULL;
  }
  double total = 0;
  for (size_t i = 0; i < count; i++) total += nep_sum_squares(AT(offsets[i]), (size_t)sizes[i]);
  napi_value result;
  CHECK(napi_create_double(env, total, &result));
  return result;
}

/* sum(heap, xOffset, yOffset, outer, reduce, inner). */
static napi_value js_sum(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  if (!args_with_heap(env, info, 6, argv, "sum")) return NULL;
  int64_t v[5];
  if (!sizes_arg(env, argv, 1, 5, v)) return NULL;
  if (!in_bounds(env, (double)v[0], (double)v[2] * v[3] * v[4], "x") ||
      !in_bounds(env, (double)v[1], (double)v[2] * v[4], "y"))
    return NULL;
  nep_sum(AT(v[0]), AT(v[1]), (size_t)v[2], (size_t)v[3], (size_t)v[4]);
  return NULL;
}

/* adamw(heap, p, g, m, v, pOut, mOut, vOut, n, constants: Float32Array(9)). */
static napi_value js_adamw(napi_env env, napi_callback_info info) {
  napi_value argv[10];
  if (!args_with_heap(env, info, 10, argv, "adamw")) return NULL;
  int64_t v[8];
  if (!sizes_arg(env, argv, 1, 8, v)) return NULL;
  static const char *const names[7] = {"p", "g", "m", "v", "pOut", "mOut", "vOut"};
  for (int i = 0; i < 7; i++)
    if (!in_bounds(env, (double)v[i], v[7], names[i])) return NULL;
  uint8_t *constants;
  size_t constants_length;
  if (!memory_arg(env, argv[9], &constants, &constants_length)) return NULL;
  if (constants_length != 10 * sizeof(float)) {
    napi_throw_range_error(env, NULL, "nepenthe_native: adamw takes 10 float32 constants");
    return NULL;
  }
  nep_adamw(AT(v[0]), AT(v[1]), AT(v[2]), AT(v[3]), AT(v[4]), AT(v[5]), AT(v[6]), (size_t)v[7],
            (const float *)constants);
  return NULL;
}

/* An alloc'd block: freed by release() or, if never released, by its buffer's finalizer. Live
 * blocks are kept in an open-addressing set keyed by data pointer, so release() accepts only
 * buffers alloc() made (anything else is a TypeError, never a bad free). */
struct block {
  void *data;
  int released;
};

static struct block **live;
static size_t live_capacity, live_count;

static size_t slot_of(const void *data) {
  uintptr_t h = (uintptr_t)data;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return (size_t)h & (live_capacity - 1);
}

static int live_insert(struct block *b) {
  if (2 * (live_count + 1) > live_capacity) {
    size_t old_capacity = live_capacity;
    struct block **old = live;
    size_t capacity = old_capacity ? 2 * old_capacity : 1024;
    struct block **grown = calloc(capacity, sizeof *grown);
    if (grown == NULL) return 0;
    live = grown;
    live_capacity = capacity;
    live_count = 0;
    for (size_t i = 0; i < old_capacity; i++)
      if (old[i] != NULL) {
        size_t j = slot_of(old[i]->data);
        while (live[j] != NULL) j = (j + 1) & (live_capacity - 1);
        live[j] = old[i];
        live_count++;
      }
    free(old);
  }
  size_t j = slot_of(b->data);
  while (live[j] != NULL) j = (j + 1) & (live_capacity - 1);
  live[j] = b;
  live_count++;
  return 1;
}

/* Removes and returns the live block of `data`, or NULL. */
static struct block *live_take(const void *data) {
  if (live_capacity == 0 || data == NULL) return NULL;
  size_t j = slot_of(data);
  while (live[j] != NULL && live[j]->data != data) j = (j + 1) & (live_capacity - 1);
  struct block *b = live[j];
  if (b == NULL) return NULL;
  live[j] = NULL;
  live_count--;
  /* Re-seat the entries after the hole (linear probing deletion). */
  for (size_t k = (j + 1) & (live_capacity - 1); live[k] != NULL; k = (k + 1) & (live_capacity - 1)) {
    struct block *moved = live[k];
    live[k] = NULL;
    live_count--;
    size_t t = slot_of(moved->data);
    while (live[t] != NULL) t = (t + 1) & (live_capacity - 1);
    live[t] = moved;
    live_count++;
  }
  return b;
}

static void block_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)data;
  struct block *b = hint;
  if (!b->released) {
    live_take(b->data);
    free(b->data);
  }
  free(b);
}

static void throw_out_of_memory(napi_env env, int64_t bytes) {
  char msg[128];
  snprintf(msg, sizeof msg, "nepenthe_native: out of memory allocating %lld bytes",
           (long long)bytes);
  napi_value code, message, error;
  if (napi_create_string_utf8(env, "ENOMEM", NAPI_AUTO_LENGTH, &code) != napi_ok ||
      napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message) != napi_ok ||
      napi_create_range_error(env, code, message, &error) != napi_ok) {
    napi_throw_range_error(env, "ENOMEM", msg);
    return;
  }
  napi_throw(env, error);
}

static napi_value js_alloc(napi_env env, napi_callback_info info) {
  int64_t bytes;
  if (!single_int_arg(env, info, "alloc takes a byte count", "bytes", &bytes)) return NULL;
  if (bytes < 0) {
    napi_throw_range_error(env, NULL, "nepenthe_native: alloc takes a byte count >= 0");
    return NULL;
  }
  /* NEPENTHE_ALLOC_LIMIT (bytes): fail any larger allocation, to test the out-of-memory path. */
  static int64_t limit = -2;
  if (limit == -2) {
    const char *text = getenv("NEPENTHE_ALLOC_LIMIT");
    limit = text != NULL && *text != '\0' ? (int64_t)strtoll(text, NULL, 10) : -1;
  }
  struct block *b = malloc(sizeof *b);
  void *data = NULL;
  /* calloc: fresh pages come zeroed from the system, reused ones are cleared. */
  if (b != NULL && (limit < 0 || bytes <= limit)) data = calloc((size_t)(bytes > 0 ? bytes : 1), 1);
  if (b == NULL || data == NULL) {
    free(b);
    throw_out_of_memory(env, bytes);
    return NULL;
  }
  b->data = data;
  b->released = 0;
  napi_value result;
  if (!live_insert(b)) {
    free(data);
    free(b);
    throw_out_of_memory(env, bytes);
    return NULL;
  }
  if (napi_create_external_arraybuffer(env, data, (size_t)bytes, block_finalize, b, &result) !=
      napi_ok) {
    live_take(data);
    free(data);
    free(b);
    napi_throw_error(env, NULL, "nepenthe_native: could not wrap an allocation");
    return NULL;
  }
  return result;
}

static napi_value js_release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool is = false;
  void *data = NULL;
  size_t length = 0;
  struct block *b = NULL;
  if (argc >= 1 && napi_is_arraybuffer(env, argv[0], &is) == napi_ok && is &&
      napi_get_arraybuffer_info(env, argv[0], &data, &length) == napi_ok)
    b = live_take(data);
  if (b == NULL) {
    napi_throw_type_error(env, NULL,
                          "nepenthe_native: release takes a live ArrayBuffer from alloc");
    return NULL;
  }
  if (napi_detach_arraybuffer(env, argv[0]) != napi_ok) {
    live_insert(b);
    napi_throw_error(env, NULL, "nepenthe_native: could not detach the buffer");
    return NULL;
  }
  free(b->data);
  b->released = 1;
  return NULL;
}

/* sauImportance(heap, g, m, w | -1, xnorm | -1, out, in, width, lambda): w and xnorm both
 * given (Wanda scores) or both -1 (Fisher). */
static napi_value js_sau_importance(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  if (!args_with_heap(env, info, 9, argv, "sauImportance")) return NULL;
  double off[5], lambda;
  int64_t in, width;
  for (int i = 0; i < 5; i++)
    if (!double_arg(env, argv[1 + i], &off[i], "an offset")) return NULL;
  if (!int_arg(env, argv[6], &in, "in") || !int_arg(env, argv[7], &width, "width") ||
      !double_arg(env, argv[8], &lambda, "lambda"))
    return NULL;
  int wanda = off[2] >= 0;
  if (in < 0 || width < 0 || wanda != (off[3] >= 0)) {
    napi_throw_range_error(env, NULL,
                           "nepenthe_native: sauImportance takes sizes >= 0 and both w and "
                           "xnorm, or neither");
    return NULL;
  }
  double n = (double)in * (double)width;
  if (!in_bounds(env, off[0], n, "g") || !in_bounds(env, off[1], n, "m") ||
      !in_bounds(env, off[4], n, "out") ||
      (wanda && (!in_bounds(env, off[2], n, "w") || !in_bounds(env, off[3], (double)in, "xnorm"))))
    return NULL;
  if (nep_sau_importance(AT(off[0]), AT(off[1]), wanda ? AT(off[2]) : NULL,
                         wanda ? AT(off[3]) : NULL, (float)lambda, (size_t)in, (size_t)width,
                         AT(off[4])) != 0)
    throw_out_of_memory(env, width * 16);
  return NULL;
}

/* maskKeep(heap, w, m, out, n). */
static napi_value js_mask_keep(napi_env env, napi_callback_info info) {
  napi_value argv[5];
  if (!args_with_heap(env, info, 5, argv, "maskKeep")) return NULL;
  int64_t v[4];
  if (!sizes_arg(env, argv, 1, 4, v)) return NULL;
  if (!in_bounds(env, (double)v[0], (double)v[3], "w") ||
      !in_bounds(env, (double)v[1], (double)v[3], "m") ||
      !in_bounds(env, (double)v[2], (double)v[3], "out"))
    return NULL;
  nep_mask_keep(AT(v[0]), AT(v[1]), AT(v[2]), (size_t)v[3]);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
#if defined(__GLIBC__)
  /* Tensors of a train step are freed and allocated again at the same sizes every step. glibc
   * serves blocks above its mmap threshold (32 MB at most) with fresh mappings: page faults and
   * zeroing on every allocation. Keeping them in the heap lets the next step reuse the pages. */
  if (getenv("NEPENTHE_MALLOC_DEFAULTS") == NULL) {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
  }
#endif
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"setThreads", NULL, js_set_threads, NULL, NULL, NULL, napi_default, NULL},
      {"gemm", NULL, js_gemm, NULL, NULL, NULL, napi_default, NULL},
      {"unary", NULL, js_unary, NULL, NULL, NULL, napi_default, NULL},
      {"binary", NULL, js_binary, NULL, NULL, NULL, napi_default, NULL},
      {"binaryRows", NULL, js_binary_rows, NULL, NULL, NULL, napi_default, NULL},
      {"sum", NULL, js_sum, NULL, NULL, NULL, napi_default, NULL},
      {"adamw", NULL, js_adamw, NULL, NULL, NULL, napi_default, NULL},
      {"sumSquares", NULL, js_sum_squares, NULL, NULL, NULL, napi_default, NULL},
      {"geluGrad", NULL, js_gelu_grad, NULL, NULL, NULL, napi_default, NULL},
      {"swiglu", NULL, js_swiglu, NULL, NULL, NULL, napi_default, NULL},
      {"swigluGrad", NULL, js_swiglu_grad, NULL, NULL, NULL, napi_default, NULL},
      {"rmsNorm", NULL, js_rms_norm, NULL, NULL, NULL, napi_default, NULL},
      {"rmsNormGrad", NULL, js_rms_norm_grad, NULL, NULL, NULL, napi_default, NULL},
      {"maskedSoftmax", NULL, js_masked_softmax, NULL, NULL, NULL, napi_default, NULL},
      {"softmaxGrad", NULL, js_softmax_grad, NULL, NULL, NULL, napi_default, NULL},
      {"copyBlocks", NULL, js_copy_blocks, NULL, NULL, NULL, napi_default, NULL},
      {"gatherRows", NULL, js_gather_rows, NULL, NULL, NULL, napi_default, NULL},
      {"xentForward", NULL, js_xent_forward, NULL, NULL, NULL, napi_default, NULL},
      {"tokenStats", NULL, js_token_stats, NULL, NULL, NULL, napi_default, NULL},
      {"bounded", NULL, js_bounded, NULL, NULL, NULL, napi_default, NULL},
      {"sauImportance", NULL, js_sau_importance, NULL, NULL, NULL, napi_default, NULL},
      {"maskKeep", NULL, js_mask_keep, NULL, NULL, NULL, napi_default, NULL},
      {"xentBackward", NULL, js_xent_backward, NULL, NULL, NULL, napi_default, NULL},
      {"layerNorm", NULL, js_layer_norm, NULL, NULL, NULL, napi_default, NULL},
      {"layerNormGrad", NULL, js_layer_norm_grad, NULL, NULL, NULL, napi_default, NULL},
      {"alloc", NULL, js_alloc, NULL, NULL, NULL, napi_default, NULL},
      {"release", NULL, js_release, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
    return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
