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

#define WB_MIN(a, b) ((a) < (b) ? (a) : (b))
#define WB_MAX(a, b) ((a) > (b) ? (a) : (b))

#endif
