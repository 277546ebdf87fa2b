// Softmax cross-entropy backward: dlogits = (softmax(logits) − onehot(target))·dloss[0]·scale
// (overwritten), 0 on rows whose target is negative. One workgroup per row.
//
// Bindings (set 0): 0 dlogits [rows, V], 1 logits [rows, V], 2 targets [rows] (int32), 3 dloss [1].
// Push constants: uint dlogits_off, logits_off, targets_off, dloss_off, rows, V; float scale.
// Shared bytes = 4·BLOCK.
// Dispatch: (min(rows, 65535), 1, 1); workgroups stride over the rows.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) writeonly buffer Dlogits0 { float dlogits[]; };
layout(set = 0, binding = 1, std430) readonly buffer Logits1 { float logits[]; };
layout(set = 0, binding = 2, std430) readonly buffer Targets2 { int targets[]; };
layout(set = 0, binding = 3, std430) readonly buffer Dloss3 { float dloss[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint dlogits_off;
  uint logits_off;
  uint targets_off;
  uint dloss_off;
  WB_CROSS_ENTROPY_BACKWARD_PARAMS
} p;

#include "reduce.glsl"

void main() {
  uint t = gl_LocalInvocationID.x;
  float factor = dloss[p.dloss_off] * p.scale;
  for (uint row = gl_WorkGroupID.x; row < p.rows; row += gl_NumWorkGroups.x) {
    int target = targets[p.targets_off + row];
    uint at = row * p.V;
    if (target < 0) {  // uniform across the workgroup
      for (uint v = t; v < p.V; v += BLOCK) dlogits[p.dlogits_off + at + v] = 0.0;
      continue;
    }
    float top = -3.0e38;
    for (uint v = t; v < p.V; v += BLOCK) top = max(top, logits[p.logits_off + at + v]);
    top = workgroup_max(top);
    float sum = 0.0;
    for (uint v = t; v < p.V; v += BLOCK) sum += exp(logits[p.logits_off + at + v] - top);
    float inverse = 1.0 / workgroup_sum(sum);
    for (uint v = t; v < p.V; v += BLOCK) {
      float probability = exp(logits[p.logits_off + at + v] - top) * inverse;
      dlogits[p.dlogits_off + at + v] = (probability - (v == uint(target) ? 1.0 : 0.0)) * factor;
    }
  }
}
