// Causal multi-head self-attention, backward pass for the queries (flash-style recomputation).
//
// With s_ij = scale · q_i·k_j, the saved lse_i and D_i = dout_i·out_i (from the pre-pass):
//   p_ij  = exp(s_ij − lse_i)          (the forward softmax, recomputed; j ≤ i)
//   dp_ij = dout_i·v_j
//   ds_ij = p_ij · (dp_ij − D_i)
//   dq_i  = scale · Σ_{j≤i} ds_ij · k_j
// One thread owns one query row; the workgroup walks the keys in tiles of BC rows, loading the K
// and V tile into shared memory together. Tiles above the causal diagonal of the workgroup's last
// query are skipped. Only the q part of dqkv is written (overwritten); the k and v parts belong to
// attention_backward_dkdv.
//
// Bindings (set 0):
//   0 dqkv  [B, T, 3C]  written; q part, columns h·HS.. of the first C columns
//   1 dout  [B, T, C]   read
//   2 qkv   [B, T, 3C]  read
//   3 lse   [B, H, T]   read; from attention_forward
//   4 D     [B, H, T]   read; from attention_backward_prepass
// Push constants: uint dqkv_off, dout_off, qkv_off, lse_off, d_off (element offsets), B, T, C, H;
//   float scale.
// Specialization: 0 BLOCK (threads per workgroup, one query row each), 1 HS (head size = C/H),
//   2 BC (key rows per shared tile).
// Shared bytes = 4·(2·BC·HS)   (K tile and V tile)
// Dispatch: (ceil(T / BLOCK), B·H, 1) workgroups; workgroup y = b·H + h.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 64;
layout(constant_id = 1) const uint HS = 32;
layout(constant_id = 2) const uint BC = 32;

layout(set = 0, binding = 0, std430) writeonly buffer Dqkv0 { float dqkv[]; };
layout(set = 0, binding = 1, std430) readonly buffer Dout1 { float dout[]; };
layout(set = 0, binding = 2, std430) readonly buffer Qkv2 { float qkv[]; };
layout(set = 0, binding = 3, std430) readonly buffer Lse3 { float lse[]; };
layout(set = 0, binding = 4, std430) readonly buffer D4 { float d[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint dqkv_off;
  uint dout_off;
  uint qkv_off;
  uint lse_off;
  uint d_off;
  WB_ATTENTION_PARAMS
} p;

shared float k_tile[BC * HS];
shared float v_tile[BC * HS];

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
  float g[HS];   // dout_i
  float dq[HS];
  const uint orow = p.dout_off + (b * p.T + i) * p.C + h * HS;
  [[unroll]] for (uint x = 0u; x < HS; ++x) {
    q[x] = in_range ? qkv[base + i * ld + x] : 0.0;
    g[x] = in_range ? dout[orow + x] : 0.0;
    dq[x] = 0.0;
  }
  const float lse_i = in_range ? lse[p.lse_off + bh * p.T + i] : 0.0;
  const float d_i = in_range ? d[p.d_off + bh * p.T + i] : 0.0;

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
        float qk = 0.0;
        float dp = 0.0;
        [[unroll]] for (uint x = 0u; x < HS; ++x) {
          qk += q[x] * k_tile[j * HS + x];
          dp += g[x] * v_tile[j * HS + x];
        }
        const float pr = exp(p.scale * qk - lse_i);
        const float ds = pr * (dp - d_i);
        [[unroll]] for (uint x = 0u; x < HS; ++x) dq[x] += ds * k_tile[j * HS + x];
      }
    }
    barrier();  // the tile is overwritten by the next iteration
  }

  if (in_range) {
    const uint dst = p.dqkv_off + (b * p.T + i) * ld + h * HS;
    [[unroll]] for (uint x = 0u; x < HS; ++x) dqkv[dst + x] = p.scale * dq[x];
  }
}
