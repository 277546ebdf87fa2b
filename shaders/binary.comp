// out = a op b over a shape of up to 6 dimensions, each operand read through its own element
// strides (0 broadcasts along that dimension).
//
// Bindings (set 0): 0 out (dense over the shape), 1 a, 2 b.
// Push constants: uint out_off, a_off, b_off, n, op, rank; uint shape[6], stride_a[6], stride_b[6].
//   op: WB_ADD, WB_SUB, WB_MUL or WB_DIV (wb_ops.h). Dimensions are listed innermost last.
// Dispatch: (min(ceil(n / BLOCK), 65535), 1, 1); threads stride over the elements.

#include "wb_ops.h"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) writeonly buffer Out0 { float out_[]; };
layout(set = 0, binding = 1, std430) readonly buffer A1 { float a[]; };
layout(set = 0, binding = 2, std430) readonly buffer B2 { float b[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint out_off;
  uint a_off;
  uint b_off;
  WB_BINARY_PARAMS
} p;

void main() {
  uint stride = gl_NumWorkGroups.x * BLOCK;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride) {
    uint rest = i, ia = p.a_off, ib = p.b_off;
    for (int d = int(p.rank) - 1; d >= 0; d--) {
      uint coordinate = rest % p.shape[d];
      rest /= p.shape[d];
      ia += coordinate * p.stride_a[d];
      ib += coordinate * p.stride_b[d];
    }
    float u = a[ia], v = b[ib];
    float r = p.op == WB_ADD ? u + v : p.op == WB_SUB ? u - v : p.op == WB_MUL ? u * v : u / v;
    out_[p.out_off + i] = r;
  }
}
