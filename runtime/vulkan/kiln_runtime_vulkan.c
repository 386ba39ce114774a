/*===- kiln_runtime_vulkan.c - create, run, destroy ----------------------===*
 *
 * A model is its device, its two buffers (weights, arena) plus one
 * host-visible staging buffer for inputs and outputs, one pipeline and
 * descriptor set per kernel, and one command buffer recorded at create. run
 * is memcpy, submit, wait, memcpy: whatever could fail for want of memory
 * failed at create.
 *===----------------------------------------------------------------------===*/
/* strnlen, pthreads, dlopen: POSIX 2008, also under a strict -std=c11. */
#define _POSIX_C_SOURCE 200809L

#include "kiln_runtime_vulkan.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk_check.h"
#include "vk_device.h"
#include "vk_model.h"

enum { KILN_VK_MESSAGE_SIZE = 512 };

/* Messages of calls without a model (a failed create, a NULL model). */
static _Thread_local char kiln_vk_thread_error[KILN_VK_MESSAGE_SIZE];

static kiln_status kiln_vk_fail(char *buffer, kiln_status status, const char *format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(buffer, KILN_VK_MESSAGE_SIZE, format, args);
  va_end(args);
  return status;
}

/* The shared statuses' names repeat kiln_status_string's on purpose: that
 * one lives in libkiln_runtime.a with Halide's runtime, which a Vulkan
 * program does not link. */
const char *kiln_vk_status_string(kiln_status status) {
  switch ((int)status) {
  case KILN_OK:
    return "ok";
  case KILN_INVALID_ARGUMENT:
    return "invalid argument";
  case KILN_OUT_OF_MEMORY:
    return "out of host memory";
  case KILN_ARENA_TOO_SMALL:
    return "arena too small";
  case KILN_KERNEL_FAILED:
    return "kernel failed";
  case KILN_CONTEXT_BUSY:
    return "context busy";
  case KILN_INVALID_WEIGHTS:
    return "invalid weights";
  case (int)KILN_VK_NO_VULKAN:
    return "no Vulkan loader or device";
  case (int)KILN_VK_DEVICE_LOST:
    return "Vulkan device lost";
  case (int)KILN_VK_OUT_OF_DEVICE_MEMORY:
    return "out of device memory";
  case (int)KILN_VK_UNSUPPORTED:
    return "unsupported by the Vulkan device";
  case (int)KILN_VK_ERROR:
    return "Vulkan error";
  default:
    return "unknown status";
  }
}

kiln_status kiln_vk_model_create(const kiln_vk_model_desc *desc, const kiln_vk_device *app_device,
                                 kiln_vk_model **out_model) {
  char *err = kiln_vk_thread_error;
  err[0] = 0;
  if (!out_model)
    return kiln_vk_fail(err, KILN_INVALID_ARGUMENT, "kiln_vk_model_create: out_model is NULL");
  *out_model = NULL;
  if (!desc)
    return kiln_vk_fail(err, KILN_INVALID_ARGUMENT, "kiln_vk_model_create: desc is NULL");
  const char *name = desc->name ? desc->name : "model";
  char msg[KILN_VK_MESSAGE_SIZE - 64];
  kiln_status st = kiln_vk_check_desc(desc, msg, sizeof msg);
  if (st != KILN_OK)
    return kiln_vk_fail(err, st, "%s: %s", name, msg);
  kiln_vk_dev *dev = NULL;
  st = kiln_vk_dev_acquire(app_device, &dev, msg, sizeof msg);
  if (st != KILN_OK)
    return kiln_vk_fail(err, st, "%s: %s", name, msg);
  st = kiln_vk_check_device(desc, dev, msg, sizeof msg);
  if (st != KILN_OK) {
    kiln_vk_dev_release(dev);
    return kiln_vk_fail(err, st, "%s: %s", name, msg);
  }
  kiln_vk_model *model = NULL;
  st = kiln_vk_build(desc, dev, &model, msg, sizeof msg);
  if (st != KILN_OK) /* kiln_vk_build released dev */
    return kiln_vk_fail(err, st, "%s: %s", name, msg);
  *out_model = model;
  return KILN_OK;
}

/* Outputs that overlap an input or each other would make the copies' order
 * matter; refused as the CPU runtime does. */
static int kiln_vk_overlap(const void *a, uint64_t a_size, const void *b, uint64_t b_size) {
  uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  return x < y + b_size && y < x + a_size;
}

kiln_status kiln_vk_model_run(kiln_vk_model *model, const void *const *inputs,
                              void *const *outputs) {
  if (!model)
    return kiln_vk_fail(kiln_vk_thread_error, KILN_INVALID_ARGUMENT,
                        "kiln_vk_model_run: model is NULL");
  if (atomic_exchange(&model->busy, 1))
    return kiln_vk_fail(kiln_vk_thread_error, KILN_CONTEXT_BUSY,
                        "%s: run while another thread runs the same model", model->name);
  char *err = model->error;
  err[0] = 0;
  kiln_status st = KILN_OK;
  if (model->lost)
    st = kiln_vk_fail(err, KILN_VK_DEVICE_LOST, "%s: the device was lost; destroy the model",
                      model->name);
  else if ((model->num_inputs && !inputs) || (model->num_outputs && !outputs))
    st = kiln_vk_fail(err, KILN_INVALID_ARGUMENT, "%s: %s is NULL", model->name,
                      model->num_inputs && !inputs ? "inputs" : "outputs");
  for (uint32_t i = 0; st == KILN_OK && i < model->num_inputs; ++i)
    if (!inputs[i])
      st = kiln_vk_fail(err, KILN_INVALID_ARGUMENT, "%s: input %u \"%s\" is NULL", model->name, i,
                        model->inputs[i].name);
  for (uint32_t o = 0; st == KILN_OK && o < model->num_outputs; ++o) {
    const kiln_vk_staged *out = &model->outputs[o];
    if (!outputs[o]) {
      st = kiln_vk_fail(err, KILN_INVALID_ARGUMENT, "%s: output %u \"%s\" is NULL", model->name, o,
                        out->name);
      break;
    }
    for (uint32_t i = 0; st == KILN_OK && i < model->num_inputs; ++i)
      if (kiln_vk_overlap(outputs[o], out->size, inputs[i], model->inputs[i].size))
        st = kiln_vk_fail(err, KILN_INVALID_ARGUMENT, "%s: output \"%s\" overlaps input \"%s\"",
                          model->name, out->name, model->inputs[i].name);
    for (uint32_t p = 0; st == KILN_OK && p < o; ++p)
      if (kiln_vk_overlap(outputs[o], out->size, outputs[p], model->outputs[p].size))
        st = kiln_vk_fail(err, KILN_INVALID_ARGUMENT, "%s: output \"%s\" overlaps output \"%s\"",
                          model->name, out->name, model->outputs[p].name);
  }
  if (st == KILN_OK) {
    VkResult r = kiln_vk_execute(model, inputs, outputs);
    if (r != VK_SUCCESS) {
      st = kiln_vk_status_of(r);
      if (st == KILN_VK_NO_VULKAN)
        st = KILN_VK_ERROR;
      if (st == KILN_VK_DEVICE_LOST)
        model->lost = 1;
      kiln_vk_fail(err, st, "%s: running on %s failed (%s)", model->name,
                   model->dev->props.deviceName, kiln_vk_result_name(r));
    }
  }
  atomic_store(&model->busy, 0);
  return st;
}

void kiln_vk_model_destroy(kiln_vk_model *model) {
  if (model)
    kiln_vk_teardown(model);
}

const char *kiln_vk_last_error(const kiln_vk_model *model) {
  return model ? model->error : kiln_vk_thread_error;
}

const char *kiln_vk_model_device_name(const kiln_vk_model *model) {
  return model ? model->dev->props.deviceName : "";
}

const char *kiln_vk_model_driver_version(const kiln_vk_model *model) {
  return model ? model->dev->version : "";
}
