// One AdamW step with PyTorch's semantics: decoupled weight decay first, then
// p −= step_size·m / (√v / √(1 − β₂ᵗ) + eps) with step_size = lr / (1 − β₁ᵗ) (computed on the host).
//
// Bindings (set 0): 0 parameters, 1 gradients, 2 m, 3 v (all [n]).
// Push constants: uint p_off, g_off, m_off, v_off, n; float keep (= 1 − lr·decay), beta1, beta2,
//   eps, step_size, bias2_sqrt.
// Dispatch: (min(ceil(n / BLOCK), 65535), 1, 1); threads stride over the elements.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) buffer P0 { float param[]; };
layout(set = 0, binding = 1, std430) readonly buffer G1 { float grad[]; };
layout(set = 0, binding = 2, std430) buffer M2 { float m_[]; };
layout(set = 0, binding = 3, std430) buffer V3 { float v_[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint p_off;
  uint g_off;
  uint m_off;
  uint v_off;
  WB_ADAMW_PARAMS
} p;

void main() {
  uint step = gl_NumWorkGroups.x * BLOCK;
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += step) {
    float g = grad[p.g_off + i];
    float w = param[p.p_off + i] * p.keep;
    float m = p.beta1 * m_[p.m_off + i] + (1.0 - p.beta1) * g;
    float v = p.beta2 * v_[p.v_off + i] + (1.0 - p.beta2) * g * g;
    m_[p.m_off + i] = m;
    v_[p.v_off + i] = v;
    param[p.p_off + i] = w - p.step_size * m / (sqrt(v) / p.bias2_sqrt + p.eps);
  }
}
