// Elementwise kernels over n elements: fill, affine, axpy, clipping by a norm kept on the device,
// the unary functions and their derivatives.
//
// Bindings (set 0): 0 out (read and written), 1 x, 2 dy, 3 y (bind `out` again where unused).
// Push constants: uint out_off, x_off, dy_off, y_off, n, op; float a, b. `op` (wb_ops.h):
//   FILL: out = a                         AFFINE: out = x·a + b
//   AXPY: out += a·x                      CLIP_BY_NORM: out ·= min(1, a / (√x[0] + 1e-6)) (x = Σg²)
//   UNARY + u: out = f_u(x)               UNARY_BACKWARD + u: out = dy·f_u′(x), with y = f_u(x)
//   (gelu in its tanh form)
// Dispatch: (min(ceil(n / BLOCK), 65535), 1, 1); threads stride over the elements.

#include "wb_ops.h"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) buffer Out0 { float out_[]; };
layout(set = 0, binding = 1, std430) readonly buffer X1 { float x[]; };
layout(set = 0, binding = 2, std430) readonly buffer Dy2 { float dy[]; };
layout(set = 0, binding = 3, std430) readonly buffer Y3 { float y[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint out_off;
  uint x_off;
  uint dy_off;
  uint y_off;
  WB_ELEMENTWISE_PARAMS
} p;

const float GELU_SCALE = 0.7978845608028654;  // sqrt(2/π)

// tanh as 1 − 2/(e^{2v} + 1): finite for every input (a quotient of exponentials is not).
float stable_tanh(float v) { return 1.0 - 2.0 / (exp(2.0 * v) + 1.0); }

float unary(uint u, float v) {
  switch (u) {
  case WB_NEG: return -v;
  case WB_EXP: return exp(v);
  case WB_LOG: return log(v);
  case WB_SQRT: return sqrt(v);
  case WB_TANH: return stable_tanh(v);
  case WB_SQUARE: return v * v;
  case WB_RECIPROCAL: return 1.0 / v;
  case WB_RELU: return v > 0.0 ? v : 0.0;
  default: return 0.5 * v * (1.0 + stable_tanh(GELU_SCALE * (v + 0.044715 * v * v * v)));
  }
}

float derivative(uint u, float v, float w, float g) {
  switch (u) {
  case WB_NEG: return -g;
  case WB_EXP: return g * w;
  case WB_LOG: return g / v;
  case WB_SQRT: return g * 0.5 / w;
  case WB_TANH: return g * (1.0 - w * w);
  case WB_SQUARE: return g * 2.0 * v;
  case WB_RECIPROCAL: return -g * w * w;
  case WB_RELU: return v > 0.0 ? g : 0.0;
  default: {
    float t = stable_tanh(GELU_SCALE * (v + 0.044715 * v * v * v));
    float sech2 = 1.0 - t * t;
    return g * (0.5 * (1.0 + t) + 0.5 * v * sech2 * GELU_SCALE * (1.0 + 3.0 * 0.044715 * v * v));
  }
  }
}

void main() {
  uint stride = gl_NumWorkGroups.x * BLOCK;
  float factor = 1.0;
  if (p.op == WB_ELEMENTWISE_CLIP_BY_NORM) {
    factor = p.a / (sqrt(x[p.x_off]) + 1e-6);
    if (!(factor < 1.0)) return;
  }
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride) {
    uint o = p.out_off + i;
    if (p.op == WB_ELEMENTWISE_FILL) out_[o] = p.a;
    else if (p.op == WB_ELEMENTWISE_AFFINE) out_[o] = x[p.x_off + i] * p.a + p.b;
    else if (p.op == WB_ELEMENTWISE_AXPY) out_[o] += p.a * x[p.x_off + i];
    else if (p.op == WB_ELEMENTWISE_CLIP_BY_NORM) out_[o] *= factor;
    else if (p.op < WB_ELEMENTWISE_UNARY_BACKWARD) out_[o] = unary(p.op - WB_ELEMENTWISE_UNARY, x[p.x_off + i]);
    else out_[o] = derivative(p.op - WB_ELEMENTWISE_UNARY_BACKWARD, x[p.x_off + i], y[p.y_off + i], dy[p.dy_off + i]);
  }
}
