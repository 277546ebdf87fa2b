// Elementwise kernels over n elements: fill, affine, axpy, clipping by a norm kept on the device,
// the unary functions and their derivatives.
//
// Bindings (set 0): 0 out (read and written), 1 x, 2 dy, 3 y (bind `out` again where unused).
// Push constants: uint out_off, x_off, dy_off, y_off, n, op; float a, b.
//   op  0: out = a                       op 1: out = x·a + b
//   op  2: out += a·x                     op 3: out ·= min(1, a / (√x[0] + 1e-6)) (x = Σg²)
//   op 10 + u: out = f_u(x)               op 30 + u: out = dy·f_u′(x), with y = f_u(x)
//   u: 0 negate, 1 exp, 2 log, 3 sqrt, 4 tanh, 5 square, 6 reciprocal, 7 relu, 8 gelu (tanh form)
// Dispatch: (min(ceil(n / BLOCK), 65535), 1, 1); threads stride over the elements.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) buffer Out0 { float out_[]; };
layout(set = 0, binding = 1, std430) readonly buffer X1 { float x[]; };
layout(set = 0, binding = 2, std430) readonly buffer Dy2 { float dy[]; };
layout(set = 0, binding = 3, std430) readonly buffer Y3 { float y[]; };

layout(push_constant) uniform Params {
  uint out_off;
  uint x_off;
  uint dy_off;
  uint y_off;
  uint n;
  uint op;
  float a;
  float b;
} p;

const float GELU_SCALE = 0.7978845608028654;  // sqrt(2/π)

// tanh as 1 − 2/(e^{2v} + 1): finite for every input (a quotient of exponentials is not).
float stable_tanh(float v) { return 1.0 - 2.0 / (exp(2.0 * v) + 1.0); }

float unary(uint u, float v) {
  switch (u) {
  case 0: return -v;
  case 1: return exp(v);
  case 2: return log(v);
  case 3: return sqrt(v);
  case 4: return stable_tanh(v);
  case 5: return v * v;
  case 6: return 1.0 / v;
  case 7: return v > 0.0 ? v : 0.0;
  default: return 0.5 * v * (1.0 + stable_tanh(GELU_SCALE * (v + 0.044715 * v * v * v)));
  }
}

float derivative(uint u, float v, float w, float g) {
  switch (u) {
  case 0: return -g;
  case 1: return g * w;
  case 2: return g / v;
  case 3: return g * 0.5 / w;
  case 4: return g * (1.0 - w * w);
  case 5: return g * 2.0 * v;
  case 6: return -g * w * w;
  case 7: return v > 0.0 ? g : 0.0;
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
  if (p.op == 3) {
    factor = p.a / (sqrt(x[p.x_off]) + 1e-6);
    if (!(factor < 1.0)) return;
  }
  for (uint i = gl_GlobalInvocationID.x; i < p.n; i += stride) {
    uint o = p.out_off + i;
    if (p.op == 0) out_[o] = p.a;
    else if (p.op == 1) out_[o] = x[p.x_off + i] * p.a + p.b;
    else if (p.op == 2) out_[o] += p.a * x[p.x_off + i];
    else if (p.op == 3) out_[o] *= factor;
    else if (p.op < 30) out_[o] = unary(p.op - 10, x[p.x_off + i]);
    else out_[o] = derivative(p.op - 30, x[p.x_off + i], y[p.y_off + i], dy[p.dy_off + i]);
  }
}
