// Softmax cross-entropy over rows of logits, forward (per-row loss) and backward.
#include <math.h>

#include "internal.h"

typedef struct {
  float *losses, *dlogits;
  const float *logits, *dloss;
  const int32_t *targets;
  long rows, v;
  float scale;
} ce_args;

static inline float row_logsumexp(const float *x, long v) {
#pragma clang fp reassociate(on)
  float m = -INFINITY;
  for (long i = 0; i < v; i++) m = x[i] > m ? x[i] : m;
  float sum = 0;
  for (long i = 0; i < v; i++) sum += wb_expf(x[i] - m);
  return m + logf(sum);
}

WB_KERNEL(ce_forward_rows) {
  ce_args *a = p;
  for (long r = begin; r < end; r++) {
    const float *x = a->logits + r * a->v;
    int32_t target = a->targets[r];
    a->losses[r] = target < 0 ? 0.0f : row_logsumexp(x, a->v) - x[target];
  }
}

void wb_cross_entropy_forward(float *losses, const float *logits, const int32_t *targets, long rows, long v) {
  ce_args args = {.losses = losses, .logits = logits, .targets = targets, .rows = rows, .v = v};
  wb_parallel_for(rows, WB_MAX(1, 16384 / v), ce_forward_rows, &args);
}

WB_KERNEL(ce_backward_rows) {
  ce_args *a = p;
  float g = a->dloss[0] * a->scale;
  for (long r = begin; r < end; r++) {
    const float *x = a->logits + r * a->v;
    float *dx = a->dlogits + r * a->v;
    int32_t target = a->targets[r];
    if (target < 0) {
      for (long i = 0; i < a->v; i++) dx[i] = 0;
      continue;
    }
    float lse = row_logsumexp(x, a->v);
    for (long i = 0; i < a->v; i++) dx[i] = wb_expf(x[i] - lse) * g;
    dx[target] -= g;
  }
}

void wb_cross_entropy_backward(float *dlogits, const float *logits, const int32_t *targets, const float *dloss,
                               long rows, long v, float scale) {
  ce_args args = {.dlogits = dlogits, .logits = logits, .targets = targets, .dloss = dloss, .rows = rows, .v = v,
                  .scale = scale};
  wb_parallel_for(rows, WB_MAX(1, 16384 / v), ce_backward_rows, &args);
}
