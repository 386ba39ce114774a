/*===- vulkan_app_device_test.c - an application's own VkDevice ----------===*
 *
 * The test plays an application that already uses Vulkan: its own
 * instance and device, made with allocation callbacks that count, handed
 * to the runtime. Checks results, that runs make no Vulkan allocation and
 * no malloc on the calling thread, the queue lock callbacks, and the
 * refusal of a feature the application did not enable.
 *===----------------------------------------------------------------------===*/
#include <malloc.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vk_model.h"
#include "vk_test_util.h"

static atomic_long vk_allocations;

static void *VKAPI_PTR count_alloc(void *user, size_t size, size_t align,
                                   VkSystemAllocationScope scope) {
  atomic_fetch_add(&vk_allocations, 1);
  void *p = NULL;
  return posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, size) ? NULL : p;
}
static void *VKAPI_PTR count_realloc(void *user, void *old, size_t size, size_t align,
                                     VkSystemAllocationScope scope) {
  atomic_fetch_add(&vk_allocations, 1);
  void *p = count_alloc(user, size, align, scope);
  if (p && old) {
    size_t old_size = malloc_usable_size(old);
    memcpy(p, old, old_size < size ? old_size : size);
    free(old);
  }
  return p;
}
static void VKAPI_PTR count_free(void *user, void *p) { free(p); }

static const VkAllocationCallbacks counting_allocator = {
    .pfnAllocation = count_alloc, .pfnReallocation = count_realloc, .pfnFree = count_free};

typedef struct app {
  VkInstance instance;
  VkPhysicalDevice physical;
  VkDevice device;
  kiln_vk_device shared;
} app;

static int locks, unlocks;
static void lock_queue(void *user) { locks += user == &locks; }
static void unlock_queue(void *user) { unlocks += user == &locks; }

/* An application's instance (1.0) and device with one compute queue. */
static int app_create(app *a) {
  memset(a, 0, sizeof *a);
  VkApplicationInfo info = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                            .apiVersion = VK_API_VERSION_1_0};
  VkInstanceCreateInfo ici = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                              .pApplicationInfo = &info};
  if (vkCreateInstance(&ici, &counting_allocator, &a->instance) != VK_SUCCESS)
    return -1;
  uint32_t count = 1;
  VkResult r = vkEnumeratePhysicalDevices(a->instance, &count, &a->physical);
  if ((r != VK_SUCCESS && r != VK_INCOMPLETE) || count == 0)
    return -1;
  uint32_t families = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(a->physical, &families, NULL);
  VkQueueFamilyProperties props[16];
  families = families > 16 ? 16 : families;
  vkGetPhysicalDeviceQueueFamilyProperties(a->physical, &families, props);
  uint32_t family = 0;
  while (family < families && !(props[family].queueFlags & VK_QUEUE_COMPUTE_BIT))
    ++family;
  if (family == families)
    return -1;
  float priority = 1;
  VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                 .queueFamilyIndex = family,
                                 .queueCount = 1,
                                 .pQueuePriorities = &priority};
  VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                            .queueCreateInfoCount = 1,
                            .pQueueCreateInfos = &qci};
  if (vkCreateDevice(a->physical, &dci, &counting_allocator, &a->device) != VK_SUCCESS)
    return -1;
  VkQueue queue;
  vkGetDeviceQueue(a->device, family, 0, &queue);
  a->shared = (kiln_vk_device){.instance = a->instance,
                               .physical_device = a->physical,
                               .device = a->device,
                               .queue_family = family,
                               .queue = queue,
                               .allocator = &counting_allocator};
  return 0;
}

static void app_destroy(app *a) {
  if (a->device)
    vkDestroyDevice(a->device, &counting_allocator);
  if (a->instance)
    vkDestroyInstance(a->instance, &counting_allocator);
}

void test_app_device(void) {
  app a;
  CHECK(app_create(&a) == 0, "the test's own Vulkan device");
  test_model m;
  test_model_init(&m, TEST_N);
  kiln_vk_model *model = NULL;
  long before = atomic_load(&vk_allocations);
  kiln_status st = kiln_vk_model_create(&m.desc, &a.shared, &model);
  CHECK(st == KILN_OK, "create on the app's device: %s", kiln_vk_last_error(NULL));
  if (model) {
    CHECK(model->dev->device == a.device && !model->dev->shared, "not the app's device");
    CHECK(atomic_load(&vk_allocations) > before, "create used not the app's allocator");
    for (int seed = 0; seed < 3; ++seed)
      test_model_check_run(model, &m, TEST_N, seed);
    kiln_vk_model_destroy(model);
  }
  /* The queue lock, when the app gives one, is taken around each submit. */
  a.shared.lock_queue = lock_queue;
  a.shared.unlock_queue = unlock_queue;
  a.shared.lock_user = &locks;
  locks = unlocks = 0;
  model = NULL;
  CHECK(kiln_vk_model_create(&m.desc, &a.shared, &model) == KILN_OK, "%s",
        kiln_vk_last_error(NULL));
  if (model) {
    int after_create = locks;
    test_model_check_run(model, &m, TEST_N, 5);
    CHECK(locks == after_create + 1 && unlocks == locks, "locks %d, unlocks %d", locks, unlocks);
    kiln_vk_model_destroy(model);
  }
  app_destroy(&a);
}

/* What the driver itself allocates per submission: an empty command buffer
 * submitted and waited for, 100 times, on the app's device. (Mesa's common
 * queue code allocates one struct per vkQueueSubmit, through the device's
 * allocator, on the calling thread.) */
static void driver_baseline(const app *a, long *vk, long *mallocs) {
  VkCommandPoolCreateInfo pool_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                       .queueFamilyIndex = a->shared.queue_family};
  VkCommandPool pool;
  vkCreateCommandPool(a->device, &pool_info, NULL, &pool);
  VkCommandBufferAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
  VkCommandBuffer cb;
  vkAllocateCommandBuffers(a->device, &alloc, &cb);
  VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  vkBeginCommandBuffer(cb, &begin);
  vkEndCommandBuffer(cb);
  VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence;
  vkCreateFence(a->device, &fence_info, NULL, &fence);
  VkSubmitInfo submit = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cb};
  long vk_before = atomic_load(&vk_allocations);
  malloc_count_start();
  for (int i = 0; i < 100; ++i) {
    vkResetFences(a->device, 1, &fence);
    vkQueueSubmit(a->shared.queue, 1, &submit, fence);
    vkWaitForFences(a->device, 1, &fence, VK_TRUE, UINT64_MAX);
  }
  *mallocs = malloc_count_stop();
  *vk = atomic_load(&vk_allocations) - vk_before;
  vkDestroyFence(a->device, fence, NULL);
  vkDestroyCommandPool(a->device, pool, NULL);
}

/* The Vulkan calls run makes, wrapped so that the malloc counter skips what
 * the driver (or a layer) allocates inside them: what is left is the
 * runtime's own. One device hooked at a time. */
static PFN_vkQueueSubmit real_submit;
static PFN_vkWaitForFences real_wait;
static PFN_vkResetFences real_reset;
static VkResult VKAPI_PTR paused_submit(VkQueue q, uint32_t n, const VkSubmitInfo *s, VkFence f) {
  malloc_count_pause(1);
  VkResult r = real_submit(q, n, s, f);
  malloc_count_pause(0);
  return r;
}
static VkResult VKAPI_PTR paused_wait(VkDevice d, uint32_t n, const VkFence *f, VkBool32 all,
                                      uint64_t timeout) {
  malloc_count_pause(1);
  VkResult r = real_wait(d, n, f, all, timeout);
  malloc_count_pause(0);
  return r;
}
static VkResult VKAPI_PTR paused_reset(VkDevice d, uint32_t n, const VkFence *f) {
  malloc_count_pause(1);
  VkResult r = real_reset(d, n, f);
  malloc_count_pause(0);
  return r;
}
static void hook(kiln_vk_dev *d, int on) {
  if (on) {
    real_submit = d->fns.vkQueueSubmit;
    real_wait = d->fns.vkWaitForFences;
    real_reset = d->fns.vkResetFences;
    d->fns.vkQueueSubmit = paused_submit;
    d->fns.vkWaitForFences = paused_wait;
    d->fns.vkResetFences = paused_reset;
  } else {
    d->fns.vkQueueSubmit = real_submit;
    d->fns.vkWaitForFences = real_wait;
    d->fns.vkResetFences = real_reset;
  }
}

/* 100 runs on each device: the runtime's own code mallocs nothing on the
 * calling thread (the driver's calls excluded), and the app's allocator
 * sees no more Vulkan allocations than 100 bare submissions make. */
void test_no_allocation(void) {
  app a;
  CHECK(app_create(&a) == 0, "the test's own Vulkan device");
  test_model m;
  test_model_init(&m, TEST_N);
  kiln_vk_model *model = NULL, *shared = NULL;
  CHECK(kiln_vk_model_create(&m.desc, &a.shared, &model) == KILN_OK, "%s",
        kiln_vk_last_error(NULL));
  CHECK(kiln_vk_model_create(&m.desc, NULL, &shared) == KILN_OK, "%s", kiln_vk_last_error(NULL));
  if (model && shared) {
    /* The counter itself counts (interposed malloc, or ASan's hook). */
    malloc_count_start();
    void *volatile probe = malloc(16);
    free(probe);
    CHECK(malloc_count_stop() == 1, "the malloc counter missed a malloc");
    long base_vk, base_mallocs;
    driver_baseline(&a, &base_vk, &base_mallocs);
    static float x[TEST_N], y[TEST_N], o1[TEST_N], o2[TEST_N];
    const void *in[2] = {x, y};
    void *out[2] = {o1, o2};
    kiln_vk_model_run(model, in, out); /* a first run may warm the driver */
    kiln_vk_model_run(shared, in, out);
    int ok = 1;
    long vk_before = atomic_load(&vk_allocations);
    hook(model->dev, 1);
    malloc_count_start();
    for (int i = 0; i < 100; ++i)
      ok &= kiln_vk_model_run(model, in, out) == KILN_OK;
    long app_mallocs = malloc_count_stop();
    hook(model->dev, 0);
    long app_vk = atomic_load(&vk_allocations) - vk_before;
    hook(shared->dev, 1);
    malloc_count_start();
    for (int i = 0; i < 100; ++i)
      ok &= kiln_vk_model_run(shared, in, out) == KILN_OK;
    long shared_mallocs = malloc_count_stop();
    hook(shared->dev, 0);
    CHECK(ok, "runs failed: %s", kiln_vk_last_error(model));
    CHECK(app_vk <= base_vk, "100 runs: %ld Vulkan allocations, 100 bare submits: %ld", app_vk,
          base_vk);
    CHECK(app_mallocs == 0 && shared_mallocs == 0,
          "100 runs: the runtime malloced %ld (app device) and %ld (shared) times", app_mallocs,
          shared_mallocs);
    printf("100 runs: %ld Vulkan allocations (the driver's, 100 bare submits: %ld), runtime "
           "mallocs %ld / %ld (app / shared device)\n",
           app_vk, base_vk, app_mallocs, shared_mallocs);
  }
  kiln_vk_model_destroy(model);
  kiln_vk_model_destroy(shared);
  app_destroy(&a);
}

/* A lost device (simulated: the fence wait completes, then reports
 * VK_ERROR_DEVICE_LOST as a driver would after a hang): run says so, the
 * model refuses later runs, destroy still works. */
static VkResult VKAPI_PTR lost_wait(VkDevice d, uint32_t n, const VkFence *f, VkBool32 all,
                                    uint64_t timeout) {
  real_wait(d, n, f, all, timeout);
  return VK_ERROR_DEVICE_LOST;
}

void test_device_lost(void) {
  app a;
  CHECK(app_create(&a) == 0, "the test's own Vulkan device");
  test_model m;
  test_model_init(&m, TEST_N);
  kiln_vk_model *model = NULL;
  CHECK(kiln_vk_model_create(&m.desc, &a.shared, &model) == KILN_OK, "%s",
        kiln_vk_last_error(NULL));
  if (model) {
    static float x[TEST_N], y[TEST_N], o1[TEST_N], o2[TEST_N];
    const void *in[2] = {x, y};
    void *out[2] = {o1, o2};
    real_wait = model->dev->fns.vkWaitForFences;
    model->dev->fns.vkWaitForFences = lost_wait;
    kiln_status st = kiln_vk_model_run(model, in, out);
    model->dev->fns.vkWaitForFences = real_wait;
    CHECK(st == KILN_VK_DEVICE_LOST && strstr(kiln_vk_last_error(model), "VK_ERROR_DEVICE_LOST"),
          "status %d: %s", (int)st, kiln_vk_last_error(model));
    st = kiln_vk_model_run(model, in, out);
    CHECK(st == KILN_VK_DEVICE_LOST && strstr(kiln_vk_last_error(model), "destroy the model"),
          "status %d: %s", (int)st, kiln_vk_last_error(model));
    kiln_vk_model_destroy(model);
  }
  app_destroy(&a);
}

void test_missing_feature(void) {
  static const uint32_t all[] = {KILN_VK_FEATURE_VULKAN_1_1, KILN_VK_FEATURE_STORAGE_16BIT,
                                 KILN_VK_FEATURE_FLOAT16,    KILN_VK_FEATURE_SUBGROUP,
                                 KILN_VK_FEATURE_INT64,      KILN_VK_FEATURE_FLOAT64};
  enum { NUM_FEATURES = sizeof all / sizeof all[0] };
  app a;
  CHECK(app_create(&a) == 0, "the test's own Vulkan device");
  test_model m;
  test_model_init(&m, TEST_N);
  /* The app made a 1.0 device with nothing enabled: every feature refused. */
  for (int i = 0; i < NUM_FEATURES; ++i) {
    m.desc.features = all[i];
    kiln_vk_model *model = (kiln_vk_model *)&m;
    kiln_status st = kiln_vk_model_create(&m.desc, &a.shared, &model);
    CHECK(st == KILN_VK_UNSUPPORTED && !model, "feature 0x%x: status %d", all[i], (int)st);
    CHECK(strstr(kiln_vk_last_error(NULL), "needs"), "%s", kiln_vk_last_error(NULL));
  }
  printf("refused on the app's 1.0 device: %s\n", kiln_vk_last_error(NULL));
  /* The shared device enables what the driver has: the model gets exactly
   * those. */
  kiln_vk_model *probe = NULL;
  m.desc.features = 0;
  if (kiln_vk_model_create(&m.desc, NULL, &probe) == KILN_OK) {
    uint32_t have = probe->dev->features;
    printf("%s offers:%s%s%s%s%s%s\n", kiln_vk_model_device_name(probe),
           have & all[0] ? " vulkan-1.1" : "", have & all[1] ? " 16-bit-storage" : "",
           have & all[2] ? " float16" : "", have & all[3] ? " subgroups" : "",
           have & all[4] ? " int64" : "", have & all[5] ? " float64" : "");
    for (int i = 0; i < NUM_FEATURES; ++i) {
      m.desc.features = all[i];
      kiln_vk_model *model = NULL;
      kiln_status st = kiln_vk_model_create(&m.desc, NULL, &model);
      CHECK((st == KILN_OK) == ((have & all[i]) != 0), "feature 0x%x: %s", all[i],
            kiln_vk_last_error(NULL));
      if (model)
        test_model_check_run(model, &m, TEST_N, i);
      kiln_vk_model_destroy(model);
    }
  }
  kiln_vk_model_destroy(probe);
  app_destroy(&a);
}
