/*===- vk_check.h - checks of a model description -----------------*- C -*-===*
 *
 * Everything create can check before and after choosing a device, each
 * failure a message naming the kernel, binding, input or output at fault:
 * the description's own consistency (sizes, 256-byte alignment, ranges
 * within their region), a light scan of each SPIR-V module (magic, an
 * OpEntryPoint GLCompute of the entry's name, descriptors only in set 0 and
 * bindings the kernel describes), and the device's limits and features.
 * The modules are otherwise trusted to be valid SPIR-V (kilnc runs
 * spirv-val on what it emits). Internal to runtime/vulkan.
 *===----------------------------------------------------------------------===*/
#ifndef KILN_VK_CHECK_H
#define KILN_VK_CHECK_H

#include "vk_device.h"

/* The entry point a kernel names ("main" for NULL). */
const char *kiln_vk_entry(const kiln_vk_kernel *kernel);

/* The description alone. KILN_OK or KILN_INVALID_ARGUMENT with `msg`. */
kiln_status kiln_vk_check_desc(const kiln_vk_model_desc *desc, char *msg, size_t msg_size);

/* The description against the device: KILN_VK_UNSUPPORTED for a missing
 * feature or a limit the model exceeds. */
kiln_status kiln_vk_check_device(const kiln_vk_model_desc *desc, const kiln_vk_dev *dev, char *msg,
                                 size_t msg_size);

#endif /* KILN_VK_CHECK_H */
