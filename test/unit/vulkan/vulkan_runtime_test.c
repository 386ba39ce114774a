/*===- vulkan_runtime_test.c - libkiln_runtime_vulkan on a real driver ---===*
 *
 * Runs on whatever Vulkan driver the loader finds (lavapipe in CI; any
 * other with VK_ICD_FILENAMES). Modes (argv[2]):
 *   all        every test below (the default)
 *   no-loader  expects create to fail with KILN_VK_NO_VULKAN (run with
 *              KILN_VK_LOADER pointing nowhere, or KILN_VK_DEVICE matching
 *              nothing)
 *   bench      dispatch overhead: median of 1000 runs of a one-dispatch,
 *              64-element model
 * argv[1] is the folder of the assembled kernels (fma.spv, fma16.spv). Exit
 * status 0 when every check passed.
 *===----------------------------------------------------------------------===*/
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vk_model.h" /* internal: to see that two models share a VkDevice */
#include "vk_test_util.h"

void test_app_device(void);                                /* vulkan_app_device_test.c */
void test_no_allocation(void);                             /* vulkan_app_device_test.c */
void test_missing_feature(void);                           /* vulkan_app_device_test.c */
void test_device_lost(void);                               /* vulkan_app_device_test.c */
void test_bad_arguments(void);                             /* vulkan_bad_args_test.c */
void test_fp16_storage(const uint32_t *code, size_t size); /* vulkan_fp16_test.c */
void test_half_conversions(void);                          /* vulkan_fp16_test.c */

static void test_chain(void) {
  test_model m;
  test_model_init(&m, TEST_N);
  kiln_vk_model *model = NULL;
  kiln_status st = kiln_vk_model_create(&m.desc, NULL, &model);
  CHECK(st == KILN_OK, "create: %s", kiln_vk_last_error(NULL));
  if (st != KILN_OK)
    return;
  printf("device: %s\n", kiln_vk_model_device_name(model));
  /* The driver's and Vulkan's versions, as kiln-tune records them. */
  unsigned v[6];
  const char *version = kiln_vk_model_driver_version(model);
  CHECK(sscanf(version, "driver %u.%u.%u, Vulkan %u.%u.%u", &v[0], &v[1], &v[2], &v[3], &v[4],
               &v[5]) == 6 &&
            v[3] == 1,
        "driver version '%s'", version);
  for (int seed = 0; seed < 3; ++seed)
    test_model_check_run(model, &m, TEST_N, seed);
  /* The description is not needed after create. */
  memset(&m.desc, 0, sizeof m.desc);
  test_model m2;
  test_model_init(&m2, TEST_N);
  test_model_check_run(model, &m2, TEST_N, 7);
  kiln_vk_model_destroy(model);
}

static void test_shared_device(void) {
  test_model m;
  test_model_init(&m, TEST_N);
  kiln_vk_model *a = NULL, *b = NULL;
  CHECK(kiln_vk_model_create(&m.desc, NULL, &a) == KILN_OK, "%s", kiln_vk_last_error(NULL));
  CHECK(kiln_vk_model_create(&m.desc, NULL, &b) == KILN_OK, "%s", kiln_vk_last_error(NULL));
  if (!a || !b) {
    kiln_vk_model_destroy(a);
    kiln_vk_model_destroy(b);
    return;
  }
  CHECK(a->dev == b->dev && a->dev->device == b->dev->device && a->dev->refs == 2,
        "two models do not share one VkDevice");
  test_model_check_run(a, &m, TEST_N, 1);
  test_model_check_run(b, &m, TEST_N, 2);
  kiln_vk_model_destroy(a);
  CHECK(b->dev->refs == 1, "refs %d after destroying one of two", b->dev->refs);
  test_model_check_run(b, &m, TEST_N, 3); /* the device outlives the first model */
  kiln_vk_model_destroy(b);
  /* The last model took the device with it; the next create makes another. */
  CHECK(kiln_vk_model_create(&m.desc, NULL, &a) == KILN_OK, "%s", kiln_vk_last_error(NULL));
  if (a)
    test_model_check_run(a, &m, TEST_N, 4);
  kiln_vk_model_destroy(a);
}

/* Two models run from two threads at once, 50 runs each, on one queue. */
typedef struct {
  kiln_vk_model *model;
  const test_model *m;
  int ok;
} thread_arg;

static void *run_many(void *p) {
  thread_arg *arg = p;
  arg->ok = 1;
  for (int i = 0; i < 50 && arg->ok; ++i)
    arg->ok = test_model_check_run(arg->model, arg->m, TEST_N, i);
  return NULL;
}

static void test_threads(void) {
  test_model m;
  test_model_init(&m, TEST_N);
  kiln_vk_model *a = NULL, *b = NULL;
  kiln_vk_model_create(&m.desc, NULL, &a);
  kiln_vk_model_create(&m.desc, NULL, &b);
  CHECK(a && b, "%s", kiln_vk_last_error(NULL));
  if (a && b) {
    thread_arg ta = {a, &m, 0}, tb = {b, &m, 0};
    pthread_t t1, t2;
    pthread_create(&t1, NULL, run_many, &ta);
    pthread_create(&t2, NULL, run_many, &tb);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    CHECK(ta.ok && tb.ok, "concurrent runs of two models");
    /* A run while the model runs elsewhere is refused (simulated: the
     * flag is what a concurrent run sets). */
    atomic_store(&a->busy, 1);
    const void *in[2] = {m.weights, m.weights};
    float o1[TEST_N], o2[TEST_N];
    void *out[2] = {o1, o2};
    CHECK(kiln_vk_model_run(a, in, out) == KILN_CONTEXT_BUSY, "busy model ran");
    CHECK(strstr(kiln_vk_last_error(NULL), "another thread"), "%s", kiln_vk_last_error(NULL));
    atomic_store(&a->busy, 0);
  }
  kiln_vk_model_destroy(a);
  kiln_vk_model_destroy(b);
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void bench(void) {
  test_model m;
  test_model_init(&m, 64);
  m.desc.num_kernels = 1;
  m.desc.num_outputs = 1;
  m.outputs[0].offset = m.bindings[0][3].offset; /* t */
  kiln_vk_model *model = NULL;
  if (kiln_vk_model_create(&m.desc, NULL, &model) != KILN_OK) {
    CHECK(0, "create: %s", kiln_vk_last_error(NULL));
    return;
  }
  float x[64] = {0}, y[64] = {0}, t[64];
  const void *in[2] = {x, y};
  void *out[1] = {t};
  enum { RUNS = 1000 };
  static double us[RUNS];
  for (int i = 0; i < 20; ++i)
    kiln_vk_model_run(model, in, out);
  for (int i = 0; i < RUNS; ++i) {
    double start = now_us();
    kiln_status st = kiln_vk_model_run(model, in, out);
    us[i] = now_us() - start;
    CHECK(st == KILN_OK, "%s", kiln_vk_last_error(model));
  }
  qsort(us, RUNS, sizeof us[0], compare_double);
  printf("%s: one 64-element dispatch, 2 inputs and 1 output of 256 bytes: median %.1f us, "
         "p10 %.1f us, p90 %.1f us over %d runs\n",
         kiln_vk_model_device_name(model), us[RUNS / 2], us[RUNS / 10], us[RUNS * 9 / 10], RUNS);
  /* The driver's floor on the same device: an empty command buffer
   * submitted and waited for. */
  kiln_vk_dev *dev = model->dev;
  const kiln_vk_fns *vk = &dev->fns;
  VkCommandPoolCreateInfo pool_info = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                       .queueFamilyIndex = dev->queue_family};
  VkCommandPool pool;
  vk->vkCreateCommandPool(dev->device, &pool_info, NULL, &pool);
  VkCommandBufferAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
  VkCommandBuffer cb;
  vk->vkAllocateCommandBuffers(dev->device, &alloc, &cb);
  VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  vk->vkBeginCommandBuffer(cb, &begin);
  vk->vkEndCommandBuffer(cb);
  VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence;
  vk->vkCreateFence(dev->device, &fence_info, NULL, &fence);
  VkSubmitInfo submit = {
      .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cb};
  for (int i = 0; i < RUNS; ++i) {
    double start = now_us();
    vk->vkResetFences(dev->device, 1, &fence);
    vk->vkQueueSubmit(dev->queue, 1, &submit, fence);
    vk->vkWaitForFences(dev->device, 1, &fence, VK_TRUE, UINT64_MAX);
    us[i] = now_us() - start;
  }
  qsort(us, RUNS, sizeof us[0], compare_double);
  printf("%s: an empty command buffer submitted and waited for: median %.1f us\n",
         kiln_vk_model_device_name(model), us[RUNS / 2]);
  vk->vkDestroyFence(dev->device, fence, NULL);
  vk->vkDestroyCommandPool(dev->device, pool, NULL);
  kiln_vk_model_destroy(model);
}

int main(int argc, char **argv) {
  static uint32_t fma[1024], fma16[1024];
  char path[4096];
  snprintf(path, sizeof path, "%s/fma.spv", argc > 1 ? argv[1] : ".");
  g_fma_size = load_spv(path, fma, sizeof fma);
  g_fma_code = fma;
  snprintf(path, sizeof path, "%s/fma16.spv", argc > 1 ? argv[1] : ".");
  size_t fma16_size = load_spv(path, fma16, sizeof fma16);
  if (argc < 2 || g_fma_size < 20 || fma16_size < 20) {
    fprintf(stderr, "usage: %s KERNEL_DIR [all|no-loader|bench] (fma.spv, fma16.spv)\n", argv[0]);
    return 2;
  }
  const char *mode = argc > 2 ? argv[2] : "all";
  if (strcmp(mode, "no-loader") == 0) {
    test_model m;
    test_model_init(&m, TEST_N);
    kiln_vk_model *model = (kiln_vk_model *)&m; /* must be reset to NULL */
    kiln_status st = kiln_vk_model_create(&m.desc, NULL, &model);
    printf("create: %s: %s\n", kiln_vk_status_string(st), kiln_vk_last_error(NULL));
    CHECK(st == KILN_VK_NO_VULKAN && model == NULL, "status %d", (int)st);
    CHECK(strstr(kiln_vk_last_error(NULL), "fma3: "), "message does not name the model");
  } else if (strcmp(mode, "bench") == 0) {
    bench();
  } else {
    test_chain();
    test_shared_device();
    test_threads();
    test_app_device();
    test_no_allocation();
    test_missing_feature();
    test_device_lost();
    test_bad_arguments();
    test_fp16_storage(fma16, fma16_size);
    test_half_conversions();
  }
  printf("%s: %d failure%s\n", mode, g_failures, g_failures == 1 ? "" : "s");
  return g_failures ? 1 : 0;
}
