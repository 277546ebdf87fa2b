// LayerNorm over the last dimension, forward and backward (biased variance, as PyTorch).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
  float *y, *mean, *rstd, *dx, *dw, *db;
  const float *x, *w, *b, *dy, *saved_mean, *saved_rstd;
  long rows, c;
  float eps;
  float *partials;  // [parts, 2, c] for dw and db
  long per;
} ln_args;

WB_KERNEL(ln_forward_rows) {
#pragma clang fp reassociate(on)
  ln_args *a = p;
  long c = a->c;
  for (long r = begin; r < end; r++) {
    const float *x = a->x + r * c;
    float *y = a->y + r * c;
    float sum = 0;
    for (long i = 0; i < c; i++) sum += x[i];
    float m = sum / c;
    float var = 0;
    for (long i = 0; i < c; i++) {
      float d = x[i] - m;
      var += d * d;
    }
    float s = 1.0f / sqrtf(var / c + a->eps);
    for (long i = 0; i < c; i++) y[i] = (x[i] - m) * s * a->w[i] + a->b[i];
    a->mean[r] = m;
    a->rstd[r] = s;
  }
}

void wb_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w, const float *b,
                          long rows, long c, float eps) {
  ln_args args = {.y = y, .mean = mean, .rstd = rstd, .x = x, .w = w, .b = b, .rows = rows, .c = c, .eps = eps};
  wb_parallel_for(rows, WB_MAX(1, 8192 / c), ln_forward_rows, &args);
}

/// Parts [begin, end): part k owns rows k·per..<(k+1)·per and its own dw/db partial sums.
WB_KERNEL(ln_backward_parts) {
#pragma clang fp reassociate(on)
  ln_args *a = p;
  long c = a->c;
  for (long part = begin; part < end; part++) {
    float *dw = a->partials + part * 2 * c;
    float *db = dw + c;
    long r_end = WB_MIN(a->rows, (part + 1) * a->per);
    for (long r = part * a->per; r < r_end; r++) {
      const float *x = a->x + r * c, *dy = a->dy + r * c;
      float *dx = a->dx + r * c;
      float m = a->saved_mean[r], s = a->saved_rstd[r];
      float dnorm_mean = 0, dnorm_norm_mean = 0;
      for (long i = 0; i < c; i++) {
        float norm = (x[i] - m) * s;
        float dnorm = a->w[i] * dy[i];
        dnorm_mean += dnorm;
        dnorm_norm_mean += dnorm * norm;
      }
      dnorm_mean /= c;
      dnorm_norm_mean /= c;
      for (long i = 0; i < c; i++) {
        float norm = (x[i] - m) * s;
        float dnorm = a->w[i] * dy[i];
        dx[i] = (dnorm - dnorm_mean - norm * dnorm_norm_mean) * s;
        dw[i] += norm * dy[i];
        db[i] += dy[i];
      }
    }
  }
}

void wb_layernorm_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                           const float *mean, const float *rstd, long rows, long c) {
  // A fixed number of parts (not the thread count) keeps dw and db bit-identical across --threads.
  long parts = WB_MIN(rows, 16);
  long per = (rows + parts - 1) / parts;
  parts = (rows + per - 1) / per;
  float *partials = calloc((size_t)(parts * 2 * c), sizeof(float));
  ln_args args = {.dx = dx, .dy = dy, .x = x, .w = w, .saved_mean = mean, .saved_rstd = rstd, .rows = rows,
                  .c = c, .partials = partials, .per = per};
  wb_parallel_for(parts, 1, ln_backward_parts, &args);
  for (long i = 0; i < c; i++) {
    float sw = 0, sb = 0;
    for (long part = 0; part < parts; part++) {
      sw += partials[part * 2 * c + i];
      sb += partials[part * 2 * c + c + i];
    }
    dw[i] = sw;
    db[i] = sb;
  }
  free(partials);
}
