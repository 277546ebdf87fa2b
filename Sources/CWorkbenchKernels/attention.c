// Causal multi-head self-attention, flash-style: per query row the keys are visited in blocks with
// an online softmax (running max and sum, the accumulator rescaled once per block), and only the
// per-row log-sum-exp is saved. The backward pass recomputes the probabilities from it. No
// [T, T] buffer exists; each task (one batch row and head) needs O(hs + block) scratch.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define KEY_BLOCK 64

typedef struct {
  float *out, *lse, *dqkv;
  const float *qkv, *dout, *o;
  long batch, t, c, heads;
} attn_args;

static inline float dot(const float *a, const float *b, long n) {
#pragma clang fp reassociate(on)
  float total = 0;
  for (long i = 0; i < n; i++) total += a[i] * b[i];
  return total;
}

WB_HOT static void attention_forward_tasks(void *p, long begin, long end) {
  attn_args *a = p;
  long T = a->t, C = a->c, H = a->heads, hs = C / H, row = 3 * C;
  float scale = 1.0f / sqrtf((float)hs);
  float *acc = malloc(sizeof(float) * (size_t)(hs + KEY_BLOCK));
  float *scores = acc + hs;
  for (long task = begin; task < end; task++) {
    long b = task / H, h = task % H;
    const float *base = a->qkv + b * T * row;
    for (long t = 0; t < T; t++) {
      const float *q = base + t * row + h * hs;
      float m = -INFINITY, l = 0;
      for (long i = 0; i < hs; i++) acc[i] = 0;
      for (long s0 = 0; s0 <= t; s0 += KEY_BLOCK) {
        long s1 = WB_MIN(t + 1, s0 + KEY_BLOCK);
        float block_max = -INFINITY;
        for (long s = s0; s < s1; s++) {
          float score = dot(q, base + s * row + C + h * hs, hs) * scale;
          scores[s - s0] = score;
          block_max = score > block_max ? score : block_max;
        }
        float next = m > block_max ? m : block_max;
        float correction = expf(m - next);
        l *= correction;
        for (long i = 0; i < hs; i++) acc[i] *= correction;
        for (long s = s0; s < s1; s++) {
          float weight = expf(scores[s - s0] - next);
          const float *v = base + s * row + 2 * C + h * hs;
          l += weight;
          for (long i = 0; i < hs; i++) acc[i] += weight * v[i];
        }
        m = next;
      }
      float *out = a->out + (b * T + t) * C + h * hs;
      float inverse = 1.0f / l;
      for (long i = 0; i < hs; i++) out[i] = acc[i] * inverse;
      a->lse[(b * H + h) * T + t] = m + logf(l);
    }
  }
  free(acc);
}

void wb_attention_forward(float *out, float *lse, const float *qkv, long batch, long t, long c, long heads) {
  attn_args args = {.out = out, .lse = lse, .qkv = qkv, .batch = batch, .t = t, .c = c, .heads = heads};
  wb_parallel_for(batch * heads, 1, attention_forward_tasks, &args);
}

WB_HOT static void attention_backward_tasks(void *p, long begin, long end) {
  attn_args *a = p;
  long T = a->t, C = a->c, H = a->heads, hs = C / H, row = 3 * C;
  float scale = 1.0f / sqrtf((float)hs);
  for (long task = begin; task < end; task++) {
    long b = task / H, h = task % H;
    const float *base = a->qkv + b * T * row;
    float *dbase = a->dqkv + b * T * row;
    for (long t = 0; t < T; t++) {
      memset(dbase + t * row + h * hs, 0, sizeof(float) * (size_t)hs);
      memset(dbase + t * row + C + h * hs, 0, sizeof(float) * (size_t)hs);
      memset(dbase + t * row + 2 * C + h * hs, 0, sizeof(float) * (size_t)hs);
    }
    for (long t = 0; t < T; t++) {
      const float *q = base + t * row + h * hs;
      const float *dout = a->dout + (b * T + t) * C + h * hs;
      const float *out = a->o + (b * T + t) * C + h * hs;
      float *dq = dbase + t * row + h * hs;
      float lse = a->lse[(b * H + h) * T + t];
      float delta = dot(dout, out, hs);
      for (long s = 0; s <= t; s++) {
        const float *k = base + s * row + C + h * hs;
        const float *v = base + s * row + 2 * C + h * hs;
        float *dk = dbase + s * row + C + h * hs;
        float *dv = dbase + s * row + 2 * C + h * hs;
        float prob = expf(dot(q, k, hs) * scale - lse);
        float dprob = dot(dout, v, hs);
        float dscore = prob * (dprob - delta) * scale;
        for (long i = 0; i < hs; i++) {
          dv[i] += prob * dout[i];
          dq[i] += dscore * k[i];
          dk[i] += dscore * q[i];
        }
      }
    }
  }
}

void wb_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out, const float *lse,
                           long batch, long t, long c, long heads) {
  attn_args args = {.dqkv = dqkv, .dout = dout, .qkv = qkv, .o = out, .lse = (float *)lse, .batch = batch, .t = t,
                    .c = c, .heads = heads};
  wb_parallel_for(batch * heads, 1, attention_backward_tasks, &args);
}
