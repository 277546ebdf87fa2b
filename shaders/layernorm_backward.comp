// LayerNorm backward, input gradient: with x̂ = (x − mean)·rstd and g = dy·w,
// dx = (g − mean(g) − x̂·mean(g·x̂))·rstd (overwritten). One workgroup per row.
//
// Bindings (set 0): 0 dx [rows, C], 1 dy [rows, C], 2 x [rows, C], 3 w [C], 4 mean [rows], 5 rstd [rows].
// Push constants: uint dx_off, dy_off, x_off, w_off, mean_off, rstd_off, rows, C.
// Shared bytes = 4·BLOCK.
// Dispatch: (min(rows, 65535), 1, 1); workgroups stride over the rows.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) writeonly buffer Dx0 { float dx[]; };
layout(set = 0, binding = 1, std430) readonly buffer Dy1 { float dy[]; };
layout(set = 0, binding = 2, std430) readonly buffer X2 { float x[]; };
layout(set = 0, binding = 3, std430) readonly buffer W3 { float w[]; };
layout(set = 0, binding = 4, std430) readonly buffer Mean4 { float mean_[]; };
layout(set = 0, binding = 5, std430) readonly buffer Rstd5 { float rstd_[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint dx_off;
  uint dy_off;
  uint x_off;
  uint w_off;
  uint mean_off;
  uint rstd_off;
  WB_ROWS_PARAMS
} p;

#include "reduce.glsl"

void main() {
  uint t = gl_LocalInvocationID.x;
  for (uint row = gl_WorkGroupID.x; row < p.rows; row += gl_NumWorkGroups.x) {
    uint at = row * p.C;
    float mean = mean_[p.mean_off + row], rstd = rstd_[p.rstd_off + row];
    float sum_g = 0.0, sum_gx = 0.0;
    for (uint c = t; c < p.C; c += BLOCK) {
      float g = dy[p.dy_off + at + c] * w[p.w_off + c];
      sum_g += g;
      sum_gx += g * (x[p.x_off + at + c] - mean) * rstd;
    }
    float mean_g = workgroup_sum(sum_g) / float(p.C);
    float mean_gx = workgroup_sum(sum_gx) / float(p.C);
    for (uint c = t; c < p.C; c += BLOCK) {
      float g = dy[p.dy_off + at + c] * w[p.w_off + c];
      float xhat = (x[p.x_off + at + c] - mean) * rstd;
      dx[p.dx_off + at + c] = (g - mean_g - xhat * mean_gx) * rstd;
    }
  }
}
