// Causal multi-head self-attention, backward pre-pass: the per-row softmax correction term
//   D[(b·H + h)·T + t] = Σ_x dout[b, t, h·HS + x] · out[b, t, h·HS + x]
// which the dq and dk/dv kernels subtract from dP (the softmax Jacobian's row term).
// One thread per (b, h, t).
//
// Bindings (set 0):
//   0 D     [B, H, T]   written
//   1 dout  [B, T, C]   read; gradient of the attention output
//   2 out   [B, T, C]   read; attention output of the forward pass
// Push constants: uint d_off, dout_off, out_off (element offsets), B, T, C, H.
// Specialization: 0 BLOCK (threads per workgroup), 1 HS (head size = C/H), 2 BC (unused).
// Shared bytes = 0
// Dispatch: (ceil(T / BLOCK), B·H, 1) workgroups; workgroup y = b·H + h.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 64;
layout(constant_id = 1) const uint HS = 32;
layout(constant_id = 2) const uint BC = 32;

layout(set = 0, binding = 0, std430) writeonly buffer D0 { float d[]; };
layout(set = 0, binding = 1, std430) readonly buffer Dout1 { float dout[]; };
layout(set = 0, binding = 2, std430) readonly buffer Out2 { float out_[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint d_off;
  uint dout_off;
  uint out_off;
  WB_ATTENTION_PREPASS_PARAMS
} p;

void main() {
  const uint bh = gl_WorkGroupID.y;
  const uint t = gl_WorkGroupID.x * BLOCK + gl_LocalInvocationID.x;
  if (bh >= p.B * p.H || t >= p.T) return;  // no barriers in this kernel

  const uint b = bh / p.H;
  const uint h = bh % p.H;
  const uint row = (b * p.T + t) * p.C + h * HS;
  float delta = 0.0;
  [[unroll]] for (uint x = 0u; x < HS; ++x) delta += dout[p.dout_off + row + x] * out_[p.out_off + row + x];
  d[p.d_off + bh * p.T + t] = delta;
}
