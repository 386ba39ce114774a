//===- VulkanRuntimeSources.h - the Vulkan runtime, embedded in kilnc -----===//
//
// The files of libkiln_runtime_vulkan.a as strings, for a target that
// writes them out and compiles them (C11, -I for kiln_runtime.h and the
// Vulkan headers; -D_POSIX_C_SOURCE=200809L) into the library it publishes.
// Link KilnRuntimeVulkanSources (CMake) to get the generated .inc.
//
//===----------------------------------------------------------------------===//
#ifndef KILN_RUNTIME_VULKAN_VULKANRUNTIMESOURCES_H
#define KILN_RUNTIME_VULKAN_VULKANRUNTIMESOURCES_H

#include "VulkanRuntimeSources.inc"

namespace kiln::runtime {

struct EmbeddedFile {
  const char *name; // file name, no directory
  const char *text;
  bool compile; // a .c file (the rest are headers)
};

// kiln_runtime_vulkan.h is the public one (with kiln_runtime.h, which it
// includes); the vk_*.h headers are internal.
inline constexpr EmbeddedFile kVulkanRuntimeFiles[] = {
    {"kiln_runtime_vulkan.h", kKilnVk_kiln_runtime_vulkan_h, false},
    {"vk_check.h", kKilnVk_vk_check_h, false},
    {"vk_device.h", kKilnVk_vk_device_h, false},
    {"vk_loader.h", kKilnVk_vk_loader_h, false},
    {"vk_model.h", kKilnVk_vk_model_h, false},
    {"kiln_runtime_vulkan.c", kKilnVk_kiln_runtime_vulkan_c, true},
    {"vk_check.c", kKilnVk_vk_check_c, true},
    {"vk_device.c", kKilnVk_vk_device_c, true},
    {"vk_loader.c", kKilnVk_vk_loader_c, true},
    {"vk_model.c", kKilnVk_vk_model_c, true},
};

} // namespace kiln::runtime

#endif // KILN_RUNTIME_VULKAN_VULKANRUNTIMESOURCES_H
