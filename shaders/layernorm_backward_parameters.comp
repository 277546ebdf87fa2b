// LayerNorm backward, parameter gradients: dw[c] = Σ_rows dy·x̂ and db[c] = Σ_rows dy
// (overwritten). One thread per column, summing the rows in order.
//
// Bindings (set 0): 0 dw [C], 1 db [C], 2 dy [rows, C], 3 x [rows, C], 4 mean [rows], 5 rstd [rows].
// Push constants: uint dw_off, db_off, dy_off, x_off, mean_off, rstd_off, rows, C.
// Dispatch: (min(ceil(C / BLOCK), 65535), 1, 1); threads stride over the columns.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) writeonly buffer Dw0 { float dw[]; };
layout(set = 0, binding = 1, std430) writeonly buffer Db1 { float db[]; };
layout(set = 0, binding = 2, std430) readonly buffer Dy2 { float dy[]; };
layout(set = 0, binding = 3, std430) readonly buffer X3 { float x[]; };
layout(set = 0, binding = 4, std430) readonly buffer Mean4 { float mean_[]; };
layout(set = 0, binding = 5, std430) readonly buffer Rstd5 { float rstd_[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint dw_off;
  uint db_off;
  uint dy_off;
  uint x_off;
  uint mean_off;
  uint rstd_off;
  WB_ROWS_PARAMS
} p;

void main() {
  uint step = gl_NumWorkGroups.x * BLOCK;
  for (uint c = gl_GlobalInvocationID.x; c < p.C; c += step) {
    float sum_w = 0.0, sum_b = 0.0;
    for (uint row = 0; row < p.rows; row++) {
      float g = dy[p.dy_off + row * p.C + c];
      sum_w += g * (x[p.x_off + row * p.C + c] - mean_[p.mean_off + row]) * rstd_[p.rstd_off + row];
      sum_b += g;
    }
    dw[p.dw_off + c] = sum_w;
    db[p.db_off + c] = sum_b;
  }
}
