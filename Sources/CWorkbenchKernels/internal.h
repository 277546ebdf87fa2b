// Shared helpers of the kernel files (not part of the public interface).
#ifndef WB_INTERNAL_H
#define WB_INTERNAL_H

#include "wb_kernels.h"

/// A task over the index range [begin, end).
typedef void (*wb_range_fn)(void *ctx, long begin, long end);

/// Runs fn over [0, n) split into one contiguous range per thread (ranges of at least `grain`
/// indices; fewer threads when n is small). Returns when every range is done.
void wb_parallel_for(long n, long grain, wb_range_fn fn, void *ctx);

/// Hot loops get an AVX2 clone picked at load time on x86-64, and a portable default elsewhere.
#if defined(__x86_64__) && defined(__clang__) && defined(__linux__)
#define WB_HOT __attribute__((target_clones("avx2", "default")))
#else
#define WB_HOT
#endif

/// e^x in float32 with ~2 ulp error, written so loops over it vectorize: Cody–Waite reduction
/// x = n·ln2 + r, a degree-6 polynomial for e^r on [−ln2/2, ln2/2], and 2^n built in the exponent
/// bits. Underflow gives 0, overflow +inf, and NaN stays NaN.
static inline float wb_expf(float x) {
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
