// Strided copies over a shape of up to 8 dimensions: out (dense) = x read through element strides
// (a permute, slice or broadcast made dense), or, with `accumulate`, x at its strided positions
// += y (dense) — the adjoint of a slice, whose positions never repeat.
//
// Bindings (set 0): 0 dense, 1 strided.
// Push constants: uint dense_off, strided_off, n, accumulate, rank; uint shape[8], stride[8].
// Dispatch: (min(ceil(n / BLOCK), 65535), 1, 1); threads stride over the elements.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) buffer Dense0 { float dense[]; };
layout(set = 0, binding = 1, std430) buffer Strided1 { float strided[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint dense_off;
  uint strided_off;
  WB_STRIDED_PARAMS
} p;

void main() {
  uint step = gl_NumWorkGroups.x * BLOCK;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += step) {
    uint rest = i, at = p.strided_off;
    for (int d = int(p.rank) - 1; d >= 0; d--) {
      at += (rest % p.shape[d]) * p.stride[d];
      rest /= p.shape[d];
    }
    if (p.accumulate != 0) strided[at] += dense[p.dense_off + i];
    else dense[p.dense_off + i] = strided[at];
  }
}
