// Embedding backward: dtable[ids[r], c] += dy[r, c]. Each thread owns one column and walks the
// rows in order, so repeated ids never race and the sum is the same on every run (no atomics).
//
// Bindings (set 0): 0 dtable [V, C], 1 dy [rows, C], 2 ids [rows] (int32).
// Push constants: uint dtable_off, dy_off, ids_off, rows, C.
// Dispatch: (min(ceil(C / BLOCK), 65535), 1, 1); threads stride over the columns.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 64;

layout(set = 0, binding = 0, std430) buffer Dtable0 { float dtable[]; };
layout(set = 0, binding = 1, std430) readonly buffer Dy1 { float dy[]; };
layout(set = 0, binding = 2, std430) readonly buffer Ids2 { int ids[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint dtable_off;
  uint dy_off;
  uint ids_off;
  WB_ROWS_PARAMS
} p;

void main() {
  uint step = gl_NumWorkGroups.x * BLOCK;
  for (uint c = gl_GlobalInvocationID.x; c < p.C; c += step)
    for (uint r = 0; r < p.rows; r++)
      dtable[p.dtable_off + uint(ids[p.ids_off + r]) * p.C + c] += dy[p.dy_off + r * p.C + c];
}
