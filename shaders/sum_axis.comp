// out[o, i] = scale · Σ_a x[o, a, i] for x viewed as [outer, axis, inner]; one thread per output,
// summing in order (the same result for any workgroup size).
//
// Bindings (set 0): 0 out [outer, inner], 1 x [outer, axis, inner].
// Push constants: uint out_off, x_off, outer, axis, inner; float scale.
// Dispatch: (min(ceil(outer·inner / BLOCK), 65535), 1, 1); threads stride over the outputs.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) writeonly buffer Out0 { float out_[]; };
layout(set = 0, binding = 1, std430) readonly buffer X1 { float x[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint out_off;
  uint x_off;
  WB_SUM_AXIS_PARAMS
} p;

void main() {
  uint n = p.outer * p.inner;
  uint step = gl_NumWorkGroups.x * BLOCK;
  for (uint j = gl_GlobalInvocationID.x; j < n; j += step) {
    uint o = j / p.inner, i = j % p.inner;
    uint at = p.x_off + o * p.axis * p.inner + i;
    float sum = 0.0;
    for (uint a = 0; a < p.axis; a++) sum += x[at + a * p.inner];
    out_[p.out_off + j] = p.scale * sum;
  }
}
