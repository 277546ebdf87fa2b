// Causal multi-head self-attention, flash-style (FlashAttention-2's tiling on the CPU): for each
// batch row and head, queries and keys go in blocks of 64 with an online softmax (running row max
// and sum, the accumulator rescaled once per block), and only the per-row log-sum-exp is saved;
// the backward pass recomputes each block's probabilities from it. No [T, T] buffer exists.
//
// The block products are small (64 × 64 × head size) and run through `block_product`, a
// register-tiled multiply that reads its left operand in place (any strides) and its right
// operand row-major: keys and values are laid out once per head (Kᵀ and Vᵀ, hs × T) instead of
// being packed for every block, which is what a general sgemm would do.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BLOCK 64

// The 8-float vectors below live only inside always-inlined helpers, so the baseline build's
// note that passing them by value would change the ABI (without AVX) does not apply.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v8 __attribute__((vector_size(32), aligned(4)));

static inline __attribute__((always_inline)) v8 load8(const float *x) {
  v8 v;
  memcpy(&v, x, sizeof(v));
  return v;
}

static inline __attribute__((always_inline)) void store8(float *x, v8 v) { memcpy(x, &v, sizeof(v)); }

/// What a block product on the diagonal tile may skip: nothing, the columns past each row
/// (C[i, c] for c > i: scores of keys after the query), the depth past each row (r > i: keys after
/// the query), or the depth before it (r < i: queries before the key, for the key-major products).
enum { FULL = 0, CAUSAL_COLUMNS = 1, CAUSAL_DEPTH_TO = 2, CAUSAL_DEPTH_FROM = 3 };

/// C[i, c] = alpha·Σ_r A[i·sai + r·sar]·B[r·ldb + c] (+ C[i, c] when `accumulate`), for i < rows,
/// c < cols, r < depth, less what `causal` skips: with CAUSAL_COLUMNS, C[i, c] for c > i is left
/// unwritten (up to the 16-column tile); with CAUSAL_DEPTH_TO or _FROM, the skipped terms must be
/// zero in A. Tiles of 6 rows × 16 columns keep their sums in 12 vector registers, which with two
/// rows of B and a broadcast fit AVX2's 16 (two SSE registers each on baseline x86-64).
static inline __attribute__((always_inline)) void block_product(long rows, long cols, long depth, float alpha,
                                                                const float *A, long sai, long sar, const float *B,
                                                                long ldb, float *Cm, long ldc, int accumulate,
                                                                int causal) {
#define WB_DEPTH_RANGE(first, last)                                                                                 \
  long r_begin = causal == CAUSAL_DEPTH_FROM ? WB_MIN(depth, first) : 0;                                           \
  long r_end = causal == CAUSAL_DEPTH_TO ? WB_MIN(depth, (last) + 1) : depth
  long c0 = 0;
  for (; c0 + 16 <= cols; c0 += 16) {
    long i0 = causal == CAUSAL_COLUMNS ? WB_MIN(rows, c0) : 0;  // rows before c0 need none of these columns
    for (; i0 + 6 <= rows; i0 += 6) {
      WB_DEPTH_RANGE(i0, i0 + 5);
      v8 acc[6][2] = {{0}};
      for (long r = r_begin; r < r_end; r++) {
        const float *b = B + r * ldb + c0;
        v8 b0 = load8(b), b1 = load8(b + 8);
        for (int i = 0; i < 6; i++) {
          float x = A[(i0 + i) * sai + r * sar];
          acc[i][0] += x * b0;
          acc[i][1] += x * b1;
        }
      }
      for (int i = 0; i < 6; i++) {
        float *c = Cm + (i0 + i) * ldc + c0;
        for (int q = 0; q < 2; q++) store8(c + 8 * q, acc[i][q] * alpha + (accumulate ? load8(c + 8 * q) : (v8){0}));
      }
    }
    for (; i0 < rows; i0++) {
      WB_DEPTH_RANGE(i0, i0);
      v8 acc[2] = {0};
      for (long r = r_begin; r < r_end; r++) {
        const float *b = B + r * ldb + c0;
        float x = A[i0 * sai + r * sar];
        acc[0] += x * load8(b);
        acc[1] += x * load8(b + 8);
      }
      float *c = Cm + i0 * ldc + c0;
      for (int q = 0; q < 2; q++) store8(c + 8 * q, acc[q] * alpha + (accumulate ? load8(c + 8 * q) : (v8){0}));
    }
  }
  for (; c0 + 8 <= cols; c0 += 8) {
    for (long i = causal == CAUSAL_COLUMNS ? WB_MIN(rows, c0) : 0; i < rows; i++) {
      WB_DEPTH_RANGE(i, i);
      v8 acc = {0};
      for (long r = r_begin; r < r_end; r++) acc += A[i * sai + r * sar] * load8(B + r * ldb + c0);
      float *c = Cm + i * ldc + c0;
      store8(c, acc * alpha + (accumulate ? load8(c) : (v8){0}));
    }
  }
  for (; c0 < cols; c0++) {
    for (long i = causal == CAUSAL_COLUMNS ? WB_MIN(rows, c0) : 0; i < rows; i++) {
      WB_DEPTH_RANGE(i, i);
      float acc = 0;
      for (long r = r_begin; r < r_end; r++) acc += A[i * sai + r * sar] * B[r * ldb + c0];
      float *c = Cm + i * ldc + c0;
      *c = acc * alpha + (accumulate ? *c : 0.0f);
    }
  }
#undef WB_DEPTH_RANGE
}

/// xt[x·stride + j] = X[j·ld + x] for j < t, x < hs; zero for t ≤ j < stride (the padding that
/// lets products run whole vectors of keys).
static void transpose_head(float *xt, const float *X, long ld, long t, long hs, long stride) {
  for (long j = 0; j < t; j++) {
    for (long x = 0; x < hs; x++) xt[x * stride + j] = X[j * ld + x];
  }
  for (long x = 0; x < hs; x++) {
    for (long j = t; j < stride; j++) xt[x * stride + j] = 0;
  }
}

/// Σ x[i]·y[i] over i < n (summed in vector lanes).
static inline __attribute__((always_inline)) float dot(const float *x, const float *y, long n) {
#pragma clang fp reassociate(on)
  float sum = 0;
  for (long i = 0; i < n; i++) sum += x[i] * y[i];
  return sum;
}

/// The largest of `start` and row[0..<n] (vectorizes: fmaxf is a reduction the compiler may reorder).
static inline __attribute__((always_inline)) float row_max(const float *row, long n, float start) {
  float top = start;
  for (long j = 0; j < n; j++) top = __builtin_fmaxf(top, row[j]);
  return top;
}

/// row[j] = e^(row[j] − shift) for j < n; returns their sum (summed in vector lanes).
static inline __attribute__((always_inline)) float row_exp_sum(float *row, long n, float shift) {
#pragma clang fp reassociate(on)
  float sum = 0;
  for (long j = 0; j < n; j++) {
    float e = wb_expf(row[j] - shift);
    row[j] = e;
    sum += e;
  }
  return sum;
}

typedef struct {
  float *out, *lse, *dqkv;
  const float *qkv, *dout, *o, *saved_lse;
  long batch, t, c, heads;
} attn_args;

WB_KERNEL(attention_forward_tasks) {
  attn_args *a = p;
  long T = a->t, C = a->c, H = a->heads, hs = C / H, ld = 3 * C, Tp = (T + 7) / 8 * 8;
  float scale = 1.0f / sqrtf((float)hs);
  float *scratch = malloc(sizeof(float) * (size_t)(BLOCK * (BLOCK + 8) + BLOCK * hs + 2 * BLOCK + hs * Tp));
  float *S = scratch, *acc = S + BLOCK * (BLOCK + 8), *m = acc + BLOCK * hs, *l = m + BLOCK, *Kt = l + BLOCK;
  long ls = BLOCK + 8;  // S rows hold a padded block of keys
  for (long task = begin; task < end; task++) {
    long b = task / H, h = task % H;
    const float *Q = a->qkv + b * T * ld + h * hs, *K = Q + C, *V = Q + 2 * C;
    transpose_head(Kt, K, ld, T, hs, Tp);
    for (long q0 = 0; q0 < T; q0 += BLOCK) {
      long nq = WB_MIN(BLOCK, T - q0);
      for (long i = 0; i < nq; i++) {
        m[i] = -INFINITY;
        l[i] = 0;
      }
      memset(acc, 0, sizeof(float) * (size_t)(nq * hs));
      for (long k0 = 0; k0 < q0 + nq; k0 += BLOCK) {
        long nk = WB_MIN(BLOCK, q0 + nq - k0);
        block_product(nq, (nk + 7) / 8 * 8, hs, scale, Q + q0 * ld, ld, 1, Kt + k0, Tp, S, ls, 0,
                      k0 == q0 ? CAUSAL_COLUMNS : FULL);
        for (long i = 0; i < nq; i++) {
          float *row = S + i * ls;
          long valid = WB_MIN(nk, q0 + i - k0 + 1);  // keys k0..<k0+valid are at or before query q0+i
          if (valid <= 0) {
            memset(row, 0, sizeof(float) * (size_t)nk);
            continue;
          }
          float top = row_max(row, valid, m[i]);
          float correction = wb_expf(m[i] - top);
          float sum = row_exp_sum(row, valid, top);
          for (long j = valid; j < nk; j++) row[j] = 0;
          l[i] = l[i] * correction + sum;
          m[i] = top;
          float *r = acc + i * hs;
          for (long x = 0; x < hs; x++) r[x] *= correction;
        }
        block_product(nq, hs, nk, 1.0f, S, ls, 1, V + k0 * ld, ld, acc, hs, 1, k0 == q0 ? CAUSAL_DEPTH_TO : FULL);
      }
      for (long i = 0; i < nq; i++) {
        long t = q0 + i;
        float *out = a->out + (b * T + t) * C + h * hs;
        float inverse = 1.0f / l[i];
        for (long x = 0; x < hs; x++) out[x] = acc[i * hs + x] * inverse;
        a->lse[(b * H + h) * T + t] = m[i] + logf(l[i]);
      }
    }
  }
  free(scratch);
}

void wb_attention_forward(float *out, float *lse, const float *qkv, long batch, long t, long c, long heads) {
  attn_args args = {.out = out, .lse = lse, .qkv = qkv, .batch = batch, .t = t, .c = c, .heads = heads};
  wb_parallel_for(batch * heads, 1, attention_forward_tasks, &args);
}

WB_KERNEL(attention_backward_tasks) {
  attn_args *a = p;
  long T = a->t, C = a->c, H = a->heads, hs = C / H, ld = 3 * C, Tp = (T + 7) / 8 * 8, ls = BLOCK + 8;
  float scale = 1.0f / sqrtf((float)hs);
  float *scratch = malloc(sizeof(float) * (size_t)(2 * BLOCK * ls + T + 2 * hs * Tp));
  float *P = scratch, *dP = P + BLOCK * ls, *D = dP + BLOCK * ls, *Kt = D + T, *Vt = Kt + hs * Tp;
  for (long task = begin; task < end; task++) {
    long b = task / H, h = task % H;
    const float *Q = a->qkv + b * T * ld + h * hs, *K = Q + C, *V = Q + 2 * C;
    float *dQ = a->dqkv + b * T * ld + h * hs, *dK = dQ + C, *dV = dQ + 2 * C;
    const float *dO = a->dout + b * T * C + h * hs, *O = a->o + b * T * C + h * hs;
    const float *lse = a->saved_lse + (b * H + h) * T;
    transpose_head(Kt, K, ld, T, hs, Tp);
    transpose_head(Vt, V, ld, T, hs, Tp);
    for (long t = 0; t < T; t++) {
      D[t] = dot(dO + t * C, O + t * C, hs);
      memset(dQ + t * ld, 0, sizeof(float) * (size_t)hs);
      memset(dK + t * ld, 0, sizeof(float) * (size_t)hs);
      memset(dV + t * ld, 0, sizeof(float) * (size_t)hs);
    }
    for (long q0 = 0; q0 < T; q0 += BLOCK) {
      long nq = WB_MIN(BLOCK, T - q0);
      for (long k0 = 0; k0 < q0 + nq; k0 += BLOCK) {
        long nk = WB_MIN(BLOCK, q0 + nq - k0), nkp = (nk + 7) / 8 * 8;
        int diagonal = k0 == q0;  // the tile holding the causal mask's edge
        // P = exp(scale·Q·Kᵀ − lse), zero past the diagonal
        block_product(nq, nkp, hs, scale, Q + q0 * ld, ld, 1, Kt + k0, Tp, P, ls, 0, diagonal ? CAUSAL_COLUMNS : FULL);
        for (long i = 0; i < nq; i++) {
          float *row = P + i * ls;
          long valid = WB_MAX(0, WB_MIN(nk, q0 + i - k0 + 1));
          float shift = lse[q0 + i];
          for (long j = 0; j < valid; j++) row[j] = wb_expf(row[j] - shift);
          for (long j = valid; j < nk; j++) row[j] = 0;
        }
        // dV += Pᵀ·dO;  dP = dO·Vᵀ
        block_product(nk, hs, nq, 1.0f, P, 1, ls, dO + q0 * C, C, dV + k0 * ld, ld, 1, diagonal ? CAUSAL_DEPTH_FROM : FULL);
        block_product(nq, nkp, hs, 1.0f, dO + q0 * C, C, 1, Vt + k0, Tp, dP, ls, 0, diagonal ? CAUSAL_COLUMNS : FULL);
        // dS = P ⊙ (dP − D)·scale, kept in dP (zero past the diagonal, where dP was not computed)
        for (long i = 0; i < nq; i++) {
          float delta = D[q0 + i];
          float *dp = dP + i * ls;
          const float *pr = P + i * ls;
          long valid = WB_MAX(0, WB_MIN(nk, q0 + i - k0 + 1));
          for (long j = 0; j < valid; j++) dp[j] = pr[j] * (dp[j] - delta) * scale;
          for (long j = valid; j < nk; j++) dp[j] = 0;
        }
        // dQ += dS·K;  dK += dSᵀ·Q
        block_product(nq, hs, nk, 1.0f, dP, ls, 1, K + k0 * ld, ld, dQ + q0 * ld, ld, 1, diagonal ? CAUSAL_DEPTH_TO : FULL);
        block_product(nk, hs, nq, 1.0f, dP, 1, ls, Q + q0 * ld, ld, dK + k0 * ld, ld, 1, diagonal ? CAUSAL_DEPTH_FROM : FULL);
      }
    }
  }
  free(scratch);
}

void wb_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out, const float *lse,
                           long batch, long t, long c, long heads) {
  attn_args args = {.dqkv = dqkv, .dout = dout, .qkv = qkv, .o = out, .saved_lse = lse, .batch = batch, .t = t,
                    .c = c, .heads = heads};
  wb_parallel_for(batch * heads, 1, attention_backward_tasks, &args);
}

typedef struct {
  float *out;
  const float *cache;
  long position, t_max, c, heads;
} decode_args;

/// Tasks are (sequence, head) pairs; each reads its query row and the key/value rows before it.
WB_KERNEL(attention_decode_tasks) {
  decode_args *a = p;
  long C = a->c, H = a->heads, hs = C / H, ld = 3 * C, n = a->position + 1;
  float scale = 1.0f / sqrtf((float)hs);
  float *scores = malloc(sizeof(float) * (size_t)n);
  for (long task = begin; task < end; task++) {
    long b = task / H, h = task % H;
    const float *rows = a->cache + b * a->t_max * ld + h * hs;
    const float *q = rows + a->position * ld;
    float top = -INFINITY;
    for (long s = 0; s < n; s++) {
      const float *k = rows + s * ld + C;
      float dot = 0;
      for (long x = 0; x < hs; x++) dot += q[x] * k[x];
      scores[s] = dot * scale;
      top = scores[s] > top ? scores[s] : top;
    }
    float sum = 0;
    for (long s = 0; s < n; s++) {
      scores[s] = wb_expf(scores[s] - top);
      sum += scores[s];
    }
    float *out = a->out + b * C + h * hs;
    for (long x = 0; x < hs; x++) out[x] = 0;
    for (long s = 0; s < n; s++) {
      const float *v = rows + s * ld + 2 * C;
      float weight = scores[s] / sum;
      for (long x = 0; x < hs; x++) out[x] += weight * v[x];
    }
  }
  free(scores);
}

void wb_attention_decode(float *out, const float *cache, long batch, long position, long t_max, long c, long heads) {
  decode_args args = {.out = out, .cache = cache, .position = position, .t_max = t_max, .c = c, .heads = heads};
  wb_parallel_for(batch * heads, 1, attention_decode_tasks, &args);
}
