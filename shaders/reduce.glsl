// Workgroup-wide sum and maximum for shaders whose workgroup has BLOCK threads (a power of two).
// Every thread must call them (they contain barriers) and every thread gets the result. With
// subgroup arithmetic each subgroup reduces in registers first; the partial results are then
// added in a fixed order, so the result does not depend on scheduling.
shared float wb_reduce_scratch[BLOCK];

float workgroup_sum(float v) {
#if WB_SUBGROUP
  v = subgroupAdd(v);
  if (subgroupElect()) wb_reduce_scratch[gl_SubgroupID] = v;
  barrier();
  float total = 0.0;
  for (uint i = 0; i < gl_NumSubgroups; i++) total += wb_reduce_scratch[i];
  barrier();
  return total;
#else
  uint t = gl_LocalInvocationID.x;
  wb_reduce_scratch[t] = v;
  barrier();
  for (uint s = BLOCK / 2; s > 0; s >>= 1) {
    if (t < s) wb_reduce_scratch[t] += wb_reduce_scratch[t + s];
    barrier();
  }
  float total = wb_reduce_scratch[0];
  barrier();
  return total;
#endif
}

float workgroup_max(float v) {
#if WB_SUBGROUP
  v = subgroupMax(v);
  if (subgroupElect()) wb_reduce_scratch[gl_SubgroupID] = v;
  barrier();
  float top = wb_reduce_scratch[0];
  for (uint i = 1; i < gl_NumSubgroups; i++) top = max(top, wb_reduce_scratch[i]);
  barrier();
  return top;
#else
  uint t = gl_LocalInvocationID.x;
  wb_reduce_scratch[t] = v;
  barrier();
  for (uint s = BLOCK / 2; s > 0; s >>= 1) {
    if (t < s) wb_reduce_scratch[t] = max(wb_reduce_scratch[t], wb_reduce_scratch[t + s]);
    barrier();
  }
  float top = wb_reduce_scratch[0];
  barrier();
  return top;
#endif
}
