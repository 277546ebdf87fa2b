// Shaders and pipelines: GLSL → SPIR-V through glslang's C API (cached on disk by a hash of the
// full source), one pipeline layout shared by every shader (eight storage buffers and 128 bytes of
// push constants), and a VkPipelineCache persisted next to the SPIR-V.
#include <glslang/Include/glslang_c_interface.h>
#include <glslang/Public/resource_limits_c.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "wb_kernels.h"

static pthread_once_t glslang_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t glslang_lock = PTHREAD_MUTEX_INITIALIZER;
static void glslang_start(void) { glslang_initialize_process(); }

static uint64_t fnv1a(const char *text, uint64_t hash) {
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) hash = (hash ^ *p) * 0x100000001b3ull;
  return hash;
}

// Creates `dir` and its parents; failures surface later as a cache that is not written.
static void make_directories(const char *dir) {
  char path[1024];
  snprintf(path, sizeof path, "%s", dir);
  for (char *p = path + 1; *p; p++)
    if (*p == '/') {
      *p = 0;
      mkdir(path, 0755);
      *p = '/';
    }
  mkdir(path, 0755);
}

static void *read_file(const char *path, size_t *size) {
  FILE *file = fopen(path, "rb");
  if (!file) return NULL;
  fseek(file, 0, SEEK_END);
  long length = ftell(file);
  fseek(file, 0, SEEK_SET);
  void *data = length > 0 ? malloc((size_t)length) : NULL;
  if (data && fread(data, 1, (size_t)length, file) != (size_t)length) {
    free(data);
    data = NULL;
  }
  fclose(file);
  *size = data ? (size_t)length : 0;
  return data;
}

// Cache files end with "wbck" and the checksum of the bytes before them (`wb_checksum`): a
// damaged or cut cache file is not handed to glslang's consumer or the driver, it is rebuilt.
static const char trailer_tag[4] = {'w', 'b', 'c', 'k'};

// Reads a cache file written by write_file: its contents without the trailer, or NULL when the
// file is missing, damaged or from before the trailer.
static void *read_cache_file(const char *path, size_t *size) {
  size_t length = 0;
  unsigned char *data = read_file(path, &length);
  *size = 0;
  if (!data) return NULL;
  if (length < 8 || memcmp(data + length - 8, trailer_tag, 4) != 0) {
    free(data);
    return NULL;
  }
  uint32_t stored = 0;
  for (int k = 0; k < 4; k++) stored |= (uint32_t)data[length - 4 + k] << (8 * k);
  if (wb_checksum(data, length - 8) != stored) {
    free(data);
    return NULL;
  }
  *size = length - 8;
  return data;
}

// Writes through a temporary file and a rename, so a reader never sees half a file; the
// checksum trailer follows the bytes.
static void write_file(const char *dir, const char *name, const void *data, size_t size) {
  if (!dir) return;
  make_directories(dir);
  char path[1200], temporary[1300];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(temporary, sizeof temporary, "%s.%d.tmp", path, (int)getpid());
  FILE *file = fopen(temporary, "wb");
  if (!file) return;
  uint32_t sum = wb_checksum(data, size);
  unsigned char trailer[8];
  memcpy(trailer, trailer_tag, 4);
  for (int k = 0; k < 4; k++) trailer[4 + k] = (unsigned char)(sum >> (8 * k));
  int ok = fwrite(data, 1, size, file) == size && fwrite(trailer, 1, 8, file) == 8;
  ok = fclose(file) == 0 && ok;
  if (ok) rename(temporary, path);
  else unlink(temporary);
}

// The prelude followed by `source` with each `#include "file"` line replaced by that embedded file
// (one level deep: included files include nothing).
static wbvk_status expand(const wbvk_context *ctx, const char *name, const char *source, char **out) {
  size_t largest = 0;
  for (const char *const *n = wbvk_shader_names(); *n; n++)
    if (strchr(*n, '.') && strlen(wbvk_shader_source(*n)) > largest) largest = strlen(wbvk_shader_source(*n));
  size_t capacity = strlen(ctx->prelude) + strlen(source) + 1;
  for (const char *at = strstr(source, "#include \""); at; at = strstr(at + 1, "#include \""))
    capacity += largest + 32;
  char *text = malloc(capacity);
  if (!text) return wbvk_fail(WBVK_OUT_OF_HOST_MEMORY, "out of host memory");
  size_t used = (size_t)snprintf(text, capacity, "%s", ctx->prelude);
  int line = 1;
  for (const char *at = source; *at;) {
    const char *end = strchr(at, '\n');
    size_t length = end ? (size_t)(end - at + 1) : strlen(at);
    if (strncmp(at, "#include \"", 10) == 0) {
      const char *file = at + 10, *close = memchr(file, '"', length - 10);
      char included[128];
      snprintf(included, sizeof included, "%.*s", close ? (int)(close - file) : 0, file);
      const char *body = close ? wbvk_shader_source(included) : NULL;
      if (!body) {
        free(text);
        return wbvk_fail(WBVK_SHADER_ERROR, "shader %s includes \"%s\", which is not built in", name, included);
      }
      used += (size_t)snprintf(text + used, capacity - used, "%s\n#line %d\n", body, line + 1);
    } else {
      memcpy(text + used, at, length);
      used += length;
      text[used] = 0;
    }
    at += length;
    line++;
  }
  *out = text;
  return WBVK_OK;
}

wbvk_status wbvk_compile(const wbvk_context *ctx, const char *name, const char *source, uint32_t **words,
                         size_t *count) {
  *words = NULL;
  *count = 0;
  char *text;
  wbvk_status expanded = expand(ctx, name, source, &text);
  if (expanded != WBVK_OK) return expanded;
  char file[64];
  snprintf(file, sizeof file, "spirv-%016llx.spv", (unsigned long long)fnv1a(text, fnv1a("glslang-12", 0xcbf29ce484222325ull)));
  if (ctx->cache_dir) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", ctx->cache_dir, file);
    size_t size = 0;
    uint32_t *cached = read_cache_file(path, &size);
    if (cached && size >= 20 && size % 4 == 0 && cached[0] == 0x07230203u) {
      free(text);
      *words = cached;
      *count = size / 4;
      return WBVK_OK;
    }
    free(cached);
  }
  pthread_once(&glslang_once, glslang_start);
  pthread_mutex_lock(&glslang_lock);
  glslang_input_t input = {
      .language = GLSLANG_SOURCE_GLSL,
      .stage = GLSLANG_STAGE_COMPUTE,
      .client = GLSLANG_CLIENT_VULKAN,
      .client_version = GLSLANG_TARGET_VULKAN_1_1,
      .target_language = GLSLANG_TARGET_SPV,
      .target_language_version = GLSLANG_TARGET_SPV_1_3,
      .code = text,
      .default_version = 450,
      .default_profile = GLSLANG_NO_PROFILE,
      .messages = GLSLANG_MSG_SPV_RULES_BIT | GLSLANG_MSG_VULKAN_RULES_BIT,
      .resource = glslang_default_resource(),
  };
  wbvk_status status = WBVK_OK;
  glslang_shader_t *shader = glslang_shader_create(&input);
  glslang_program_t *program = NULL;
  if (!glslang_shader_preprocess(shader, &input) || !glslang_shader_parse(shader, &input)) {
    status = wbvk_fail(WBVK_SHADER_ERROR, "shader %s does not compile: %s", name, glslang_shader_get_info_log(shader));
  } else {
    program = glslang_program_create();
    glslang_program_add_shader(program, shader);
    if (!glslang_program_link(program, GLSLANG_MSG_SPV_RULES_BIT | GLSLANG_MSG_VULKAN_RULES_BIT)) {
      status = wbvk_fail(WBVK_SHADER_ERROR, "shader %s does not link: %s", name, glslang_program_get_info_log(program));
    } else {
      glslang_program_SPIRV_generate(program, GLSLANG_STAGE_COMPUTE);
      size_t n = glslang_program_SPIRV_get_size(program);
      *words = malloc(n * 4);
      if (!*words) {
        status = wbvk_fail(WBVK_OUT_OF_HOST_MEMORY, "out of host memory");
      } else {
        glslang_program_SPIRV_get(program, *words);
        *count = n;
      }
    }
  }
  if (program) glslang_program_delete(program);
  glslang_shader_delete(shader);
  pthread_mutex_unlock(&glslang_lock);
  free(text);
  if (status == WBVK_OK) write_file(ctx->cache_dir, file, *words, *count * 4);
  return status;
}

static char *cache_name(const wbvk_context *ctx) {
  static _Thread_local char name[128];
  snprintf(name, sizeof name, "pipelines-%04x-%04x.bin", ctx->info.vendor_id, ctx->info.device_id);
  return name;
}

wbvk_status wbvk_pipelines_create(wbvk_context *ctx) {
  snprintf(ctx->prelude, sizeof ctx->prelude,
           "#version 450\n"
           "#extension GL_KHR_shader_subgroup_basic : require\n"
           "#extension GL_KHR_shader_subgroup_arithmetic : require\n"
           "#extension GL_EXT_control_flow_attributes : require\n"
           "#define WB_SUBGROUP %d\n"
           "#line 1\n",
           ctx->info.subgroup_arithmetic ? 1 : 0);
  VkDescriptorSetLayoutBinding bindings[WBVK_MAX_BINDINGS];
  for (uint32_t i = 0; i < WBVK_MAX_BINDINGS; i++)
    bindings[i] = (VkDescriptorSetLayoutBinding){.binding = i,
                                                 .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                                 .descriptorCount = 1,
                                                 .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
  VkDescriptorSetLayoutCreateInfo set = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                         .bindingCount = WBVK_MAX_BINDINGS,
                                         .pBindings = bindings};
  VkResult result = ctx->d.vkCreateDescriptorSetLayout(ctx->device, &set, NULL, &ctx->set_layout);
  if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "creating the descriptor set layout");
  VkPushConstantRange push = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT, .offset = 0, .size = WBVK_MAX_PUSH};
  VkPipelineLayoutCreateInfo layout = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                       .setLayoutCount = 1,
                                       .pSetLayouts = &ctx->set_layout,
                                       .pushConstantRangeCount = 1,
                                       .pPushConstantRanges = &push};
  result = ctx->d.vkCreatePipelineLayout(ctx->device, &layout, NULL, &ctx->layout);
  if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "creating the pipeline layout");
  size_t size = 0;
  void *data = NULL;
  if (ctx->cache_dir) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", ctx->cache_dir, cache_name(ctx));
    data = read_cache_file(path, &size);
  }
  VkPipelineCacheCreateInfo cache = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                     .initialDataSize = size,
                                     .pInitialData = data};
  result = ctx->d.vkCreatePipelineCache(ctx->device, &cache, NULL, &ctx->cache);
  if (result != VK_SUCCESS && data) {  // a cache from another driver version: start empty
    cache.initialDataSize = 0;
    cache.pInitialData = NULL;
    result = ctx->d.vkCreatePipelineCache(ctx->device, &cache, NULL, &ctx->cache);
  }
  free(data);
  ctx->cache_saved_size = size;
  if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "creating the pipeline cache");
  return WBVK_OK;
}

static void save_cache(wbvk_context *ctx) {
  if (!ctx->cache_dir || !ctx->cache) return;
  size_t size = 0;
  if (ctx->d.vkGetPipelineCacheData(ctx->device, ctx->cache, &size, NULL) != VK_SUCCESS || size == 0 ||
      size == ctx->cache_saved_size)
    return;
  void *data = malloc(size);
  if (data && ctx->d.vkGetPipelineCacheData(ctx->device, ctx->cache, &size, data) == VK_SUCCESS) {
    write_file(ctx->cache_dir, cache_name(ctx), data, size);
    ctx->cache_saved_size = size;
  }
  free(data);
}

wbvk_status wbvk_pipeline(wbvk_context *ctx, const char *name, const uint32_t *constants, int count, int *pipeline) {
  if (count > 16) return wbvk_fail(WBVK_BAD_ARGUMENT, "at most 16 specialization constants");
  for (int i = 0; i < ctx->pipeline_count; i++) {
    wbvk_pipeline_entry *entry = &ctx->pipelines[i];
    if (entry->count == count && strcmp(entry->name, name) == 0 &&
        memcmp(entry->constants, constants, sizeof(uint32_t) * (size_t)count) == 0) {
      *pipeline = i;
      return WBVK_OK;
    }
  }
  const char *source = wbvk_shader_source(name);
  if (!source) return wbvk_fail(WBVK_SHADER_ERROR, "no shader named %s is built into workbench", name);
  uint32_t *words;
  size_t word_count;
  wbvk_status status = wbvk_compile(ctx, name, source, &words, &word_count);
  if (status != WBVK_OK) return status;
  VkShaderModuleCreateInfo module_info = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                          .codeSize = word_count * 4,
                                          .pCode = words};
  VkShaderModule module;
  VkResult result = ctx->d.vkCreateShaderModule(ctx->device, &module_info, NULL, &module);
  free(words);
  if (result != VK_SUCCESS) return wbvk_fail(WBVK_SHADER_ERROR, "the driver rejected shader %s (%d)", name, (int)result);
  VkSpecializationMapEntry entries[16];
  for (int i = 0; i < count; i++)
    entries[i] = (VkSpecializationMapEntry){.constantID = (uint32_t)i, .offset = (uint32_t)(4 * i), .size = 4};
  VkSpecializationInfo specialization = {.mapEntryCount = (uint32_t)count,
                                         .pMapEntries = entries,
                                         .dataSize = 4 * (size_t)count,
                                         .pData = constants};
  VkComputePipelineCreateInfo info = {
      .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
      .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                .module = module,
                .pName = "main",
                .pSpecializationInfo = count ? &specialization : NULL},
      .layout = ctx->layout,
  };
  VkPipeline created;
  result = ctx->d.vkCreateComputePipelines(ctx->device, ctx->cache, 1, &info, NULL, &created);
  ctx->d.vkDestroyShaderModule(ctx->device, module, NULL);
  if (result != VK_SUCCESS)
    return wbvk_fail(WBVK_SHADER_ERROR, "the driver could not build a pipeline for shader %s (%d)", name, (int)result);
  if (ctx->pipeline_count == ctx->pipeline_capacity) {
    ctx->pipeline_capacity = ctx->pipeline_capacity ? 2 * ctx->pipeline_capacity : 32;
    ctx->pipelines = realloc(ctx->pipelines, sizeof *ctx->pipelines * (size_t)ctx->pipeline_capacity);
  }
  wbvk_pipeline_entry *entry = &ctx->pipelines[ctx->pipeline_count];
  entry->name = strdup(name);
  memcpy(entry->constants, constants, sizeof(uint32_t) * (size_t)count);
  entry->count = count;
  entry->pipeline = created;
  *pipeline = ctx->pipeline_count++;
  save_cache(ctx);
  return WBVK_OK;
}

void wbvk_pipelines_destroy(wbvk_context *ctx) {
  save_cache(ctx);
  for (int i = 0; i < ctx->pipeline_count; i++) {
    ctx->d.vkDestroyPipeline(ctx->device, ctx->pipelines[i].pipeline, NULL);
    free(ctx->pipelines[i].name);
  }
  free(ctx->pipelines);
  if (ctx->cache) ctx->d.vkDestroyPipelineCache(ctx->device, ctx->cache, NULL);
  if (ctx->layout) ctx->d.vkDestroyPipelineLayout(ctx->device, ctx->layout, NULL);
  if (ctx->set_layout) ctx->d.vkDestroyDescriptorSetLayout(ctx->device, ctx->set_layout, NULL);
}
