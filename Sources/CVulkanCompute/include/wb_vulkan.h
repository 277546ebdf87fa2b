// workbench's Vulkan offload layer: device discovery, memory, shader compilation (GLSL → SPIR-V
// through glslang), pipelines, command recording and transfers. Swift decides what to dispatch;
// this layer only knows buffers, pipelines and push constants.
//
// Every symbol starts with `wbvk_`. Every fallible call returns a `wbvk_status`; the message that
// goes with the last failure on the calling thread is `wbvk_last_error()`. The Vulkan loader is
// opened at run time, so a binary built here still starts (and runs on the CPU backend) on a
// machine without one.
#ifndef WB_VULKAN_H
#define WB_VULKAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  WBVK_OK = 0,
  WBVK_NO_LOADER = 1,         // libvulkan could not be opened
  WBVK_NO_DEVICE = 2,         // the loader found no device (or not the one asked for)
  WBVK_OUT_OF_DEVICE_MEMORY = 3,
  WBVK_OUT_OF_HOST_MEMORY = 4,
  WBVK_DEVICE_LOST = 5,       // the device stopped (driver reset, watchdog); the context is unusable
  WBVK_SHADER_ERROR = 6,      // GLSL did not compile or a pipeline could not be created
  WBVK_BAD_ARGUMENT = 7,      // a binding or dispatch outside the device's limits
  WBVK_VULKAN_ERROR = 8,      // any other Vulkan failure
} wbvk_status;

/// The message for the last failing call on this thread.
const char *wbvk_last_error(void);

enum { WBVK_TYPE_OTHER = 0, WBVK_TYPE_INTEGRATED = 1, WBVK_TYPE_DISCRETE = 2, WBVK_TYPE_VIRTUAL = 3, WBVK_TYPE_CPU = 4 };

typedef struct {
  char name[256];
  char driver[256];
  int type;                       // WBVK_TYPE_*
  uint32_t vendor_id, device_id;
  uint32_t api_version;
  uint64_t device_local_bytes;    // largest device-local heap
  uint32_t subgroup_size;
  int subgroup_arithmetic;        // subgroupAdd/Max in compute shaders
  uint32_t max_shared_memory;     // maxComputeSharedMemorySize
  uint32_t max_invocations;       // maxComputeWorkGroupInvocations
  uint32_t max_group_size[3];
  uint32_t max_group_count[3];
  uint64_t max_storage_range;     // maxStorageBufferRange
  uint64_t max_allocation;        // maxMemoryAllocationSize
  uint32_t min_storage_alignment; // minStorageBufferOffsetAlignment
  uint32_t max_push_constants;
  int timestamps;                 // the compute queue can write timestamps
  float timestamp_period;         // nanoseconds per tick
} wbvk_device_info;

/// Lists the devices the loader sees (at most `capacity`), in the loader's order.
wbvk_status wbvk_enumerate(wbvk_device_info *infos, int capacity, int *count);

typedef struct wbvk_context wbvk_context;

/// Opens device `index`. With `validation`, the Khronos validation layer is enabled and every
/// message it reports is printed to stderr and counted (`wbvk_validation_messages`).
/// `cache_dir` (may be NULL) holds compiled SPIR-V and the pipeline cache across runs.
wbvk_status wbvk_create(int index, int validation, const char *cache_dir, wbvk_context **out);
/// Waits for all work, saves the pipeline cache and frees everything.
void wbvk_destroy(wbvk_context *ctx);
const wbvk_device_info *wbvk_info(const wbvk_context *ctx);
/// Validation messages (warnings and errors) reported since the context was created.
uint64_t wbvk_validation_messages(const wbvk_context *ctx);

// ---- memory --------------------------------------------------------------------------------

/// A range of device memory carved out of a large block.
typedef struct wbvk_buffer wbvk_buffer;
wbvk_status wbvk_buffer_create(wbvk_context *ctx, uint64_t bytes, wbvk_buffer **out);
/// Returns the range to its block. Work already recorded that uses it stays valid: every command
/// is ordered after the ones before it, so a later reuse cannot overtake an earlier read.
void wbvk_buffer_destroy(wbvk_context *ctx, wbvk_buffer *buffer);
/// Bytes of device memory in blocks, and of those in live buffers.
void wbvk_memory_usage(const wbvk_context *ctx, uint64_t *reserved, uint64_t *used);

/// Records a copy of host bytes into the buffer (through a staging buffer).
wbvk_status wbvk_write(wbvk_context *ctx, wbvk_buffer *buffer, uint64_t offset, const void *data, uint64_t bytes);
/// Copies bytes of the buffer to the host after all recorded work (submits and waits).
wbvk_status wbvk_read(wbvk_context *ctx, wbvk_buffer *buffer, uint64_t offset, void *data, uint64_t bytes);
/// Submits the recorded work and waits for it.
wbvk_status wbvk_finish(wbvk_context *ctx);

// ---- shaders and pipelines -----------------------------------------------------------------

/// The GLSL source of an embedded shader (`shaders/<name>.comp`), or NULL.
const char *wbvk_shader_source(const char *name);
/// The names of every embedded shader, NULL-terminated.
const char *const *wbvk_shader_names(void);

/// Compiles GLSL (the prelude with `#version` and the device's defines is prepended) to SPIR-V,
/// through the on-disk cache keyed by a hash of the full text. The returned words are owned by
/// the caller (free()).
wbvk_status wbvk_compile(const wbvk_context *ctx, const char *name, const char *source, uint32_t **words,
                         size_t *count);

/// A compute pipeline for an embedded shader with `count` uint32 specialization constants (ids
/// 0..count-1; id 0 is the workgroup's x size). Pipelines are cached by (name, constants).
wbvk_status wbvk_pipeline(wbvk_context *ctx, const char *name, const uint32_t *constants, int count, int *pipeline);

// ---- dispatch ------------------------------------------------------------------------------

/// One storage buffer bound to a shader: `bytes` bytes starting `offset` bytes into `buffer`.
typedef struct {
  wbvk_buffer *buffer;
  uint64_t offset;
  uint64_t bytes;
} wbvk_binding;

enum { WBVK_MAX_BINDINGS = 8, WBVK_MAX_PUSH = 128 };

/// Records one dispatch. Bindings are 0..<count in order; the first `count` uint32 words of the
/// push constants are filled with each binding's element offset (in 4-byte elements) within what
/// is bound, and `push` (`push_bytes`) follows them. `label` names the op in profiles.
wbvk_status wbvk_dispatch(wbvk_context *ctx, int pipeline, const char *label, const wbvk_binding *bindings, int count,
                          const void *push, uint32_t push_bytes, uint32_t groups_x, uint32_t groups_y,
                          uint32_t groups_z);

// ---- profiling -----------------------------------------------------------------------------

/// Turns timestamp queries around each dispatch on or off (off by default).
void wbvk_set_profiling(wbvk_context *ctx, int on);
typedef struct {
  const char *label;
  uint64_t count;
  double milliseconds;
} wbvk_profile_entry;
/// Accumulated device time per label (after wbvk_finish); returns how many entries were written.
int wbvk_profile(wbvk_context *ctx, wbvk_profile_entry *entries, int capacity);
void wbvk_profile_reset(wbvk_context *ctx);

#ifdef __cplusplus
}
#endif

#endif
