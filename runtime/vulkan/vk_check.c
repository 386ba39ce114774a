/*===- vk_check.c - checks of a model description ------------------------===*/
/* strnlen, pthreads, dlopen: POSIX 2008, also under a strict -std=c11. */
#define _POSIX_C_SOURCE 200809L

#include "vk_check.h"

#include <stdio.h>
#include <string.h>

const char *kiln_vk_entry(const kiln_vk_kernel *kernel) {
  return kernel->entry ? kernel->entry : "main";
}

/* SPIR-V opcodes and decorations the scan reads (SPIR-V spec, 3.32 / 3.20). */
enum {
  SPV_MAGIC = 0x07230203,
  SPV_OP_ENTRY_POINT = 15,
  SPV_OP_DECORATE = 71,
  SPV_EXEC_GLCOMPUTE = 5,
  SPV_DEC_BINDING = 33,
  SPV_DEC_DESCRIPTOR_SET = 34,
};

static kiln_status kiln_vk_check_spirv(const kiln_vk_kernel *k, uint32_t index, char *msg,
                                       size_t msg_size) {
  const char *entry = kiln_vk_entry(k);
  if (!k->code || k->code_size < 20 || k->code_size % 4) {
    snprintf(msg, msg_size, "kernel %u: %s", index,
             !k->code ? "code is NULL"
                      : "code_size is not a SPIR-V module's (a multiple of 4, at least 20 bytes)");
    return KILN_INVALID_ARGUMENT;
  }
  if ((uintptr_t)k->code % 4) {
    snprintf(msg, msg_size, "kernel %u: code is not 4-byte aligned", index);
    return KILN_INVALID_ARGUMENT;
  }
  const uint32_t *w = k->code;
  size_t count = k->code_size / 4;
  if (w[0] != SPV_MAGIC) {
    snprintf(msg, msg_size, "kernel %u: code is not SPIR-V (first word 0x%08x, not 0x%08x)", index,
             w[0], SPV_MAGIC);
    return KILN_INVALID_ARGUMENT;
  }
  int found = 0;
  for (size_t i = 5; i < count;) {
    uint32_t words = w[i] >> 16, op = w[i] & 0xffff;
    if (words == 0 || words > count - i) {
      snprintf(msg, msg_size, "kernel %u: malformed SPIR-V (instruction at word %zu)", index, i);
      return KILN_INVALID_ARGUMENT;
    }
    if (op == SPV_OP_ENTRY_POINT && words >= 4 && w[i + 1] == SPV_EXEC_GLCOMPUTE) {
      const char *name = (const char *)&w[i + 3];
      size_t max = (words - 3) * 4;
      found |= strnlen(name, max) < max && strcmp(name, entry) == 0;
    }
    if (op == SPV_OP_DECORATE && words >= 4) {
      if (w[i + 2] == SPV_DEC_DESCRIPTOR_SET && w[i + 3] != 0) {
        snprintf(msg, msg_size, "kernel %u: the module uses descriptor set %u; only set 0 is bound",
                 index, w[i + 3]);
        return KILN_INVALID_ARGUMENT;
      }
      if (w[i + 2] == SPV_DEC_BINDING && w[i + 3] >= k->num_bindings) {
        snprintf(msg, msg_size,
                 "kernel %u: the module uses binding %u but the kernel describes %u binding%s",
                 index, w[i + 3], k->num_bindings, k->num_bindings == 1 ? "" : "s");
        return KILN_INVALID_ARGUMENT;
      }
    }
    i += words;
  }
  if (!found) {
    snprintf(msg, msg_size, "kernel %u: the module has no GLCompute entry point \"%s\"", index,
             entry);
    return KILN_INVALID_ARGUMENT;
  }
  return KILN_OK;
}

/* offset + size within `limit`, without overflow. */
static int kiln_vk_in_range(uint64_t offset, uint64_t size, uint64_t limit) {
  return offset <= limit && size <= limit - offset;
}

static kiln_status kiln_vk_check_io(const kiln_vk_io *io, uint32_t count, const char *what,
                                    uint64_t arena_size, char *msg, size_t msg_size) {
  if (count && !io) {
    snprintf(msg, msg_size, "%u %ss but the %ss array is NULL", count, what, what);
    return KILN_INVALID_ARGUMENT;
  }
  for (uint32_t i = 0; i < count; ++i) {
    const char *name = io[i].name ? io[i].name : "(unnamed)";
    if (io[i].format > KILN_VK_IO_F32_AS_F16 ||
        (io[i].format == KILN_VK_IO_F32_AS_F16 && io[i].size % 4)) {
      snprintf(msg, msg_size, "%s %u \"%s\": %s", what, i, name,
               io[i].format > KILN_VK_IO_F32_AS_F16
                   ? "unknown format"
                   : "float32 stored as float16, but its size is not a multiple of 4 bytes");
      return KILN_INVALID_ARGUMENT;
    }
    uint64_t device_size = io[i].format == KILN_VK_IO_F32_AS_F16 ? io[i].size / 2 : io[i].size;
    if (io[i].size == 0 || io[i].offset % KILN_VK_ALIGNMENT ||
        !kiln_vk_in_range(io[i].offset, device_size, arena_size)) {
      snprintf(msg, msg_size,
               "%s %u \"%s\": bytes [%llu, +%llu) %s (arena of %llu bytes, alignment %d)", what, i,
               name, (unsigned long long)io[i].offset, (unsigned long long)device_size,
               io[i].size == 0                    ? "are empty"
               : io[i].offset % KILN_VK_ALIGNMENT ? "are not aligned"
                                                  : "are outside the arena",
               (unsigned long long)arena_size, KILN_VK_ALIGNMENT);
      return KILN_INVALID_ARGUMENT;
    }
  }
  return KILN_OK;
}

kiln_status kiln_vk_check_desc(const kiln_vk_model_desc *d, char *msg, size_t msg_size) {
  const uint32_t known = KILN_VK_FEATURE_VULKAN_1_1 | KILN_VK_FEATURE_STORAGE_16BIT |
                         KILN_VK_FEATURE_FLOAT16 | KILN_VK_FEATURE_SUBGROUP |
                         KILN_VK_FEATURE_INT64 | KILN_VK_FEATURE_FLOAT64;
  if (d->features & ~known) {
    snprintf(msg, msg_size, "unknown feature bits 0x%x", d->features & ~known);
    return KILN_INVALID_ARGUMENT;
  }
  if (d->num_kernels == 0 || !d->kernels) {
    snprintf(msg, msg_size, "%s", d->num_kernels ? "kernels is NULL" : "no kernels");
    return KILN_INVALID_ARGUMENT;
  }
  if (d->arena_size == 0 || (d->weights_size && !d->weights)) {
    snprintf(msg, msg_size, "%s",
             d->arena_size == 0 ? "arena_size is 0" : "weights is NULL with weights_size > 0");
    return KILN_INVALID_ARGUMENT;
  }
  for (uint32_t k = 0; k < d->num_kernels; ++k) {
    const kiln_vk_kernel *kern = &d->kernels[k];
    kiln_status st = kiln_vk_check_spirv(kern, k, msg, msg_size);
    if (st != KILN_OK)
      return st;
    if (!kern->groups[0] || !kern->groups[1] || !kern->groups[2]) {
      snprintf(msg, msg_size, "kernel %u: a workgroup count is 0 (%u, %u, %u)", k, kern->groups[0],
               kern->groups[1], kern->groups[2]);
      return KILN_INVALID_ARGUMENT;
    }
    if (kern->num_bindings && !kern->bindings) {
      snprintf(msg, msg_size, "kernel %u: %u bindings but bindings is NULL", k, kern->num_bindings);
      return KILN_INVALID_ARGUMENT;
    }
    for (uint32_t b = 0; b < kern->num_bindings; ++b) {
      const kiln_vk_binding *bind = &kern->bindings[b];
      if (bind->region != KILN_VK_WEIGHTS && bind->region != KILN_VK_ARENA) {
        snprintf(msg, msg_size, "kernel %u binding %u: unknown region %u", k, b, bind->region);
        return KILN_INVALID_ARGUMENT;
      }
      const char *region = bind->region == KILN_VK_WEIGHTS ? "weights" : "arena";
      uint64_t limit = bind->region == KILN_VK_WEIGHTS ? d->weights_size : d->arena_size;
      if (bind->size == 0 || bind->offset % KILN_VK_ALIGNMENT ||
          !kiln_vk_in_range(bind->offset, bind->size, limit)) {
        snprintf(msg, msg_size,
                 "kernel %u binding %u: %s bytes [%llu, +%llu) %s (%s of %llu bytes, alignment %d)",
                 k, b, region, (unsigned long long)bind->offset, (unsigned long long)bind->size,
                 bind->size == 0                    ? "are empty"
                 : bind->offset % KILN_VK_ALIGNMENT ? "are not aligned"
                                                    : "are outside the region",
                 region, (unsigned long long)limit, KILN_VK_ALIGNMENT);
        return KILN_INVALID_ARGUMENT;
      }
    }
  }
  kiln_status st =
      kiln_vk_check_io(d->inputs, d->num_inputs, "input", d->arena_size, msg, msg_size);
  if (st == KILN_OK)
    st = kiln_vk_check_io(d->outputs, d->num_outputs, "output", d->arena_size, msg, msg_size);
  return st;
}

kiln_status kiln_vk_check_device(const kiln_vk_model_desc *d, const kiln_vk_dev *dev, char *msg,
                                 size_t msg_size) {
  static const struct {
    uint32_t bit;
    const char *what;
  } features[] = {
      {KILN_VK_FEATURE_VULKAN_1_1, "Vulkan 1.1"},
      {KILN_VK_FEATURE_STORAGE_16BIT, "16-bit storage (storageBuffer16BitAccess)"},
      {KILN_VK_FEATURE_FLOAT16, "float16 arithmetic (shaderFloat16)"},
      {KILN_VK_FEATURE_SUBGROUP, "subgroup basic and arithmetic operations in compute"},
      {KILN_VK_FEATURE_INT64, "64-bit integers in shaders (shaderInt64)"},
      {KILN_VK_FEATURE_FLOAT64, "64-bit floats in shaders (shaderFloat64)"},
  };
  for (size_t i = 0; i < sizeof features / sizeof features[0]; ++i)
    if ((d->features & features[i].bit) && !(dev->features & features[i].bit)) {
      snprintf(msg, msg_size, "the model needs %s, which %s", features[i].what,
               dev->shared ? "the device does not support"
                           : "the application did not enable (kiln_vk_device.enabled_features)");
      size_t used = strlen(msg);
      snprintf(msg + used, msg_size - used, " (%s)", dev->props.deviceName);
      return KILN_VK_UNSUPPORTED;
    }
  const VkPhysicalDeviceLimits *lim = &dev->props.limits;
  for (uint32_t k = 0; k < d->num_kernels; ++k) {
    const kiln_vk_kernel *kern = &d->kernels[k];
    for (int a = 0; a < 3; ++a)
      if (kern->groups[a] > lim->maxComputeWorkGroupCount[a]) {
        snprintf(msg, msg_size, "kernel %u: %u workgroups along %c, over %s's limit of %u", k,
                 kern->groups[a], "xyz"[a], dev -> props.deviceName,
                 lim->maxComputeWorkGroupCount[a]);
        return KILN_VK_UNSUPPORTED;
      }
    if (kern->num_bindings > lim->maxPerStageDescriptorStorageBuffers) {
      snprintf(msg, msg_size, "kernel %u: %u storage buffers, over %s's limit of %u", k,
               kern->num_bindings, dev->props.deviceName, lim->maxPerStageDescriptorStorageBuffers);
      return KILN_VK_UNSUPPORTED;
    }
    for (uint32_t b = 0; b < kern->num_bindings; ++b)
      if (kern->bindings[b].size > lim->maxStorageBufferRange) {
        snprintf(msg, msg_size, "kernel %u binding %u: %llu bytes, over %s's limit of %u", k, b,
                 (unsigned long long)kern->bindings[b].size, dev->props.deviceName,
                 lim->maxStorageBufferRange);
        return KILN_VK_UNSUPPORTED;
      }
  }
  return KILN_OK;
}
