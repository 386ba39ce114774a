/* blazeface_vk_demo.c: the CPU demo (targets/cpu/demo/blazeface_demo.c),
 * the same program and the same decoding, built against the blazeface.h
 * that `kilnc --target=spirv` writes: inference runs on a Vulkan device
 * (lavapipe on a machine without a GPU). targets/spirv/demo/demo.sh builds
 * and runs it.
 *
 * The spirv target's NAME.h has the CPU target's API shape; the one name
 * the CPU program takes from libkiln_runtime.a is the status string, which
 * libkiln_runtime_vulkan.a provides as kiln_vk_status_string. */
#define kiln_status_string kiln_vk_status_string
#include "../../cpu/demo/blazeface_demo.c"
