// AdamW, as torch.optim.AdamW: decoupled weight decay first, eps added after bias correction.
#include <math.h>

#include "internal.h"

typedef struct {
  float *p, *m, *v;
  const float *g;
  float lr, beta1, beta2, eps, decay, step_size, bias2_sqrt;
} adamw_args;

WB_KERNEL(adamw_range) {
  adamw_args *a = p;
  float keep = 1.0f - a->lr * a->decay;
  for (long i = begin; i < end; i++) {
    float g = a->g[i];
    float w = a->p[i] * keep;
    float m = a->beta1 * a->m[i] + (1.0f - a->beta1) * g;
    float v = a->beta2 * a->v[i] + (1.0f - a->beta2) * g * g;
    a->m[i] = m;
    a->v[i] = v;
    a->p[i] = w - a->step_size * m / (sqrtf(v) / a->bias2_sqrt + a->eps);
  }
}

void wb_adamw(float *p, const float *g, float *m, float *v, long n, float lr, float beta1, float beta2, float eps,
              float weight_decay, long step) {
  double bias1 = 1.0 - pow(beta1, (double)step);
  double bias2 = 1.0 - pow(beta2, (double)step);
  adamw_args args = {.p = p, .g = g, .m = m, .v = v, .lr = lr, .beta1 = beta1, .beta2 = beta2, .eps = eps,
                     .decay = weight_decay, .step_size = (float)(lr / bias1), .bias2_sqrt = (float)sqrt(bias2)};
  wb_parallel_for(n, 16384, adamw_range, &args);
}
