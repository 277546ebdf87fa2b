// Causal multi-head self-attention, flash-style (FlashAttention-2's tiling on the CPU): for each
// batch row and head, queries and keys go in blocks of 64; a block of scores is one small sgemm,
// the softmax is online (running row max and sum, the accumulator rescaled once per block), and
// only the per-row log-sum-exp is saved. The backward pass recomputes each block's probabilities
// from it. No [T, T] buffer exists: each task needs two 64×64 tiles and O(T + 64·hs) scratch.
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BLOCK 64

typedef struct {
  float *out, *lse, *dqkv;
  const float *qkv, *dout, *o, *saved_lse;
  long batch, t, c, heads;
} attn_args;

WB_HOT static void attention_forward_tasks(void *p, long begin, long end) {
  attn_args *a = p;
  long T = a->t, C = a->c, H = a->heads, hs = C / H, ld = 3 * C;
  float scale = 1.0f / sqrtf((float)hs);
  float *scratch = malloc(sizeof(float) * (size_t)(BLOCK * BLOCK + BLOCK * hs + 2 * BLOCK));
  float *S = scratch, *acc = S + BLOCK * BLOCK, *m = acc + BLOCK * hs, *l = m + BLOCK;
  for (long task = begin; task < end; task++) {
    long b = task / H, h = task % H;
    const float *Q = a->qkv + b * T * ld + h * hs, *K = Q + C, *V = Q + 2 * C;
    for (long q0 = 0; q0 < T; q0 += BLOCK) {
      long nq = WB_MIN(BLOCK, T - q0);
      for (long i = 0; i < nq; i++) {
        m[i] = -INFINITY;
        l[i] = 0;
      }
      memset(acc, 0, sizeof(float) * (size_t)(nq * hs));
      for (long k0 = 0; k0 < q0 + nq; k0 += BLOCK) {
        long nk = WB_MIN(BLOCK, q0 + nq - k0);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)nk, (int)hs, scale, Q + q0 * ld, (int)ld,
                    K + k0 * ld, (int)ld, 0.0f, S, BLOCK);
        for (long i = 0; i < nq; i++) {
          float *row = S + i * BLOCK;
          long valid = WB_MIN(nk, q0 + i - k0 + 1);  // keys k0..<k0+valid are at or before query q0+i
          if (valid <= 0) {
            memset(row, 0, sizeof(float) * (size_t)nk);
            continue;
          }
          float top = m[i];
          for (long j = 0; j < valid; j++) top = row[j] > top ? row[j] : top;
          float correction = wb_expf(m[i] - top);
          float sum = 0;
          for (long j = 0; j < valid; j++) {
            row[j] = wb_expf(row[j] - top);
            sum += row[j];
          }
          for (long j = valid; j < nk; j++) row[j] = 0;
          l[i] = l[i] * correction + sum;
          m[i] = top;
          float *r = acc + i * hs;
          for (long x = 0; x < hs; x++) r[x] *= correction;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nq, (int)hs, (int)nk, 1.0f, S, BLOCK, V + k0 * ld,
                    (int)ld, 1.0f, acc, (int)hs);
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

WB_HOT static void attention_backward_tasks(void *p, long begin, long end) {
  attn_args *a = p;
  long T = a->t, C = a->c, H = a->heads, hs = C / H, ld = 3 * C;
  float scale = 1.0f / sqrtf((float)hs);
  float *scratch = malloc(sizeof(float) * (size_t)(2 * BLOCK * BLOCK + T));
  float *P = scratch, *dP = P + BLOCK * BLOCK, *D = dP + BLOCK * BLOCK;
  for (long task = begin; task < end; task++) {
    long b = task / H, h = task % H;
    const float *Q = a->qkv + b * T * ld + h * hs, *K = Q + C, *V = Q + 2 * C;
    float *dQ = a->dqkv + b * T * ld + h * hs, *dK = dQ + C, *dV = dQ + 2 * C;
    const float *dO = a->dout + b * T * C + h * hs, *O = a->o + b * T * C + h * hs;
    const float *lse = a->saved_lse + (b * H + h) * T;
    for (long t = 0; t < T; t++) {
      float delta = 0;
      for (long x = 0; x < hs; x++) delta += dO[t * C + x] * O[t * C + x];
      D[t] = delta;
      memset(dQ + t * ld, 0, sizeof(float) * (size_t)hs);
      memset(dK + t * ld, 0, sizeof(float) * (size_t)hs);
      memset(dV + t * ld, 0, sizeof(float) * (size_t)hs);
    }
    for (long q0 = 0; q0 < T; q0 += BLOCK) {
      long nq = WB_MIN(BLOCK, T - q0);
      for (long k0 = 0; k0 < q0 + nq; k0 += BLOCK) {
        long nk = WB_MIN(BLOCK, q0 + nq - k0);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)nk, (int)hs, scale, Q + q0 * ld, (int)ld,
                    K + k0 * ld, (int)ld, 0.0f, P, BLOCK);
        for (long i = 0; i < nq; i++) {
          float *row = P + i * BLOCK;
          long valid = WB_MAX(0, WB_MIN(nk, q0 + i - k0 + 1));
          float shift = lse[q0 + i];
          for (long j = 0; j < valid; j++) row[j] = wb_expf(row[j] - shift);
          for (long j = valid; j < nk; j++) row[j] = 0;
        }
        // dV += Pᵀ·dO;  dP = dO·Vᵀ
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nk, (int)hs, (int)nq, 1.0f, P, BLOCK, dO + q0 * C,
                    (int)C, 1.0f, dV + k0 * ld, (int)ld);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)nk, (int)hs, 1.0f, dO + q0 * C, (int)C,
                    V + k0 * ld, (int)ld, 0.0f, dP, BLOCK);
        // dS = P ⊙ (dP − D)·scale, kept in dP
        for (long i = 0; i < nq; i++) {
          float delta = D[q0 + i];
          float *dp = dP + i * BLOCK;
          const float *pr = P + i * BLOCK;
          for (long j = 0; j < nk; j++) dp[j] = pr[j] * (dp[j] - delta) * scale;
        }
        // dQ += dS·K;  dK += dSᵀ·Q
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nq, (int)hs, (int)nk, 1.0f, dP, BLOCK, K + k0 * ld,
                    (int)ld, 1.0f, dQ + q0 * ld, (int)ld);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nk, (int)hs, (int)nq, 1.0f, dP, BLOCK, Q + q0 * ld,
                    (int)ld, 1.0f, dK + k0 * ld, (int)ld);
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
WB_HOT static void attention_decode_tasks(void *p, long begin, long end) {
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
