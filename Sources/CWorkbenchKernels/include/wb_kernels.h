// CPU kernels of workbench's tensor runtime: every op of a GPT training step except the matrix
// multiplies' inner loops (OpenBLAS), multithreaded over one persistent thread pool.
//
// Conventions: sizes are `long`; tensors are dense, row-major float32 (indices int32); a kernel
// writes its outputs and never allocates what the caller passes. Gradient kernels say whether
// they overwrite (`=`) or accumulate (`+=`) into their outputs.
#ifndef WB_KERNELS_H
#define WB_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---- the processor and the kernel sets ------------------------------------------------------

/// What cpuid says the processor has, with `os_ymm`/`os_zmm` set only when the operating system
/// also saves the AVX / AVX-512 registers (XCR0); all zero on other architectures.
typedef struct {
  char vendor[16];
  char brand[64];
  int family, model, stepping;
  int sse2, sse3, ssse3, sse4_1, sse4_2, avx, avx2, fma, f16c, bmi2;
  int avx512f, avx512dq, avx512bw, avx512vl, avx512vnni, avx512bf16, avx512fp16, amx;
  int os_ymm, os_zmm;
} wb_cpu_features;

void wb_cpu_detect(wb_cpu_features *features);

/// The builds of every hot loop: baseline x86-64 (SSE2), AVX2 + FMA, AVX-512 (F, DQ, BW, VL).
enum wb_kernel_set { WB_KERNELS_GENERIC = 0, WB_KERNELS_AVX2 = 1, WB_KERNELS_AVX512 = 2 };

/// The process-wide kernel set. The caller must have checked that the processor runs it.
void wb_set_kernel_set(int set);
/// The calling thread's kernel set (its override, else the process-wide one).
int wb_kernel_set(void);
/// Overrides the kernel set for kernels started from the calling thread; -1 follows the process.
void wb_set_thread_kernel_set(int set);

/// Opens a CBLAS library (e.g. "libopenblas.so.0") and keeps it at one thread. Returns 0 on
/// success (or when one is already open), 1 when it cannot be opened, 2 when it has no `cblas_sgemm`.
int wb_blas_open(const char *library);
/// Runs matrix multiplies through the opened BLAS library (1) or workbench's own multiply (0, the
/// default). Returns 1 when asked for a library that is not open.
int wb_use_blas(int use);
/// OpenBLAS's core name ("Haswell", "SkylakeX", …) and build configuration; "" when unknown.
const char *wb_blas_corename(void);
const char *wb_blas_config(void);

/// Builds of workbench's own sgemm: one per kernel set, and the AVX-512 tiling (14×32) built for
/// AVX2 so that machines without AVX-512 can test its logic.
enum wb_gemm_variant { WB_GEMM_GENERIC = 0, WB_GEMM_AVX2 = 1, WB_GEMM_AVX512 = 2, WB_GEMM_WIDE_ON_AVX2 = 3 };

/// C = alpha · op(A) · op(B) + beta · C (+ bias on every row, when `bias` is not NULL), row-major,
/// one thread, with workbench's own packed multiply in the given build; the processor must run it.
void wb_gemm_own(int variant, int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                 const float *b, long ldb, float beta, float *c, long ldc, const float *bias);

// ---- threads -------------------------------------------------------------------------------

/// Sets the number of threads kernels use (1 = the calling thread only). OpenBLAS is kept at one
/// thread: workbench splits each matrix multiply over its own pool instead.
void wb_set_num_threads(int n);
int wb_num_threads(void);

// ---- matrix multiply -------------------------------------------------------------------------

/// C[b] = alpha · op(A[b]) · op(B[b]) + beta · C[b] (+ bias, a row of n added to every row, when
/// not NULL: a linear layer's bias in the multiply's epilogue) for b in 0..<batch, row-major, where op
/// transposes when the flag is set. Strides are in elements between consecutive batch entries
/// (0 broadcasts an operand). Split over the pool by batch, then by rows or columns of C.
void wb_sgemm(int trans_a, int trans_b, long batch, long m, long n, long k, float alpha,
              const float *a, long lda, long stride_a, const float *b, long ldb, long stride_b,
              float beta, float *c, long ldc, long stride_c, const float *bias);

// ---- elementwise -----------------------------------------------------------------------------

#include "wb_ops.h"   // the op codes (WB_NEG, …, WB_ADD, …), shared with the shaders and Swift
#include "wb_push.h"  // the shaders' push-constant parameters, filled by Swift

void wb_fill(float *y, long n, float value);
/// y = x · scale + shift.
void wb_affine(float *y, const float *x, long n, float scale, float shift);
/// y += alpha · x.
void wb_axpy(float *y, const float *x, long n, float alpha);
/// y = op(x).
void wb_unary(int op, float *y, const float *x, long n);
/// dx = dy · op'(x), with y = op(x) given for ops whose derivative is cheaper from it.
void wb_unary_backward(int op, float *dx, const float *dy, const float *x, const float *y, long n);
/// out = a op b over `ndim` dims of `shape`, with per-operand element strides (0 = broadcast).
void wb_binary(int op, float *out, const float *a, const float *b, const long *shape,
               const long *stride_a, const long *stride_b, int ndim);
/// y[i] = x[offset(i)] for the dense index i over `shape` and x's element strides: a permute,
/// slice or broadcast made dense.
void wb_strided_copy(float *y, const float *x, const long *shape, const long *stride_x, int ndim);
/// Adds the dense `y` into x's strided positions (the adjoint of wb_strided_copy for slices).
void wb_strided_add(float *x, const float *y, const long *shape, const long *stride_x, int ndim);

// ---- reductions ------------------------------------------------------------------------------

/// y[o, i] = scale · Σ_a x[o, a, i] over x viewed as [outer, axis, inner].
void wb_sum_axis(float *y, const float *x, long outer, long axis, long inner, float scale);
/// out[0] = Σ x² (accumulated in double).
void wb_sum_squares(float *out, const float *x, long n);
/// g *= min(1, max_norm / sqrt(sum_squares[0])), with the norm read from memory (no host sync).
void wb_clip_by_norm(float *g, long n, const float *sum_squares, float max_norm);

// ---- fused ops -------------------------------------------------------------------------------

/// y = (x − mean) · rstd · w + b over rows of C; saves mean and rstd per row.
void wb_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, long rows, long c, float eps);
/// dx = ∂L/∂x (overwritten); dw, db = ∂L/∂w, ∂L/∂b (overwritten).
void wb_layernorm_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                           const float *w, const float *mean, const float *rstd, long rows, long c);

/// Causal multi-head attention over qkv [B, T, 3C] (q, k, v side by side, head j in columns
/// j·hs..<(j+1)·hs of each): out [B, T, C], lse [B, H, T] = per-row log-sum-exp of the scaled
/// scores. Flash-style: keys are visited in blocks with an online softmax; no [T, T] buffer.
void wb_attention_forward(float *out, float *lse, const float *qkv, long batch, long t, long c,
                          long heads);
/// dqkv [B, T, 3C] (overwritten) from dout, recomputing probabilities from q, k and lse.
void wb_attention_backward(float *dqkv, const float *dout, const float *qkv, const float *out,
                           const float *lse, long batch, long t, long c, long heads);

/// One decoding step with a key/value cache: cache [B, t_max, 3C] holds qkv rows 0...position;
/// out [B, C] is the attention of row `position`'s query over keys 0...position.
void wb_attention_decode(float *out, const float *cache, long batch, long position, long t_max, long c, long heads);

/// losses[r] = logsumexp(logits[r]) − logits[r, targets[r]] over rows of V; 0 where the target
/// is negative (an ignored position).
void wb_cross_entropy_forward(float *losses, const float *logits, const int32_t *targets, long rows,
                              long v);
/// dlogits = (softmax(logits) − onehot(targets)) · dloss[0] · scale (overwritten); 0 on rows whose
/// target is negative.
void wb_cross_entropy_backward(float *dlogits, const float *logits, const int32_t *targets,
                               const float *dloss, long rows, long v, float scale);

/// y[r] = table[ids[r]] over rows of C.
void wb_embedding_forward(float *y, const float *table, const int32_t *ids, long rows, long c);
/// dtable[ids[r]] += dy[r] (race-free: threads own column ranges).
void wb_embedding_backward(float *dtable, const float *dy, const int32_t *ids, long rows, long c);

/// One AdamW step (PyTorch semantics: decoupled decay applied first, eps after bias correction).
/// `step` is 1-based.
void wb_adamw(float *p, const float *g, float *m, float *v, long n, float lr, float beta1, float beta2,
              float eps, float weight_decay, long step);

/// CRC-32C (Castagnoli) of n bytes, continuing from `crc` (0 to start): the processor's CRC
/// instruction where it has one (SSE4.2, ARMv8 CRC), a table otherwise; the same value either way.
uint32_t wb_crc32c(uint32_t crc, const void *data, size_t n);
/// The same with the table only (tests compare the two).
uint32_t wb_crc32c_portable(uint32_t crc, const void *data, size_t n);
/// workbench's checksum of files it reads back: the CRC-32C of each 64 KiB block (the last may be
/// shorter), four blocks at a time so that their CRC instructions overlap, then the CRC-32C of
/// those block CRCs written as little-endian 32-bit words. 0 for no bytes.
uint32_t wb_checksum(const void *data, size_t n);

#ifdef __cplusplus
}
#endif

#endif
