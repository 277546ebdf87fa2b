// Reductions: sums over one axis, the sum of squares, and clipping by a norm kept in memory.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct {
  float *y;
  const float *x;
  long outer, axis, inner;
  float scale;
} sum_args;

/// Parallel over outer·inner outputs when there are enough; each output sums its axis in order.
WB_KERNEL(sum_inner_rows) {
#pragma clang fp reassociate(on)
  sum_args *args = p;
  long axis = args->axis, inner = args->inner;
  if (inner == 1) {
    for (long o = begin; o < end; o++) {
      const float *x = args->x + o * axis;
      float total = 0;
      for (long a = 0; a < axis; a++) total += x[a];
      args->y[o] = total * args->scale;
    }
    return;
  }
  // Outputs [begin, end) of the flattened (outer, inner) grid, visited a row of `inner` at a time.
  for (long index = begin; index < end;) {
    long o = index / inner, i0 = index % inner;
    long i1 = WB_MIN(inner, i0 + (end - index));
    float *y = args->y + o * inner;
    for (long i = i0; i < i1; i++) y[i] = 0;
    for (long a = 0; a < axis; a++) {
      const float *x = args->x + (o * axis + a) * inner;
      for (long i = i0; i < i1; i++) y[i] += x[i];
    }
    for (long i = i0; i < i1; i++) y[i] *= args->scale;
    index += i1 - i0;
  }
}

#define ROW_PARTS 16

typedef struct {
  const float *x;
  float *partials;
  long axis, inner, per;
} column_args;

/// Part k sums rows k·per..<(k+1)·per of x [axis, inner] into its own partial row (streaming
/// through contiguous rows).
WB_KERNEL(column_parts) {
  column_args *a = p;
  for (long part = begin; part < end; part++) {
    float *restrict y = a->partials + part * a->inner;
    long r1 = WB_MIN(a->axis, (part + 1) * a->per);
    for (long r = part * a->per; r < r1; r++) {
      const float *restrict x = a->x + r * a->inner;
      for (long i = 0; i < a->inner; i++) y[i] += x[i];
    }
  }
}

void wb_sum_axis(float *y, const float *x, long outer, long axis, long inner, float scale) {
  if (outer == 1 && inner > 1 && axis >= 2 * ROW_PARTS) {
    // Column sums of a tall matrix (bias gradients): fixed row parts keep the result identical
    // for any thread count.
    long per = (axis + ROW_PARTS - 1) / ROW_PARTS;
    long parts = (axis + per - 1) / per;
    float *partials = calloc((size_t)(parts * inner), sizeof(float));
    column_args args = {.x = x, .partials = partials, .axis = axis, .inner = inner, .per = per};
    wb_parallel_for(parts, 1, column_parts, &args);
    for (long i = 0; i < inner; i++) {
      float total = 0;
      for (long part = 0; part < parts; part++) total += partials[part * inner + i];
      y[i] = total * scale;
    }
    free(partials);
    return;
  }
  sum_args args = {.y = y, .x = x, .outer = outer, .axis = axis, .inner = inner, .scale = scale};
  wb_parallel_for(outer * inner, WB_MAX(1, 4096 / WB_MAX(1, axis)), sum_inner_rows, &args);
}

#define SQUARE_CHUNKS 64

typedef struct {
  const float *x;
  long n;
  double partial[SQUARE_CHUNKS];
} squares_args;

/// Chunk c sums its fixed slice of x: the result does not depend on the thread count.
WB_KERNEL(squares_chunks) {
#pragma clang fp reassociate(on)
  squares_args *args = p;
  long per = (args->n + SQUARE_CHUNKS - 1) / SQUARE_CHUNKS;
  for (long c = begin; c < end; c++) {
    long lo = c * per, hi = WB_MIN(args->n, lo + per);
    double total = 0;
    for (long i = lo; i < hi; i++) total += (double)args->x[i] * args->x[i];
    args->partial[c] = total;
  }
}

void wb_sum_squares(float *out, const float *x, long n) {
  squares_args args = {.x = x, .n = n};
  wb_parallel_for(SQUARE_CHUNKS, n > 262144 ? 1 : SQUARE_CHUNKS, squares_chunks, &args);
  double total = 0;
  for (int c = 0; c < SQUARE_CHUNKS; c++) total += args.partial[c];
  out[0] = (float)total;
}

typedef struct {
  float *g;
  float factor;
} clip_args;

static void clip_range(void *p, long begin, long end) {
  clip_args *args = p;
  for (long i = begin; i < end; i++) args->g[i] *= args->factor;
}

void wb_clip_by_norm(float *g, long n, const float *sum_squares, float max_norm) {
  // As torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
  float norm = sqrtf(sum_squares[0]);
  float factor = max_norm / (norm + 1e-6f);
  if (!(factor < 1.0f)) return;
  clip_args args = {g, factor};
  wb_parallel_for(n, 16384, clip_range, &args);
}
