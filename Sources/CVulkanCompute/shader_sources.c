// The GLSL sources of shaders/, embedded in the binary at build time (C23 #embed), so nothing
// is looked up on disk at run time. One entry per file in shaders/ (a test checks that they
// agree), and the op codes shared with the C kernels.
#include <string.h>

#include "internal.h"

static const char adamw_comp[] = {
#embed "../../shaders/adamw.comp"
    , 0};
static const char attention_backward_dkdv_comp[] = {
#embed "../../shaders/attention_backward_dkdv.comp"
    , 0};
static const char attention_backward_dq_comp[] = {
#embed "../../shaders/attention_backward_dq.comp"
    , 0};
static const char attention_backward_prepass_comp[] = {
#embed "../../shaders/attention_backward_prepass.comp"
    , 0};
static const char attention_decode_comp[] = {
#embed "../../shaders/attention_decode.comp"
    , 0};
static const char attention_forward_comp[] = {
#embed "../../shaders/attention_forward.comp"
    , 0};
static const char binary_comp[] = {
#embed "../../shaders/binary.comp"
    , 0};
static const char cross_entropy_backward_comp[] = {
#embed "../../shaders/cross_entropy_backward.comp"
    , 0};
static const char cross_entropy_forward_comp[] = {
#embed "../../shaders/cross_entropy_forward.comp"
    , 0};
static const char elementwise_comp[] = {
#embed "../../shaders/elementwise.comp"
    , 0};
static const char embedding_backward_comp[] = {
#embed "../../shaders/embedding_backward.comp"
    , 0};
static const char embedding_forward_comp[] = {
#embed "../../shaders/embedding_forward.comp"
    , 0};
static const char layernorm_backward_comp[] = {
#embed "../../shaders/layernorm_backward.comp"
    , 0};
static const char layernorm_backward_parameters_comp[] = {
#embed "../../shaders/layernorm_backward_parameters.comp"
    , 0};
static const char layernorm_forward_comp[] = {
#embed "../../shaders/layernorm_forward.comp"
    , 0};
static const char matmul_comp[] = {
#embed "../../shaders/matmul.comp"
    , 0};
static const char reduce_glsl[] = {
#embed "../../shaders/reduce.glsl"
    , 0};
static const char strided_comp[] = {
#embed "../../shaders/strided.comp"
    , 0};
static const char sum_axis_comp[] = {
#embed "../../shaders/sum_axis.comp"
    , 0};
static const char sum_squares_comp[] = {
#embed "../../shaders/sum_squares.comp"
    , 0};
// The op codes the C kernels use too (CWorkbenchKernels/include/wb_ops.h).
static const char wb_ops_h[] = {
#embed "../CWorkbenchKernels/include/wb_ops.h"
    , 0};
// Each shader's push-constant parameters, which Swift fills as C structs (wb_push.h there too).
static const char wb_push_h[] = {
#embed "../CWorkbenchKernels/include/wb_push.h"
    , 0};

static const char *const names[] = {
    "adamw",
    "attention_backward_dkdv",
    "attention_backward_dq",
    "attention_backward_prepass",
    "attention_decode",
    "attention_forward",
    "binary",
    "cross_entropy_backward",
    "cross_entropy_forward",
    "elementwise",
    "embedding_backward",
    "embedding_forward",
    "layernorm_backward",
    "layernorm_backward_parameters",
    "layernorm_forward",
    "matmul",
    "reduce.glsl",
    "strided",
    "sum_axis",
    "sum_squares",
    "wb_ops.h",
    "wb_push.h",
    NULL};
static const char *const sources[] = {
    adamw_comp,
    attention_backward_dkdv_comp,
    attention_backward_dq_comp,
    attention_backward_prepass_comp,
    attention_decode_comp,
    attention_forward_comp,
    binary_comp,
    cross_entropy_backward_comp,
    cross_entropy_forward_comp,
    elementwise_comp,
    embedding_backward_comp,
    embedding_forward_comp,
    layernorm_backward_comp,
    layernorm_backward_parameters_comp,
    layernorm_forward_comp,
    matmul_comp,
    reduce_glsl,
    strided_comp,
    sum_axis_comp,
    sum_squares_comp,
    wb_ops_h,
    wb_push_h,
    NULL};

const char *wbvk_shader_source(const char *name) {
  for (int i = 0; names[i]; i++)
    if (strcmp(names[i], name) == 0) return sources[i];
  return NULL;
}

const char *const *wbvk_shader_names(void) { return names; }
