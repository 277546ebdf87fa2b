// The parameters each Vulkan shader takes in its push constants, declared once for the shaders
// and for Swift. A shader's push-constant block is one `uint` offset per bound buffer (in binding
// order; the C layer fills them in at dispatch) followed by the fields of its WB_*_PARAMS list
// below. Swift fills the matching `wb_*_params` struct and hands its bytes to the dispatch, so a
// field added, removed or reordered here changes both sides at once.
//
// GLSL includes this file after `#define WB_GLSL` (spliced in from the sources embedded in the
// binary); C and Swift read the structs. Every field is 4 bytes, so C's layout is std430's.
#ifndef WB_PUSH_H
#define WB_PUSH_H

#ifdef WB_GLSL
#define WB_U32 uint
#else
#include <stdint.h>
#define WB_U32 uint32_t
#endif

// adamw: n parameters; keep = 1 - lr*wd, step_size = lr / (1 - beta1^t), bias2_sqrt = sqrt(1 - beta2^t).
#define WB_ADAMW_PARAMS                                                                                   \
  WB_U32 n;                                                                                               \
  float keep;                                                                                             \
  float beta1;                                                                                            \
  float beta2;                                                                                            \
  float eps;                                                                                              \
  float step_size;                                                                                        \
  float bias2_sqrt;
// attention_forward, attention_backward_dq, attention_backward_dkdv: batch, time, channels, heads.
#define WB_ATTENTION_PARAMS                                                                               \
  WB_U32 B;                                                                                               \
  WB_U32 T;                                                                                               \
  WB_U32 C;                                                                                               \
  WB_U32 H;                                                                                               \
  float scale;
// attention_backward_prepass: D = rowsum(dOut * out).
#define WB_ATTENTION_PREPASS_PARAMS                                                                       \
  WB_U32 B;                                                                                               \
  WB_U32 T;                                                                                               \
  WB_U32 C;                                                                                               \
  WB_U32 H;
// attention_decode: one query per sequence against a KV cache of `capacity` positions.
#define WB_ATTENTION_DECODE_PARAMS                                                                        \
  WB_U32 B;                                                                                               \
  WB_U32 position;                                                                                        \
  WB_U32 capacity;                                                                                        \
  WB_U32 C;                                                                                               \
  WB_U32 H;                                                                                               \
  float scale;
// binary: broadcast over up to 6 dimensions (sizes and the operands' strides, padded with 0).
#define WB_BINARY_PARAMS                                                                                  \
  WB_U32 n;                                                                                               \
  WB_U32 op;                                                                                              \
  WB_U32 rank;                                                                                            \
  WB_U32 shape[6];                                                                                        \
  WB_U32 stride_a[6];                                                                                     \
  WB_U32 stride_b[6];
// cross_entropy_forward: rows of V logits.
#define WB_CROSS_ENTROPY_PARAMS                                                                           \
  WB_U32 rows;                                                                                            \
  WB_U32 V;
// cross_entropy_backward: the same, and the loss's scale.
#define WB_CROSS_ENTROPY_BACKWARD_PARAMS                                                                  \
  WB_U32 rows;                                                                                            \
  WB_U32 V;                                                                                               \
  float scale;
// elementwise: n elements, an op code from wb_ops.h, and its two scalars.
#define WB_ELEMENTWISE_PARAMS                                                                             \
  WB_U32 n;                                                                                               \
  WB_U32 op;                                                                                              \
  float a;                                                                                                \
  float b;
// embedding_forward, embedding_backward, layernorm_backward, layernorm_backward_parameters: rows of C.
#define WB_ROWS_PARAMS                                                                                    \
  WB_U32 rows;                                                                                            \
  WB_U32 C;
// layernorm_forward: rows of C, and eps.
#define WB_LAYERNORM_PARAMS                                                                               \
  WB_U32 rows;                                                                                            \
  WB_U32 C;                                                                                               \
  float eps;
// matmul: C = alpha*op(A)*op(B) + beta*C for each batch entry (strides between entries).
#define WB_MATMUL_PARAMS                                                                                  \
  WB_U32 M;                                                                                               \
  WB_U32 N;                                                                                               \
  WB_U32 K;                                                                                               \
  WB_U32 trans_a;                                                                                         \
  WB_U32 trans_b;                                                                                         \
  WB_U32 stride_a;                                                                                        \
  WB_U32 stride_b;                                                                                        \
  WB_U32 stride_c;                                                                                        \
  float alpha;                                                                                            \
  float beta;
// strided: copy (or add) a strided view over up to 8 dimensions into a dense one.
#define WB_STRIDED_PARAMS                                                                                 \
  WB_U32 n;                                                                                               \
  WB_U32 accumulate;                                                                                      \
  WB_U32 rank;                                                                                            \
  WB_U32 shape[8];                                                                                        \
  WB_U32 stride[8];
// sum_axis: sum the middle axis of [outer, axis, inner], times scale.
#define WB_SUM_AXIS_PARAMS                                                                                \
  WB_U32 outer;                                                                                           \
  WB_U32 axis;                                                                                            \
  WB_U32 inner;                                                                                           \
  float scale;
// sum_squares: one pass of a two-pass sum of x^2 (square or not; add to the output or not).
#define WB_SUM_SQUARES_PARAMS                                                                             \
  WB_U32 n;                                                                                               \
  WB_U32 square;                                                                                          \
  WB_U32 accumulate;

#ifndef WB_GLSL
typedef struct { WB_ADAMW_PARAMS } wb_adamw_params;
typedef struct { WB_ATTENTION_PARAMS } wb_attention_params;
typedef struct { WB_ATTENTION_PREPASS_PARAMS } wb_attention_prepass_params;
typedef struct { WB_ATTENTION_DECODE_PARAMS } wb_attention_decode_params;
typedef struct { WB_BINARY_PARAMS } wb_binary_params;
typedef struct { WB_CROSS_ENTROPY_PARAMS } wb_cross_entropy_params;
typedef struct { WB_CROSS_ENTROPY_BACKWARD_PARAMS } wb_cross_entropy_backward_params;
typedef struct { WB_ELEMENTWISE_PARAMS } wb_elementwise_params;
typedef struct { WB_ROWS_PARAMS } wb_rows_params;
typedef struct { WB_LAYERNORM_PARAMS } wb_layernorm_params;
typedef struct { WB_MATMUL_PARAMS } wb_matmul_params;
typedef struct { WB_STRIDED_PARAMS } wb_strided_params;
typedef struct { WB_SUM_AXIS_PARAMS } wb_sum_axis_params;
typedef struct { WB_SUM_SQUARES_PARAMS } wb_sum_squares_params;
#endif

#endif
