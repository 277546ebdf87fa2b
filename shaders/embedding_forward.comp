// Embedding lookup: y[r, c] = table[ids[r], c].
//
// Bindings (set 0): 0 y [rows, C], 1 table [V, C], 2 ids [rows] (int32).
// Push constants: uint y_off, table_off, ids_off, rows, C.
// Dispatch: (min(ceil(rows·C / BLOCK), 65535), 1, 1); threads stride over the elements.

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint BLOCK = 256;

layout(set = 0, binding = 0, std430) writeonly buffer Y0 { float y[]; };
layout(set = 0, binding = 1, std430) readonly buffer Table1 { float table_[]; };
layout(set = 0, binding = 2, std430) readonly buffer Ids2 { int ids[]; };

#define WB_GLSL
#include "wb_push.h"

layout(push_constant) uniform Params {
  uint y_off;
  uint table_off;
  uint ids_off;
  WB_ROWS_PARAMS
} p;

void main() {
  uint n = p.rows * p.C;
  uint step = gl_NumWorkGroups.x * BLOCK;
  for (uint i = gl_GlobalInvocationID.x; i < n; i += step) {
    uint r = i / p.C, c = i % p.C;
    y[p.y_off + i] = table_[p.table_off + uint(ids[p.ids_off + r]) * p.C + c];
  }
}
