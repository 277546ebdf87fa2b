// Recording and submission. Work goes into one of two frames (command buffer, fence, descriptor
// sets, staging memory, timestamp queries); a frame is submitted when the host reads a value, when
// its descriptor sets or staging memory run out (which also bounds each submission, keeping clear
// of driver watchdogs), or on wbvk_finish. Before a frame is recorded again its fence is waited
// for, so nothing it used is overwritten while the device may still read it. Every command is
// preceded by a full compute/transfer memory barrier: each op sees the results of all before it.
#include <stdlib.h>
#include <string.h>

#include "internal.h"

wbvk_status wbvk_frames_create(wbvk_context *ctx) {
  VkCommandPoolCreateInfo pool = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                  .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                  .queueFamilyIndex = ctx->queue_family};
  VkResult result = ctx->d.vkCreateCommandPool(ctx->device, &pool, NULL, &ctx->command_pool);
  if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "creating a command pool");
  for (int f = 0; f < WBVK_FRAMES; f++) {
    wbvk_frame *frame = &ctx->frames[f];
    VkCommandBufferAllocateInfo commands = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                            .commandPool = ctx->command_pool,
                                            .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                            .commandBufferCount = 1};
    result = ctx->d.vkAllocateCommandBuffers(ctx->device, &commands, &frame->commands);
    if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "allocating a command buffer");
    VkFenceCreateInfo fence = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    result = ctx->d.vkCreateFence(ctx->device, &fence, NULL, &frame->fence);
    if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "creating a fence");
    VkDescriptorPoolSize size = {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                 .descriptorCount = WBVK_SETS_PER_FRAME * WBVK_MAX_BINDINGS};
    VkDescriptorPoolCreateInfo descriptors = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                              .maxSets = WBVK_SETS_PER_FRAME,
                                              .poolSizeCount = 1,
                                              .pPoolSizes = &size};
    result = ctx->d.vkCreateDescriptorPool(ctx->device, &descriptors, NULL, &frame->pool);
    if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "creating a descriptor pool");
    // Every set is allocated once, here; dispatches only rewrite them.
    VkDescriptorSetLayout layouts[WBVK_SETS_PER_FRAME];
    for (int i = 0; i < WBVK_SETS_PER_FRAME; i++) layouts[i] = ctx->set_layout;
    VkDescriptorSetAllocateInfo sets = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                        .descriptorPool = frame->pool,
                                        .descriptorSetCount = WBVK_SETS_PER_FRAME,
                                        .pSetLayouts = layouts};
    result = ctx->d.vkAllocateDescriptorSets(ctx->device, &sets, frame->sets);
    if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "allocating descriptor sets");
    if (ctx->info.timestamps) {
      VkQueryPoolCreateInfo queries = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                       .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                       .queryCount = 2 * WBVK_SETS_PER_FRAME};
      result = ctx->d.vkCreateQueryPool(ctx->device, &queries, NULL, &frame->queries);
      if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "creating a timestamp query pool");
    }
  }
  return WBVK_OK;
}

void wbvk_frames_destroy(wbvk_context *ctx) {
  for (int f = 0; f < WBVK_FRAMES; f++) {
    wbvk_frame *frame = &ctx->frames[f];
    wbvk_staging_free(ctx, &frame->staging);
    if (frame->queries) ctx->d.vkDestroyQueryPool(ctx->device, frame->queries, NULL);
    if (frame->pool) ctx->d.vkDestroyDescriptorPool(ctx->device, frame->pool, NULL);
    if (frame->fence) ctx->d.vkDestroyFence(ctx->device, frame->fence, NULL);
  }
  if (ctx->command_pool) ctx->d.vkDestroyCommandPool(ctx->device, ctx->command_pool, NULL);
}

static int label_index(wbvk_context *ctx, const char *label) {
  for (int i = 0; i < ctx->profile_count; i++)
    if (strcmp(ctx->profile[i].label, label) == 0) return i;
  if (ctx->profile_count == ctx->profile_capacity) {
    ctx->profile_capacity = ctx->profile_capacity ? 2 * ctx->profile_capacity : 32;
    ctx->profile = realloc(ctx->profile, sizeof *ctx->profile * (size_t)ctx->profile_capacity);
  }
  ctx->profile[ctx->profile_count] = (wbvk_profile_slot){.label = strdup(label)};
  return ctx->profile_count++;
}

// Waits for a submitted frame and harvests its timestamps.
static wbvk_status wait_frame(wbvk_context *ctx, wbvk_frame *frame) {
  if (!frame->pending) return WBVK_OK;
  VkResult result = ctx->d.vkWaitForFences(ctx->device, 1, &frame->fence, VK_TRUE, UINT64_MAX);
  if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "waiting for the device");
  ctx->d.vkResetFences(ctx->device, 1, &frame->fence);
  frame->pending = 0;
  if (frame->timed > 0) {
    uint64_t *ticks = malloc(sizeof(uint64_t) * 2 * (size_t)frame->timed);
    if (ticks && ctx->d.vkGetQueryPoolResults(ctx->device, frame->queries, 0, 2 * (uint32_t)frame->timed,
                                              sizeof(uint64_t) * 2 * (size_t)frame->timed, ticks, sizeof(uint64_t),
                                              VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT) == VK_SUCCESS) {
      for (int i = 0; i < frame->timed; i++) {
        uint64_t elapsed = ((ticks[2 * i + 1] & ctx->timestamp_mask) - (ticks[2 * i] & ctx->timestamp_mask)) &
                           ctx->timestamp_mask;
        wbvk_profile_slot *slot = &ctx->profile[frame->labels[i]];
        slot->count++;
        slot->milliseconds += (double)elapsed * ctx->info.timestamp_period * 1e-6;
      }
    }
    free(ticks);
    frame->timed = 0;
  }
  return WBVK_OK;
}

// The frame being recorded, begun if it is not yet.
static wbvk_status recording(wbvk_context *ctx, wbvk_frame **out) {
  if (ctx->status) return wbvk_fail(ctx->status, "the Vulkan device was lost earlier; restart the run");
  wbvk_frame *frame = &ctx->frames[ctx->current];
  if (!frame->recording) {
    wbvk_status status = wait_frame(ctx, frame);
    if (status != WBVK_OK) return status;
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    VkResult result = ctx->d.vkResetCommandBuffer(frame->commands, 0);
    if (result == VK_SUCCESS) result = ctx->d.vkBeginCommandBuffer(frame->commands, &begin);
    if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "starting a command buffer");
    if (frame->queries && ctx->profiling)
      ctx->d.vkCmdResetQueryPool(frame->commands, frame->queries, 0, 2 * WBVK_SETS_PER_FRAME);
    frame->sets_used = 0;
    frame->staging.used = 0;
    frame->timed = 0;
    frame->recording = 1;
  }
  *out = frame;
  return WBVK_OK;
}

// Ends and submits the frame being recorded (if any) and moves to the next.
static wbvk_status submit(wbvk_context *ctx) {
  wbvk_frame *frame = &ctx->frames[ctx->current];
  if (!frame->recording) return WBVK_OK;
  frame->recording = 0;
  VkResult result = ctx->d.vkEndCommandBuffer(frame->commands);
  if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "recording commands");
  VkSubmitInfo info = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &frame->commands};
  result = ctx->d.vkQueueSubmit(ctx->queue, 1, &info, frame->fence);
  if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "submitting work to the device");
  frame->pending = 1;
  ctx->current = (ctx->current + 1) % WBVK_FRAMES;
  return WBVK_OK;
}

static wbvk_status wait_all(wbvk_context *ctx) {
  for (int f = 0; f < WBVK_FRAMES; f++) {
    wbvk_status status = wait_frame(ctx, &ctx->frames[f]);
    if (status != WBVK_OK) return status;
  }
  return WBVK_OK;
}

wbvk_status wbvk_finish(wbvk_context *ctx) {
  if (ctx->status) return wbvk_fail(ctx->status, "the Vulkan device was lost earlier; restart the run");
  wbvk_status status = submit(ctx);
  return status != WBVK_OK ? status : wait_all(ctx);
}

static void barrier(wbvk_context *ctx, wbvk_frame *frame) {
  VkMemoryBarrier memory = {
      .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
      .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
      .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                       VK_ACCESS_TRANSFER_WRITE_BIT,
  };
  VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
  ctx->d.vkCmdPipelineBarrier(frame->commands, stages, stages, 0, 1, &memory, 0, NULL, 0, NULL);
}

// Room for `bytes` in the staging memory of the frame being recorded (submitting it first when it
// is full); returns the frame and the offset.
static wbvk_status staging(wbvk_context *ctx, uint64_t bytes, wbvk_frame **out, uint64_t *offset) {
  wbvk_frame *frame;
  wbvk_status status = recording(ctx, &frame);
  if (status != WBVK_OK) return status;
  if (frame->staging.used + bytes > frame->staging.size && frame->staging.used > 0) {
    if ((status = submit(ctx)) != WBVK_OK || (status = recording(ctx, &frame)) != WBVK_OK) return status;
  }
  if (frame->staging.size < bytes) {
    // Nothing recorded in this frame uses its staging memory yet, so it can be replaced.
    if ((status = wbvk_staging_reserve(ctx, &frame->staging, bytes)) != WBVK_OK) return status;
  }
  *offset = frame->staging.used;
  frame->staging.used += (bytes + 255) / 256 * 256;
  *out = frame;
  return WBVK_OK;
}

enum { TRANSFER_CHUNK = 32 << 20 };

// Copies `bytes` between host memory and a device buffer through the frame's staging memory, 32 MiB
// at a time: from `source` when writing (recorded; it runs with the frame), into `destination`
// when reading (which waits for the copy). The other pointer is NULL.
static wbvk_status transfer(wbvk_context *ctx, wbvk_buffer *buffer, uint64_t offset, const void *source,
                            void *destination, uint64_t bytes) {
  int writing = source != NULL;
  if (offset + bytes > buffer->size)
    return wbvk_fail(WBVK_BAD_ARGUMENT, "%s past the end of a device buffer", writing ? "write" : "read");
  for (uint64_t done = 0; done < bytes;) {
    uint64_t chunk = bytes - done < TRANSFER_CHUNK ? bytes - done : TRANSFER_CHUNK;
    wbvk_frame *frame;
    uint64_t at;
    wbvk_status status = staging(ctx, chunk, &frame, &at);
    if (status != WBVK_OK) return status;
    char *staged = (char *)frame->staging.mapped + at;
    uint64_t on_device = buffer->offset + offset + done;
    if (writing) memcpy(staged, (const char *)source + done, chunk);
    barrier(ctx, frame);
    VkBufferCopy copy = {.srcOffset = writing ? at : on_device, .dstOffset = writing ? on_device : at, .size = chunk};
    VkBuffer device = buffer->block->buffer;
    ctx->d.vkCmdCopyBuffer(frame->commands, writing ? frame->staging.buffer : device,
                           writing ? device : frame->staging.buffer, 1, &copy);
    if (!writing) {
      VkMemoryBarrier host = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                              .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
                              .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
      ctx->d.vkCmdPipelineBarrier(frame->commands, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                                  &host, 0, NULL, 0, NULL);
      if ((status = submit(ctx)) != WBVK_OK || (status = wait_all(ctx)) != WBVK_OK) return status;
      memcpy((char *)destination + done, staged, chunk);
    }
    done += chunk;
  }
  return WBVK_OK;
}

wbvk_status wbvk_write(wbvk_context *ctx, wbvk_buffer *buffer, uint64_t offset, const void *data, uint64_t bytes) {
  return transfer(ctx, buffer, offset, data, NULL, bytes);
}

wbvk_status wbvk_read(wbvk_context *ctx, wbvk_buffer *buffer, uint64_t offset, void *data, uint64_t bytes) {
  return transfer(ctx, buffer, offset, NULL, data, bytes);
}

wbvk_status wbvk_dispatch(wbvk_context *ctx, int pipeline, const char *label, const wbvk_binding *bindings, int count,
                          const void *push, uint32_t push_bytes, uint32_t groups_x, uint32_t groups_y,
                          uint32_t groups_z) {
  if (count > WBVK_MAX_BINDINGS || 4 * (uint32_t)count + push_bytes > WBVK_MAX_PUSH)
    return wbvk_fail(WBVK_BAD_ARGUMENT, "%s: too many bindings or push constants", label);
  if (pipeline < 0 || pipeline >= ctx->pipeline_count)
    return wbvk_fail(WBVK_BAD_ARGUMENT, "%s: no such pipeline", label);
  if (groups_x > ctx->info.max_group_count[0] || groups_y > ctx->info.max_group_count[1] ||
      groups_z > ctx->info.max_group_count[2])
    return wbvk_fail(WBVK_BAD_ARGUMENT, "%s: %u×%u×%u workgroups exceed the device's limit %u×%u×%u", label, groups_x,
                     groups_y, groups_z, ctx->info.max_group_count[0], ctx->info.max_group_count[1],
                     ctx->info.max_group_count[2]);
  if (groups_x == 0 || groups_y == 0 || groups_z == 0) return WBVK_OK;
  uint32_t words[WBVK_MAX_PUSH / 4] = {0};
  VkDescriptorBufferInfo infos[WBVK_MAX_BINDINGS];
  uint64_t alignment = ctx->info.min_storage_alignment ? ctx->info.min_storage_alignment : 1;
  for (int i = 0; i < WBVK_MAX_BINDINGS; i++) {
    const wbvk_binding *b = i < count ? &bindings[i] : NULL;
    wbvk_buffer *buffer = b ? b->buffer : ctx->dummy;
    uint64_t start = buffer->offset + (b ? b->offset : 0);
    uint64_t base = start / alignment * alignment;
    uint64_t range = buffer->block->size - base;
    if (range > ctx->info.max_storage_range) range = ctx->info.max_storage_range / 4 * 4;
    if (b && (start - base) + b->bytes > range)
      return wbvk_fail(WBVK_BAD_ARGUMENT,
                       "%s: a tensor of %llu bytes exceeds the device's largest storage binding (%llu bytes); use a "
                       "smaller model or batch",
                       label, (unsigned long long)b->bytes, (unsigned long long)ctx->info.max_storage_range);
    infos[i] = (VkDescriptorBufferInfo){.buffer = buffer->block->buffer, .offset = base, .range = range};
    if (b) words[i] = (uint32_t)((start - base) / 4);
  }
  memcpy(words + count, push, push_bytes);
  wbvk_frame *frame;
  wbvk_status status = recording(ctx, &frame);
  if (status != WBVK_OK) return status;
  if (frame->sets_used == WBVK_SETS_PER_FRAME) {
    if ((status = submit(ctx)) != WBVK_OK || (status = recording(ctx, &frame)) != WBVK_OK) return status;
  }
  VkDescriptorSet set = frame->sets[frame->sets_used++];
  VkWriteDescriptorSet writes[WBVK_MAX_BINDINGS];
  for (int i = 0; i < WBVK_MAX_BINDINGS; i++)
    writes[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                       .dstSet = set,
                                       .dstBinding = (uint32_t)i,
                                       .descriptorCount = 1,
                                       .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                       .pBufferInfo = &infos[i]};
  ctx->d.vkUpdateDescriptorSets(ctx->device, WBVK_MAX_BINDINGS, writes, 0, NULL);
  barrier(ctx, frame);
  VkCommandBuffer commands = frame->commands;
  int timed = ctx->profiling && frame->queries;
  if (timed) ctx->d.vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, frame->queries, 2 * (uint32_t)frame->timed);
  ctx->d.vkCmdBindPipeline(commands, VK_PIPELINE_BIND_POINT_COMPUTE, ctx->pipelines[pipeline].pipeline);
  ctx->d.vkCmdBindDescriptorSets(commands, VK_PIPELINE_BIND_POINT_COMPUTE, ctx->layout, 0, 1, &set, 0, NULL);
  ctx->d.vkCmdPushConstants(commands, ctx->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, WBVK_MAX_PUSH, words);
  ctx->d.vkCmdDispatch(commands, groups_x, groups_y, groups_z);
  if (timed) {
    ctx->d.vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, frame->queries,
                               2 * (uint32_t)frame->timed + 1);
    frame->labels[frame->timed++] = label_index(ctx, label);
  }
  return WBVK_OK;
}

void wbvk_set_profiling(wbvk_context *ctx, int on) {
  if (on && !ctx->profiling) wbvk_finish(ctx);  // the next frame resets its queries
  ctx->profiling = on && ctx->info.timestamps;
}

int wbvk_profile(wbvk_context *ctx, wbvk_profile_entry *entries, int capacity) {
  int n = 0;
  for (int i = 0; i < ctx->profile_count && n < capacity; i++)
    if (ctx->profile[i].count > 0)
      entries[n++] = (wbvk_profile_entry){
          .label = ctx->profile[i].label, .count = ctx->profile[i].count, .milliseconds = ctx->profile[i].milliseconds};
  return n;
}

void wbvk_profile_reset(wbvk_context *ctx) {
  for (int i = 0; i < ctx->profile_count; i++) {
    ctx->profile[i].count = 0;
    ctx->profile[i].milliseconds = 0;
  }
}
