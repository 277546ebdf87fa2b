// A persistent pool: the caller plus n−1 workers. Each parallel_for splits [0, n) into one range
// per participant, statically. The participant count travels inside the atomic generation word,
// so a worker decides whether a job is its own without reading shared state; a participant reads
// the job only between seeing its generation and acknowledging it, and the caller waits for every
// acknowledgement before it writes the next job.
#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"

#define WB_MAX_THREADS 64

static pthread_mutex_t wake_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t call_mutex = PTHREAD_MUTEX_INITIALIZER;
static int threads_wanted = 1;
static int workers_started = 0;
static atomic_long generation = 0;
static atomic_int pending = 0;

static struct {
  wb_range_fn fn;
  void *ctx;
  long n;
  int parts;
  int kernel_set;  // the starting thread's, so a forced set holds on every worker
} job;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

static void run_part(int part) {
  long per = (job.n + job.parts - 1) / job.parts;
  long begin = part * per;
  long end = WB_MIN(job.n, begin + per);
  if (begin < end) job.fn(job.ctx, begin, end);
}

/// The generation each worker had seen when it was created (so it cannot miss the first job).
static long start_generation[WB_MAX_THREADS];

static void *worker_main(void *arg) {
  int index = (int)(long)arg;
  long seen = start_generation[index];
  for (;;) {
    long current;
    int spins = 0;
    while ((current = atomic_load_explicit(&generation, memory_order_acquire)) == seen) {
      if (++spins < 20000) {
        cpu_relax();
        continue;
      }
      pthread_mutex_lock(&wake_mutex);
      while ((current = atomic_load_explicit(&generation, memory_order_acquire)) == seen) {
        pthread_cond_wait(&wake_cond, &wake_mutex);
      }
      pthread_mutex_unlock(&wake_mutex);
      break;
    }
    seen = current;
    if (index < (int)(current & 0xff)) {
      wb_set_thread_kernel_set(job.kernel_set);
      run_part(index);
      atomic_fetch_sub_explicit(&pending, 1, memory_order_acq_rel);
    }
  }
  return 0;
}

void wb_set_num_threads(int n) {
  if (n < 1) n = 1;
  if (n > WB_MAX_THREADS) n = WB_MAX_THREADS;
  pthread_mutex_lock(&call_mutex);
  while (workers_started < n - 1) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    start_generation[workers_started + 1] = atomic_load_explicit(&generation, memory_order_acquire);
    if (pthread_create(&thread, &attributes, worker_main, (void *)(long)(workers_started + 1)) != 0) {
      pthread_attr_destroy(&attributes);
      break;
    }
    pthread_attr_destroy(&attributes);
    workers_started += 1;
  }
  threads_wanted = WB_MIN(n, workers_started + 1);
  pthread_mutex_unlock(&call_mutex);
}

int wb_num_threads(void) { return threads_wanted; }

void wb_parallel_for(long n, long grain, wb_range_fn fn, void *ctx) {
  if (grain < 1) grain = 1;
  long parts = WB_MIN((long)threads_wanted, (n + grain - 1) / grain);
  if (parts <= 1) {
    if (n > 0) fn(ctx, 0, n);
    return;
  }
  pthread_mutex_lock(&call_mutex);
  job.fn = fn;
  job.ctx = ctx;
  job.n = n;
  job.parts = (int)parts;
  job.kernel_set = wb_kernel_set();
  atomic_store_explicit(&pending, (int)parts - 1, memory_order_release);
  pthread_mutex_lock(&wake_mutex);
  long next = ((atomic_load_explicit(&generation, memory_order_relaxed) >> 8) + 1) << 8 | parts;
  atomic_store_explicit(&generation, next, memory_order_release);
  pthread_cond_broadcast(&wake_cond);
  pthread_mutex_unlock(&wake_mutex);
  run_part(0);
  while (atomic_load_explicit(&pending, memory_order_acquire) > 0) cpu_relax();
  pthread_mutex_unlock(&call_mutex);
}
