/*===- vk_loader.c - the Vulkan entry points, loaded at run time ---------===*/
/* strnlen, pthreads, dlopen: POSIX 2008, also under a strict -std=c11. */
#define _POSIX_C_SOURCE 200809L

#include "vk_loader.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_once_t kiln_vk_loader_once = PTHREAD_ONCE_INIT;
static PFN_vkGetInstanceProcAddr kiln_vk_gipa;
static char kiln_vk_loader_error[256];

static void kiln_vk_open_loader(void) {
  const char *path = getenv("KILN_VK_LOADER");
  if (!path || !*path)
    path = "libvulkan.so.1";
  /* Never closed: instances and devices live until the process ends or the
   * last model goes, and the loader's own threads may outlive both. */
  void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char *why = dlerror();
    snprintf(kiln_vk_loader_error, sizeof kiln_vk_loader_error,
             "no Vulkan loader: cannot open %s (%s); install libvulkan1 and a driver", path,
             why ? why : "unknown reason");
    return;
  }
  /* POSIX allows converting dlsym's object pointer to a function pointer. */
  *(void **)&kiln_vk_gipa = dlsym(lib, "vkGetInstanceProcAddr");
  if (!kiln_vk_gipa)
    snprintf(kiln_vk_loader_error, sizeof kiln_vk_loader_error,
             "no Vulkan loader: %s has no vkGetInstanceProcAddr", path);
}

int kiln_vk_load_global(kiln_vk_fns *fns, char *msg, size_t msg_size) {
  pthread_once(&kiln_vk_loader_once, kiln_vk_open_loader);
  if (!kiln_vk_gipa) {
    snprintf(msg, msg_size, "%s", kiln_vk_loader_error);
    return -1;
  }
  fns->vkGetInstanceProcAddr = kiln_vk_gipa;
  fns->vkEnumerateInstanceVersion =
      (PFN_vkEnumerateInstanceVersion)kiln_vk_gipa(NULL, "vkEnumerateInstanceVersion");
#define KILN_VK_LOAD_GLOBAL(name)                                                                  \
  fns->name = (PFN_##name)kiln_vk_gipa(NULL, #name);                                               \
  if (!fns->name) {                                                                                \
    snprintf(msg, msg_size, "the Vulkan loader has no %s", #name);                                 \
    return -1;                                                                                     \
  }
  KILN_VK_GLOBAL_FNS(KILN_VK_LOAD_GLOBAL)
  return 0;
}

int kiln_vk_load_instance(kiln_vk_fns *fns, VkInstance instance, char *msg, size_t msg_size) {
  PFN_vkGetInstanceProcAddr gipa = fns->vkGetInstanceProcAddr;
#define KILN_VK_LOAD_INSTANCE(name)                                                                \
  fns->name = (PFN_##name)gipa(instance, #name);                                                   \
  if (!fns->name) {                                                                                \
    snprintf(msg, msg_size, "the Vulkan instance has no %s", #name);                               \
    return -1;                                                                                     \
  }
  KILN_VK_INSTANCE_FNS(KILN_VK_LOAD_INSTANCE)
  /* 1.1 entry points: present only when the instance is 1.1. */
  fns->vkGetPhysicalDeviceFeatures2 =
      (PFN_vkGetPhysicalDeviceFeatures2)gipa(instance, "vkGetPhysicalDeviceFeatures2");
  fns->vkGetPhysicalDeviceProperties2 =
      (PFN_vkGetPhysicalDeviceProperties2)gipa(instance, "vkGetPhysicalDeviceProperties2");
  return 0;
}

int kiln_vk_load_device(kiln_vk_fns *fns, VkDevice device, char *msg, size_t msg_size) {
  PFN_vkGetDeviceProcAddr gdpa = fns->vkGetDeviceProcAddr;
#define KILN_VK_LOAD_DEVICE(name)                                                                  \
  fns->name = (PFN_##name)gdpa(device, #name);                                                     \
  if (!fns->name) {                                                                                \
    snprintf(msg, msg_size, "the Vulkan device has no %s", #name);                                 \
    return -1;                                                                                     \
  }
  KILN_VK_DEVICE_FNS(KILN_VK_LOAD_DEVICE)
  return 0;
}
