/*===- vk_model.h - a model's Vulkan objects ----------------------*- C -*-===*
 *
 * The objects create builds and run uses, and the three steps over them:
 * build (everything, weights uploaded, the command buffer recorded),
 * execute (run's Vulkan part: memcpy in, submit, wait, memcpy out; nothing
 * created, nothing allocated) and teardown. Internal to runtime/vulkan.
 *===----------------------------------------------------------------------===*/
#ifndef KILN_VK_MODEL_H
#define KILN_VK_MODEL_H

#include <stdatomic.h>

#include "vk_device.h"

/* An input or output: where it sits in the staging buffer. */
typedef struct kiln_vk_staged {
  char name[64];
  uint64_t arena_offset;
  uint64_t staging_offset;
  uint64_t size;        /* the caller's bytes */
  uint64_t device_size; /* in the staging buffer and the arena */
  uint32_t half;        /* KILN_VK_IO_F32_AS_F16: converted by run */
} kiln_vk_staged;

/* One buffer with its own memory. */
typedef struct kiln_vk_buffer {
  VkBuffer buffer;
  VkDeviceMemory memory;
  VkDeviceSize size;
  int coherent; /* host-visible memory: no flush/invalidate needed */
} kiln_vk_buffer;

struct kiln_vk_model {
  kiln_vk_dev *dev;
  char name[64];
  char error[512];
  atomic_int busy;
  int lost; /* a run saw VK_ERROR_DEVICE_LOST */
  uint32_t num_kernels;
  VkDescriptorSetLayout *set_layouts;
  VkPipelineLayout *pipeline_layouts;
  VkPipeline *pipelines;
  uint32_t (*groups)[3]; /* the kernels' workgroup counts */
  VkDescriptorSet *sets; /* freed with the pool */
  VkDescriptorPool pool;
  kiln_vk_buffer weights, arena, staging;
  unsigned char *staging_map;
  VkMappedMemoryRange inputs_range, outputs_range; /* for non-coherent staging */
  VkCommandPool command_pool;
  VkCommandBuffer commands;
  VkFence fence;
  VkSubmitInfo submit;
  uint32_t num_inputs, num_outputs;
  kiln_vk_staged *inputs, *outputs;
};

/* Builds the model on `dev` (whose reference it takes over: on failure it is
 * released). A status and a message on failure. */
kiln_status kiln_vk_build(const kiln_vk_model_desc *desc, kiln_vk_dev *dev, kiln_vk_model **out,
                          char *msg, size_t msg_size);

/* Run's Vulkan part, on checked arguments. */
VkResult kiln_vk_execute(kiln_vk_model *model, const void *const *inputs, void *const *outputs);

/* Destroys whatever build made (also a half-built model), releases the
 * device, frees the model. */
void kiln_vk_teardown(kiln_vk_model *model);

#endif /* KILN_VK_MODEL_H */
