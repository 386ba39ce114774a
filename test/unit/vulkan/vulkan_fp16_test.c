/*===- vulkan_fp16_test.c - a kernel that needs 16-bit storage ----------===*
 *
 * fma16.spv declares StorageBuffer16BitAccess: on a device whose create
 * enabled the feature it runs and gives exact results (inputs and results
 * are multiples of 1/4, exact in f16); where the device lacks it, create
 * refuses. Either way the path taken is printed. The same kernel again
 * with its inputs and output as KILN_VK_IO_F32_AS_F16 (what kilnc
 * --fp16-storage emits): the caller passes and gets float32, run converts.
 * And the runtime's conversions (vk_half.c) against the compiler's own
 * _Float16: every half, and floats around every rounding boundary.
 *===----------------------------------------------------------------------===*/
#include <math.h>
#include <string.h>

#include "vk_half.h"
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
  const kiln_vk_io inputs[2] = {{"a", 0, N * 2, KILN_VK_IO_BYTES},
                                {"c", 1024, N * 2, KILN_VK_IO_BYTES}},
                   outputs[1] = {{"d", 2048, N * 2, KILN_VK_IO_BYTES}};
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

  /* float32 at the API, float16 on the device. */
  const kiln_vk_io inputs32[2] = {{"a", 0, N * 4, KILN_VK_IO_F32_AS_F16},
                                  {"c", 1024, N * 4, KILN_VK_IO_F32_AS_F16}},
                   outputs32[1] = {{"d", 2048, N * 4, KILN_VK_IO_F32_AS_F16}};
  kiln_vk_model_desc desc32 = desc;
  desc32.inputs = inputs32;
  desc32.outputs = outputs32;
  CHECK(kiln_vk_model_create(&desc32, NULL, &model) == KILN_OK, "create (f32 io): %s",
        kiln_vk_last_error(NULL));
  if (!model)
    return;
  float a32[N], c32[N], d32[N];
  for (int i = 0; i < N; ++i) {
    a32[i] = kiln_vk_float_from_half(a[i]);
    c32[i] = kiln_vk_float_from_half(c[i]);
  }
  const void *in32[2] = {a32, c32};
  void *out32[1] = {d32};
  CHECK(kiln_vk_model_run(model, in32, out32) == KILN_OK, "%s", kiln_vk_last_error(model));
  bad = 0;
  for (int i = 0; i < N; ++i)
    bad += d32[i] != kiln_vk_float_from_half(want[i]);
  CHECK(bad == 0, "%d of %d results through float32 io differ", bad, N);
  kiln_vk_model_destroy(model);
  /* A float32 io whose size is not whole floats is refused. */
  kiln_vk_io odd = inputs32[0];
  odd.size = N * 4 - 2;
  desc32.inputs = &odd;
  desc32.num_inputs = 1;
  CHECK(kiln_vk_model_create(&desc32, NULL, &model) == KILN_INVALID_ARGUMENT &&
            strstr(kiln_vk_last_error(NULL), "not a multiple of 4"),
        "odd float32 io: %s", kiln_vk_last_error(NULL));
  printf("16-bit storage: float32 inputs and output converted by run, exact\n");
}

void test_half_conversions(void) {
#ifdef __FLT16_MAX__
  int bad = 0;
  for (uint32_t h = 0; h < 65536; ++h) {
    _Float16 ref;
    uint16_t bits = (uint16_t)h;
    memcpy(&ref, &bits, 2);
    float got = kiln_vk_float_from_half(bits), want = (float)ref;
    if (isnan(want) ? !isnan(got) : memcmp(&got, &want, 4) != 0)
      ++bad;
    if (isnan(want))
      continue;
    /* The half, the float halfway to its successor (a tie), and the
     * floats just either side of that tie, each rounded both ways. */
    float next = kiln_vk_float_from_half((uint16_t)(h + 1));
    if ((h & 0x7fff) < 0x7c00 && !isnan(next) && (h & 0x7fff) != 0x7bff) {
      float mid = (got + next) / 2,
            probes[4] = {got, mid, nextafterf(mid, got), nextafterf(mid, next)};
      for (int p = 0; p < 4; ++p) {
        _Float16 r = (_Float16)probes[p];
        uint16_t rb;
        memcpy(&rb, &r, 2);
        bad += kiln_vk_half_from_float(probes[p]) != rb;
      }
    }
  }
  const float edges[] = {65504.0f, 65519.0f, 65520.0f, 1e9f,   -1e9f,   INFINITY, -INFINITY,
                         0.0f,     -0.0f,    1e-8f,    -3e-8f, 2.9e-8f, 6.0e-8f,  6.1035e-5f};
  for (unsigned i = 0; i < sizeof edges / sizeof *edges; ++i) {
    _Float16 r = (_Float16)edges[i];
    uint16_t rb;
    memcpy(&rb, &r, 2);
    bad += kiln_vk_half_from_float(edges[i]) != rb;
  }
  CHECK(isnan(kiln_vk_float_from_half(kiln_vk_half_from_float(NAN))), "NaN does not stay NaN");
  CHECK(bad == 0, "%d half conversions differ from _Float16's", bad);
  printf("half conversions: every half and the rounding ties around each agree with _Float16\n");
#else
  printf("half conversions: this compiler has no _Float16 to check them against\n");
#endif
}
