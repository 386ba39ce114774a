/*===- vk_test_util.h - shared pieces of the Vulkan runtime tests -*- C -*-===*
 *
 * A CHECK macro that counts failures and names the line, the test model
 * (three chained fma dispatches through the arena, weights read, two inputs
 * and two outputs at 256-aligned offsets) with its CPU reference, and a
 * malloc counter for the calling thread.
 *===----------------------------------------------------------------------===*/
#ifndef KILN_VK_TEST_UTIL_H
#define KILN_VK_TEST_UTIL_H

#include <stdio.h>

#include "kiln_runtime_vulkan.h"

extern int g_failures;
#define CHECK(cond, ...)                                                                           \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      ++g_failures;                                                                                \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);                              \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fprintf(stderr, "\n");                                                                       \
    }                                                                                              \
  } while (0)

/* The fma module's words (loaded from the .spv the build assembled). */
extern const uint32_t *g_fma_code;
extern size_t g_fma_size;
/* Reads a .spv file into `words` (capacity in bytes); its size or 0. */
size_t load_spv(const char *path, uint32_t *words, size_t capacity);

/* Elements per tensor in the test model: not a multiple of the workgroup
 * size, so the bound check in the kernel matters. */
enum { TEST_N = 1000 };

/* The test model's description: storage the caller owns. */
typedef struct test_model {
  float weights[2 * 1024]; /* w at 0, w2 at 4096 bytes */
  kiln_vk_binding bindings[3][4];
  kiln_vk_kernel kernels[3];
  kiln_vk_io inputs[2], outputs[2];
  kiln_vk_model_desc desc;
} test_model;

/* x, y in; t = x*w + y; o1 = t*w2 + x; o2 = t*t + y out. `n` elements. */
void test_model_init(test_model *m, uint32_t n);
void test_model_reference(const test_model *m, uint32_t n, const float *x, const float *y,
                          float *o1, float *o2);
/* Runs once with inputs from `seed` and compares with the reference. */
int test_model_check_run(kiln_vk_model *model, const test_model *m, uint32_t n, int seed);

/* malloc, calloc, realloc and aligned allocations on this thread since the
 * counter was reset (the test binary interposes glibc's malloc). */
void malloc_count_start(void);
long malloc_count_stop(void);
/* While paused (inside the driver's calls), nothing is counted. */
void malloc_count_pause(int paused);

#endif /* KILN_VK_TEST_UTIL_H */
