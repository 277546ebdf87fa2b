// The loader, instances and devices: enumeration, opening a device, validation messages, errors.
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static _Thread_local char last_error[1024];

const char *wbvk_last_error(void) { return last_error; }

wbvk_status wbvk_fail(wbvk_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  return status;
}

static const char *result_name(VkResult result) {
  switch (result) {
  case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
  case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
  case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
  case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
  case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
  case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
  case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
  case VK_ERROR_TOO_MANY_OBJECTS: return "VK_ERROR_TOO_MANY_OBJECTS";
  case VK_ERROR_OUT_OF_POOL_MEMORY: return "VK_ERROR_OUT_OF_POOL_MEMORY";
  case VK_ERROR_INVALID_SHADER_NV: return "VK_ERROR_INVALID_SHADER_NV";
  default: return "a Vulkan error";
  }
}

wbvk_status wbvk_vk_fail(wbvk_context *ctx, VkResult result, const char *what) {
  switch (result) {
  case VK_ERROR_DEVICE_LOST:
    if (ctx) ctx->status = WBVK_DEVICE_LOST;
    return wbvk_fail(WBVK_DEVICE_LOST,
                     "the Vulkan device was lost during %s (a driver reset or a watchdog timeout); restart the run "
                     "— it resumes from its last checkpoint — or use --device cpu",
                     what);
  case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    return wbvk_fail(WBVK_OUT_OF_DEVICE_MEMORY,
                     "out of device memory during %s; use a smaller model or batch, or --device cpu", what);
  case VK_ERROR_OUT_OF_HOST_MEMORY:
    return wbvk_fail(WBVK_OUT_OF_HOST_MEMORY, "out of host memory during %s", what);
  default:
    return wbvk_fail(WBVK_VULKAN_ERROR, "%s failed with %s (%d)", what, result_name(result), (int)result);
  }
}

wbvk_status wbvk_load_loader(wbvk_instance_table *vk) {
  memset(vk, 0, sizeof *vk);
#if defined(__APPLE__)
  const char *names[] = {"libvulkan.1.dylib", "libvulkan.dylib", "libMoltenVK.dylib"};
#else
  const char *names[] = {"libvulkan.so.1", "libvulkan.so"};
#endif
  const char *chosen = getenv("WORKBENCH_VULKAN_LOADER");  // a loader outside the library path
  if (chosen && *chosen) {
    vk->library = dlopen(chosen, RTLD_NOW);
    if (!vk->library)
      return wbvk_fail(WBVK_NO_LOADER, "no Vulkan loader at %s (WORKBENCH_VULKAN_LOADER); use --device cpu", chosen);
  }
  for (size_t i = 0; i < sizeof names / sizeof *names && !vk->library; i++) vk->library = dlopen(names[i], RTLD_NOW);
  if (!vk->library)
    return wbvk_fail(WBVK_NO_LOADER,
                     "no Vulkan loader (libvulkan.so.1) on this machine; install your GPU driver's Vulkan support "
                     "(Debian/Ubuntu: apt-get install libvulkan1 mesa-vulkan-drivers) or use --device cpu");
  vk->vkGetInstanceProcAddr = (PFN_vkGetInstanceProcAddr)dlsym(vk->library, "vkGetInstanceProcAddr");
  if (!vk->vkGetInstanceProcAddr) return wbvk_fail(WBVK_NO_LOADER, "the Vulkan loader has no vkGetInstanceProcAddr");
#define WBVK_LOAD_GLOBAL(name)                                                                                  \
  vk->name = (PFN_##name)vk->vkGetInstanceProcAddr(NULL, #name);                                              \
  if (!vk->name) return wbvk_fail(WBVK_NO_LOADER, "the Vulkan loader lacks %s", #name);
  WBVK_GLOBAL_FUNCTIONS(WBVK_LOAD_GLOBAL)
#undef WBVK_LOAD_GLOBAL
  return WBVK_OK;
}

static wbvk_status load_instance(wbvk_instance_table *vk, VkInstance instance) {
#define WBVK_LOAD_INSTANCE(name)                                                                            \
  vk->name = (PFN_##name)vk->vkGetInstanceProcAddr(instance, #name);                                      \
  if (!vk->name) return wbvk_fail(WBVK_NO_LOADER, "the Vulkan loader lacks %s (Vulkan 1.1 is needed)", #name);
  WBVK_INSTANCE_FUNCTIONS(WBVK_LOAD_INSTANCE)
#undef WBVK_LOAD_INSTANCE
  vk->vkCreateDebugUtilsMessengerEXT =
      (PFN_vkCreateDebugUtilsMessengerEXT)vk->vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT");
  vk->vkDestroyDebugUtilsMessengerEXT =
      (PFN_vkDestroyDebugUtilsMessengerEXT)vk->vkGetInstanceProcAddr(instance, "vkDestroyDebugUtilsMessengerEXT");
  return WBVK_OK;
}

static int has_instance_extension(wbvk_instance_table *vk, const char *name) {
  uint32_t count = 0;
  if (vk->vkEnumerateInstanceExtensionProperties(NULL, &count, NULL) != VK_SUCCESS || count == 0) return 0;
  VkExtensionProperties *list = calloc(count, sizeof *list);
  int found = 0;
  if (list && vk->vkEnumerateInstanceExtensionProperties(NULL, &count, list) == VK_SUCCESS)
    for (uint32_t i = 0; i < count && !found; i++) found = strcmp(list[i].extensionName, name) == 0;
  free(list);
  return found;
}

static int has_layer(wbvk_instance_table *vk, const char *name) {
  uint32_t count = 0;
  if (vk->vkEnumerateInstanceLayerProperties(&count, NULL) != VK_SUCCESS || count == 0) return 0;
  VkLayerProperties *list = calloc(count, sizeof *list);
  int found = 0;
  if (list && vk->vkEnumerateInstanceLayerProperties(&count, list) == VK_SUCCESS)
    for (uint32_t i = 0; i < count && !found; i++) found = strcmp(list[i].layerName, name) == 0;
  free(list);
  return found;
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                 VkDebugUtilsMessageTypeFlagsEXT type,
                                                 const VkDebugUtilsMessengerCallbackDataEXT *data, void *user) {
  wbvk_context *ctx = user;
  int counts = (type & VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT) ||
               (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT);
  if (counts) __atomic_add_fetch(&ctx->validation_messages, 1, __ATOMIC_RELAXED);
  fprintf(stderr, "vulkan %s: %s\n",
          severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ? "validation error" : "validation warning",
          data && data->pMessage ? data->pMessage : "(no message)");
  return VK_FALSE;
}

static wbvk_status create_instance(wbvk_instance_table *vk, int validation, wbvk_context *ctx, VkInstance *out) {
  const char *extensions[3];
  uint32_t extension_count = 0;
  VkInstanceCreateFlags flags = 0;
  if (has_instance_extension(vk, "VK_KHR_portability_enumeration")) {
    extensions[extension_count++] = "VK_KHR_portability_enumeration";
    flags |= 0x00000001;  // VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR (MoltenVK)
  }
  const char *layers[1] = {"VK_LAYER_KHRONOS_validation"};
  VkDebugUtilsMessengerCreateInfoEXT messenger = {
      .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
      .messageSeverity =
          VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
      .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
      .pfnUserCallback = on_message,
      .pUserData = ctx,
  };
  if (validation) {
    if (!has_layer(vk, layers[0]))
      return wbvk_fail(WBVK_VULKAN_ERROR, "the Vulkan validation layer is not installed "
                                          "(Debian/Ubuntu: apt-get install vulkan-validationlayers)");
    if (!has_instance_extension(vk, VK_EXT_DEBUG_UTILS_EXTENSION_NAME))
      return wbvk_fail(WBVK_VULKAN_ERROR, "the Vulkan loader lacks VK_EXT_debug_utils, needed for validation");
    extensions[extension_count++] = VK_EXT_DEBUG_UTILS_EXTENSION_NAME;
  }
  VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                           .pApplicationName = "workbench",
                           .pEngineName = "workbench",
                           .apiVersion = VK_API_VERSION_1_1};
  VkInstanceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                               .pNext = validation ? &messenger : NULL,
                               .flags = flags,
                               .pApplicationInfo = &app,
                               .enabledLayerCount = validation ? 1 : 0,
                               .ppEnabledLayerNames = layers,
                               .enabledExtensionCount = extension_count,
                               .ppEnabledExtensionNames = extensions};
  VkResult result = vk->vkCreateInstance(&info, NULL, out);
  if (result == VK_ERROR_INCOMPATIBLE_DRIVER)
    return wbvk_fail(WBVK_NO_DEVICE, "no Vulkan driver found (or none supports Vulkan 1.1); use --device cpu");
  if (result != VK_SUCCESS) return wbvk_vk_fail(NULL, result, "creating a Vulkan instance");
  wbvk_status status = load_instance(vk, *out);
  if (status != WBVK_OK) return status;
  if (validation && ctx && vk->vkCreateDebugUtilsMessengerEXT) {
    result = vk->vkCreateDebugUtilsMessengerEXT(*out, &messenger, NULL, &ctx->messenger);
    if (result != VK_SUCCESS) return wbvk_vk_fail(NULL, result, "creating the validation messenger");
  }
  return WBVK_OK;
}

static int compute_family(wbvk_instance_table *vk, VkPhysicalDevice device, uint32_t *valid_bits) {
  uint32_t count = 0;
  vk->vkGetPhysicalDeviceQueueFamilyProperties(device, &count, NULL);
  VkQueueFamilyProperties families[32];
  if (count > 32) count = 32;
  vk->vkGetPhysicalDeviceQueueFamilyProperties(device, &count, families);
  for (uint32_t i = 0; i < count; i++)
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      *valid_bits = families[i].timestampValidBits;
      return (int)i;
    }
  return -1;
}

static void describe(wbvk_instance_table *vk, VkPhysicalDevice device, wbvk_device_info *info) {
  memset(info, 0, sizeof *info);
  VkPhysicalDeviceMaintenance3Properties maintenance = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
  VkPhysicalDeviceSubgroupProperties subgroup = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
                                                 .pNext = &maintenance};
  VkPhysicalDeviceDriverProperties driver = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
                                             .pNext = &subgroup};
  VkPhysicalDeviceProperties2 properties = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  VkPhysicalDeviceProperties base;
  vk->vkGetPhysicalDeviceProperties(device, &base);
  int modern = VK_API_VERSION_MINOR(base.apiVersion) >= 1 || VK_API_VERSION_MAJOR(base.apiVersion) > 1;
  if (modern) {
    properties.pNext = VK_API_VERSION_MINOR(base.apiVersion) >= 2 ? (void *)&driver : (void *)&subgroup;
    vk->vkGetPhysicalDeviceProperties2(device, &properties);
    base = properties.properties;
  }
  const VkPhysicalDeviceLimits *limits = &base.limits;
  snprintf(info->name, sizeof info->name, "%s", base.deviceName);
  if (driver.driverName[0])
    snprintf(info->driver, sizeof info->driver, "%s %s", driver.driverName, driver.driverInfo);
  switch (base.deviceType) {
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: info->type = WBVK_TYPE_INTEGRATED; break;
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: info->type = WBVK_TYPE_DISCRETE; break;
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: info->type = WBVK_TYPE_VIRTUAL; break;
  case VK_PHYSICAL_DEVICE_TYPE_CPU: info->type = WBVK_TYPE_CPU; break;
  default: info->type = WBVK_TYPE_OTHER; break;
  }
  info->vendor_id = base.vendorID;
  info->device_id = base.deviceID;
  info->api_version = base.apiVersion;
  VkPhysicalDeviceMemoryProperties memory;
  vk->vkGetPhysicalDeviceMemoryProperties(device, &memory);
  for (uint32_t i = 0; i < memory.memoryHeapCount; i++)
    if ((memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
        memory.memoryHeaps[i].size > info->device_local_bytes)
      info->device_local_bytes = memory.memoryHeaps[i].size;
  info->subgroup_size = subgroup.subgroupSize;
  info->subgroup_arithmetic = modern && (subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                              (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
                              (subgroup.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT);
  info->max_shared_memory = limits->maxComputeSharedMemorySize;
  info->max_invocations = limits->maxComputeWorkGroupInvocations;
  for (int i = 0; i < 3; i++) {
    info->max_group_size[i] = limits->maxComputeWorkGroupSize[i];
    info->max_group_count[i] = limits->maxComputeWorkGroupCount[i];
  }
  info->max_storage_range = limits->maxStorageBufferRange;
  // Vulkan 1.1 guarantees at least 1 GiB per allocation.
  info->max_allocation = maintenance.maxMemoryAllocationSize ? maintenance.maxMemoryAllocationSize : 1ull << 30;
  info->min_storage_alignment = (uint32_t)limits->minStorageBufferOffsetAlignment;
  info->max_push_constants = limits->maxPushConstantsSize;
  uint32_t valid_bits = 0;
  compute_family(vk, device, &valid_bits);
  info->timestamps = valid_bits > 0 && limits->timestampPeriod > 0;
  info->timestamp_period = limits->timestampPeriod;
}

wbvk_status wbvk_enumerate(wbvk_device_info *infos, int capacity, int *count) {
  *count = 0;
  wbvk_instance_table vk;
  wbvk_status status = wbvk_load_loader(&vk);
  VkInstance instance = VK_NULL_HANDLE;
  if (status == WBVK_OK) status = create_instance(&vk, 0, NULL, &instance);
  if (status == WBVK_OK) {
    uint32_t n = 0;
    VkPhysicalDevice devices[64];
    VkResult result = vk.vkEnumeratePhysicalDevices(instance, &n, NULL);
    if (n > 64) n = 64;
    if (result == VK_SUCCESS) result = vk.vkEnumeratePhysicalDevices(instance, &n, devices);
    if (result != VK_SUCCESS && result != VK_INCOMPLETE) {
      status = wbvk_vk_fail(NULL, result, "listing Vulkan devices");
    } else {
      for (uint32_t i = 0; i < n && (int)i < capacity; i++) describe(&vk, devices[i], &infos[i]);
      *count = (int)n < capacity ? (int)n : capacity;
    }
  }
  // Listing devices leaves nothing loaded: a CPU run that only asked `auto` keeps its memory.
  if (instance && vk.vkDestroyInstance) vk.vkDestroyInstance(instance, NULL);
  if (vk.library) dlclose(vk.library);
  return status;
}

static int has_device_extension(wbvk_context *ctx, const char *name) {
  uint32_t count = 0;
  if (ctx->vk.vkEnumerateDeviceExtensionProperties(ctx->physical, NULL, &count, NULL) != VK_SUCCESS) return 0;
  VkExtensionProperties *list = calloc(count ? count : 1, sizeof *list);
  int found = 0;
  if (list && ctx->vk.vkEnumerateDeviceExtensionProperties(ctx->physical, NULL, &count, list) == VK_SUCCESS)
    for (uint32_t i = 0; i < count && !found; i++) found = strcmp(list[i].extensionName, name) == 0;
  free(list);
  return found;
}

static wbvk_status open_device(wbvk_context *ctx, int index) {
  uint32_t n = 0;
  VkPhysicalDevice devices[64];
  VkResult result = ctx->vk.vkEnumeratePhysicalDevices(ctx->instance, &n, NULL);
  if (n > 64) n = 64;
  if (result == VK_SUCCESS) result = ctx->vk.vkEnumeratePhysicalDevices(ctx->instance, &n, devices);
  if (result != VK_SUCCESS && result != VK_INCOMPLETE) return wbvk_vk_fail(ctx, result, "listing Vulkan devices");
  if (n == 0)
    return wbvk_fail(WBVK_NO_DEVICE, "the Vulkan loader found no device (no driver installed, or "
                                     "VK_ICD_FILENAMES points elsewhere); use --device cpu");
  if (index < 0 || (uint32_t)index >= n)
    return wbvk_fail(WBVK_NO_DEVICE, "there is no Vulkan device %d (found %u; `workbench devices` lists them)", index,
                     n);
  ctx->physical = devices[index];
  describe(&ctx->vk, ctx->physical, &ctx->info);
  if (VK_API_VERSION_MAJOR(ctx->info.api_version) == 1 && VK_API_VERSION_MINOR(ctx->info.api_version) < 1)
    return wbvk_fail(WBVK_NO_DEVICE, "Vulkan device %d (%s) supports only Vulkan 1.0; workbench needs 1.1", index,
                     ctx->info.name);
  ctx->vk.vkGetPhysicalDeviceMemoryProperties(ctx->physical, &ctx->memory);
  uint32_t valid_bits = 0;
  int family = compute_family(&ctx->vk, ctx->physical, &valid_bits);
  if (family < 0) return wbvk_fail(WBVK_NO_DEVICE, "Vulkan device %d (%s) has no compute queue", index, ctx->info.name);
  ctx->queue_family = (uint32_t)family;
  ctx->timestamp_mask = valid_bits >= 64 ? ~0ull : (1ull << valid_bits) - 1;
  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = ctx->queue_family,
                                   .queueCount = 1,
                                   .pQueuePriorities = &priority};
  const char *extensions[1];
  uint32_t extension_count = 0;
  if (has_device_extension(ctx, "VK_KHR_portability_subset")) extensions[extension_count++] = "VK_KHR_portability_subset";
  VkDeviceCreateInfo info = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                             .queueCreateInfoCount = 1,
                             .pQueueCreateInfos = &queue,
                             .enabledExtensionCount = extension_count,
                             .ppEnabledExtensionNames = extensions};
  result = ctx->vk.vkCreateDevice(ctx->physical, &info, NULL, &ctx->device);
  if (result != VK_SUCCESS) return wbvk_vk_fail(ctx, result, "opening the Vulkan device");
#define WBVK_LOAD_DEVICE(name)                                                                           \
  ctx->d.name = (PFN_##name)ctx->vk.vkGetDeviceProcAddr(ctx->device, #name);                           \
  if (!ctx->d.name) return wbvk_fail(WBVK_VULKAN_ERROR, "the Vulkan driver lacks %s", #name);
  WBVK_DEVICE_FUNCTIONS(WBVK_LOAD_DEVICE)
#undef WBVK_LOAD_DEVICE
  ctx->d.vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);
  return WBVK_OK;
}

wbvk_status wbvk_create(int index, int validation, const char *cache_dir, wbvk_context **out) {
  *out = NULL;
  wbvk_context *ctx = calloc(1, sizeof *ctx);
  if (!ctx) return wbvk_fail(WBVK_OUT_OF_HOST_MEMORY, "out of host memory");
  wbvk_status status = wbvk_load_loader(&ctx->vk);
  if (status == WBVK_OK) status = create_instance(&ctx->vk, validation, ctx, &ctx->instance);
  if (status == WBVK_OK) status = open_device(ctx, index);
  if (status == WBVK_OK && cache_dir) ctx->cache_dir = strdup(cache_dir);
  if (status == WBVK_OK) status = wbvk_pipelines_create(ctx);
  if (status == WBVK_OK) status = wbvk_frames_create(ctx);
  if (status == WBVK_OK) status = wbvk_buffer_create(ctx, 256, &ctx->dummy);
  if (status != WBVK_OK) {
    char message[sizeof last_error];
    memcpy(message, last_error, sizeof message);
    wbvk_destroy(ctx);
    memcpy(last_error, message, sizeof message);
    return status;
  }
  *out = ctx;
  return WBVK_OK;
}

void wbvk_destroy(wbvk_context *ctx) {
  if (!ctx) return;
  if (ctx->device) {
    ctx->d.vkDeviceWaitIdle(ctx->device);
    if (ctx->dummy) wbvk_buffer_destroy(ctx, ctx->dummy);
    wbvk_frames_destroy(ctx);
    wbvk_pipelines_destroy(ctx);
    wbvk_blocks_free(ctx);
    ctx->d.vkDestroyDevice(ctx->device, NULL);
  }
  if (ctx->messenger && ctx->vk.vkDestroyDebugUtilsMessengerEXT)
    ctx->vk.vkDestroyDebugUtilsMessengerEXT(ctx->instance, ctx->messenger, NULL);
  if (ctx->instance) ctx->vk.vkDestroyInstance(ctx->instance, NULL);
  for (int i = 0; i < ctx->profile_count; i++) free(ctx->profile[i].label);
  free(ctx->profile);
  free(ctx->cache_dir);
  if (ctx->vk.library) dlclose(ctx->vk.library);
  free(ctx);
}

const wbvk_device_info *wbvk_info(const wbvk_context *ctx) { return &ctx->info; }

uint64_t wbvk_validation_messages(const wbvk_context *ctx) {
  return __atomic_load_n(&ctx->validation_messages, __ATOMIC_RELAXED);
}
