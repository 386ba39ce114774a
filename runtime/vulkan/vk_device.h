/*===- vk_device.h - the device a model runs on --------------------*- C -*-===*
 *
 * Either the process-wide shared device (created by the first model that
 * asks, reference counted, destroyed with the last) or a wrapper around an
 * application's device (kiln_vk_device), one per model, owning nothing of
 * Vulkan's. Both give the model the same view: the function table, the
 * handles, the device's limits and memory types, the features enabled, and
 * a lock around queue submission. Internal to runtime/vulkan.
 *===----------------------------------------------------------------------===*/
#ifndef KILN_VK_DEVICE_H
#define KILN_VK_DEVICE_H

#include <pthread.h>

#include "kiln_runtime_vulkan.h"
#include "vk_loader.h"

typedef struct kiln_vk_dev {
  kiln_vk_fns fns;
  VkInstance instance;
  VkPhysicalDevice physical;
  VkDevice device;
  uint32_t queue_family;
  VkQueue queue;
  VkPhysicalDeviceProperties props;
  /* props' driver and API versions as text (kiln_vk_dev_describe): what
   * kiln_vk_model_driver_version returns. */
  char version[64];
  VkPhysicalDeviceMemoryProperties memory;
  uint32_t features; /* KILN_VK_FEATURE_* bits enabled on `device` */
  const VkAllocationCallbacks *allocator;
  int shared; /* the process-wide device (refs under a global lock) */
  int refs;
  pthread_mutex_t queue_mutex; /* the shared device's submissions */
  void (*lock_queue)(void *user);
  void (*unlock_queue)(void *user);
  void *lock_user;
} kiln_vk_dev;

/* The shared device (app NULL, one more reference) or a new wrapper of the
 * application's. On failure a status and a message in `msg`. */
kiln_status kiln_vk_dev_acquire(const kiln_vk_device *app, kiln_vk_dev **out, char *msg,
                                size_t msg_size);

/* Fills dev->version from dev->props: "driver 0.0.1, Vulkan 1.3.230". */
void kiln_vk_dev_describe(kiln_vk_dev *dev);

/* Drops one reference (the shared device) or frees the wrapper. */
void kiln_vk_dev_release(kiln_vk_dev *dev);

/* Serialise vkQueueSubmit on the device's queue. */
void kiln_vk_dev_lock_queue(kiln_vk_dev *dev);
void kiln_vk_dev_unlock_queue(kiln_vk_dev *dev);

/* The status for a failed Vulkan call, and the result's name for messages. */
kiln_status kiln_vk_status_of(VkResult result);
const char *kiln_vk_result_name(VkResult result);

#endif /* KILN_VK_DEVICE_H */
