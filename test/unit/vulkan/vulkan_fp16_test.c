/*===- vulkan_fp16_test.c - a kernel that needs 16-bit storage ----------===*
 *
 * fma16.spv declares StorageBuffer16BitAccess: on a device whose create
 * enabled the feature it runs and gives exact results (inputs and results
 * are multiples of 1/4, exact in f16); where the device lacks it, create
 * refuses. Either way the path taken is printed.
 *===----------------------------------------------------------------------===*/
#include <string.h>

#include "vk_test_util.h"

/* f32 <-> f16 bits, for the normal and zero values this test uses. */
static uint16_t to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
  if ((x & 0x7fffffff) == 0)
    return sign;
  uint32_t exponent = ((x >> 23) & 0xff) - 127 + 15;
  return (uint16_t)(sign | (exponent << 10) | ((x >> 13) & 0x3ff));
}

void test_fp16_storage(const uint32_t *code, size_t size) {
  enum { N = 300 };
  uint16_t weights[512];
  for (int i = 0; i < N; ++i)
    weights[i] = to_half((float)(i % 5) - 2.0f);
  /* Arena: a at 0, c at 1024, d at 2048. */
  const kiln_vk_binding bindings[4] = {{KILN_VK_ARENA, 0, N * 2},
                                       {KILN_VK_WEIGHTS, 0, N * 2},
                                       {KILN_VK_ARENA, 1024, N * 2},
                                       {KILN_VK_ARENA, 2048, N * 2}};
  const kiln_vk_kernel kernel = {.code = code,
                                 .code_size = size,
                                 .entry = "fma16",
                                 .groups = {(N + 63) / 64, 1, 1},
                                 .num_bindings = 4,
                                 .bindings = bindings};
  const kiln_vk_io inputs[2] = {{"a", 0, N * 2}, {"c", 1024, N * 2}},
                   outputs[1] = {{"d", 2048, N * 2}};
  const kiln_vk_model_desc desc = {.name = "fma16",
                                   .num_kernels = 1,
                                   .kernels = &kernel,
                                   .weights = weights,
                                   .weights_size = sizeof weights,
                                   .arena_size = 3072,
                                   .num_inputs = 2,
                                   .inputs = inputs,
                                   .num_outputs = 1,
                                   .outputs = outputs,
                                   .features =
                                       KILN_VK_FEATURE_VULKAN_1_1 | KILN_VK_FEATURE_STORAGE_16BIT};
  kiln_vk_model *model = NULL;
  kiln_status st = kiln_vk_model_create(&desc, NULL, &model);
  if (st == KILN_VK_UNSUPPORTED) {
    printf("16-bit storage: refused as expected where missing: %s\n", kiln_vk_last_error(NULL));
    return;
  }
  CHECK(st == KILN_OK, "create: %s", kiln_vk_last_error(NULL));
  if (!model)
    return;
  uint16_t a[N], c[N], d[N], want[N];
  for (int i = 0; i < N; ++i) {
    float fa = (float)(i % 8) * 0.25f - 1.0f, fb = (float)(i % 5) - 2.0f,
          fc = (float)(i % 3) * 0.5f;
    a[i] = to_half(fa);
    c[i] = to_half(fc);
    want[i] = to_half(fa * fb + fc);
  }
  const void *in[2] = {a, c};
  void *out[1] = {d};
  CHECK(kiln_vk_model_run(model, in, out) == KILN_OK, "%s", kiln_vk_last_error(model));
  int bad = 0;
  for (int i = 0; i < N; ++i)
    bad += d[i] != want[i];
  CHECK(bad == 0, "%d of %d f16 results differ (first: 0x%04x vs 0x%04x)", bad, N, d[0], want[0]);
  printf("16-bit storage: %d f16 results exact on %s\n", N - bad, kiln_vk_model_device_name(model));
  kiln_vk_model_destroy(model);
}
