// Batched matrix multiply C = alpha·op(A)·op(B) + beta·C, row-major, where op transposes A
// ([K, M] in memory) or B ([N, K] in memory) when asked. Each workgroup computes a BM×BN tile of
// C: it stages a BM×BK slice of A and a BK×BN slice of B in shared memory, and each thread
// accumulates TM×TN outputs in registers (rows ty + i·BM/TM, columns tx + j·BN/TN, so
// neighbouring threads touch neighbouring columns). Edges outside the matrices are padded with 0.
//
// Bindings (set 0): 0 C, 1 A, 2 B.
// Push constants: uint c_off, a_off, b_off, M, N, K, trans_a, trans_b, stride_a, stride_b,
//   stride_c (elements between batch entries; 0 broadcasts); float alpha, beta.
// Specialization: 0 THREADS = (BM/TM)·(BN/TN), 1 BM, 2 BN, 3 BK, 4 TM, 5 TN.
// Shared bytes = 4·BK·(BM + BN).
// Dispatch: (ceil(N / BN), ceil(M / BM), batch).

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint THREADS = 256;
layout(constant_id = 1) const uint BM = 64;
layout(constant_id = 2) const uint BN = 64;
layout(constant_id = 3) const uint BK = 16;
layout(constant_id = 4) const uint TM = 4;
layout(constant_id = 5) const uint TN = 4;

layout(set = 0, binding = 0, std430) buffer C0 { float c_[]; };
layout(set = 0, binding = 1, std430) readonly buffer A1 { float a_[]; };
layout(set = 0, binding = 2, std430) readonly buffer B2 { float b_[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint c_off;
  uint a_off;
  uint b_off;
  WB_MATMUL_PARAMS
} p;

shared float tile_a[BK * BM];  // [k][m]
shared float tile_b[BK * BN];  // [k][n]

void main() {
  uint tid = gl_LocalInvocationID.x;
  uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;
  uint batch = gl_WorkGroupID.z;
  uint a_base = p.a_off + batch * p.stride_a;
  uint b_base = p.b_off + batch * p.stride_b;
  uint c_base = p.c_off + batch * p.stride_c;
  const uint RY = BM / TM, RX = BN / TN;
  uint ty = tid / RX, tx = tid % RX;

  float acc[TM * TN];
  [[unroll]] for (uint i = 0; i < TM * TN; i++) acc[i] = 0.0;

  for (uint k0 = 0; k0 < p.K; k0 += BK) {
    for (uint idx = tid; idx < BM * BK; idx += THREADS) {
      uint m, k;
      if (p.trans_a == 0) { m = idx / BK; k = idx % BK; }  // A[m, k] at m·K + k: k fastest
      else { k = idx / BM; m = idx % BM; }                  // A[m, k] at k·M + m: m fastest
      uint gm = row0 + m, gk = k0 + k;
      float value = 0.0;
      if (gm < p.M && gk < p.K) value = a_[a_base + (p.trans_a == 0 ? gm * p.K + gk : gk * p.M + gm)];
      tile_a[k * BM + m] = value;
    }
    for (uint idx = tid; idx < BK * BN; idx += THREADS) {
      uint k, n;
      if (p.trans_b == 0) { k = idx / BN; n = idx % BN; }  // B[k, n] at k·N + n: n fastest
      else { n = idx / BK; k = idx % BK; }                  // B[k, n] at n·K + k: k fastest
      uint gk = k0 + k, gn = col0 + n;
      float value = 0.0;
      if (gk < p.K && gn < p.N) value = b_[b_base + (p.trans_b == 0 ? gk * p.N + gn : gn * p.K + gk)];
      tile_b[k * BN + n] = value;
    }
    barrier();
    for (uint k = 0; k < BK; k++) {
      float column[TM], row[TN];
      [[unroll]] for (uint i = 0; i < TM; i++) column[i] = tile_a[k * BM + ty + i * RY];
      [[unroll]] for (uint j = 0; j < TN; j++) row[j] = tile_b[k * BN + tx + j * RX];
      [[unroll]] for (uint i = 0; i < TM; i++)
        [[unroll]] for (uint j = 0; j < TN; j++) acc[i * TN + j] += column[i] * row[j];
    }
    barrier();
  }

  [[unroll]] for (uint i = 0; i < TM; i++) {
    uint gm = row0 + ty + i * RY;
    if (gm >= p.M) continue;
    [[unroll]] for (uint j = 0; j < TN; j++) {
      uint gn = col0 + tx + j * RX;
      if (gn >= p.N) continue;
      uint at = c_base + gm * p.N + gn;
      float value = p.alpha * acc[i * TN + j];
      if (p.beta != 0.0) value += p.beta * c_[at];  // C is not read when beta is 0 (it may be garbage)
      c_[at] = value;
    }
  }
}
