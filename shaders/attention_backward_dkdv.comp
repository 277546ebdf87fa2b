// Causal multi-head self-attention, backward pass for the keys and values (flash-style
// recomputation, no atomics).
//
// With s_ij = scale · q_i·k_j, the saved lse_i and D_i = dout_i·out_i (from the pre-pass), for
// every query i ≥ j:
//   p_ij  = exp(s_ij − lse_i)          (the forward softmax, recomputed)
//   dv_j += p_ij · dout_i
//   dp_ij = dout_i·v_j
//   ds_ij = p_ij · (dp_ij − D_i)
//   dk_j += scale · ds_ij · q_i
// One thread owns one key row. The workgroup walks the queries in tiles of BC rows, from the tile
// holding its first key row to the end of the sequence, loading the Q and dO tile with their lse
// and D values into shared memory together. Only the k and v parts of dqkv are written
// (overwritten); the q part belongs to attention_backward_dq.
//
// Bindings (set 0):
//   0 dqkv  [B, T, 3C]  written; k part (columns C + h·HS..) and v part (columns 2C + h·HS..)
//   1 dout  [B, T, C]   read
//   2 qkv   [B, T, 3C]  read
//   3 lse   [B, H, T]   read; from attention_forward
//   4 D     [B, H, T]   read; from attention_backward_prepass
// Push constants: uint dqkv_off, dout_off, qkv_off, lse_off, d_off (element offsets), B, T, C, H;
//   float scale.
// Specialization: 0 BLOCK (threads per workgroup, one key row each), 1 HS (head size = C/H),
//   2 BC (query rows per shared tile).
// Shared bytes = 4·(2·BC·HS + 2·BC)   (Q tile, dO tile, and their lse and D)
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

shared float q_tile[BC * HS];
shared float g_tile[BC * HS];  // dout rows of the tile
shared float lse_tile[BC];
shared float d_tile[BC];

void main() {
  const uint bh = gl_WorkGroupID.y;
  const uint j0 = gl_WorkGroupID.x * BLOCK;
  // Uniform across the workgroup, so returning here skips no barrier for anyone.
  if (bh >= p.B * p.H || j0 >= p.T) return;

  const uint b = bh / p.H;
  const uint h = bh % p.H;
  const uint ld = 3u * p.C;
  const uint base = p.qkv_off + b * p.T * ld + h * HS;      // q of token (b, 0), head h
  const uint obase = p.dout_off + b * p.T * p.C + h * HS;   // dout of token (b, 0), head h
  const uint sbase = bh * p.T;                              // row (b, h) of lse and D
  const uint j = j0 + gl_LocalInvocationID.x;                // this thread's key row
  const bool in_range = j < p.T;

  float k[HS];
  float v[HS];
  float dk[HS];
  float dv[HS];
  [[unroll]] for (uint x = 0u; x < HS; ++x) {
    k[x] = in_range ? qkv[base + j * ld + p.C + x] : 0.0;
    v[x] = in_range ? qkv[base + j * ld + 2u * p.C + x] : 0.0;
    dk[x] = 0.0;
    dv[x] = 0.0;
  }

  // Queries before the workgroup's first key see none of its keys.
  for (uint i0 = (j0 / BC) * BC; i0 < p.T; i0 += BC) {
    // Cooperative, coalesced load of queries i0..i0+BC-1 (zeros past the end of the sequence).
    for (uint e = gl_LocalInvocationID.x; e < BC * HS; e += BLOCK) {
      const uint i = i0 + e / HS;
      const uint x = e % HS;
      q_tile[e] = i < p.T ? qkv[base + i * ld + x] : 0.0;
      g_tile[e] = i < p.T ? dout[obase + i * p.C + x] : 0.0;
    }
    for (uint r = gl_LocalInvocationID.x; r < BC; r += BLOCK) {
      const uint i = i0 + r;
      lse_tile[r] = i < p.T ? lse[p.lse_off + sbase + i] : 0.0;
      d_tile[r] = i < p.T ? d[p.d_off + sbase + i] : 0.0;
    }
    barrier();

    if (in_range) {
      // Queries i0+r with j ≤ i0+r < T.
      const uint first = j > i0 ? j - i0 : 0u;
      const uint n = min(BC, p.T - i0);
      for (uint r = first; r < n; ++r) {
        float qk = 0.0;
        float dp = 0.0;
        [[unroll]] for (uint x = 0u; x < HS; ++x) {
          qk += q_tile[r * HS + x] * k[x];
          dp += g_tile[r * HS + x] * v[x];
        }
        const float pr = exp(p.scale * qk - lse_tile[r]);
        const float ds = pr * (dp - d_tile[r]);
        [[unroll]] for (uint x = 0u; x < HS; ++x) {
          dv[x] += pr * g_tile[r * HS + x];
          dk[x] += ds * q_tile[r * HS + x];
        }
      }
    }
    barrier();  // the tile is overwritten by the next iteration
  }

  if (in_range) {
    const uint dst = p.dqkv_off + (b * p.T + j) * ld + h * HS;
    [[unroll]] for (uint x = 0u; x < HS; ++x) {
      dqkv[dst + p.C + x] = p.scale * dk[x];
      dqkv[dst + 2u * p.C + x] = dv[x];
    }
  }
}
