/*===- vk_loader.h - the Vulkan entry points, loaded at run time ---*- C -*-===*
 *
 * The runtime opens the Vulkan loader itself (dlopen) instead of linking it,
 * so that a program built with Kiln starts on a machine without Vulkan and
 * its create gets KILN_VK_NO_VULKAN with a message. Every Vulkan function
 * the runtime calls is a member of kiln_vk_fns, filled in three steps:
 * global (loader), instance, device. Internal to runtime/vulkan.
 *===----------------------------------------------------------------------===*/
#ifndef KILN_VK_LOADER_H
#define KILN_VK_LOADER_H

#include <stddef.h>

#include <vulkan/vulkan.h>

/* X(name): every function the runtime needs, by level. */
#define KILN_VK_GLOBAL_FNS(X) X(vkCreateInstance)

#define KILN_VK_INSTANCE_FNS(X)                                                                    \
  X(vkDestroyInstance)                                                                             \
  X(vkEnumeratePhysicalDevices)                                                                    \
  X(vkGetPhysicalDeviceProperties)                                                                 \
  X(vkGetPhysicalDeviceFeatures)                                                                   \
  X(vkGetPhysicalDeviceQueueFamilyProperties)                                                      \
  X(vkGetPhysicalDeviceMemoryProperties)                                                           \
  X(vkEnumerateDeviceExtensionProperties)                                                          \
  X(vkCreateDevice)                                                                                \
  X(vkGetDeviceProcAddr)

#define KILN_VK_DEVICE_FNS(X)                                                                      \
  X(vkDestroyDevice)                                                                               \
  X(vkGetDeviceQueue)                                                                              \
  X(vkCreateBuffer)                                                                                \
  X(vkDestroyBuffer)                                                                               \
  X(vkGetBufferMemoryRequirements)                                                                 \
  X(vkAllocateMemory)                                                                              \
  X(vkFreeMemory)                                                                                  \
  X(vkBindBufferMemory)                                                                            \
  X(vkMapMemory)                                                                                   \
  X(vkUnmapMemory)                                                                                 \
  X(vkFlushMappedMemoryRanges)                                                                     \
  X(vkInvalidateMappedMemoryRanges)                                                                \
  X(vkCreateShaderModule)                                                                          \
  X(vkDestroyShaderModule)                                                                         \
  X(vkCreateDescriptorSetLayout)                                                                   \
  X(vkDestroyDescriptorSetLayout)                                                                  \
  X(vkCreatePipelineLayout)                                                                        \
  X(vkDestroyPipelineLayout)                                                                       \
  X(vkCreateComputePipelines)                                                                      \
  X(vkDestroyPipeline)                                                                             \
  X(vkCreateDescriptorPool)                                                                        \
  X(vkDestroyDescriptorPool)                                                                       \
  X(vkAllocateDescriptorSets)                                                                      \
  X(vkUpdateDescriptorSets)                                                                        \
  X(vkCreateCommandPool)                                                                           \
  X(vkDestroyCommandPool)                                                                          \
  X(vkAllocateCommandBuffers)                                                                      \
  X(vkFreeCommandBuffers)                                                                          \
  X(vkBeginCommandBuffer)                                                                          \
  X(vkEndCommandBuffer)                                                                            \
  X(vkCmdCopyBuffer)                                                                               \
  X(vkCmdFillBuffer)                                                                               \
  X(vkCmdBindPipeline)                                                                             \
  X(vkCmdBindDescriptorSets)                                                                       \
  X(vkCmdDispatch)                                                                                 \
  X(vkCmdPipelineBarrier)                                                                          \
  X(vkQueueSubmit)                                                                                 \
  X(vkQueueWaitIdle)                                                                               \
  X(vkCreateFence)                                                                                 \
  X(vkDestroyFence)                                                                                \
  X(vkWaitForFences)                                                                               \
  X(vkResetFences)

#define KILN_VK_DECLARE_FN(name) PFN_##name name;

typedef struct kiln_vk_fns {
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr;
  /* Optional: Vulkan 1.1 (NULL on a 1.0 loader or instance). */
  PFN_vkEnumerateInstanceVersion vkEnumerateInstanceVersion;
  PFN_vkGetPhysicalDeviceFeatures2 vkGetPhysicalDeviceFeatures2;
  PFN_vkGetPhysicalDeviceProperties2 vkGetPhysicalDeviceProperties2;
  KILN_VK_GLOBAL_FNS(KILN_VK_DECLARE_FN)
  KILN_VK_INSTANCE_FNS(KILN_VK_DECLARE_FN)
  KILN_VK_DEVICE_FNS(KILN_VK_DECLARE_FN)
} kiln_vk_fns;

/* Opens the loader once per process (libvulkan.so.1, or the path in
 * $KILN_VK_LOADER) and fills the global functions. 0 on success; otherwise
 * -1 and a message in `msg`. Thread-safe. */
int kiln_vk_load_global(kiln_vk_fns *fns, char *msg, size_t msg_size);

/* Fills the instance and device functions of `instance` / `device`; -1 and a
 * message naming the first missing function. */
int kiln_vk_load_instance(kiln_vk_fns *fns, VkInstance instance, char *msg, size_t msg_size);
int kiln_vk_load_device(kiln_vk_fns *fns, VkDevice device, char *msg, size_t msg_size);

#endif /* KILN_VK_LOADER_H */
