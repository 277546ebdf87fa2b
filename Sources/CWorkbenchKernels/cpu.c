// What the processor can run (cpuid and the operating system's saved vector state), which of the
// kernel sets runs, and, when chosen instead of workbench's own multiply, the BLAS library, opened
// at run time after its core type is set.
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static void cpuid(unsigned leaf, unsigned subleaf, unsigned r[4]) {
  __cpuid_count(leaf, subleaf, r[0], r[1], r[2], r[3]);
}

static unsigned long long xgetbv0(void) {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}
#endif

void wb_cpu_detect(wb_cpu_features *f) {
  memset(f, 0, sizeof(*f));
#if defined(__x86_64__) || defined(__i386__)
  unsigned r[4];
  cpuid(0, 0, r);
  unsigned max_leaf = r[0];
  memcpy(f->vendor, &r[1], 4);
  memcpy(f->vendor + 4, &r[3], 4);
  memcpy(f->vendor + 8, &r[2], 4);
  cpuid(0x80000000u, 0, r);
  if (r[0] >= 0x80000004u) {
    for (unsigned i = 0; i < 3; i++) {
      cpuid(0x80000002u + i, 0, r);
      memcpy(f->brand + 16 * i, r, 16);
    }
  }
  if (max_leaf < 1) return;
  cpuid(1, 0, r);
  unsigned base_family = (r[0] >> 8) & 0xf, base_model = (r[0] >> 4) & 0xf;
  f->family = (int)(base_family == 0xf ? base_family + ((r[0] >> 20) & 0xff) : base_family);
  f->model = (int)(base_family == 0x6 || base_family == 0xf ? base_model | (((r[0] >> 16) & 0xf) << 4) : base_model);
  f->stepping = (int)(r[0] & 0xf);
  unsigned ecx1 = r[2], edx1 = r[3];
  f->sse2 = (edx1 >> 26) & 1;
  f->sse3 = ecx1 & 1;
  f->ssse3 = (ecx1 >> 9) & 1;
  f->fma = (ecx1 >> 12) & 1;
  f->sse4_1 = (ecx1 >> 19) & 1;
  f->sse4_2 = (ecx1 >> 20) & 1;
  f->avx = (ecx1 >> 28) & 1;
  f->f16c = (ecx1 >> 29) & 1;
  if ((ecx1 >> 27) & 1) {  // OSXSAVE: the OS saves the registers it enabled in XCR0
    unsigned long long xcr0 = xgetbv0();
    f->os_ymm = (xcr0 & 0x6) == 0x6;
    f->os_zmm = (xcr0 & 0xe6) == 0xe6;
  }
  if (max_leaf >= 7) {
    cpuid(7, 0, r);
    unsigned max_sub = r[0], ebx7 = r[1], ecx7 = r[2], edx7 = r[3];
    f->bmi2 = (ebx7 >> 8) & 1;
    f->avx2 = (ebx7 >> 5) & 1;
    f->avx512f = (ebx7 >> 16) & 1;
    f->avx512dq = (ebx7 >> 17) & 1;
    f->avx512bw = (ebx7 >> 30) & 1;
    f->avx512vl = (ebx7 >> 31) & 1;
    f->avx512vnni = (ecx7 >> 11) & 1;
    f->avx512fp16 = (edx7 >> 23) & 1;
    f->amx = (edx7 >> 24) & 1;
    if (max_sub >= 1) {
      cpuid(7, 1, r);
      f->avx512bf16 = (r[0] >> 5) & 1;
    }
  }
#endif
}

// ---- kernel sets -----------------------------------------------------------------------------

static atomic_int global_kernel_set = WB_KERNELS_GENERIC;
static _Thread_local int thread_kernel_set = -1;

void wb_set_kernel_set(int set) { atomic_store(&global_kernel_set, set); }

int wb_kernel_set(void) { return thread_kernel_set >= 0 ? thread_kernel_set : atomic_load(&global_kernel_set); }

void wb_set_thread_kernel_set(int set) { thread_kernel_set = set; }

// ---- the matrix-multiply library -----------------------------------------------------------

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *,
                         int);
static sgemm_fn blas_sgemm;
static void (*blas_set_threads)(int);
static char *(*blas_corename)(void);
static char *(*blas_config)(void);

int wb_blas_open(const char *library) {
  if (blas_sgemm) return 0;
  void *handle = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (!handle) return 1;
  sgemm_fn sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
  if (!sgemm) {
    dlclose(handle);
    return 2;
  }
  blas_set_threads = (void (*)(int))dlsym(handle, "openblas_set_num_threads");
  blas_corename = (char *(*)(void))dlsym(handle, "openblas_get_corename");
  blas_config = (char *(*)(void))dlsym(handle, "openblas_get_config");
  if (blas_set_threads) blas_set_threads(1);
  blas_sgemm = sgemm;
  return 0;
}

const char *wb_blas_corename(void) { return blas_corename ? blas_corename() : ""; }

const char *wb_blas_config(void) { return blas_config ? blas_config() : ""; }

static atomic_int use_blas = 0;

int wb_use_blas(int use) {
  if (use && !blas_sgemm) return 1;
  atomic_store(&use_blas, use);
  return 0;
}

// CBLAS enum values (the CBLAS standard): row-major 101, no transpose 111, transpose 112.
void wb_sgemm_call(int trans_a, int trans_b, long m, long n, long k, float alpha, const float *a, long lda,
                   const float *b, long ldb, float beta, float *c, long ldc, const float *bias) {
  if (m <= 0 || n <= 0) return;
  if (atomic_load_explicit(&use_blas, memory_order_relaxed) && k > 0) {
    if (bias) {  // C = beta·C + bias first, then the library adds the product
      for (long i = 0; i < m; i++) {
        float *row = c + i * ldc;
        for (long j = 0; j < n; j++) row[j] = (beta == 0 ? 0.0f : beta * row[j]) + bias[j];
      }
      beta = 1;
    }
    blas_sgemm(101, trans_a ? 112 : 111, trans_b ? 112 : 111, (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb,
               beta, c, (int)ldc);
  } else {
    wb_gemm_own(wb_kernel_set(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias);
  }
}
