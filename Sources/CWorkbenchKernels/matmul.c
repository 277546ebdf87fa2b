// Matrix multiplies: each a single-threaded sgemm (workbench's own, gemm.c, or OpenBLAS when
// chosen), split over workbench's own pool (by batch entry, then by rows or columns of C), so one
// pool owns the cores and none oversubscribes.

#include "internal.h"

typedef struct {
  int trans_a, trans_b;
  long batch, m, n, k;
  float alpha, beta;
  const float *a, *b;
  float *c;
  const float *bias;
  long lda, ldb, ldc, sa, sb, sc;
  int split_rows;  // within one batch entry: split m (1) or n (0)
  long parts;
} gemm_args;

static void gemm_one(const gemm_args *g, long index, long r0, long r1, long c0, long c1) {
  const float *a = g->a + index * g->sa;
  const float *b = g->b + index * g->sb;
  float *c = g->c + index * g->sc;
  // Rows r0..<r1 of op(A) and C; columns c0..<c1 of op(B) and C.
  const float *a_part = g->trans_a ? a + r0 : a + r0 * g->lda;
  const float *b_part = g->trans_b ? b + c0 * g->ldb : b + c0;
  wb_sgemm_call(g->trans_a, g->trans_b, r1 - r0, c1 - c0, g->k, g->alpha, a_part, g->lda, b_part, g->ldb, g->beta,
                c + r0 * g->ldc + c0, g->ldc, g->bias ? g->bias + c0 : 0);
}

static void gemm_batches(void *p, long begin, long end) {
  gemm_args *g = p;
  for (long i = begin; i < end; i++) gemm_one(g, i, 0, g->m, 0, g->n);
}

static void gemm_parts(void *p, long begin, long end) {
  gemm_args *g = p;
  long total = g->split_rows ? g->m : g->n;
  long per = (total + g->parts - 1) / g->parts;
  for (long part = begin; part < end; part++) {
    long lo = part * per, hi = WB_MIN(total, lo + per);
    if (lo >= hi) continue;
    if (g->split_rows) gemm_one(g, 0, lo, hi, 0, g->n);
    else gemm_one(g, 0, 0, g->m, lo, hi);
  }
}

void wb_sgemm(int trans_a, int trans_b, long batch, long m, long n, long k, float alpha, const float *a, long lda,
              long stride_a, const float *b, long ldb, long stride_b, float beta, float *c, long ldc, long stride_c,
              const float *bias) {
  gemm_args g = {trans_a, trans_b, batch, m, n, k, alpha, beta, a, b, c, bias, lda, ldb, ldc, stride_a, stride_b,
                 stride_c, 1, 1};
  long threads = wb_num_threads();
  double work = (double)m * n * k;
  if (threads <= 1 || work * batch < 2.0e5) {
    gemm_batches(&g, 0, batch);
  } else if (batch >= threads) {
    wb_parallel_for(batch, 1, gemm_batches, &g);
  } else {
    for (long i = 0; i < batch; i++) {
      gemm_args one = g;
      one.a = a + i * stride_a;
      one.b = b + i * stride_b;
      one.c = c + i * stride_c;
      one.batch = 1;
      one.split_rows = m >= n;
      long total = one.split_rows ? m : n;
      one.parts = WB_MAX(1, WB_MIN(threads, total / 16));
      wb_parallel_for(one.parts, 1, gemm_parts, &one);
    }
  }
}
