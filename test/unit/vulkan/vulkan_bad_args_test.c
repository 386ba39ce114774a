/*===- vulkan_bad_args_test.c - hostile arguments get a status ----------===*
 *
 * Every public function with NULLs, wrong sizes, misaligned or out-of-range
 * offsets, modules that do not match their description: a status and a
 * message naming what is wrong, never a crash, and no model made.
 *===----------------------------------------------------------------------===*/
#include <string.h>

#include "vk_test_util.h"

/* create with `m` must fail with `want` and a message containing `text`. */
static void expect_create(const test_model *m, const kiln_vk_device *dev, kiln_status want,
                          const char *text, int line) {
  kiln_vk_model *model = (kiln_vk_model *)m; /* must come back NULL */
  kiln_status st = kiln_vk_model_create(&m->desc, dev, &model);
  const char *msg = kiln_vk_last_error(NULL);
  CHECK(st == want && model == NULL && strstr(msg, text),
        "line %d: status %d (%s), want %d, message \"%s\" should contain \"%s\"", line, (int)st,
        kiln_vk_status_string(st), (int)want, msg, text);
}
#define EXPECT_CREATE(m, dev, want, text) expect_create(m, dev, want, text, __LINE__)

void test_bad_arguments(void) {
  test_model m;
  kiln_vk_model *model = NULL;
  test_model_init(&m, TEST_N);
  CHECK(kiln_vk_model_create(NULL, NULL, &model) == KILN_INVALID_ARGUMENT, "NULL desc");
  CHECK(strstr(kiln_vk_last_error(NULL), "desc is NULL"), "%s", kiln_vk_last_error(NULL));
  CHECK(kiln_vk_model_create(&m.desc, NULL, NULL) == KILN_INVALID_ARGUMENT, "NULL out");
  CHECK(kiln_vk_model_run(NULL, NULL, NULL) == KILN_INVALID_ARGUMENT, "NULL model");
  kiln_vk_model_destroy(NULL);
  CHECK(strcmp(kiln_vk_model_device_name(NULL), "") == 0, "device name of NULL");
  CHECK(strcmp(kiln_vk_model_driver_version(NULL), "") == 0, "driver version of NULL");
  CHECK(strcmp(kiln_vk_status_string(KILN_VK_DEVICE_LOST), "Vulkan device lost") == 0, "name");
  CHECK(strcmp(kiln_vk_status_string((kiln_status)99), "unknown status") == 0, "unknown");

  /* The description, one fault at a time. */
#define WITH(stmt, want, text)                                                                     \
  do {                                                                                             \
    test_model_init(&m, TEST_N);                                                                   \
    stmt;                                                                                          \
    EXPECT_CREATE(&m, NULL, want, text);                                                           \
  } while (0)
  WITH(m.desc.num_kernels = 0, KILN_INVALID_ARGUMENT, "no kernels");
  WITH(m.desc.kernels = NULL, KILN_INVALID_ARGUMENT, "kernels is NULL");
  WITH(m.desc.arena_size = 0, KILN_INVALID_ARGUMENT, "arena_size is 0");
  WITH(m.desc.weights = NULL, KILN_INVALID_ARGUMENT, "weights is NULL");
  WITH(m.desc.features = 1u << 7, KILN_INVALID_ARGUMENT, "unknown feature bits 0x80");
  WITH(m.kernels[1].code = NULL, KILN_INVALID_ARGUMENT, "kernel 1: code is NULL");
  WITH(m.kernels[1].code_size = 6, KILN_INVALID_ARGUMENT, "kernel 1: code_size");
  WITH(m.kernels[2].code = (const uint32_t *)m.weights, KILN_INVALID_ARGUMENT,
       "kernel 2: code is not SPIR-V");
  /* 6 words: the header and half of OpCapability. */
  WITH(m.kernels[0].code_size = 24, KILN_INVALID_ARGUMENT, "kernel 0: malformed SPIR-V");
  WITH(m.kernels[0].entry = "main", KILN_INVALID_ARGUMENT, "no GLCompute entry point \"main\"");
  WITH(m.kernels[0].entry = NULL, KILN_INVALID_ARGUMENT, "entry point \"main\"");
  WITH(m.kernels[1].num_bindings = 3, KILN_INVALID_ARGUMENT,
       "kernel 1: the module uses binding 3 but the kernel describes 3 bindings");
  WITH(m.kernels[1].bindings = NULL, KILN_INVALID_ARGUMENT,
       "kernel 1: 4 bindings but bindings is NULL");
  WITH(m.kernels[0].groups[1] = 0, KILN_INVALID_ARGUMENT, "kernel 0: a workgroup count is 0");
  WITH(m.bindings[0][2].region = 7, KILN_INVALID_ARGUMENT, "kernel 0 binding 2: unknown region 7");
  WITH(m.bindings[0][1].offset = 100, KILN_INVALID_ARGUMENT,
       "kernel 0 binding 1: weights bytes [100, +4000) are not aligned");
  WITH(m.bindings[2][3].size = 0, KILN_INVALID_ARGUMENT, "kernel 2 binding 3: arena bytes");
  WITH(m.bindings[2][3].offset = 5 * 4096, KILN_INVALID_ARGUMENT, "are outside the region");
  WITH(m.bindings[1][1].offset = UINT64_MAX - 255, KILN_INVALID_ARGUMENT, "outside the region");
  WITH(m.desc.weights_size = 0, KILN_INVALID_ARGUMENT, "weights bytes [0, +4000) are outside");
  WITH(m.desc.inputs = NULL, KILN_INVALID_ARGUMENT, "2 inputs but the inputs array is NULL");
  WITH(m.inputs[1].offset = 128, KILN_INVALID_ARGUMENT,
       "input 1 \"y\": bytes [128, +4000) are not aligned");
  WITH(m.outputs[0].size = 1 << 20, KILN_INVALID_ARGUMENT, "output 0 \"o1\"");
  WITH(m.outputs[1].size = 0, KILN_INVALID_ARGUMENT, "are empty");
  WITH(m.kernels[0].groups[0] = 1u << 31, KILN_VK_UNSUPPORTED, "workgroups along x, over");
  WITH(m.desc.arena_size = 1ull << 50, KILN_VK_OUT_OF_DEVICE_MEMORY,
       "the arena buffer's 1125899906842624 bytes exceed");
#undef WITH

  /* An application device that is not one. */
  test_model_init(&m, TEST_N);
  kiln_vk_device none = {0};
  EXPECT_CREATE(&m, &none, KILN_INVALID_ARGUMENT, "the application device has a null instance");

  /* run's arguments, on a good model. */
  CHECK(kiln_vk_model_create(&m.desc, NULL, &model) == KILN_OK, "%s", kiln_vk_last_error(NULL));
  if (!model)
    return;
  static float x[TEST_N], y[TEST_N], o1[TEST_N], o2[TEST_N];
  const void *in[2] = {x, y}, *in_null[2] = {x, NULL};
  void *out[2] = {o1, o2}, *out_null[2] = {NULL, o2}, *out_same[2] = {o1, o1 + 10},
       *out_on_input[2] = {o1, y};
  struct {
    const void *const *in;
    void *const *out;
    const char *text;
  } cases[] = {{NULL, out, "inputs is NULL"},
               {in, NULL, "outputs is NULL"},
               {in_null, out, "input 1 \"y\" is NULL"},
               {in, out_null, "output 0 \"o1\" is NULL"},
               {in, out_same, "output \"o2\" overlaps output \"o1\""},
               {in, out_on_input, "output \"o2\" overlaps input \"y\""}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    kiln_status st = kiln_vk_model_run(model, cases[i].in, cases[i].out);
    CHECK(st == KILN_INVALID_ARGUMENT && strstr(kiln_vk_last_error(model), cases[i].text),
          "run case %zu: status %d, \"%s\"", i, (int)st, kiln_vk_last_error(model));
  }
  /* Still usable after refusals. */
  test_model_check_run(model, &m, TEST_N, 9);
  CHECK(strcmp(kiln_vk_last_error(model), "") == 0, "error not cleared by a good run");
  kiln_vk_model_destroy(model);
}
