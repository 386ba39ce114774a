/*===- vk_test_util.c - shared pieces of the Vulkan runtime tests --------===*/
#include "vk_test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int g_failures;
const uint32_t *g_fma_code;
size_t g_fma_size;

size_t load_spv(const char *path, uint32_t *words, size_t capacity) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return 0;
  size_t size = fread(words, 1, capacity, f);
  fclose(f);
  return size;
}

/* Arena layout (bytes): x 0, y 4096, t 8192, o1 12288, o2 16384; all
 * 256-aligned, each 4000 bytes of data for n = 1000. */
enum { SLOT = 4096 };

void test_model_init(test_model *m, uint32_t n) {
  memset(m, 0, sizeof *m);
  for (uint32_t i = 0; i < 1024; ++i) {
    m->weights[i] = 0.5f + (float)(i % 7) * 0.25f;
    m->weights[1024 + i] = -1.0f + (float)(i % 5) * 0.125f;
  }
  const uint64_t bytes = (uint64_t)n * 4;
  const kiln_vk_binding x = {KILN_VK_ARENA, 0 * SLOT, bytes}, y = {KILN_VK_ARENA, 1 * SLOT, bytes},
                        t = {KILN_VK_ARENA, 2 * SLOT, bytes}, o1 = {KILN_VK_ARENA, 3 * SLOT, bytes},
                        o2 = {KILN_VK_ARENA, 4 * SLOT, bytes}, w = {KILN_VK_WEIGHTS, 0, bytes},
                        w2 = {KILN_VK_WEIGHTS, SLOT, bytes};
  const kiln_vk_binding b[3][4] = {{x, w, y, t}, {t, w2, x, o1}, {t, t, y, o2}};
  memcpy(m->bindings, b, sizeof b);
  for (int k = 0; k < 3; ++k)
    m->kernels[k] = (kiln_vk_kernel){.code = g_fma_code,
                                     .code_size = g_fma_size,
                                     .entry = "fma",
                                     .groups = {(n + 63) / 64, 1, 1},
                                     .num_bindings = 4,
                                     .bindings = m->bindings[k]};
  m->inputs[0] = (kiln_vk_io){"x", x.offset, bytes, KILN_VK_IO_BYTES};
  m->inputs[1] = (kiln_vk_io){"y", y.offset, bytes, KILN_VK_IO_BYTES};
  m->outputs[0] = (kiln_vk_io){"o1", o1.offset, bytes, KILN_VK_IO_BYTES};
  m->outputs[1] = (kiln_vk_io){"o2", o2.offset, bytes, KILN_VK_IO_BYTES};
  m->desc = (kiln_vk_model_desc){.name = "fma3",
                                 .num_kernels = 3,
                                 .kernels = m->kernels,
                                 .weights = m->weights,
                                 .weights_size = sizeof m->weights,
                                 .arena_size = 5 * SLOT,
                                 .num_inputs = 2,
                                 .inputs = m->inputs,
                                 .num_outputs = 2,
                                 .outputs = m->outputs};
}

void test_model_reference(const test_model *m, uint32_t n, const float *x, const float *y,
                          float *o1, float *o2) {
  for (uint32_t i = 0; i < n; ++i) {
    float t = x[i] * m->weights[i] + y[i];
    o1[i] = t * m->weights[1024 + i] + x[i];
    o2[i] = t * t + y[i];
  }
}

int test_model_check_run(kiln_vk_model *model, const test_model *m, uint32_t n, int seed) {
  float x[1024], y[1024], o1[1024], o2[1024], r1[1024], r2[1024]; /* per thread */
  for (uint32_t i = 0; i < n; ++i) {
    x[i] = (float)((i * 37 + (uint32_t)seed * 11) % 101) / 50.0f - 1.0f;
    y[i] = (float)((i * 13 + (uint32_t)seed * 7) % 89) / 30.0f - 1.5f;
  }
  memset(o1, 0xff, sizeof o1);
  memset(o2, 0xff, sizeof o2);
  const void *in[2] = {x, y};
  void *out[2] = {o1, o2};
  kiln_status st = kiln_vk_model_run(model, in, out);
  CHECK(st == KILN_OK, "run: %s", kiln_vk_last_error(model));
  if (st != KILN_OK)
    return 0;
  test_model_reference(m, n, x, y, r1, r2);
  /* The device may contract a*b+c into one fma: a few ulps apart at most. */
  int bad = 0;
  for (uint32_t i = 0; i < n; ++i)
    if (fabsf(o1[i] - r1[i]) > 1e-5f * (1 + fabsf(r1[i])) ||
        fabsf(o2[i] - r2[i]) > 1e-5f * (1 + fabsf(r2[i]))) {
      if (!bad)
        fprintf(stderr, "mismatch at %u: o1 %g vs %g, o2 %g vs %g\n", i, o1[i], r1[i], o2[i],
                r2[i]);
      ++bad;
    }
  CHECK(bad == 0, "%d of %u elements differ from the CPU reference", bad, n);
  return bad == 0;
}

/* The malloc counter, counting on the calling thread. Plain builds
 * interpose glibc's malloc and friends (the executable's definitions win)
 * and forward to glibc's own; under AddressSanitizer, which owns malloc,
 * its allocation hook counts instead (scripts/sanitize.sh runs this test). */
static _Thread_local int counting;
static _Thread_local long count;
static _Thread_local int pause_count;

void malloc_count_start(void) {
  count = 0;
  counting = 1;
}
void malloc_count_pause(int paused) { pause_count = paused; }
long malloc_count_stop(void) {
  counting = 0;
  return count;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define KILN_VK_TEST_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define KILN_VK_TEST_SANITIZER 1
#endif

#ifdef KILN_VK_TEST_SANITIZER
#include <sanitizer/allocator_interface.h>
static void on_malloc(const volatile void *p, size_t size) { count += counting && !pause_count; }
static void on_free(const volatile void *p) {}
__attribute__((constructor)) static void install_malloc_hook(void) {
  __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
void *malloc(size_t size) {
  count += counting && !pause_count;
  return __libc_malloc(size);
}
void *calloc(size_t n, size_t size) {
  count += counting && !pause_count;
  return __libc_calloc(n, size);
}
void *realloc(void *p, size_t size) {
  count += counting && !pause_count;
  return __libc_realloc(p, size);
}
void *memalign(size_t align, size_t size) {
  count += counting && !pause_count;
  return __libc_memalign(align, size);
}
void *aligned_alloc(size_t align, size_t size) {
  count += counting && !pause_count;
  return __libc_memalign(align, size);
}
int posix_memalign(void **out, size_t align, size_t size) {
  count += counting && !pause_count;
  void *p = __libc_memalign(align, size);
  if (!p)
    return 12; /* ENOMEM */
  *out = p;
  return 0;
}
#endif
