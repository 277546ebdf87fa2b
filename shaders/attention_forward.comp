// Causal multi-head self-attention, forward pass (flash-style, no [T, T] buffer).
//
// For batch row b, head h and query t:
//   s_tj   = scale · q_t·k_j                       (keys j ≤ t only: causal)
//   out_t  = Σ_j softmax_j(s_t) · v_j
//   lse_t  = log Σ_{j≤t} exp(s_tj)                  (saved for the backward pass)
// One thread owns one query row. The workgroup walks the keys in tiles of BC rows: all threads
// load the K and V tile into shared memory together, then each thread folds the keys of the
// tile into its online softmax (running max m, running sum l, accumulator rescaled whenever the
// max grows). Tiles that lie wholly above the causal diagonal of the workgroup's last query are
// never loaded.
//
// Bindings (set 0):
//   0 out  [B, T, C]    written; head h at columns h·HS..
//   1 lse  [B, H, T]    written; lse[(b·H + h)·T + t]
//   2 qkv  [B, T, 3C]   read; q at columns 0..C, k at C..2C, v at 2C..3C
// Push constants: uint out_off, lse_off, qkv_off (element offsets), B, T, C, H; float scale.
// Specialization: 0 BLOCK (threads per workgroup, one query row each), 1 HS (head size = C/H),
//   2 BC (key rows per shared tile).
// Shared bytes = 4·(2·BC·HS)   (K tile and V tile)
// Dispatch: (ceil(T / BLOCK), B·H, 1) workgroups; workgroup y = b·H + h.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 64;
layout(constant_id = 1) const uint HS = 32;
layout(constant_id = 2) const uint BC = 32;

layout(set = 0, binding = 0, std430) writeonly buffer Out0 { float out_[]; };
layout(set = 0, binding = 1, std430) writeonly buffer Lse1 { float lse[]; };
layout(set = 0, binding = 2, std430) readonly buffer Qkv2 { float qkv[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint out_off;
  uint lse_off;
  uint qkv_off;
  WB_ATTENTION_PARAMS
} p;

shared float k_tile[BC * HS];
shared float v_tile[BC * HS];

const float NEG_BIG = -3.0e38;

void main() {
  const uint bh = gl_WorkGroupID.y;
  const uint q0 = gl_WorkGroupID.x * BLOCK;
  // Uniform across the workgroup, so returning here skips no barrier for anyone.
  if (bh >= p.B * p.H || q0 >= p.T) return;

  const uint b = bh / p.H;
  const uint h = bh % p.H;
  const uint ld = 3u * p.C;
  const uint base = p.qkv_off + b * p.T * ld + h * HS;  // q of token (b, 0), head h
  const uint i = q0 + gl_LocalInvocationID.x;            // this thread's query row
  const bool in_range = i < p.T;
  const uint last = min(q0 + BLOCK, p.T) - 1u;           // last query row of the workgroup

  float q[HS];
  float acc[HS];
  [[unroll]] for (uint x = 0u; x < HS; ++x) {
    q[x] = in_range ? qkv[base + i * ld + x] : 0.0;
    acc[x] = 0.0;
  }
  float m = NEG_BIG;
  float l = 0.0;

  for (uint k0 = 0u; k0 <= last; k0 += BC) {
    // Cooperative, coalesced load of keys k0..k0+BC-1 (zeros past the end of the sequence).
    for (uint e = gl_LocalInvocationID.x; e < BC * HS; e += BLOCK) {
      const uint j = k0 + e / HS;
      const uint src = base + j * ld + e % HS;
      k_tile[e] = j < p.T ? qkv[src + p.C] : 0.0;
      v_tile[e] = j < p.T ? qkv[src + 2u * p.C] : 0.0;
    }
    barrier();

    if (in_range && k0 <= i) {
      const uint n = min(BC, i - k0 + 1u);  // keys of this tile at or before query i
      for (uint j = 0u; j < n; ++j) {
        float dot = 0.0;
        [[unroll]] for (uint x = 0u; x < HS; ++x) dot += q[x] * k_tile[j * HS + x];
        const float s = p.scale * dot;
        if (s > m) {
          // New running max: rescale what has been accumulated so far.
          const float correction = exp(m - s);
          l *= correction;
          [[unroll]] for (uint x = 0u; x < HS; ++x) acc[x] *= correction;
          m = s;
        }
        const float w = exp(s - m);
        l += w;
        [[unroll]] for (uint x = 0u; x < HS; ++x) acc[x] += w * v_tile[j * HS + x];
      }
    }
    barrier();  // the tile is overwritten by the next iteration
  }

  if (in_range) {
    const float inverse = l > 0.0 ? 1.0 / l : 0.0;
    const uint dst = p.out_off + (b * p.T + i) * p.C + h * HS;
    [[unroll]] for (uint x = 0u; x < HS; ++x) out_[dst + x] = acc[x] * inverse;
    lse[p.lse_off + bh * p.T + i] = l > 0.0 ? m + log(l) : NEG_BIG;
  }
}
