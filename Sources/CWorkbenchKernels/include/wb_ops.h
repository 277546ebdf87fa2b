// The op codes of the elementwise kernels, defined once for every place that names them: the C
// kernels include this file, the GLSL shaders include it (`#include "wb_ops.h"`, spliced in from
// the sources embedded in the binary), and Swift reads the constants through CWorkbenchKernels.
// Only `#define` lines and `//` comments, so that both C's and GLSL's preprocessors read it.
//
// Adding a unary op: a WB_<NAME> code below (the next number, and WB_UNARY_COUNT one more), its
// case in `UnaryOp` (Swift, with its gradient rule in the tape), its loops in elementwise.c and its
// two cases in shaders/elementwise.comp; the gradient checks then run it on every backend.
#ifndef WB_OPS_H
#define WB_OPS_H

// Unary functions y = f(x) (`UnaryOp`).
#define WB_NEG 0
#define WB_EXP 1
#define WB_LOG 2
#define WB_SQRT 3
#define WB_TANH 4
#define WB_SQUARE 5
#define WB_RECIPROCAL 6
#define WB_RELU 7
#define WB_GELU 8
#define WB_UNARY_COUNT 9

// Binary functions out = a op b, with broadcasting (`BinaryOp`).
#define WB_ADD 0
#define WB_SUB 1
#define WB_MUL 2
#define WB_DIV 3
#define WB_BINARY_COUNT 4

// What shaders/elementwise.comp does (its `op` push constant).
#define WB_ELEMENTWISE_FILL 0
#define WB_ELEMENTWISE_AFFINE 1
#define WB_ELEMENTWISE_AXPY 2
#define WB_ELEMENTWISE_CLIP_BY_NORM 3
// + a unary code: out = f(x); + a unary code: out = dy·f′(x), given y = f(x).
#define WB_ELEMENTWISE_UNARY 10
#define WB_ELEMENTWISE_UNARY_BACKWARD 30

#endif
