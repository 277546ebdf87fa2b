// Checksums of the files workbench writes and reads back (checkpoints): CRC-32C per 64 KiB block,
// four blocks interleaved so the CRC instruction's latency is hidden, then a CRC-32C over the
// block CRCs. Runs at memory speed where the processor has a CRC instruction.
#include <pthread.h>
#include <string.h>

#include <stdlib.h>

#include "internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#define WB_CRC_X86 1
#elif defined(__aarch64__) && defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#define WB_CRC_ARM 1
#endif

enum { BLOCK = 65536 };

static uint32_t table[256];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

static void make_table(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    table[i] = c;
  }
}

uint32_t wb_crc32c_portable(uint32_t crc, const void *data, size_t n) {
  pthread_once(&table_once, make_table);
  const uint8_t *p = data;
  uint32_t c = ~crc;
  while (n--) c = table[(c ^ *p++) & 0xff] ^ (c >> 8);
  return ~c;
}

// The CRC instruction on 8 bytes and on 1 byte, and the attribute that enables it.
#if WB_CRC_X86
#define CRC_TARGET __attribute__((target("sse4.2")))
#define CRC64(c, w) ((uint32_t)_mm_crc32_u64((c), (w)))
#define CRC8(c, b) _mm_crc32_u8((c), (b))
static int has_hw(void) { return __builtin_cpu_supports("sse4.2"); }
#elif WB_CRC_ARM
#define CRC_TARGET
#define CRC64(c, w) __crc32cd((c), (w))
#define CRC8(c, b) __crc32cb((c), (b))
static int has_hw(void) { return 1; }
#endif

#if WB_CRC_X86 || WB_CRC_ARM
CRC_TARGET static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n) {
  uint32_t c = ~crc;
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    memcpy(&w, p, 8);
    c = CRC64(c, w);
  }
  for (; n; p++, n--) c = CRC8(c, *p);
  return ~c;
}

// The CRCs of four whole blocks starting at p, p + BLOCK, …, in one interleaved pass.
CRC_TARGET static void crc_hw4(const uint8_t *p, uint32_t out[4]) {
  uint32_t c[4] = {0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu};
  for (size_t i = 0; i < BLOCK; i += 8) {
    for (int k = 0; k < 4; k++) {
      uint64_t w;
      memcpy(&w, p + (size_t)k * BLOCK + i, 8);
      c[k] = CRC64(c[k], w);
    }
  }
  for (int k = 0; k < 4; k++) out[k] = ~c[k];
}
#endif

uint32_t wb_crc32c(uint32_t crc, const void *data, size_t n) {
#if WB_CRC_X86 || WB_CRC_ARM
  if (has_hw()) return crc_hw(crc, data, n);
#endif
  return wb_crc32c_portable(crc, data, n);
}

static void append_le(uint8_t *out, uint32_t v) {
  for (int k = 0; k < 4; k++) out[k] = (uint8_t)(v >> (8 * k));
}

#if WB_CRC_X86 || WB_CRC_ARM
struct groups {
  const uint8_t *p;
  uint32_t *crcs;
};

// Groups of four blocks, on the thread pool: each writes its four block CRCs.
static void crc_groups(void *ctx, long begin, long end) {
  struct groups *g = ctx;
  for (long i = begin; i < end; i++) crc_hw4(g->p + (size_t)i * 4 * BLOCK, g->crcs + 4 * i);
}
#endif

uint32_t wb_checksum(const void *data, size_t n) {
  const uint8_t *p = data;
  uint32_t total = 0;
  uint8_t words[4];
#if WB_CRC_X86 || WB_CRC_ARM
  size_t groups = n / (4 * (size_t)BLOCK);
  uint32_t *crcs = groups > 0 && has_hw() ? malloc(groups * 16) : NULL;
  if (crcs) {
    struct groups g = {p, crcs};
    wb_parallel_for((long)groups, 16, crc_groups, &g);
    for (size_t i = 0; i < 4 * groups; i++) {
      append_le(words, crcs[i]);
      total = crc_hw(total, words, 4);
    }
    free(crcs);
    p += groups * 4 * BLOCK;
    n -= groups * 4 * BLOCK;
  }
#endif
  for (; n > 0;) {
    size_t length = n < BLOCK ? n : BLOCK;
    append_le(words, wb_crc32c(0, p, length));
    total = wb_crc32c(total, words, 4);
    p += length;
    n -= length;
  }
  return total;
}
