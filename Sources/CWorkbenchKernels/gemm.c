// workbench's own single-threaded sgemm: C = alpha·op(A)·op(B) + beta·C, row-major, in the
// layout of BLIS and GotoBLAS — B packed in KC×NR column panels, A in MC×KC blocks of MR-row
// panels, and a register-blocked MR×NR micro-kernel that keeps its tile of C in vector registers
// for a whole KC slice. The micro-kernel is written once with vector types of W floats and built
// for each kernel set: 4 floats (SSE2, 6×8 tiles), 8 (AVX2 + FMA, 6×16), 16 (AVX-512, 14×32).
//
// Training a GPT multiplies thin matrices (K or N the model width, often 64–512), where a
// library tuned for large squares loses most of its speed to packing and edge handling; here a
// multiply with K ≤ KC touches each C tile once.
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define KC 256
#define MC 96  // rows of A packed at once: a multiple of 6 (SSE2, AVX2); 14-row panels pad it
#define NC 3072

typedef struct {
  float *a, *b;
  long a_floats, b_floats;
} pack_buffers;

static _Thread_local pack_buffers buffers;

static float *reserve(float **buffer, long *have, long floats) {
  if (*have < floats) {
    free(*buffer);
    *buffer = aligned_alloc(64, (size_t)((floats * 4 + 63) / 64 * 64));
    *have = *buffer ? floats : 0;
  }
  return *buffer;
}

/// C = beta·C + bias (beta 0 writes zeros, whatever C held; no bias when NULL).
static void scale_c(long m, long n, float beta, float *c, long ldc, const float *bias) {
  for (long i = 0; i < m; i++) {
    float *row = c + i * ldc;
    if (beta == 0) memset(row, 0, sizeof(float) * (size_t)n);
    else if (beta != 1)
      for (long j = 0; j < n; j++) row[j] *= beta;
    if (bias)
      for (long j = 0; j < n; j++) row[j] += bias[j];
  }
}

/// The multiply without packing buffers, for when they cannot be allocated.
static void gemm_unpacked(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                          const float *b, long ldb, float beta, float *c, long ldc, const float *bias) {
  scale_c(m, n, beta, c, ldc, bias);
  for (long i = 0; i < m; i++) {
    for (long p = 0; p < k; p++) {
      float x = alpha * (trans_a ? a[p * lda + i] : a[i * lda + p]);
      for (long j = 0; j < n; j++) c[i * ldc + j] += x * (trans_b ? b[j * ldb + p] : b[p * ldb + j]);
    }
  }
}

/// Defines `gemm_<suffix>`: the whole blocked multiply for vectors of `W` floats and MR×NR tiles
/// (NR = 2·W), compiled with `TARGET`.
#define WB_DEFINE_GEMM(suffix, TARGET, W, MR)                                                                       \
  typedef float vec_##suffix __attribute__((vector_size(W * 4), aligned(4)));                                      \
                                                                                                                    \
  /* B[k0..<k0+kc, j0..<j0+nc] of op(B) into panels of NR columns: [panel][kc][NR], zero-padded. */               \
  TARGET static void pack_b_##suffix(float *dst, const float *b, long ldb, int trans, long k0, long kc, long j0,   \
                                     long nc) {                                                                     \
    enum { NR = 2 * W };                                                                                            \
    for (long jp = 0; jp < nc; jp += NR) {                                                                          \
      long cols = WB_MIN(NR, nc - jp);                                                                              \
      float *panel = dst + jp * kc;                                                                                 \
      if (!trans && cols == NR) {                                                                                   \
        for (long p = 0; p < kc; p++) memcpy(panel + p * NR, b + (k0 + p) * ldb + j0 + jp, sizeof(float) * NR);    \
      } else if (!trans) {                                                                                          \
        for (long p = 0; p < kc; p++) {                                                                             \
          const float *src = b + (k0 + p) * ldb + j0 + jp;                                                          \
          for (long j = 0; j < NR; j++) panel[p * NR + j] = j < cols ? src[j] : 0.0f;                               \
        }                                                                                                           \
      } else {                                                                                                      \
        for (long j = 0; j < NR; j++) {                                                                             \
          if (j < cols) {                                                                                           \
            const float *src = b + (j0 + jp + j) * ldb + k0;                                                        \
            for (long p = 0; p < kc; p++) panel[p * NR + j] = src[p];                                               \
          } else {                                                                                                  \
            for (long p = 0; p < kc; p++) panel[p * NR + j] = 0.0f;                                                 \
          }                                                                                                         \
        }                                                                                                           \
      }                                                                                                             \
    }                                                                                                               \
  }                                                                                                                 \
                                                                                                                    \
  /* A[i0..<i0+mc, k0..<k0+kc] of op(A) into panels of MR rows: [panel][kc][MR], zero-padded. */                  \
  TARGET static void pack_a_##suffix(float *dst, const float *a, long lda, int trans, long i0, long mc, long k0,   \
                                     long kc) {                                                                     \
    for (long ip = 0; ip < mc; ip += MR) {                                                                          \
      long rows = WB_MIN(MR, mc - ip);                                                                              \
      float *panel = dst + ip * kc;                                                                                 \
      if (trans && rows == MR) {                                                                                    \
        for (long p = 0; p < kc; p++) memcpy(panel + p * MR, a + (k0 + p) * lda + i0 + ip, sizeof(float) * MR);     \
      } else if (trans) {                                                                                           \
        for (long p = 0; p < kc; p++) {                                                                             \
          const float *src = a + (k0 + p) * lda + i0 + ip;                                                          \
          for (long i = 0; i < MR; i++) panel[p * MR + i] = i < rows ? src[i] : 0.0f;                               \
        }                                                                                                           \
      } else {                                                                                                      \
        for (long i = 0; i < MR; i++) {                                                                             \
          if (i < rows) {                                                                                           \
            const float *src = a + (i0 + ip + i) * lda + k0;                                                        \
            for (long p = 0; p < kc; p++) panel[p * MR + i] = src[p];                                               \
          } else {                                                                                                  \
            for (long p = 0; p < kc; p++) panel[p * MR + i] = 0.0f;                                                 \
          }                                                                                                         \
        }                                                                                                           \
      }                                                                                                             \
    }                                                                                                               \
  }                                                                                                                 \
                                                                                                                    \
  /* C tile (rows × cols of MR × NR) = alpha·(packed A panel · packed B panel) + beta·C. */                        \
  TARGET static void tile_##suffix(long kc, const float *pa, const float *pb, float *c, long ldc, long rows,       \
                                   long cols, float alpha, float beta, const float *bias) {                         \
    vec_##suffix acc0[MR], acc1[MR];                                                                                \
    for (int i = 0; i < MR; i++) {                                                                                  \
      acc0[i] = (vec_##suffix){0};                                                                                  \
      acc1[i] = (vec_##suffix){0};                                                                                  \
    }                                                                                                               \
    for (long p = 0; p < kc; p++) {                                                                                 \
      vec_##suffix b0, b1;                                                                                          \
      memcpy(&b0, pb + p * 2 * W, sizeof(b0));                                                                      \
      memcpy(&b1, pb + p * 2 * W + W, sizeof(b1));                                                                  \
      const float *ap = pa + p * MR;                                                                                \
      for (int i = 0; i < MR; i++) { /* a scalar times a vector: a broadcast, then an FMA */                       \
        acc0[i] += ap[i] * b0;                                                                                      \
        acc1[i] += ap[i] * b1;                                                                                      \
      }                                                                                                             \
    }                                                                                                               \
    if (rows == MR && cols == 2 * W) {                                                                              \
      for (int i = 0; i < MR; i++) {                                                                                \
        float *row = c + i * ldc;                                                                                   \
        vec_##suffix c0 = acc0[i] * alpha, c1 = acc1[i] * alpha;                                                    \
        if (beta != 0) {                                                                                            \
          vec_##suffix o0, o1;                                                                                      \
          memcpy(&o0, row, sizeof(o0));                                                                             \
          memcpy(&o1, row + W, sizeof(o1));                                                                         \
          c0 += o0 * beta;                                                                                          \
          c1 += o1 * beta;                                                                                          \
        }                                                                                                           \
        if (bias) {                                                                                                 \
          vec_##suffix b0, b1;                                                                                      \
          memcpy(&b0, bias, sizeof(b0));                                                                            \
          memcpy(&b1, bias + W, sizeof(b1));                                                                        \
          c0 += b0;                                                                                                 \
          c1 += b1;                                                                                                 \
        }                                                                                                           \
        memcpy(row, &c0, sizeof(c0));                                                                               \
        memcpy(row + W, &c1, sizeof(c1));                                                                           \
      }                                                                                                             \
    } else {                                                                                                        \
      float tile[MR][2 * W];                                                                                        \
      for (int i = 0; i < MR; i++) {                                                                                \
        memcpy(tile[i], &acc0[i], sizeof(acc0[i]));                                                                 \
        memcpy(tile[i] + W, &acc1[i], sizeof(acc1[i]));                                                             \
      }                                                                                                             \
      for (long i = 0; i < rows; i++) {                                                                             \
        float *row = c + i * ldc;                                                                                   \
        if (beta != 0) {                                                                                            \
          for (long j = 0; j < cols; j++) row[j] = alpha * tile[i][j] + beta * row[j];                              \
        } else {                                                                                                    \
          for (long j = 0; j < cols; j++) row[j] = alpha * tile[i][j];                                              \
        }                                                                                                           \
        if (bias)                                                                                                   \
          for (long j = 0; j < cols; j++) row[j] += bias[j];                                                        \
      }                                                                                                             \
    }                                                                                                               \
  }                                                                                                                 \
                                                                                                                    \
  TARGET static void gemm_##suffix(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a,  \
                                   long lda, const float *b, long ldb, float beta, float *c, long ldc,              \
                                   const float *bias) {                                                             \
    enum { NR = 2 * W };                                                                                            \
    long mc_max = (MC + MR - 1) / MR * MR;                                                                          \
    long nc_max = WB_MIN(NC, (n + NR - 1) / NR * NR);                                                               \
    float *pa = reserve(&buffers.a, &buffers.a_floats, mc_max * KC);                                                \
    float *pb = reserve(&buffers.b, &buffers.b_floats, nc_max * KC);                                                \
    if (!pa || !pb) {                                                                                               \
      gemm_unpacked(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);                          \
      return;                                                                                                       \
    }                                                                                                               \
    for (long j0 = 0; j0 < n; j0 += NC) {                                                                           \
      long nc = WB_MIN(NC, n - j0);                                                                                 \
      for (long k0 = 0; k0 < k; k0 += KC) {                                                                         \
        long kc = WB_MIN(KC, k - k0);                                                                               \
        float slice_beta = k0 == 0 ? beta : 1.0f;                                                                   \
        const float *slice_bias = k0 == 0 && bias ? bias + j0 : 0; /* added once, with the first slice */         \
        pack_b_##suffix(pb, b, ldb, trans_b, k0, kc, j0, nc);                                                       \
        for (long i0 = 0; i0 < m; i0 += mc_max) {                                                                   \
          long mc = WB_MIN(mc_max, m - i0);                                                                         \
          pack_a_##suffix(pa, a, lda, trans_a, i0, mc, k0, kc);                                                     \
          for (long jr = 0; jr < nc; jr += NR) {                                                                    \
            const float *tile_bias = slice_bias ? slice_bias + jr : 0;                                              \
            for (long ir = 0; ir < mc; ir += MR) {                                                                  \
              tile_##suffix(kc, pa + ir * kc, pb + jr * kc, c + (i0 + ir) * ldc + j0 + jr, ldc,                     \
                            WB_MIN(MR, mc - ir), WB_MIN(NR, nc - jr), alpha, slice_beta, tile_bias);                \
            }                                                                                                       \
          }                                                                                                         \
        }                                                                                                           \
      }                                                                                                             \
    }                                                                                                               \
  }

#define WB_NO_TARGET
WB_DEFINE_GEMM(generic, WB_NO_TARGET, 4, 6)
#if defined(__x86_64__) && defined(__clang__)
WB_DEFINE_GEMM(avx2, WB_TARGET_AVX2, 8, 6)
WB_DEFINE_GEMM(avx512, WB_TARGET_AVX512, 16, 14)
// The AVX-512 tiling built for AVX2: the same 14×32 logic, so a machine without AVX-512 can
// check it (slowly: its tile does not fit AVX2's registers).
WB_DEFINE_GEMM(wide_on_avx2, WB_TARGET_AVX2, 16, 14)
#endif

void wb_gemm_own(int variant, int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                 const float *b, long ldb, float beta, float *c, long ldc, const float *bias) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0) {
    scale_c(m, n, beta, c, ldc, bias);
    return;
  }
#if defined(__x86_64__) && defined(__clang__)
  switch (variant) {
  case WB_GEMM_AVX512: gemm_avx512(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias); return;
  case WB_GEMM_AVX2: gemm_avx2(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias); return;
  case WB_GEMM_WIDE_ON_AVX2:
    gemm_wide_on_avx2(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
    return;
  default: break;
  }
#endif
  gemm_generic(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
}
