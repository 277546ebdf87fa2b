// Shared between the files of the Vulkan offload layer; not part of its interface.
#ifndef WBVK_INTERNAL_H
#define WBVK_INTERNAL_H

#define VK_NO_PROTOTYPES
#include <vulkan/vulkan.h>

#include "wb_vulkan.h"

// Every Vulkan entry point the layer calls, loaded from libvulkan at run time.
#define WBVK_GLOBAL_FUNCTIONS(X) \
  X(vkCreateInstance)            \
  X(vkEnumerateInstanceExtensionProperties) \
  X(vkEnumerateInstanceLayerProperties)

#define WBVK_INSTANCE_FUNCTIONS(X)           \
  X(vkDestroyInstance)                       \
  X(vkEnumeratePhysicalDevices)              \
  X(vkGetPhysicalDeviceProperties)           \
  X(vkGetPhysicalDeviceProperties2)          \
  X(vkGetPhysicalDeviceMemoryProperties)     \
  X(vkGetPhysicalDeviceQueueFamilyProperties) \
  X(vkEnumerateDeviceExtensionProperties)    \
  X(vkCreateDevice)                          \
  X(vkGetDeviceProcAddr)

#define WBVK_DEVICE_FUNCTIONS(X)                                                                         \
  X(vkDestroyDevice) X(vkGetDeviceQueue) X(vkDeviceWaitIdle) X(vkCreateBuffer) X(vkDestroyBuffer)         \
  X(vkGetBufferMemoryRequirements) X(vkAllocateMemory) X(vkFreeMemory) X(vkBindBufferMemory) X(vkMapMemory) \
  X(vkUnmapMemory) X(vkCreateShaderModule) X(vkDestroyShaderModule) X(vkCreatePipelineCache)              \
  X(vkGetPipelineCacheData) X(vkDestroyPipelineCache) X(vkCreateComputePipelines) X(vkDestroyPipeline)     \
  X(vkCreatePipelineLayout) X(vkDestroyPipelineLayout) X(vkCreateDescriptorSetLayout)                      \
  X(vkDestroyDescriptorSetLayout) X(vkCreateDescriptorPool) X(vkDestroyDescriptorPool)                     \
  X(vkAllocateDescriptorSets) X(vkUpdateDescriptorSets) X(vkCreateCommandPool) X(vkDestroyCommandPool)     \
  X(vkAllocateCommandBuffers) X(vkBeginCommandBuffer) X(vkEndCommandBuffer) X(vkResetCommandBuffer)        \
  X(vkCmdBindPipeline) X(vkCmdBindDescriptorSets) X(vkCmdPushConstants) X(vkCmdDispatch)                   \
  X(vkCmdPipelineBarrier) X(vkCmdCopyBuffer) X(vkCmdWriteTimestamp) X(vkCmdResetQueryPool)                 \
  X(vkCreateQueryPool) X(vkDestroyQueryPool) X(vkGetQueryPoolResults) X(vkQueueSubmit) X(vkCreateFence)    \
  X(vkDestroyFence) X(vkWaitForFences) X(vkResetFences)

typedef struct {
  void *library;
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
#define WBVK_DECLARE(name) PFN_##name name;
  WBVK_GLOBAL_FUNCTIONS(WBVK_DECLARE)
  WBVK_INSTANCE_FUNCTIONS(WBVK_DECLARE)
  PFN_vkCreateDebugUtilsMessengerEXT vkCreateDebugUtilsMessengerEXT;
  PFN_vkDestroyDebugUtilsMessengerEXT vkDestroyDebugUtilsMessengerEXT;
} wbvk_instance_table;

typedef struct {
  WBVK_DEVICE_FUNCTIONS(WBVK_DECLARE)
} wbvk_device_table;
#undef WBVK_DECLARE

// A large VkDeviceMemory with one VkBuffer over all of it; buffers are ranges of it.
typedef struct wbvk_block {
  VkDeviceMemory memory;
  VkBuffer buffer;
  uint64_t size;
  // Free ranges, sorted by offset and coalesced.
  uint64_t *free_offset, *free_size;
  int free_count, free_capacity;
} wbvk_block;

struct wbvk_buffer {
  wbvk_block *block;
  uint64_t offset, size;
};

// Host-visible memory for transfers.
typedef struct {
  VkDeviceMemory memory;
  VkBuffer buffer;
  void *mapped;
  uint64_t size, used;
} wbvk_staging;

enum { WBVK_FRAMES = 2, WBVK_SETS_PER_FRAME = 512 };

// One command buffer in flight: recorded, submitted, then reused once its fence signals.
typedef struct {
  VkCommandBuffer commands;
  VkFence fence;
  VkDescriptorPool pool;
  VkDescriptorSet sets[WBVK_SETS_PER_FRAME];
  int sets_used;
  wbvk_staging staging;
  VkQueryPool queries;
  int labels[WBVK_SETS_PER_FRAME];  // profile label of each timed dispatch
  int timed;
  int recording, pending;
} wbvk_frame;

typedef struct {
  char *name;
  uint32_t constants[16];
  int count;
  VkPipeline pipeline;
} wbvk_pipeline_entry;

typedef struct {
  char *label;
  uint64_t count;
  double milliseconds;
} wbvk_profile_slot;

struct wbvk_context {
  wbvk_instance_table vk;
  wbvk_device_table d;
  VkInstance instance;
  VkDebugUtilsMessengerEXT messenger;
  uint64_t validation_messages;
  VkPhysicalDevice physical;
  VkDevice device;
  VkQueue queue;
  uint32_t queue_family;
  uint64_t timestamp_mask;
  wbvk_device_info info;
  VkPhysicalDeviceMemoryProperties memory;
  int status;  // sticky: WBVK_DEVICE_LOST once the device is lost

  VkDescriptorSetLayout set_layout;
  VkPipelineLayout layout;
  VkPipelineCache cache;
  size_t cache_saved_size;
  char *cache_dir;
  char prelude[512];
  wbvk_pipeline_entry *pipelines;
  int pipeline_count, pipeline_capacity;

  wbvk_block **blocks;
  int block_count, block_capacity;
  uint64_t reserved, used;
  wbvk_buffer *dummy;

  VkCommandPool command_pool;
  wbvk_frame frames[WBVK_FRAMES];
  int current;

  int profiling;
  wbvk_profile_slot *profile;
  int profile_count, profile_capacity;
};

// errors.c
wbvk_status wbvk_fail(wbvk_status status, const char *format, ...) __attribute__((format(printf, 2, 3)));
wbvk_status wbvk_vk_fail(wbvk_context *ctx, VkResult result, const char *what);
wbvk_status wbvk_load_loader(wbvk_instance_table *vk);

// memory.c
int wbvk_memory_type(const VkPhysicalDeviceMemoryProperties *memory, uint32_t allowed, VkMemoryPropertyFlags want,
                     VkMemoryPropertyFlags prefer);
wbvk_status wbvk_staging_reserve(wbvk_context *ctx, wbvk_staging *staging, uint64_t bytes);
void wbvk_staging_free(wbvk_context *ctx, wbvk_staging *staging);
void wbvk_blocks_free(wbvk_context *ctx);

// commands.c
wbvk_status wbvk_frames_create(wbvk_context *ctx);
void wbvk_frames_destroy(wbvk_context *ctx);

// pipelines.c
wbvk_status wbvk_pipelines_create(wbvk_context *ctx);
void wbvk_pipelines_destroy(wbvk_context *ctx);

#endif
