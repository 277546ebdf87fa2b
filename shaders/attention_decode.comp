// Causal multi-head self-attention, one decoding step over a KV cache.
//
// The cache holds the qkv rows of tokens 0..position of every sequence. For sequence b and head h:
//   out[b, h·HS..] = Σ_{s≤position} softmax_s(scale · q_position·k_s) · v_s
// One thread owns one (b, h) pair and runs an online softmax over the cached positions (running
// max m and sum l, accumulator rescaled whenever the max grows).
//
// Bindings (set 0):
//   0 out    [B, C]               written; head h at columns h·HS..
//   1 cache  [B, capacity, 3C]    read; q at columns 0..C, k at C..2C, v at 2C..3C
// Push constants: uint out_off, cache_off (element offsets), B, position, capacity, C, H;
//   float scale.
// Specialization: 0 BLOCK (threads per workgroup, one (b, h) pair each), 1 HS (head size = C/H),
//   2 BC (unused).
// Shared bytes = 0
// Dispatch: (ceil(B·H / BLOCK), 1, 1) workgroups; thread index = b·H + h.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 64;
layout(constant_id = 1) const uint HS = 32;
layout(constant_id = 2) const uint BC = 32;

layout(set = 0, binding = 0, std430) writeonly buffer Out0 { float out_[]; };
layout(set = 0, binding = 1, std430) readonly buffer Cache1 { float cache[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint out_off;
  uint cache_off;
  WB_ATTENTION_DECODE_PARAMS
} p;

const float NEG_BIG = -3.0e38;

void main() {
  const uint bh = gl_WorkGroupID.x * BLOCK + gl_LocalInvocationID.x;
  if (bh >= p.B * p.H) return;  // no barriers in this kernel

  const uint b = bh / p.H;
  const uint h = bh % p.H;
  const uint ld = 3u * p.C;
  const uint base = p.cache_off + b * p.capacity * ld + h * HS;  // q of cached token (b, 0), head h

  float q[HS];
  float acc[HS];
  [[unroll]] for (uint x = 0u; x < HS; ++x) {
    q[x] = cache[base + p.position * ld + x];
    acc[x] = 0.0;
  }
  float m = NEG_BIG;
  float l = 0.0;

  for (uint s = 0u; s <= p.position; ++s) {
    const uint row = base + s * ld;
    float dot = 0.0;
    [[unroll]] for (uint x = 0u; x < HS; ++x) dot += q[x] * cache[row + p.C + x];
    const float score = p.scale * dot;
    if (score > m) {
      // New running max: rescale what has been accumulated so far.
      const float correction = exp(m - score);
      l *= correction;
      [[unroll]] for (uint x = 0u; x < HS; ++x) acc[x] *= correction;
      m = score;
    }
    const float w = exp(score - m);
    l += w;
    [[unroll]] for (uint x = 0u; x < HS; ++x) acc[x] += w * cache[row + 2u * p.C + x];
  }

  const float inverse = l > 0.0 ? 1.0 / l : 0.0;
  const uint dst = p.out_off + b * p.C + h * HS;
  [[unroll]] for (uint x = 0u; x < HS; ++x) out_[dst + x] = acc[x] * inverse;
}
