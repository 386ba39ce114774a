/*===- vk_model.c - a model's Vulkan objects -----------------------------===*/
/* strnlen, pthreads, dlopen: POSIX 2008, also under a strict -std=c11. */
#define _POSIX_C_SOURCE 200809L

#include "vk_model.h"
#include "vk_half.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk_check.h"

static VkDeviceSize kiln_vk_align_up(VkDeviceSize value, VkDeviceSize align) {
  return (value + align - 1) / align * align;
}

/* The first memory type allowed by `bits` with all of `flags`, or -1. */
static int kiln_vk_memory_type(const kiln_vk_dev *dev, uint32_t bits, VkMemoryPropertyFlags flags) {
  for (uint32_t i = 0; i < dev->memory.memoryTypeCount; ++i)
    if ((bits & (1u << i)) && (dev->memory.memoryTypes[i].propertyFlags & flags) == flags)
      return (int)i;
  return -1;
}

/* A buffer with its own memory: device-local if the device has it, or
 * host-visible (coherent and cached preferred: run reads outputs back). */
static kiln_status kiln_vk_make_buffer(kiln_vk_dev *dev, VkDeviceSize size,
                                       VkBufferUsageFlags usage, int host, const char *what,
                                       kiln_vk_buffer *out, char *msg, size_t msg_size) {
  const kiln_vk_fns *vk = &dev->fns;
  VkBufferCreateInfo info = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                             .size = size,
                             .usage = usage,
                             .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
  /* More than the largest heap holds is refused here, with the sizes,
   * rather than by the driver in its own way (or flagged by the validation
   * layer). */
  VkDeviceSize largest = 0;
  for (uint32_t h = 0; h < dev->memory.memoryHeapCount; ++h)
    largest = dev->memory.memoryHeaps[h].size > largest ? dev->memory.memoryHeaps[h].size : largest;
  if (size > largest) {
    snprintf(msg, msg_size,
             "the %s buffer's %llu bytes exceed %s's largest memory heap (%llu bytes)", what,
             (unsigned long long)size, dev->props.deviceName, (unsigned long long)largest);
    return KILN_VK_OUT_OF_DEVICE_MEMORY;
  }
  out->size = size;
  VkResult r = vk->vkCreateBuffer(dev->device, &info, dev->allocator, &out->buffer);
  if (r != VK_SUCCESS) {
    out->buffer = VK_NULL_HANDLE;
    snprintf(msg, msg_size, "creating the %s buffer (%llu bytes) failed (%s)", what,
             (unsigned long long)size, kiln_vk_result_name(r));
    return kiln_vk_status_of(r);
  }
  VkMemoryRequirements req;
  vk->vkGetBufferMemoryRequirements(dev->device, out->buffer, &req);
  const VkMemoryPropertyFlags visible = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT,
                              coherent = VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  int type =
      host ? kiln_vk_memory_type(dev, req.memoryTypeBits,
                                 visible | coherent | VK_MEMORY_PROPERTY_HOST_CACHED_BIT)
           : kiln_vk_memory_type(dev, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
  if (type < 0)
    type = kiln_vk_memory_type(dev, req.memoryTypeBits, host ? visible | coherent : 0);
  if (type < 0 && host)
    type = kiln_vk_memory_type(dev, req.memoryTypeBits, visible);
  if (type < 0) {
    snprintf(msg, msg_size, "%s has no %s memory type for the %s buffer", dev->props.deviceName,
             host ? "host-visible" : "usable", what);
    return KILN_VK_UNSUPPORTED;
  }
  out->coherent = (dev->memory.memoryTypes[type].propertyFlags & coherent) != 0;
  VkMemoryAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size,
                                .memoryTypeIndex = (uint32_t)type};
  r = vk->vkAllocateMemory(dev->device, &alloc, dev->allocator, &out->memory);
  if (r == VK_SUCCESS)
    r = vk->vkBindBufferMemory(dev->device, out->buffer, out->memory, 0);
  else
    out->memory = VK_NULL_HANDLE;
  if (r != VK_SUCCESS) {
    snprintf(msg, msg_size, "allocating %llu bytes of %s memory for the %s buffer failed (%s)",
             (unsigned long long)req.size, host ? "host-visible" : "device", what,
             kiln_vk_result_name(r));
    return kiln_vk_status_of(r);
  }
  return KILN_OK;
}

static void kiln_vk_free_buffer(kiln_vk_dev *dev, kiln_vk_buffer *b) {
  dev->fns.vkDestroyBuffer(dev->device, b->buffer, dev->allocator);
  dev->fns.vkFreeMemory(dev->device, b->memory, dev->allocator);
  b->buffer = VK_NULL_HANDLE;
  b->memory = VK_NULL_HANDLE;
}

static void kiln_vk_barrier(const kiln_vk_fns *vk, VkCommandBuffer cb, VkPipelineStageFlags src,
                            VkAccessFlags src_access, VkPipelineStageFlags dst,
                            VkAccessFlags dst_access) {
  VkMemoryBarrier barrier = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                             .srcAccessMask = src_access,
                             .dstAccessMask = dst_access};
  vk->vkCmdPipelineBarrier(cb, src, dst, 0, 1, &barrier, 0, NULL, 0, NULL);
}

/* Zeroes the arena (no run reads memory nothing wrote, even with a planner
 * bug) and uploads the weights through a temporary staging buffer: one
 * submission at create, waited for. */
static kiln_status kiln_vk_upload(kiln_vk_model *m, const kiln_vk_model_desc *desc, char *msg,
                                  size_t msg_size) {
  kiln_vk_dev *dev = m->dev;
  const kiln_vk_fns *vk = &dev->fns;
  kiln_vk_buffer staging = {0};
  kiln_status st = KILN_OK;
  VkResult r = VK_SUCCESS;
  if (desc->weights_size) {
    st = kiln_vk_make_buffer(dev, desc->weights_size, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, 1,
                             "weights staging", &staging, msg, msg_size);
    void *map = NULL;
    if (st == KILN_OK && (r = vk->vkMapMemory(dev->device, staging.memory, 0, VK_WHOLE_SIZE, 0,
                                              &map)) == VK_SUCCESS) {
      memcpy(map, desc->weights, desc->weights_size);
      VkMappedMemoryRange range = {.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                   .memory = staging.memory,
                                   .size = VK_WHOLE_SIZE};
      if (!staging.coherent)
        r = vk->vkFlushMappedMemoryRanges(dev->device, 1, &range);
      vk->vkUnmapMemory(dev->device, staging.memory);
    }
  }
  VkCommandBuffer cb = VK_NULL_HANDLE;
  if (st == KILN_OK && r == VK_SUCCESS) {
    VkCommandBufferAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                         .commandPool = m->command_pool,
                                         .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                         .commandBufferCount = 1};
    r = vk->vkAllocateCommandBuffers(dev->device, &alloc, &cb);
    if (r != VK_SUCCESS)
      cb = VK_NULL_HANDLE;
  }
  if (st == KILN_OK && r == VK_SUCCESS) {
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                      .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    r = vk->vkBeginCommandBuffer(cb, &begin);
    if (r == VK_SUCCESS) {
      vk->vkCmdFillBuffer(cb, m->arena.buffer, 0, VK_WHOLE_SIZE, 0);
      if (desc->weights_size) {
        VkBufferCopy copy = {.size = desc->weights_size};
        vk->vkCmdCopyBuffer(cb, staging.buffer, m->weights.buffer, 1, &copy);
      }
      kiln_vk_barrier(vk, cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                      VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                          VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
      r = vk->vkEndCommandBuffer(cb);
    }
    if (r == VK_SUCCESS) {
      VkSubmitInfo submit = {
          .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cb};
      kiln_vk_dev_lock_queue(dev);
      r = vk->vkQueueSubmit(dev->queue, 1, &submit, m->fence);
      kiln_vk_dev_unlock_queue(dev);
    }
    if (r == VK_SUCCESS)
      r = vk->vkWaitForFences(dev->device, 1, &m->fence, VK_TRUE, UINT64_MAX);
    if (r == VK_SUCCESS)
      r = vk->vkResetFences(dev->device, 1, &m->fence);
  }
  if (cb)
    vk->vkFreeCommandBuffers(dev->device, m->command_pool, 1, &cb);
  kiln_vk_free_buffer(dev, &staging);
  if (st == KILN_OK && r != VK_SUCCESS) {
    snprintf(msg, msg_size, "uploading %llu bytes of weights failed (%s)",
             (unsigned long long)desc->weights_size, kiln_vk_result_name(r));
    st = kiln_vk_status_of(r);
  }
  return st;
}

/* Per kernel: set layout, pipeline layout, pipeline (the shader module only
 * lives through pipeline creation). */
static kiln_status kiln_vk_pipelines(kiln_vk_model *m, const kiln_vk_model_desc *desc, char *msg,
                                     size_t msg_size) {
  kiln_vk_dev *dev = m->dev;
  const kiln_vk_fns *vk = &dev->fns;
  for (uint32_t k = 0; k < m->num_kernels; ++k) {
    const kiln_vk_kernel *kern = &desc->kernels[k];
    VkDescriptorSetLayoutBinding bindings[64];
    VkDescriptorSetLayoutBinding *b =
        kern->num_bindings <= 64 ? bindings : calloc(kern->num_bindings, sizeof *b);
    if (!b) {
      snprintf(msg, msg_size, "out of host memory for kernel %u's bindings", k);
      return KILN_OUT_OF_MEMORY;
    }
    for (uint32_t i = 0; i < kern->num_bindings; ++i)
      b[i] = (VkDescriptorSetLayoutBinding){.binding = i,
                                            .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                            .descriptorCount = 1,
                                            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo set_info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = kern->num_bindings,
        .pBindings = b};
    VkResult r =
        vk->vkCreateDescriptorSetLayout(dev->device, &set_info, dev->allocator, &m->set_layouts[k]);
    if (b != bindings)
      free(b);
    const char *step = "vkCreateDescriptorSetLayout";
    if (r == VK_SUCCESS) {
      VkPipelineLayoutCreateInfo layout_info = {.sType =
                                                    VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                                .setLayoutCount = 1,
                                                .pSetLayouts = &m->set_layouts[k]};
      step = "vkCreatePipelineLayout";
      r = vk->vkCreatePipelineLayout(dev->device, &layout_info, dev->allocator,
                                     &m->pipeline_layouts[k]);
    } else {
      m->set_layouts[k] = VK_NULL_HANDLE;
    }
    VkShaderModule module = VK_NULL_HANDLE;
    if (r == VK_SUCCESS) {
      VkShaderModuleCreateInfo module_info = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                              .codeSize = kern->code_size,
                                              .pCode = kern->code};
      step = "vkCreateShaderModule";
      r = vk->vkCreateShaderModule(dev->device, &module_info, dev->allocator, &module);
      if (r != VK_SUCCESS)
        module = VK_NULL_HANDLE;
    }
    if (r == VK_SUCCESS) {
      VkComputePipelineCreateInfo pipe_info = {
          .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
          .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                    .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                    .module = module,
                    .pName = kiln_vk_entry(kern)},
          .layout = m->pipeline_layouts[k]};
      step = "vkCreateComputePipelines";
      r = vk->vkCreateComputePipelines(dev->device, VK_NULL_HANDLE, 1, &pipe_info, dev->allocator,
                                       &m->pipelines[k]);
      if (r != VK_SUCCESS)
        m->pipelines[k] = VK_NULL_HANDLE;
    }
    vk->vkDestroyShaderModule(dev->device, module, dev->allocator);
    if (r != VK_SUCCESS) {
      snprintf(msg, msg_size, "kernel %u (entry \"%s\"): %s failed (%s)", k, kiln_vk_entry(kern),
               step, kiln_vk_result_name(r));
      return kiln_vk_status_of(r) == KILN_VK_NO_VULKAN ? KILN_VK_ERROR : kiln_vk_status_of(r);
    }
  }
  return KILN_OK;
}

/* One pool, one set per kernel, each binding pointed at its range. */
static kiln_status kiln_vk_descriptors(kiln_vk_model *m, const kiln_vk_model_desc *desc, char *msg,
                                       size_t msg_size) {
  kiln_vk_dev *dev = m->dev;
  const kiln_vk_fns *vk = &dev->fns;
  uint32_t total = 0;
  for (uint32_t k = 0; k < m->num_kernels; ++k)
    total += desc->kernels[k].num_bindings;
  VkDescriptorPoolSize size = {.type = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, .descriptorCount = total};
  VkDescriptorPoolCreateInfo pool_info = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                          .maxSets = m->num_kernels,
                                          .poolSizeCount = total ? 1 : 0,
                                          .pPoolSizes = &size};
  VkResult r = vk->vkCreateDescriptorPool(dev->device, &pool_info, dev->allocator, &m->pool);
  if (r != VK_SUCCESS)
    m->pool = VK_NULL_HANDLE;
  if (r == VK_SUCCESS) {
    VkDescriptorSetAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                         .descriptorPool = m->pool,
                                         .descriptorSetCount = m->num_kernels,
                                         .pSetLayouts = m->set_layouts};
    r = vk->vkAllocateDescriptorSets(dev->device, &alloc, m->sets);
  }
  if (r != VK_SUCCESS) {
    snprintf(msg, msg_size, "allocating %u descriptor sets failed (%s)", m->num_kernels,
             kiln_vk_result_name(r));
    return kiln_vk_status_of(r) == KILN_VK_NO_VULKAN ? KILN_VK_ERROR : kiln_vk_status_of(r);
  }
  VkDescriptorBufferInfo *infos = calloc(total ? total : 1, sizeof *infos);
  VkWriteDescriptorSet *writes = calloc(m->num_kernels, sizeof *writes);
  if (!infos || !writes) {
    free(infos);
    free(writes);
    snprintf(msg, msg_size, "out of host memory for descriptor writes");
    return KILN_OUT_OF_MEMORY;
  }
  uint32_t next = 0, num_writes = 0;
  for (uint32_t k = 0; k < m->num_kernels; ++k) {
    const kiln_vk_kernel *kern = &desc->kernels[k];
    if (!kern->num_bindings)
      continue;
    for (uint32_t b = 0; b < kern->num_bindings; ++b) {
      const kiln_vk_binding *bind = &kern->bindings[b];
      infos[next + b] = (VkDescriptorBufferInfo){
          .buffer = bind->region == KILN_VK_WEIGHTS ? m->weights.buffer : m->arena.buffer,
          .offset = bind->offset,
          .range = bind->size};
    }
    writes[num_writes++] =
        (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                               .dstSet = m->sets[k],
                               .dstBinding = 0,
                               .descriptorCount = kern->num_bindings,
                               .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                               .pBufferInfo = &infos[next]};
    next += kern->num_bindings;
  }
  vk->vkUpdateDescriptorSets(dev->device, num_writes, writes, 0, NULL);
  free(infos);
  free(writes);
  return KILN_OK;
}

/* The one command buffer every run submits. Global memory barriers: the
 * inputs' copies before the first dispatch, each dispatch before the next,
 * the last before the outputs' copies, those before the host reads. Across
 * runs the same barriers order run N's reads before run N+1's writes. */
static VkResult kiln_vk_record(kiln_vk_model *m) {
  const kiln_vk_fns *vk = &m->dev->fns;
  VkCommandBuffer cb = m->commands;
  VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  VkResult r = vk->vkBeginCommandBuffer(cb, &begin);
  if (r != VK_SUCCESS)
    return r;
  for (uint32_t i = 0; i < m->num_inputs; ++i) {
    VkBufferCopy copy = {.srcOffset = m->inputs[i].staging_offset,
                         .dstOffset = m->inputs[i].arena_offset,
                         .size = m->inputs[i].device_size};
    vk->vkCmdCopyBuffer(cb, m->staging.buffer, m->arena.buffer, 1, &copy);
  }
  const VkAccessFlags shader = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  kiln_vk_barrier(vk, cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, shader);
  for (uint32_t k = 0; k < m->num_kernels; ++k) {
    if (k)
      kiln_vk_barrier(vk, cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, shader);
    vk->vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, m->pipelines[k]);
    vk->vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, m->pipeline_layouts[k], 0, 1,
                                &m->sets[k], 0, NULL);
    vk->vkCmdDispatch(cb, m->groups[k][0], m->groups[k][1], m->groups[k][2]);
  }
  kiln_vk_barrier(vk, cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                  VK_PIPELINE_STAGE_TRANSFER_BIT,
                  VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
  for (uint32_t o = 0; o < m->num_outputs; ++o) {
    VkBufferCopy copy = {.srcOffset = m->outputs[o].arena_offset,
                         .dstOffset = m->outputs[o].staging_offset,
                         .size = m->outputs[o].device_size};
    vk->vkCmdCopyBuffer(cb, m->arena.buffer, m->staging.buffer, 1, &copy);
  }
  kiln_vk_barrier(vk, cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                  VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
  return vk->vkEndCommandBuffer(cb);
}

static void kiln_vk_stage(kiln_vk_staged *out, const kiln_vk_io *io, uint32_t count,
                          VkDeviceSize *offset, VkDeviceSize align) {
  for (uint32_t i = 0; i < count; ++i) {
    snprintf(out[i].name, sizeof out[i].name, "%s", io[i].name ? io[i].name : "(unnamed)");
    out[i].arena_offset = io[i].offset;
    out[i].size = io[i].size;
    out[i].half = io[i].format == KILN_VK_IO_F32_AS_F16;
    out[i].device_size = out[i].half ? io[i].size / 2 : io[i].size;
    out[i].staging_offset = *offset;
    *offset = kiln_vk_align_up(*offset + out[i].device_size, align);
  }
}

kiln_status kiln_vk_build(const kiln_vk_model_desc *desc, kiln_vk_dev *dev, kiln_vk_model **out,
                          char *msg, size_t msg_size) {
  const kiln_vk_fns *vk = &dev->fns;
  kiln_vk_model *m = calloc(1, sizeof *m);
  uint32_t n = desc->num_kernels;
  if (m) {
    m->dev = dev;
    m->num_kernels = n;
    m->set_layouts = calloc(n, sizeof *m->set_layouts);
    m->pipeline_layouts = calloc(n, sizeof *m->pipeline_layouts);
    m->pipelines = calloc(n, sizeof *m->pipelines);
    m->sets = calloc(n, sizeof *m->sets);
    m->groups = calloc(n, sizeof *m->groups);
    m->inputs = calloc(desc->num_inputs ? desc->num_inputs : 1, sizeof *m->inputs);
    m->outputs = calloc(desc->num_outputs ? desc->num_outputs : 1, sizeof *m->outputs);
  }
  if (!m || !m->set_layouts || !m->pipeline_layouts || !m->pipelines || !m->sets || !m->groups ||
      !m->inputs || !m->outputs) {
    if (m)
      kiln_vk_teardown(m);
    else
      kiln_vk_dev_release(dev);
    snprintf(msg, msg_size, "out of host memory for the model");
    return KILN_OUT_OF_MEMORY;
  }
  snprintf(m->name, sizeof m->name, "%s", desc->name ? desc->name : "model");
  atomic_init(&m->busy, 0);
  for (uint32_t k = 0; k < n; ++k)
    memcpy(m->groups[k], desc->kernels[k].groups, sizeof m->groups[k]);

  /* Staging: inputs then outputs, each range aligned for flushes. */
  VkDeviceSize align = dev->props.limits.nonCoherentAtomSize;
  align = align > KILN_VK_ALIGNMENT ? align : KILN_VK_ALIGNMENT;
  VkDeviceSize staging_size = 0;
  m->num_inputs = desc->num_inputs;
  m->num_outputs = desc->num_outputs;
  kiln_vk_stage(m->inputs, desc->inputs, desc->num_inputs, &staging_size, align);
  VkDeviceSize inputs_end = staging_size;
  kiln_vk_stage(m->outputs, desc->outputs, desc->num_outputs, &staging_size, align);

  const VkBufferUsageFlags transfer =
      VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  kiln_status st = KILN_OK;
  if (desc->weights_size)
    st = kiln_vk_make_buffer(dev, desc->weights_size,
                             VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                             0, "weights", &m->weights, msg, msg_size);
  if (st == KILN_OK)
    st = kiln_vk_make_buffer(dev, desc->arena_size, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | transfer,
                             0, "arena", &m->arena, msg, msg_size);
  if (st == KILN_OK)
    st = kiln_vk_make_buffer(dev, staging_size ? staging_size : align, transfer, 1, "staging",
                             &m->staging, msg, msg_size);
  VkResult r = VK_SUCCESS;
  const char *step = "";
  if (st == KILN_OK) {
    step = "vkMapMemory";
    r = vk->vkMapMemory(dev->device, m->staging.memory, 0, VK_WHOLE_SIZE, 0,
                        (void **)&m->staging_map);
  }
  if (st == KILN_OK && r == VK_SUCCESS) {
    m->inputs_range = (VkMappedMemoryRange){.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                            .memory = m->staging.memory,
                                            .size = inputs_end ? inputs_end : align};
    m->outputs_range = (VkMappedMemoryRange){.sType = VK_STRUCTURE_TYPE_MAPPED_MEMORY_RANGE,
                                             .memory = m->staging.memory,
                                             .offset = inputs_end,
                                             .size = VK_WHOLE_SIZE};
    VkCommandPoolCreateInfo pool = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                    .queueFamilyIndex = dev->queue_family};
    step = "vkCreateCommandPool";
    r = vk->vkCreateCommandPool(dev->device, &pool, dev->allocator, &m->command_pool);
    if (r != VK_SUCCESS)
      m->command_pool = VK_NULL_HANDLE;
  }
  if (st == KILN_OK && r == VK_SUCCESS) {
    VkFenceCreateInfo fence = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    step = "vkCreateFence";
    r = vk->vkCreateFence(dev->device, &fence, dev->allocator, &m->fence);
    if (r != VK_SUCCESS)
      m->fence = VK_NULL_HANDLE;
  }
  if (st == KILN_OK && r == VK_SUCCESS) {
    VkCommandBufferAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                         .commandPool = m->command_pool,
                                         .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                         .commandBufferCount = 1};
    step = "vkAllocateCommandBuffers";
    r = vk->vkAllocateCommandBuffers(dev->device, &alloc, &m->commands);
  }
  if (st == KILN_OK && r != VK_SUCCESS) {
    snprintf(msg, msg_size, "%s failed (%s)", step, kiln_vk_result_name(r));
    st = kiln_vk_status_of(r) == KILN_VK_NO_VULKAN ? KILN_VK_ERROR : kiln_vk_status_of(r);
  }
  if (st == KILN_OK)
    st = kiln_vk_upload(m, desc, msg, msg_size);
  if (st == KILN_OK)
    st = kiln_vk_pipelines(m, desc, msg, msg_size);
  if (st == KILN_OK)
    st = kiln_vk_descriptors(m, desc, msg, msg_size);
  if (st == KILN_OK && (r = kiln_vk_record(m)) != VK_SUCCESS) {
    snprintf(msg, msg_size, "recording the command buffer failed (%s)", kiln_vk_result_name(r));
    st = kiln_vk_status_of(r) == KILN_VK_NO_VULKAN ? KILN_VK_ERROR : kiln_vk_status_of(r);
  }
  if (st != KILN_OK) {
    kiln_vk_teardown(m);
    return st;
  }
  m->submit = (VkSubmitInfo){.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                             .commandBufferCount = 1,
                             .pCommandBuffers = &m->commands};
  *out = m;
  return KILN_OK;
}

VkResult kiln_vk_execute(kiln_vk_model *m, const void *const *inputs, void *const *outputs) {
  kiln_vk_dev *dev = m->dev;
  const kiln_vk_fns *vk = &dev->fns;
  for (uint32_t i = 0; i < m->num_inputs; ++i) {
    unsigned char *staged = m->staging_map + m->inputs[i].staging_offset;
    if (m->inputs[i].half)
      kiln_vk_f32_to_f16(staged, inputs[i], m->inputs[i].size / 4);
    else
      memcpy(staged, inputs[i], m->inputs[i].size);
  }
  VkResult r = VK_SUCCESS;
  if (!m->staging.coherent && m->num_inputs)
    r = vk->vkFlushMappedMemoryRanges(dev->device, 1, &m->inputs_range);
  if (r == VK_SUCCESS)
    r = vk->vkResetFences(dev->device, 1, &m->fence);
  if (r == VK_SUCCESS) {
    kiln_vk_dev_lock_queue(dev);
    r = vk->vkQueueSubmit(dev->queue, 1, &m->submit, m->fence);
    kiln_vk_dev_unlock_queue(dev);
  }
  if (r == VK_SUCCESS)
    r = vk->vkWaitForFences(dev->device, 1, &m->fence, VK_TRUE, UINT64_MAX);
  if (r == VK_SUCCESS && !m->staging.coherent && m->num_outputs)
    r = vk->vkInvalidateMappedMemoryRanges(dev->device, 1, &m->outputs_range);
  if (r != VK_SUCCESS)
    return r;
  for (uint32_t o = 0; o < m->num_outputs; ++o) {
    const unsigned char *staged = m->staging_map + m->outputs[o].staging_offset;
    if (m->outputs[o].half)
      kiln_vk_f16_to_f32(outputs[o], staged, m->outputs[o].size / 4);
    else
      memcpy(outputs[o], staged, m->outputs[o].size);
  }
  return VK_SUCCESS;
}

void kiln_vk_teardown(kiln_vk_model *m) {
  kiln_vk_dev *dev = m->dev;
  const kiln_vk_fns *vk = &dev->fns;
  VkDevice d = dev->device;
  const VkAllocationCallbacks *a = dev->allocator;
  vk->vkDestroyFence(d, m->fence, a);
  vk->vkDestroyCommandPool(d, m->command_pool, a); /* frees the command buffer */
  vk->vkDestroyDescriptorPool(d, m->pool, a);      /* frees the sets */
  for (uint32_t k = 0; k < m->num_kernels; ++k) {
    if (m->pipelines)
      vk->vkDestroyPipeline(d, m->pipelines[k], a);
    if (m->pipeline_layouts)
      vk->vkDestroyPipelineLayout(d, m->pipeline_layouts[k], a);
    if (m->set_layouts)
      vk->vkDestroyDescriptorSetLayout(d, m->set_layouts[k], a);
  }
  kiln_vk_free_buffer(dev, &m->staging); /* unmapped implicitly */
  kiln_vk_free_buffer(dev, &m->arena);
  kiln_vk_free_buffer(dev, &m->weights);
  free(m->set_layouts);
  free(m->pipeline_layouts);
  free(m->pipelines);
  free(m->sets);
  free(m->groups);
  free(m->inputs);
  free(m->outputs);
  free(m);
  kiln_vk_dev_release(dev);
}
