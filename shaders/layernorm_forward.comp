// LayerNorm over rows of C: y = (x − mean)·rstd·w + b with rstd = 1/√(var + eps) (population
// variance, computed around the mean); saves mean and rstd per row. One workgroup per row.
//
// Bindings (set 0): 0 y [rows, C], 1 mean [rows], 2 rstd [rows], 3 x [rows, C], 4 w [C], 5 b [C].
// Push constants: uint y_off, mean_off, rstd_off, x_off, w_off, b_off, rows, C; float eps.
// Shared bytes = 4·BLOCK.
// Dispatch: (min(rows, 65535), 1, 1); workgroups stride over the rows.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) writeonly buffer Y0 { float y[]; };
layout(set = 0, binding = 1, std430) writeonly buffer Mean1 { float mean_[]; };
layout(set = 0, binding = 2, std430) writeonly buffer Rstd2 { float rstd_[]; };
layout(set = 0, binding = 3, std430) readonly buffer X3 { float x[]; };
layout(set = 0, binding = 4, std430) readonly buffer W4 { float w[]; };
layout(set = 0, binding = 5, std430) readonly buffer B5 { float b[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint y_off;
  uint mean_off;
  uint rstd_off;
  uint x_off;
  uint w_off;
  uint b_off;
  WB_LAYERNORM_PARAMS
} p;

#include "reduce.glsl"

void main() {
  uint t = gl_LocalInvocationID.x;
  for (uint row = gl_WorkGroupID.x; row < p.rows; row += gl_NumWorkGroups.x) {
    uint at = p.x_off + row * p.C;
    float sum = 0.0;
    for (uint c = t; c < p.C; c += BLOCK) sum += x[at + c];
    float mean = workgroup_sum(sum) / float(p.C);
    float squares = 0.0;
    for (uint c = t; c < p.C; c += BLOCK) {
      float d = x[at + c] - mean;
      squares += d * d;
    }
    float rstd = 1.0 / sqrt(workgroup_sum(squares) / float(p.C) + p.eps);
    for (uint c = t; c < p.C; c += BLOCK)
      y[p.y_off + row * p.C + c] = (x[at + c] - mean) * rstd * w[p.w_off + c] + b[p.b_off + c];
    if (t == 0) {
      mean_[p.mean_off + row] = mean;
      rstd_[p.rstd_off + row] = rstd;
    }
  }
}
