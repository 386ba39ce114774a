/*===- kiln_runtime_vulkan.h - the Vulkan host of SPIR-V models ----*- C -*-===*
 *
 * What a model compiled by `kilnc --target=spirv` calls to run on a Vulkan
 * device: libkiln_runtime_vulkan.a, C11, linked once per program however
 * many models it holds. The generated NAME.c describes its model as static
 * data (a kiln_vk_model_desc) and wraps the three calls below in
 * NAME_create / NAME_run / NAME_destroy; applications normally use those.
 *
 * The model's memory on the device is two buffers:
 * - KILN_VK_WEIGHTS: every weight, uploaded once by create;
 * - KILN_VK_ARENA: activations, inputs and outputs at offsets planned at
 *   compile time (multiples of KILN_VK_ALIGNMENT).
 * Each kernel is one SPIR-V compute module whose descriptor set 0 has one
 * storage buffer per binding, binding i a range of one of the two buffers.
 * No push constants, no uniforms: shapes are static.
 *
 * create does all the work: shader modules, pipelines, descriptor sets,
 * buffers, one command buffer recorded once (inputs staging -> arena, the
 * dispatches with barriers between them, outputs arena -> staging) and one
 * fence. run copies the inputs into mapped staging memory, submits that
 * command buffer, waits, copies the outputs out: it creates no Vulkan object
 * and allocates nothing.
 *
 * Device: by default the runtime picks one itself (the first discrete GPU,
 * then integrated, virtual, CPU; KILN_VK_DEVICE=<index or name substring>
 * overrides) and shares it: every model of the process created without an
 * application device uses one VkDevice, reference counted, destroyed with the
 * last model. An application that already uses Vulkan passes its own device
 * (kiln_vk_device) instead. The Vulkan loader is opened at the first create
 * (dlopen of libvulkan.so.1, or $KILN_VK_LOADER): a machine without one gets
 * KILN_VK_NO_VULKAN, not a failure to start.
 *
 * Conventions as in kiln_runtime.h: every fallible function returns a
 * kiln_status, outputs through out_ parameters, every argument checked (NULL
 * pointers, sizes, ranges, alignment) with a status and a message instead of
 * a crash. Vulkan 1.0 core only unless the description asks for more
 * (features below).
 *
 * Threads: any function may be called from any thread. One model runs one
 * inference at a time (a second concurrent run gets KILN_CONTEXT_BUSY);
 * different models run concurrently, their submissions to a shared queue
 * serialised by the runtime.
 *===----------------------------------------------------------------------===*/
#ifndef KILN_RUNTIME_VULKAN_H
#define KILN_RUNTIME_VULKAN_H

#include <stddef.h>
#include <stdint.h>

#include <vulkan/vulkan.h>

#include "kiln_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Statuses beyond kiln_runtime.h's (which this runtime also returns:
 * KILN_OK, KILN_INVALID_ARGUMENT, KILN_OUT_OF_MEMORY for host memory,
 * KILN_CONTEXT_BUSY). Values kiln_status does not name, hence macros;
 * kiln_vk_status_string names every status either header defines. */
#define KILN_VK_NO_VULKAN ((kiln_status)16)            /* no loader, or no device with compute */
#define KILN_VK_DEVICE_LOST ((kiln_status)17)          /* the device was lost (model unusable) */
#define KILN_VK_OUT_OF_DEVICE_MEMORY ((kiln_status)18) /* a device allocation failed */
#define KILN_VK_UNSUPPORTED ((kiln_status)19)          /* the model needs what the device lacks */
#define KILN_VK_ERROR ((kiln_status)20)                /* any other Vulkan failure (message says) */

/* A static, human-readable name for any status ("device lost"). */
const char *kiln_vk_status_string(kiln_status status);

/* Every binding offset and input/output offset is a multiple of this: the
 * largest minStorageBufferOffsetAlignment Vulkan allows. */
#define KILN_VK_ALIGNMENT 256

/* Which buffer a binding is a range of. */
typedef enum kiln_vk_region {
  KILN_VK_WEIGHTS = 0,
  KILN_VK_ARENA = 1,
} kiln_vk_region;

/* Descriptor binding i of a kernel's set 0 (a storage buffer). */
typedef struct kiln_vk_binding {
  uint32_t region; /* a kiln_vk_region */
  uint64_t offset; /* bytes into the region, a multiple of KILN_VK_ALIGNMENT */
  uint64_t size;   /* bytes, > 0; offset + size within the region */
} kiln_vk_binding;

/* One dispatch: a SPIR-V compute module and how to run it. */
typedef struct kiln_vk_kernel {
  const uint32_t *code; /* SPIR-V words (4-byte aligned) */
  size_t code_size;     /* bytes, a multiple of 4 */
  const char *entry;    /* entry point; NULL means "main" */
  uint32_t groups[3];   /* vkCmdDispatch's workgroup counts, each >= 1 */
  uint32_t num_bindings;
  const kiln_vk_binding *bindings;
} kiln_vk_kernel;

/* How an input or output is stored on the device (kiln_vk_io.format). */
#define KILN_VK_IO_BYTES 0u /* the caller's bytes, copied as they are */
#define KILN_VK_IO_F32_AS_F16                                                                      \
  1u /* the caller's float32 values, float16 on the device                                         \
        (kilnc --fp16-storage): run converts them */

/* A model input or output: a range of the arena. */
typedef struct kiln_vk_io {
  const char *name;
  uint64_t offset; /* a multiple of KILN_VK_ALIGNMENT */
  uint64_t size;   /* the caller's bytes, > 0 (a multiple of 4 for F32_AS_F16, whose
                      arena range is then size / 2 bytes) */
  uint32_t format; /* KILN_VK_IO_* */
} kiln_vk_io;

/* Optional device features a model may need (kiln_vk_model_desc.features).
 * create checks each against the device and refuses with
 * KILN_VK_UNSUPPORTED and a message naming the one missing. */
#define KILN_VK_FEATURE_VULKAN_1_1 (1u << 0)    /* instance and device at Vulkan 1.1 */
#define KILN_VK_FEATURE_STORAGE_16BIT (1u << 1) /* storageBuffer16BitAccess */
#define KILN_VK_FEATURE_FLOAT16 (1u << 2)       /* shaderFloat16 arithmetic */
#define KILN_VK_FEATURE_SUBGROUP (1u << 3)      /* 1.1 subgroup basic+arithmetic in compute */
#define KILN_VK_FEATURE_INT64 (1u << 4)         /* shaderInt64 (Vulkan 1.0 optional feature) */
#define KILN_VK_FEATURE_FLOAT64 (1u << 5)       /* shaderFloat64 (Vulkan 1.0 optional feature) */

/* The static description of a model (the generated NAME.c's data). create
 * copies what it needs: the description may go away after create. */
typedef struct kiln_vk_model_desc {
  const char *name; /* for messages */
  uint32_t num_kernels;
  const kiln_vk_kernel *kernels; /* in dispatch order */
  const void *weights;           /* may be NULL when weights_size is 0 */
  uint64_t weights_size;
  uint64_t arena_size; /* > 0 */
  uint32_t num_inputs;
  const kiln_vk_io *inputs;
  uint32_t num_outputs;
  const kiln_vk_io *outputs;
  uint32_t features; /* KILN_VK_FEATURE_* bits, 0 for Vulkan 1.0 core */
} kiln_vk_model_desc;

/* A device the application owns and shares. The application keeps all of it
 * alive until every model created on it is destroyed. Modules that declare
 * their buffers in the StorageBuffer storage class (kilnc's do) need
 * VK_KHR_storage_buffer_storage_class enabled on a Vulkan 1.0 device; it is
 * core from 1.1. */
typedef struct kiln_vk_device {
  VkInstance instance;
  VkPhysicalDevice physical_device;
  VkDevice device;
  uint32_t queue_family; /* a family with VK_QUEUE_COMPUTE_BIT */
  VkQueue queue;         /* a queue of that family */
  /* What the application enabled on `device` (KILN_VK_FEATURE_* bits, plus
   * the API version it created the instance with): create trusts this for
   * what it cannot query. */
  uint32_t enabled_features;
  uint32_t api_version; /* VK_API_VERSION_1_0 if 0 */
  /* Used for every object the runtime creates on this device; may be NULL. */
  const VkAllocationCallbacks *allocator;
  /* Vulkan requires submissions to one queue to be serialised. If the
   * application submits to `queue` from other threads while models run, it
   * gives a lock here (called around each of run's vkQueueSubmit); NULL:
   * the application does not. */
  void (*lock_queue)(void *user);
  void (*unlock_queue)(void *user);
  void *lock_user;
} kiln_vk_device;

/* A model on a device, ready to run. Opaque. */
typedef struct kiln_vk_model kiln_vk_model;

/* Creates the model: picks or takes the device, checks the description and
 * the features, builds everything run needs and uploads the weights.
 * `app_device` NULL: the shared device (created on first use). On failure
 * *out_model is NULL and kiln_vk_last_error(NULL) says why. */
kiln_status kiln_vk_model_create(const kiln_vk_model_desc *desc, const kiln_vk_device *app_device,
                                 kiln_vk_model **out_model);

/* Runs one inference. inputs[i] points to desc.inputs[i].size bytes,
 * outputs[i] to desc.outputs[i].size writable bytes (in the description's
 * order; none may be NULL). Blocks until the device is done. After
 * KILN_VK_DEVICE_LOST the model only refuses runs: destroy it. */
kiln_status kiln_vk_model_run(kiln_vk_model *model, const void *const *inputs,
                              void *const *outputs);

/* Waits for the device and frees everything create made; releases the shared
 * device with the last model. NULL is a no-op. Not while the model runs. */
void kiln_vk_model_destroy(kiln_vk_model *model);

/* The last error message of `model` ("" if none), or with NULL the last one
 * of a call on this thread that had no model to keep it (a failed create, a
 * NULL model). Valid until the next call on the same model or thread. */
const char *kiln_vk_last_error(const kiln_vk_model *model);

/* The name of the device a model runs on (VkPhysicalDeviceProperties'),
 * "" for NULL. */
const char *kiln_vk_model_device_name(const kiln_vk_model *model);

/* Its driver's version and the Vulkan version the device supports
 * (VkPhysicalDeviceProperties' driverVersion, as the driver packs it, and
 * apiVersion: lavapipe's "driver 0.0.1, Vulkan 1.3.230"), "" for NULL.
 * kiln-tune records it with the name (the tuning database's
 * device_version). */
const char *kiln_vk_model_driver_version(const kiln_vk_model *model);

#ifdef __cplusplus
}
#endif

#endif /* KILN_RUNTIME_VULKAN_H */
