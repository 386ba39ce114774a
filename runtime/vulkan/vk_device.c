/*===- vk_device.c - the device a model runs on --------------------------===*/
/* strnlen, pthreads, dlopen: POSIX 2008, also under a strict -std=c11. */
#define _POSIX_C_SOURCE 200809L

#include "vk_device.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

kiln_status kiln_vk_status_of(VkResult result) {
  switch (result) {
  case VK_SUCCESS:
    return KILN_OK;
  case VK_ERROR_OUT_OF_HOST_MEMORY:
    return KILN_OUT_OF_MEMORY;
  case VK_ERROR_OUT_OF_DEVICE_MEMORY:
    return KILN_VK_OUT_OF_DEVICE_MEMORY;
  case VK_ERROR_DEVICE_LOST:
    return KILN_VK_DEVICE_LOST;
  case VK_ERROR_INITIALIZATION_FAILED:
  case VK_ERROR_INCOMPATIBLE_DRIVER:
    return KILN_VK_NO_VULKAN;
  default:
    return KILN_VK_ERROR;
  }
}

const char *kiln_vk_result_name(VkResult result) {
  switch (result) {
#define KILN_VK_RESULT(name)                                                                       \
  case name:                                                                                       \
    return #name;
    KILN_VK_RESULT(VK_SUCCESS)
    KILN_VK_RESULT(VK_NOT_READY)
    KILN_VK_RESULT(VK_TIMEOUT)
    KILN_VK_RESULT(VK_INCOMPLETE)
    KILN_VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
    KILN_VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    KILN_VK_RESULT(VK_ERROR_INITIALIZATION_FAILED)
    KILN_VK_RESULT(VK_ERROR_DEVICE_LOST)
    KILN_VK_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
    KILN_VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
    KILN_VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
    KILN_VK_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
    KILN_VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
    KILN_VK_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
    KILN_VK_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
    KILN_VK_RESULT(VK_ERROR_FRAGMENTED_POOL)
    KILN_VK_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
    KILN_VK_RESULT(VK_ERROR_INVALID_SHADER_NV)
#undef KILN_VK_RESULT
  default:
    return "VkResult error";
  }
}

/* The shared device and its reference count. */
static pthread_mutex_t kiln_vk_shared_mutex = PTHREAD_MUTEX_INITIALIZER;
static kiln_vk_dev *kiln_vk_shared;
/* Submissions to application devices that give no lock of their own: one
 * lock for all, since two models may share one application queue. */
static pthread_mutex_t kiln_vk_app_queue_mutex = PTHREAD_MUTEX_INITIALIZER;

static int kiln_vk_has_extension(kiln_vk_dev *d, const char *name) {
  uint32_t count = 0;
  if (d->fns.vkEnumerateDeviceExtensionProperties(d->physical, NULL, &count, NULL) != VK_SUCCESS)
    return 0;
  VkExtensionProperties *ext = calloc(count ? count : 1, sizeof *ext);
  if (!ext)
    return 0;
  int found = 0;
  if (d->fns.vkEnumerateDeviceExtensionProperties(d->physical, NULL, &count, ext) == VK_SUCCESS)
    for (uint32_t i = 0; i < count && !found; ++i)
      found = strcmp(ext[i].extensionName, name) == 0;
  free(ext);
  return found;
}

static int kiln_vk_compute_family(kiln_vk_dev *d, VkPhysicalDevice physical, uint32_t *family) {
  uint32_t count = 0;
  d->fns.vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, NULL);
  VkQueueFamilyProperties *fam = calloc(count ? count : 1, sizeof *fam);
  if (!fam)
    return 0;
  d->fns.vkGetPhysicalDeviceQueueFamilyProperties(physical, &count, fam);
  int found = 0;
  for (uint32_t i = 0; i < count && !found; ++i)
    if ((fam[i].queueFlags & VK_QUEUE_COMPUTE_BIT) && fam[i].queueCount > 0) {
      *family = i;
      found = 1;
    }
  free(fam);
  return found;
}

static int kiln_vk_type_rank(VkPhysicalDeviceType type) {
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    return 0;
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    return 1;
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
    return 2;
  case VK_PHYSICAL_DEVICE_TYPE_CPU:
    return 3;
  default:
    return 4;
  }
}

static int kiln_vk_contains_nocase(const char *haystack, const char *needle) {
  size_t n = strlen(needle);
  for (; *haystack; ++haystack) {
    size_t i = 0;
    while (i < n && haystack[i] &&
           tolower((unsigned char)haystack[i]) == tolower((unsigned char)needle[i]))
      ++i;
    if (i == n)
      return 1;
  }
  return n == 0;
}

/* Picks the physical device: $KILN_VK_DEVICE (an index or a name
 * substring), else the best type with a compute queue. */
static kiln_status kiln_vk_pick(kiln_vk_dev *d, char *msg, size_t msg_size) {
  uint32_t count = 0;
  VkResult r = d->fns.vkEnumeratePhysicalDevices(d->instance, &count, NULL);
  if (r != VK_SUCCESS || count == 0) {
    snprintf(msg, msg_size, "no Vulkan device: vkEnumeratePhysicalDevices found none (%s)",
             kiln_vk_result_name(r));
    return KILN_VK_NO_VULKAN;
  }
  VkPhysicalDevice *all = calloc(count, sizeof *all);
  if (!all) {
    snprintf(msg, msg_size, "out of host memory listing Vulkan devices");
    return KILN_OUT_OF_MEMORY;
  }
  r = d->fns.vkEnumeratePhysicalDevices(d->instance, &count, all);
  if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
    free(all);
    snprintf(msg, msg_size, "vkEnumeratePhysicalDevices failed (%s)", kiln_vk_result_name(r));
    return kiln_vk_status_of(r);
  }
  const char *want = getenv("KILN_VK_DEVICE");
  int by_index = want && *want;
  for (const char *c = want; by_index && *c; ++c)
    by_index = isdigit((unsigned char)*c);
  int best = -1, best_rank = 99;
  char names[256] = "";
  for (uint32_t i = 0; i < count; ++i) {
    VkPhysicalDeviceProperties p;
    d->fns.vkGetPhysicalDeviceProperties(all[i], &p);
    size_t used = strlen(names);
    snprintf(names + used, sizeof names - used, "%s%u: %.48s", i ? ", " : "", i, p.deviceName);
    uint32_t family;
    if (!kiln_vk_compute_family(d, all[i], &family))
      continue;
    int match = !want || !*want ? 1
                : by_index      ? (uint32_t)strtoul(want, NULL, 10) == i
                                : kiln_vk_contains_nocase(p.deviceName, want);
    int rank = kiln_vk_type_rank(p.deviceType);
    if (match && rank < best_rank) {
      best = (int)i;
      best_rank = rank;
      d->queue_family = family;
    }
  }
  if (best < 0) {
    free(all);
    if (want && *want)
      snprintf(msg, msg_size, "KILN_VK_DEVICE=%s matches no Vulkan device with compute (%s)", want,
               names);
    else
      snprintf(msg, msg_size, "no Vulkan device has a compute queue (%s)", names);
    return KILN_VK_NO_VULKAN;
  }
  d->physical = all[best];
  free(all);
  return KILN_OK;
}

/* The optional features the device has: 64-bit types from Vulkan 1.0's
 * features, the rest queried through Vulkan 1.1. */
static uint32_t kiln_vk_query_features(kiln_vk_dev *d, uint32_t api, int *has_f16_ext) {
  *has_f16_ext = 0;
  VkPhysicalDeviceFeatures core;
  d->fns.vkGetPhysicalDeviceFeatures(d->physical, &core);
  uint32_t features = (core.shaderInt64 ? KILN_VK_FEATURE_INT64 : 0u) |
                      (core.shaderFloat64 ? KILN_VK_FEATURE_FLOAT64 : 0u);
  if (api < VK_API_VERSION_1_1 || !d->fns.vkGetPhysicalDeviceFeatures2 ||
      !d->fns.vkGetPhysicalDeviceProperties2)
    return features;
  features |= KILN_VK_FEATURE_VULKAN_1_1;
  *has_f16_ext = kiln_vk_has_extension(d, VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME);
  VkPhysicalDeviceShaderFloat16Int8FeaturesKHR f16 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES_KHR};
  VkPhysicalDevice16BitStorageFeatures s16 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
      .pNext = *has_f16_ext ? &f16 : NULL};
  VkPhysicalDeviceFeatures2 all = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                   .pNext = &s16};
  d->fns.vkGetPhysicalDeviceFeatures2(d->physical, &all);
  if (s16.storageBuffer16BitAccess)
    features |= KILN_VK_FEATURE_STORAGE_16BIT;
  if (*has_f16_ext && f16.shaderFloat16)
    features |= KILN_VK_FEATURE_FLOAT16;
  VkPhysicalDeviceSubgroupProperties sub = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                       .pNext = &sub};
  d->fns.vkGetPhysicalDeviceProperties2(d->physical, &props);
  const VkSubgroupFeatureFlags ops =
      VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
  if ((sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) && (sub.supportedOperations & ops) == ops)
    features |= KILN_VK_FEATURE_SUBGROUP;
  return features;
}

static void kiln_vk_destroy_owned(kiln_vk_dev *d) {
  if (d->device)
    d->fns.vkDestroyDevice(d->device, NULL);
  if (d->instance)
    d->fns.vkDestroyInstance(d->instance, NULL);
  pthread_mutex_destroy(&d->queue_mutex);
  free(d);
}

/* Creates the shared instance and device: Vulkan 1.1 when the loader and
 * device have it (so that models asking for 1.1 features can use them),
 * every optional feature the device has enabled. */
static kiln_status kiln_vk_create_shared(kiln_vk_dev **out, char *msg, size_t msg_size) {
  kiln_vk_dev *d = calloc(1, sizeof *d);
  if (!d) {
    snprintf(msg, msg_size, "out of host memory creating the Vulkan device");
    return KILN_OUT_OF_MEMORY;
  }
  pthread_mutex_init(&d->queue_mutex, NULL);
  d->shared = 1;
  if (kiln_vk_load_global(&d->fns, msg, msg_size) != 0) {
    kiln_vk_destroy_owned(d);
    return KILN_VK_NO_VULKAN;
  }
  uint32_t loader_api = VK_API_VERSION_1_0;
  if (d->fns.vkEnumerateInstanceVersion &&
      d->fns.vkEnumerateInstanceVersion(&loader_api) != VK_SUCCESS)
    loader_api = VK_API_VERSION_1_0;
  uint32_t inst_api = loader_api >= VK_API_VERSION_1_1 ? VK_API_VERSION_1_1 : VK_API_VERSION_1_0;
  VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                           .pApplicationName = "kiln",
                           .pEngineName = "kiln",
                           .apiVersion = inst_api};
  VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                              .pApplicationInfo = &app};
  VkResult r = d->fns.vkCreateInstance(&ici, NULL, &d->instance);
  if (r != VK_SUCCESS) {
    d->instance = VK_NULL_HANDLE;
    snprintf(msg, msg_size, "no Vulkan: vkCreateInstance failed (%s)", kiln_vk_result_name(r));
    kiln_vk_destroy_owned(d);
    return r == VK_ERROR_OUT_OF_HOST_MEMORY ? KILN_OUT_OF_MEMORY : KILN_VK_NO_VULKAN;
  }
  kiln_status st = KILN_VK_NO_VULKAN;
  if (kiln_vk_load_instance(&d->fns, d->instance, msg, msg_size) != 0 ||
      (st = kiln_vk_pick(d, msg, msg_size)) != KILN_OK) {
    kiln_vk_destroy_owned(d);
    return st;
  }
  d->fns.vkGetPhysicalDeviceProperties(d->physical, &d->props);
  kiln_vk_dev_describe(d);
  d->fns.vkGetPhysicalDeviceMemoryProperties(d->physical, &d->memory);
  uint32_t api = d->props.apiVersion < inst_api ? d->props.apiVersion : inst_api;
  int has_f16_ext = 0;
  d->features = kiln_vk_query_features(d, api, &has_f16_ext);

  float priority = 1.0f;
  VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                 .queueFamilyIndex = d->queue_family,
                                 .queueCount = 1,
                                 .pQueuePriorities = &priority};
  VkPhysicalDeviceShaderFloat16Int8FeaturesKHR f16 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES_KHR,
      .shaderFloat16 = VK_TRUE};
  VkPhysicalDevice16BitStorageFeatures s16 = {
      .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
      .storageBuffer16BitAccess = VK_TRUE};
  const char *extensions[2];
  uint32_t num_extensions = 0;
  const void *chain = NULL;
  /* Modules that declare storage buffers with the StorageBuffer storage
   * class (MLIR's SPIR-V does) need this extension on a 1.0 device; it is
   * core from 1.1. */
  if (api < VK_API_VERSION_1_1 &&
      kiln_vk_has_extension(d, VK_KHR_STORAGE_BUFFER_STORAGE_CLASS_EXTENSION_NAME))
    extensions[num_extensions++] = VK_KHR_STORAGE_BUFFER_STORAGE_CLASS_EXTENSION_NAME;
  if (d->features & KILN_VK_FEATURE_FLOAT16) {
    extensions[num_extensions++] = VK_KHR_SHADER_FLOAT16_INT8_EXTENSION_NAME;
    f16.pNext = (void *)chain;
    chain = &f16;
  }
  if (d->features & KILN_VK_FEATURE_STORAGE_16BIT) {
    s16.pNext = (void *)chain;
    chain = &s16;
  }
  /* Modules with 64-bit integers or floats (ONNX int64 indices, doubles)
   * declare Int64 / Float64. */
  VkPhysicalDeviceFeatures core = {
      .shaderInt64 = (d->features & KILN_VK_FEATURE_INT64) ? VK_TRUE : VK_FALSE,
      .shaderFloat64 = (d->features & KILN_VK_FEATURE_FLOAT64) ? VK_TRUE : VK_FALSE};
  VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                            .pNext = chain,
                            .pEnabledFeatures = &core,
                            .queueCreateInfoCount = 1,
                            .pQueueCreateInfos = &qci,
                            .enabledExtensionCount = num_extensions,
                            .ppEnabledExtensionNames = extensions};
  r = d->fns.vkCreateDevice(d->physical, &dci, NULL, &d->device);
  if (r != VK_SUCCESS) {
    d->device = VK_NULL_HANDLE;
    snprintf(msg, msg_size, "vkCreateDevice failed on %s (%s)", d->props.deviceName,
             kiln_vk_result_name(r));
    kiln_vk_destroy_owned(d);
    return kiln_vk_status_of(r);
  }
  if (kiln_vk_load_device(&d->fns, d->device, msg, msg_size) != 0) {
    kiln_vk_destroy_owned(d);
    return KILN_VK_ERROR;
  }
  d->fns.vkGetDeviceQueue(d->device, d->queue_family, 0, &d->queue);
  *out = d;
  return KILN_OK;
}

static kiln_status kiln_vk_wrap_app(const kiln_vk_device *app, kiln_vk_dev **out, char *msg,
                                    size_t msg_size) {
  if (!app->instance || !app->physical_device || !app->device || !app->queue) {
    snprintf(msg, msg_size, "the application device has a null %s",
             !app->instance          ? "instance"
             : !app->physical_device ? "physical_device"
             : !app->device          ? "device"
                                     : "queue");
    return KILN_INVALID_ARGUMENT;
  }
  if (!app->lock_queue != !app->unlock_queue) {
    snprintf(msg, msg_size, "the application device gives lock_queue or unlock_queue, not both");
    return KILN_INVALID_ARGUMENT;
  }
  kiln_vk_dev *d = calloc(1, sizeof *d);
  if (!d) {
    snprintf(msg, msg_size, "out of host memory wrapping the application's Vulkan device");
    return KILN_OUT_OF_MEMORY;
  }
  pthread_mutex_init(&d->queue_mutex, NULL);
  if (kiln_vk_load_global(&d->fns, msg, msg_size) != 0) {
    pthread_mutex_destroy(&d->queue_mutex);
    free(d);
    return KILN_VK_NO_VULKAN;
  }
  if (kiln_vk_load_instance(&d->fns, app->instance, msg, msg_size) != 0) {
    pthread_mutex_destroy(&d->queue_mutex);
    free(d);
    return KILN_VK_ERROR;
  }
  d->instance = app->instance;
  d->physical = app->physical_device;
  d->device = app->device;
  d->queue = app->queue;
  d->queue_family = app->queue_family;
  d->allocator = app->allocator;
  d->lock_queue = app->lock_queue;
  d->unlock_queue = app->unlock_queue;
  d->lock_user = app->lock_user;
  d->fns.vkGetPhysicalDeviceProperties(d->physical, &d->props);
  kiln_vk_dev_describe(d);
  d->fns.vkGetPhysicalDeviceMemoryProperties(d->physical, &d->memory);
  uint32_t family_count = 0;
  d->fns.vkGetPhysicalDeviceQueueFamilyProperties(d->physical, &family_count, NULL);
  uint32_t family;
  int ok = app->queue_family < family_count && kiln_vk_compute_family(d, d->physical, &family);
  if (ok) { /* the given family itself must have compute, not just some family */
    VkQueueFamilyProperties *fam = calloc(family_count, sizeof *fam);
    ok = fam != NULL;
    if (ok) {
      d->fns.vkGetPhysicalDeviceQueueFamilyProperties(d->physical, &family_count, fam);
      ok = (fam[app->queue_family].queueFlags & VK_QUEUE_COMPUTE_BIT) != 0;
      free(fam);
    }
  }
  if (!ok) {
    snprintf(msg, msg_size, "the application's queue family %u is not a compute family of %s",
             app->queue_family, d->props.deviceName);
    pthread_mutex_destroy(&d->queue_mutex);
    free(d);
    return KILN_INVALID_ARGUMENT;
  }
  uint32_t api = app->api_version ? app->api_version : VK_API_VERSION_1_0;
  d->features = app->enabled_features;
  if (api < VK_API_VERSION_1_1 || d->props.apiVersion < VK_API_VERSION_1_1)
    d->features &= ~(uint32_t)(KILN_VK_FEATURE_VULKAN_1_1 | KILN_VK_FEATURE_SUBGROUP);
  if (kiln_vk_load_device(&d->fns, d->device, msg, msg_size) != 0) {
    pthread_mutex_destroy(&d->queue_mutex);
    free(d);
    return KILN_VK_ERROR;
  }
  *out = d;
  return KILN_OK;
}

kiln_status kiln_vk_dev_acquire(const kiln_vk_device *app, kiln_vk_dev **out, char *msg,
                                size_t msg_size) {
  *out = NULL;
  if (app)
    return kiln_vk_wrap_app(app, out, msg, msg_size);
  pthread_mutex_lock(&kiln_vk_shared_mutex);
  kiln_status st = KILN_OK;
  if (!kiln_vk_shared)
    st = kiln_vk_create_shared(&kiln_vk_shared, msg, msg_size);
  if (st == KILN_OK) {
    ++kiln_vk_shared->refs;
    *out = kiln_vk_shared;
  }
  pthread_mutex_unlock(&kiln_vk_shared_mutex);
  return st;
}

void kiln_vk_dev_release(kiln_vk_dev *dev) {
  if (!dev)
    return;
  if (!dev->shared) {
    pthread_mutex_destroy(&dev->queue_mutex);
    free(dev);
    return;
  }
  pthread_mutex_lock(&kiln_vk_shared_mutex);
  if (--dev->refs == 0) {
    kiln_vk_shared = NULL;
    kiln_vk_destroy_owned(dev);
  }
  pthread_mutex_unlock(&kiln_vk_shared_mutex);
}

void kiln_vk_dev_lock_queue(kiln_vk_dev *dev) {
  if (dev->lock_queue)
    dev->lock_queue(dev->lock_user);
  else
    pthread_mutex_lock(dev->shared ? &dev->queue_mutex : &kiln_vk_app_queue_mutex);
}

void kiln_vk_dev_unlock_queue(kiln_vk_dev *dev) {
  if (dev->unlock_queue)
    dev->unlock_queue(dev->lock_user);
  else
    pthread_mutex_unlock(dev->shared ? &dev->queue_mutex : &kiln_vk_app_queue_mutex);
}

/* driverVersion decoded as VK_MAKE_API_VERSION packs a version (7-bit
 * major, 10-bit minor, 12-bit patch; the shifts written out, for headers
 * older than VK_API_VERSION_MAJOR). Vendors fill it their own way: lavapipe
 * reports 0.0.1, its own number, not Mesa's release (which only
 * VkPhysicalDeviceDriverProperties' driverInfo has, not read here); its
 * device name carries its LLVM version. */
void kiln_vk_dev_describe(kiln_vk_dev *dev) {
  uint32_t d = dev->props.driverVersion, a = dev->props.apiVersion;
  snprintf(dev->version, sizeof dev->version, "driver %u.%u.%u, Vulkan %u.%u.%u",
           (unsigned)((d >> 22) & 0x7f), (unsigned)((d >> 12) & 0x3ff), (unsigned)(d & 0xfff),
           (unsigned)((a >> 22) & 0x7f), (unsigned)((a >> 12) & 0x3ff), (unsigned)(a & 0xfff));
}
