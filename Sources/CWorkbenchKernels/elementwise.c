// Elementwise kernels: fill, affine, axpy, unary ops and their derivatives, broadcasting binary
// ops, and strided copies (permute, slice, broadcast).
#include <math.h>

#include "internal.h"

#define GRAIN 16384

typedef struct {
  float *y;
  const float *x;
  const float *dy;
  const float *aux;
  float a;
  float b;
  int op;
} ew_args;

static void fill_range(void *p, long begin, long end) {
  ew_args *args = p;
  for (long i = begin; i < end; i++) args->y[i] = args->a;
}

void wb_fill(float *y, long n, float value) {
  ew_args args = {.y = y, .a = value};
  wb_parallel_for(n, GRAIN, fill_range, &args);
}

WB_KERNEL(affine_range) {
  ew_args *args = p;
  float *y = args->y;
  const float *x = args->x;
  for (long i = begin; i < end; i++) y[i] = x[i] * args->a + args->b;
}

void wb_affine(float *y, const float *x, long n, float scale, float shift) {
  ew_args args = {.y = y, .x = x, .a = scale, .b = shift};
  wb_parallel_for(n, GRAIN, affine_range, &args);
}

WB_KERNEL(axpy_range) {
  ew_args *args = p;
  float *y = args->y;
  const float *x = args->x;
  for (long i = begin; i < end; i++) y[i] += args->a * x[i];
}

void wb_axpy(float *y, const float *x, long n, float alpha) {
  ew_args args = {.y = y, .x = x, .a = alpha};
  wb_parallel_for(n, GRAIN, axpy_range, &args);
}

static const float GELU_SCALE = 0.7978845608028654f;  // sqrt(2/π)

static inline float gelu(float x) {
  float cube = 0.044715f * x * x * x;
  return 0.5f * x * (1.0f + wb_tanhf(GELU_SCALE * (x + cube)));
}

static inline float gelu_derivative(float x) {
  float cube = 0.044715f * x * x * x;
  float t = wb_tanhf(GELU_SCALE * (x + cube));
  float sech2 = 1.0f - t * t;
  return 0.5f * (1.0f + t) + 0.5f * x * sech2 * GELU_SCALE * (1.0f + 3.0f * 0.044715f * x * x);
}

WB_KERNEL(unary_range) {
  ew_args *args = p;
  float *y = args->y;
  const float *x = args->x;
  switch (args->op) {
  case WB_NEG: for (long i = begin; i < end; i++) y[i] = -x[i]; break;
  case WB_EXP: for (long i = begin; i < end; i++) y[i] = wb_expf(x[i]); break;
  case WB_LOG: for (long i = begin; i < end; i++) y[i] = logf(x[i]); break;
  case WB_SQRT: for (long i = begin; i < end; i++) y[i] = sqrtf(x[i]); break;
  case WB_TANH: for (long i = begin; i < end; i++) y[i] = wb_tanhf(x[i]); break;
  case WB_SQUARE: for (long i = begin; i < end; i++) y[i] = x[i] * x[i]; break;
  case WB_RECIPROCAL: for (long i = begin; i < end; i++) y[i] = 1.0f / x[i]; break;
  case WB_RELU: for (long i = begin; i < end; i++) y[i] = x[i] > 0 ? x[i] : 0; break;
  case WB_GELU: for (long i = begin; i < end; i++) y[i] = gelu(x[i]); break;
  }
}

void wb_unary(int op, float *y, const float *x, long n) {
  ew_args args = {.y = y, .x = x, .op = op};
  wb_parallel_for(n, GRAIN, unary_range, &args);
}

WB_KERNEL(unary_backward_range) {
  ew_args *args = p;
  float *dx = args->y;
  const float *dy = args->dy, *x = args->x, *y = args->aux;
  switch (args->op) {
  case WB_NEG: for (long i = begin; i < end; i++) dx[i] = -dy[i]; break;
  case WB_EXP: for (long i = begin; i < end; i++) dx[i] = dy[i] * y[i]; break;
  case WB_LOG: for (long i = begin; i < end; i++) dx[i] = dy[i] / x[i]; break;
  case WB_SQRT: for (long i = begin; i < end; i++) dx[i] = dy[i] * 0.5f / y[i]; break;
  case WB_TANH: for (long i = begin; i < end; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]); break;
  case WB_SQUARE: for (long i = begin; i < end; i++) dx[i] = dy[i] * 2.0f * x[i]; break;
  case WB_RECIPROCAL: for (long i = begin; i < end; i++) dx[i] = -dy[i] * y[i] * y[i]; break;
  case WB_RELU: for (long i = begin; i < end; i++) dx[i] = x[i] > 0 ? dy[i] : 0; break;
  case WB_GELU: for (long i = begin; i < end; i++) dx[i] = dy[i] * gelu_derivative(x[i]); break;
  }
}

void wb_unary_backward(int op, float *dx, const float *dy, const float *x, const float *y, long n) {
  ew_args args = {.y = dx, .dy = dy, .x = x, .aux = y, .op = op};
  wb_parallel_for(n, GRAIN, unary_backward_range, &args);
}

// ---- broadcasting binary ops ----

#define WB_MAX_DIMS 8

typedef struct {
  float *out;
  const float *a;
  const float *b;
  long shape[WB_MAX_DIMS];
  long sa[WB_MAX_DIMS];
  long sb[WB_MAX_DIMS];
  int ndim;
  int op;
  long inner;  // length of the innermost dimension
} binary_args;

static inline float apply(int op, float x, float y) {
  switch (op) {
  case WB_ADD: return x + y;
  case WB_SUB: return x - y;
  case WB_MUL: return x * y;
  default: return x / y;
  }
}

/// Rows are the dense index over all dims but the last; each row is one strided inner loop.
WB_KERNEL(binary_rows) {
  binary_args *args = p;
  int nd = args->ndim;
  long inner = args->inner;
  long ia = args->sa[nd - 1], ib = args->sb[nd - 1];
  for (long row = begin; row < end; row++) {
    long rest = row, oa = 0, ob = 0;
    for (int d = nd - 2; d >= 0; d--) {
      long i = rest % args->shape[d];
      rest /= args->shape[d];
      oa += i * args->sa[d];
      ob += i * args->sb[d];
    }
    float *out = args->out + row * inner;
    const float *a = args->a + oa, *b = args->b + ob;
    if (ia == 1 && ib == 1) {
      switch (args->op) {
      case WB_ADD: for (long i = 0; i < inner; i++) out[i] = a[i] + b[i]; break;
      case WB_SUB: for (long i = 0; i < inner; i++) out[i] = a[i] - b[i]; break;
      case WB_MUL: for (long i = 0; i < inner; i++) out[i] = a[i] * b[i]; break;
      default: for (long i = 0; i < inner; i++) out[i] = a[i] / b[i]; break;
      }
    } else if (ia == 1 && ib == 0) {
      float y = b[0];
      for (long i = 0; i < inner; i++) out[i] = apply(args->op, a[i], y);
    } else if (ia == 0 && ib == 1) {
      float x = a[0];
      for (long i = 0; i < inner; i++) out[i] = apply(args->op, x, b[i]);
    } else {
      for (long i = 0; i < inner; i++) out[i] = apply(args->op, a[i * ia], b[i * ib]);
    }
  }
}

void wb_binary(int op, float *out, const float *a, const float *b, const long *shape, const long *stride_a,
               const long *stride_b, int ndim) {
  binary_args args = {.out = out, .a = a, .b = b, .ndim = ndim, .op = op};
  if (ndim == 0) {
    out[0] = apply(op, a[0], b[0]);
    return;
  }
  long rows = 1;
  for (int d = 0; d < ndim; d++) {
    args.shape[d] = shape[d];
    args.sa[d] = stride_a[d];
    args.sb[d] = stride_b[d];
    if (d < ndim - 1) rows *= shape[d];
  }
  args.inner = shape[ndim - 1];
  wb_parallel_for(rows, WB_MAX(1, GRAIN / WB_MAX(1, args.inner)), binary_rows, &args);
}

// ---- strided copies ----

typedef struct {
  float *dense;
  float *strided;
  const float *source;
  long shape[WB_MAX_DIMS];
  long stride[WB_MAX_DIMS];
  int ndim;
  long inner;
  int add;
} strided_args;

static void strided_rows(void *p, long begin, long end) {
  strided_args *args = p;
  int nd = args->ndim;
  long inner = args->inner, is = args->stride[nd - 1];
  for (long row = begin; row < end; row++) {
    long rest = row, offset = 0;
    for (int d = nd - 2; d >= 0; d--) {
      long i = rest % args->shape[d];
      rest /= args->shape[d];
      offset += i * args->stride[d];
    }
    if (args->add) {
      float *x = args->strided + offset;
      const float *y = args->source + row * inner;
      for (long i = 0; i < inner; i++) x[i * is] += y[i];
    } else {
      const float *x = args->source + offset;
      float *y = args->dense + row * inner;
      if (is == 1) {
        for (long i = 0; i < inner; i++) y[i] = x[i];
      } else {
        for (long i = 0; i < inner; i++) y[i] = x[i * is];
      }
    }
  }
}

static void strided(float *dense, float *strided_target, const float *source, const long *shape, const long *stride,
                    int ndim, int add) {
  strided_args args = {.dense = dense, .strided = strided_target, .source = source, .ndim = ndim, .add = add};
  if (ndim == 0) {
    if (add) strided_target[0] += source[0];
    else dense[0] = source[0];
    return;
  }
  long rows = 1;
  for (int d = 0; d < ndim; d++) {
    args.shape[d] = shape[d];
    args.stride[d] = stride[d];
    if (d < ndim - 1) rows *= shape[d];
  }
  args.inner = shape[ndim - 1];
  // Adding into a strided target is only race-free when rows do not overlap: run it on one thread.
  if (add) {
    strided_rows(&args, 0, rows);
  } else {
    wb_parallel_for(rows, WB_MAX(1, GRAIN / WB_MAX(1, args.inner)), strided_rows, &args);
  }
}

void wb_strided_copy(float *y, const float *x, const long *shape, const long *stride_x, int ndim) {
  strided(y, 0, x, shape, stride_x, ndim, 0);
}

void wb_strided_add(float *x, const float *y, const long *shape, const long *stride_x, int ndim) {
  strided(0, x, y, shape, stride_x, ndim, 1);
}
