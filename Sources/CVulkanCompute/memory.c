// Device memory: tensors are ranges of large blocks (one VkDeviceMemory and one VkBuffer each),
// found first-fit in each block's sorted free list and coalesced when returned.
#include <stdlib.h>
#include <string.h>

#include "internal.h"

enum { BLOCK_BYTES = 64 << 20 };

int wbvk_memory_type(const VkPhysicalDeviceMemoryProperties *memory, uint32_t allowed, VkMemoryPropertyFlags want,
                     VkMemoryPropertyFlags prefer) {
  int fallback = -1;
  for (uint32_t i = 0; i < memory->memoryTypeCount; i++) {
    if (!(allowed & (1u << i))) continue;
    VkMemoryPropertyFlags flags = memory->memoryTypes[i].propertyFlags;
    if ((flags & want) != want) continue;
    if ((flags & prefer) == prefer) return (int)i;
    if (fallback < 0) fallback = (int)i;
  }
  return fallback;
}

static uint64_t alignment(const wbvk_context *ctx) {
  uint64_t a = ctx->info.min_storage_alignment;
  return a < 256 ? 256 : a;
}

// A VkBuffer of `bytes` with memory of the given properties bound to it.
static wbvk_status make_buffer(wbvk_context *ctx, uint64_t bytes, VkBufferUsageFlags usage, VkMemoryPropertyFlags want,
                               VkMemoryPropertyFlags prefer, VkBuffer *buffer, VkDeviceMemory *memory) {
  *memory = VK_NULL_HANDLE;
  VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = bytes,
                             .usage = usage,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
  VkResult result = ctx->d.vkCreateBuffer(ctx->device, &info, NULL, buffer);
  if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "creating a device buffer");
  VkMemoryRequirements requirements;
  ctx->d.vkGetBufferMemoryRequirements(ctx->device, *buffer, &requirements);
  int type = wbvk_memory_type(&ctx->memory, requirements.memoryTypeBits, want, prefer);
  if (type < 0) {
    ctx->d.vkDestroyBuffer(ctx->device, *buffer, NULL);
    return wbvk_fail(WBVK_VULKAN_ERROR, "the Vulkan device offers no suitable memory type for a buffer");
  }
  VkMemoryAllocateInfo allocate = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                   .allocationSize = requirements.size,
                                   .memoryTypeIndex = (uint32_t)type};
  result = ctx->d.vkAllocateMemory(ctx->device, &allocate, NULL, memory);
  if (result == VK_SUCCESS) result = ctx->d.vkBindBufferMemory(ctx->device, *buffer, *memory, 0);
  if (result != VK_SUCCESS) {
    ctx->d.vkDestroyBuffer(ctx->device, *buffer, NULL);
    if (*memory) ctx->d.vkFreeMemory(ctx->device, *memory, NULL);
    *memory = VK_NULL_HANDLE;
    return wbvk_vk_fail(ctx, result, "allocating device memory");
  }
  return WBVK_OK;
}

static wbvk_status add_block(wbvk_context *ctx, uint64_t bytes, wbvk_block **out) {
  if (bytes > ctx->info.max_allocation)
    return wbvk_fail(WBVK_OUT_OF_DEVICE_MEMORY,
                     "a tensor of %llu bytes is larger than the device's largest allocation (%llu bytes); use a "
                     "smaller model or batch",
                     (unsigned long long)bytes, (unsigned long long)ctx->info.max_allocation);
  wbvk_block *block = calloc(1, sizeof *block);
  if (!block) return wbvk_fail(WBVK_OUT_OF_HOST_MEMORY, "out of host memory");
  wbvk_status status = make_buffer(
      ctx, bytes,
      VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
      0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, &block->buffer, &block->memory);
  if (status != WBVK_OK) {
    free(block);
    return status;
  }
  block->size = bytes;
  block->free_capacity = 16;
  block->free_offset = malloc(sizeof(uint64_t) * 16);
  block->free_size = malloc(sizeof(uint64_t) * 16);
  block->free_offset[0] = 0;
  block->free_size[0] = bytes;
  block->free_count = 1;
  if (ctx->block_count == ctx->block_capacity) {
    ctx->block_capacity = ctx->block_capacity ? 2 * ctx->block_capacity : 8;
    ctx->blocks = realloc(ctx->blocks, sizeof *ctx->blocks * (size_t)ctx->block_capacity);
  }
  ctx->blocks[ctx->block_count++] = block;
  ctx->reserved += bytes;
  *out = block;
  return WBVK_OK;
}

static int take(wbvk_block *block, uint64_t bytes, uint64_t *offset) {
  for (int i = 0; i < block->free_count; i++) {
    if (block->free_size[i] < bytes) continue;
    *offset = block->free_offset[i];
    block->free_offset[i] += bytes;
    block->free_size[i] -= bytes;
    if (block->free_size[i] == 0) {
      memmove(block->free_offset + i, block->free_offset + i + 1, sizeof(uint64_t) * (size_t)(block->free_count - i - 1));
      memmove(block->free_size + i, block->free_size + i + 1, sizeof(uint64_t) * (size_t)(block->free_count - i - 1));
      block->free_count--;
    }
    return 1;
  }
  return 0;
}

static void give_back(wbvk_block *block, uint64_t offset, uint64_t bytes) {
  int i = 0;
  while (i < block->free_count && block->free_offset[i] < offset) i++;
  int joins_before = i > 0 && block->free_offset[i - 1] + block->free_size[i - 1] == offset;
  int joins_after = i < block->free_count && offset + bytes == block->free_offset[i];
  if (joins_before && joins_after) {
    block->free_size[i - 1] += bytes + block->free_size[i];
    memmove(block->free_offset + i, block->free_offset + i + 1, sizeof(uint64_t) * (size_t)(block->free_count - i - 1));
    memmove(block->free_size + i, block->free_size + i + 1, sizeof(uint64_t) * (size_t)(block->free_count - i - 1));
    block->free_count--;
  } else if (joins_before) {
    block->free_size[i - 1] += bytes;
  } else if (joins_after) {
    block->free_offset[i] = offset;
    block->free_size[i] += bytes;
  } else {
    if (block->free_count == block->free_capacity) {
      block->free_capacity *= 2;
      block->free_offset = realloc(block->free_offset, sizeof(uint64_t) * (size_t)block->free_capacity);
      block->free_size = realloc(block->free_size, sizeof(uint64_t) * (size_t)block->free_capacity);
    }
    memmove(block->free_offset + i + 1, block->free_offset + i, sizeof(uint64_t) * (size_t)(block->free_count - i));
    memmove(block->free_size + i + 1, block->free_size + i, sizeof(uint64_t) * (size_t)(block->free_count - i));
    block->free_offset[i] = offset;
    block->free_size[i] = bytes;
    block->free_count++;
  }
}

wbvk_status wbvk_buffer_create(wbvk_context *ctx, uint64_t bytes, wbvk_buffer **out) {
  *out = NULL;
  if (ctx->status) return wbvk_fail(ctx->status, "the Vulkan device was lost earlier; restart the run");
  uint64_t a = alignment(ctx);
  uint64_t size = (bytes + a - 1) / a * a;
  if (size == 0) size = a;
  wbvk_buffer *buffer = malloc(sizeof *buffer);
  if (!buffer) return wbvk_fail(WBVK_OUT_OF_HOST_MEMORY, "out of host memory");
  for (int i = 0; i < ctx->block_count; i++)
    if (take(ctx->blocks[i], size, &buffer->offset)) {
      buffer->block = ctx->blocks[i];
      goto found;
    }
  {
    uint64_t block_bytes = size > BLOCK_BYTES ? size : BLOCK_BYTES;
    if (block_bytes > ctx->info.max_allocation && size <= ctx->info.max_allocation)
      block_bytes = ctx->info.max_allocation;
    wbvk_block *block;
    wbvk_status status = add_block(ctx, block_bytes, &block);
    if (status != WBVK_OK) {
      free(buffer);
      return status;
    }
    take(block, size, &buffer->offset);
    buffer->block = block;
  }
found:
  buffer->size = size;
  ctx->used += size;
  *out = buffer;
  return WBVK_OK;
}

void wbvk_buffer_destroy(wbvk_context *ctx, wbvk_buffer *buffer) {
  if (!buffer) return;
  give_back(buffer->block, buffer->offset, buffer->size);
  ctx->used -= buffer->size;
  free(buffer);
}

void wbvk_memory_usage(const wbvk_context *ctx, uint64_t *reserved, uint64_t *used) {
  *reserved = ctx->reserved;
  *used = ctx->used;
}

void wbvk_blocks_free(wbvk_context *ctx) {
  for (int i = 0; i < ctx->block_count; i++) {
    wbvk_block *block = ctx->blocks[i];
    ctx->d.vkDestroyBuffer(ctx->device, block->buffer, NULL);
    ctx->d.vkFreeMemory(ctx->device, block->memory, NULL);
    free(block->free_offset);
    free(block->free_size);
    free(block);
  }
  free(ctx->blocks);
  ctx->blocks = NULL;
  ctx->block_count = ctx->block_capacity = 0;
}

wbvk_status wbvk_staging_reserve(wbvk_context *ctx, wbvk_staging *staging, uint64_t bytes) {
  if (staging->size >= bytes) return WBVK_OK;
  wbvk_staging_free(ctx, staging);
  uint64_t size = 1 << 20;
  while (size < bytes) size *= 2;
  wbvk_status status = make_buffer(ctx, size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                   VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                                   VK_MEMORY_PROPERTY_HOST_CACHED_BIT, &staging->buffer, &staging->memory);
  if (status != WBVK_OK) return status;
  VkResult result = ctx->d.vkMapMemory(ctx->device, staging->memory, 0, VK_WHOLE_SIZE, 0, &staging->mapped);
  if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "mapping staging memory");
  staging->size = size;
  staging->used = 0;
  return WBVK_OK;
}

void wbvk_staging_free(wbvk_context *ctx, wbvk_staging *staging) {
  if (staging->buffer) ctx->d.vkDestroyBuffer(ctx->device, staging->buffer, NULL);
  if (staging->memory) ctx->d.vkFreeMemory(ctx->device, staging->memory, NULL);
  memset(staging, 0, sizeof *staging);
}
