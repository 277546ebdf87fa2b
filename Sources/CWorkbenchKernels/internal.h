// Shared helpers of the kernel files (not part of the public interface).
#ifndef WB_INTERNAL_H
#define WB_INTERNAL_H

#include "wb_kernels.h"

/// A task over the index range [begin, end).
typedef void (*wb_range_fn)(void *ctx, long begin, long end);

/// Runs fn over [0, n) split into one contiguous range per thread (ranges of at least `grain`
/// indices; fewer threads when n is small). Returns when every range is done.
void wb_parallel_for(long n, long grain, wb_range_fn fn, void *ctx);

/// Defines a range task `name(void *p, long begin, long end)` whose body (the block after the
/// macro) is compiled once per kernel set — baseline x86-64, AVX2 + FMA, AVX-512 (F, DQ, BW, VL) —
/// and dispatched on `wb_kernel_set()`, so the set can be chosen, forced and tested at run time.
/// The pool runs each task with the kernel set of the thread that started it.
#if defined(__x86_64__) && defined(__clang__)
#define WB_TARGET_AVX2 __attribute__((target("avx2,fma,f16c,bmi2")))
#define WB_TARGET_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma,f16c,bmi2")))
#define WB_KERNEL(name)                                                                                           \
  static inline __attribute__((always_inline)) void name##_body(void *p, long begin, long end);                  \
  WB_TARGET_AVX512 static void name##_avx512(void *p, long begin, long end) { name##_body(p, begin, end); }       \
  WB_TARGET_AVX2 static void name##_avx2(void *p, long begin, long end) { name##_body(p, begin, end); }           \
  static void name##_generic(void *p, long begin, long end) { name##_body(p, begin, end); }                      \
  static void name(void *p, long begin, long end) {                                                              \
    switch (wb_kernel_set()) {                                                                                   \
    case WB_KERNELS_AVX512: name##_avx512(p, begin, end); break;                                                 \
    case WB_KERNELS_AVX2: name##_avx2(p, begin, end); break;                                                     \
    default: name##_generic(p, begin, end); break;                                                               \
    }                                                                                                            \
  }                                                                                                              \
  static inline __attribute__((always_inline)) void name##_body(void *p, long begin, long end)
#else
#define WB_KERNEL(name) static void name(void *p, long begin, long end)
#endif

/// One (non-batched) row-major sgemm on the calling thread: workbench's own multiply in the
/// thread's kernel set, or the opened BLAS library when `wb_use_blas` chose it.
void wb_sgemm_call(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                   const float *b, long ldb, float beta, float *c, long ldc, const float *bias);

/// e^x in float32 with ~2 ulp error, written so loops over it vectorize: Cody–Waite reduction
/// x = n·ln2 + r, a degree-6 polynomial for e^r on [−ln2/2, ln2/2], and 2^n built in the exponent
/// bits. Underflow gives 0, overflow +inf, and NaN stays NaN.
static inline __attribute__((always_inline)) float wb_expf(float x) {
  float clamped = x < -87.33654f ? -87.33654f : (x > 88.72283f ? 88.72283f : x);
  float n = __builtin_rintf(clamped * 1.44269504088896341f);
  float r = clamped - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  union {
    int i;
    float f;
  } scale = {.i = ((int)n + 127) << 23};
  float y = p * scale.f;
  y = x < -87.33654f ? 0.0f : y;
  y = x > 88.72283f ? __builtin_inff() : y;
  return x != x ? x : y;
}

/// tanh from wb_expf: 1 − 2/(e^{2x} + 1) (absolute error ~1e-7).
static inline float wb_tanhf(float x) { return 1.0f - 2.0f / (wb_expf(2.0f * x) + 1.0f); }

#define WB_MIN(a, b) ((a) < (b) ? (a) : (b))
#define WB_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
