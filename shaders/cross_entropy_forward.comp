// Softmax cross-entropy per row of V logits: loss = logsumexp(logits) − logits[target], 0 where
// the target is negative (an ignored position). One workgroup per row.
//
// Bindings (set 0): 0 losses [rows], 1 logits [rows, V], 2 targets [rows] (int32).
// Push constants: uint losses_off, logits_off, targets_off, rows, V.
// Shared bytes = 4·BLOCK.
// Dispatch: (min(rows, 65535), 1, 1); workgroups stride over the rows.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) writeonly buffer Losses0 { float losses[]; };
layout(set = 0, binding = 1, std430) readonly buffer Logits1 { float logits[]; };
layout(set = 0, binding = 2, std430) readonly buffer Targets2 { int targets[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint losses_off;
  uint logits_off;
  uint targets_off;
  WB_CROSS_ENTROPY_PARAMS
} p;

#include "reduce.glsl"

void main() {
  uint t = gl_LocalInvocationID.x;
  for (uint row = gl_WorkGroupID.x; row < p.rows; row += gl_NumWorkGroups.x) {
    int target = targets[p.targets_off + row];
    if (target < 0) {  // the same for the whole workgroup, so no barrier is skipped by a few
      if (t == 0) losses[p.losses_off + row] = 0.0;
      continue;
    }
    uint at = p.logits_off + row * p.V;
    float top = -3.0e38;
    for (uint v = t; v < p.V; v += BLOCK) top = max(top, logits[at + v]);
    top = workgroup_max(top);
    float sum = 0.0;
    for (uint v = t; v < p.V; v += BLOCK) sum += exp(logits[at + v] - top);
    sum = workgroup_sum(sum);
    if (t == 0) losses[p.losses_off + row] = log(sum) + top - logits[at + uint(target)];
  }
}
