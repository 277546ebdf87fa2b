// Embedding lookup and its scatter-add gradient.
#include <string.h>

#include "internal.h"

typedef struct {
  float *y, *dtable;
  const float *table, *dy;
  const int32_t *ids;
  long rows, c;
} emb_args;

static void emb_forward_rows(void *p, long begin, long end) {
  emb_args *a = p;
  for (long r = begin; r < end; r++) memcpy(a->y + r * a->c, a->table + (long)a->ids[r] * a->c, sizeof(float) * (size_t)a->c);
}

void wb_embedding_forward(float *y, const float *table, const int32_t *ids, long rows, long c) {
  emb_args args = {.y = y, .table = table, .ids = ids, .rows = rows, .c = c};
  wb_parallel_for(rows, WB_MAX(1, 4096 / c), emb_forward_rows, &args);
}

/// Columns [begin, end): every thread adds all rows into its own columns, so no two threads
/// write one element.
WB_KERNEL(emb_backward_columns) {
  emb_args *a = p;
  for (long r = 0; r < a->rows; r++) {
    float *d = a->dtable + (long)a->ids[r] * a->c;
    const float *g = a->dy + r * a->c;
    for (long j = begin; j < end; j++) d[j] += g[j];
  }
}

void wb_embedding_backward(float *dtable, const float *dy, const int32_t *ids, long rows, long c) {
  emb_args args = {.dtable = dtable, .dy = dy, .ids = ids, .rows = rows, .c = c};
  wb_parallel_for(c, 16, emb_backward_columns, &args);
}
