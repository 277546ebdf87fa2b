// Σ x² in two passes, deterministic for a given n: pass 1 (square = 1) has each workgroup write
// the sum of squares of its share of x to partial[workgroup]; pass 2 (square = 0, one workgroup)
// adds those partials into out[0] (overwriting, or adding to it with accumulate = 1, for a tensor
// summed in several chunks).
//
// Bindings (set 0): 0 out (partials or the total), 1 x.
// Push constants: uint out_off, x_off, n, square, accumulate.
// Shared bytes = 4·BLOCK.
// Dispatch: pass 1 (G, 1, 1) with G ≤ 65535; pass 2 (1, 1, 1) over n = G partials.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) buffer Out0 { float out_[]; };
layout(set = 0, binding = 1, std430) readonly buffer X1 { float x[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint out_off;
  uint x_off;
  WB_SUM_SQUARES_PARAMS
} p;

#include "reduce.glsl"

void main() {
  uint step = gl_NumWorkGroups.x * BLOCK;
  float sum = 0.0;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += step) {
    float v = x[p.x_off + i];
    sum += p.square != 0 ? v * v : v;
  }
  float total = workgroup_sum(sum);
  if (gl_LocalInvocationID.x == 0) {
    uint at = p.out_off + gl_WorkGroupID.x;
    out_[at] = p.accumulate != 0 ? out_[at] + total : total;
  }
}
