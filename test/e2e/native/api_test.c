/* api_test.c: the generated C API's contract on a real model (compiled with
 * --name=apimodel). Every public function, of NAME.h and kiln_runtime.h, is
 * given hostile arguments: each must return a status and a message (never
 * crash) and touch no output. Then: caller-provided arenas work, and results
 * do not depend on who owns the arena. Exit 0 when every check holds; each
 * failure is printed. */
#include "apimodel.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "api_test:%d: check failed: %s\n", __LINE__, #cond);                         \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

/* `status` is `want` and `message` contains `text`. */
#define CHECK_FAILS(status, want, message, text)                                                   \
  do {                                                                                             \
    kiln_status got_ = (status);                                                                   \
    const char *message_ = (message);                                                              \
    if (got_ != (want) || !message_ || !strstr(message_, text)) {                                  \
      fprintf(stderr, "api_test:%d: expected %s with \"%s\", got %s: \"%s\"\n", __LINE__,          \
              kiln_status_string(want), text, kiln_status_string(got_),                            \
              message_ ? message_ : "(NULL)");                                                     \
      ++failures;                                                                                  \
    }                                                                                              \
  } while (0)

enum { NI = APIMODEL_INPUT_COUNT, NO = APIMODEL_OUTPUT_COUNT };
static const void *in[NI];
static size_t in_sizes[NI];
static void *out[NO];
static size_t out_sizes[NO];

/* Fills every output with 0xAB; untouched() says whether they still hold it.
 * By the buffers' real sizes: out_sizes may be made hostile (found by ASan). */
static void poison(void) {
  for (int i = 0; i < NO; ++i)
    memset(out[i], 0xAB, apimodel_outputs[i].bytes);
}
static int untouched(void) {
  for (int i = 0; i < NO; ++i)
    for (size_t k = 0; k < apimodel_outputs[i].bytes; ++k)
      if (((unsigned char *)out[i])[k] != 0xAB)
        return 0;
  return 1;
}

/* run() with one argument made hostile must fail with `text` in the
 * context's message and leave the outputs alone. */
static void refused(apimodel_context *ctx, int line, const char *text) {
  poison();
  kiln_status st = apimodel_run(ctx, in, in_sizes, out, out_sizes);
  const char *message = apimodel_last_error(ctx);
  if (st != KILN_INVALID_ARGUMENT || !strstr(message, text) || !untouched()) {
    fprintf(stderr, "api_test:%d: run: expected invalid argument with \"%s\", got %s: \"%s\"%s\n",
            line, text, kiln_status_string(st), message, untouched() ? "" : " (output touched)");
    ++failures;
  }
}

static void test_create(void) {
  apimodel_options options;
  apimodel_context *ctx = (apimodel_context *)&options; /* not NULL: create must clear it */

  apimodel_options_initialize(NULL); /* harmless */
  CHECK_FAILS(apimodel_create(NULL, NULL), KILN_INVALID_ARGUMENT, apimodel_last_error(NULL),
              "out_context is NULL");
  apimodel_options_initialize(&options);
  CHECK_FAILS(apimodel_create(&options, NULL), KILN_INVALID_ARGUMENT, apimodel_last_error(NULL),
              "out_context is NULL");

  int bad_threads[] = {-1, INT_MIN, KILN_MAX_THREADS + 1, INT_MAX};
  for (int i = 0; i < 4; ++i) {
    options.num_threads = bad_threads[i];
    CHECK_FAILS(apimodel_create(&options, &ctx), KILN_INVALID_ARGUMENT, apimodel_last_error(NULL),
                "options.num_threads is");
    CHECK(ctx == NULL);
  }
  options.num_threads = 0;

  unsigned char *arena = aligned_alloc(64, (APIMODEL_ARENA_SIZE + 127) / 64 * 64);
  options.arena = arena;
  options.arena_size = APIMODEL_ARENA_SIZE - 1;
  CHECK_FAILS(apimodel_create(&options, &ctx), KILN_ARENA_TOO_SMALL, apimodel_last_error(NULL),
              "options.arena_size is");
  options.arena_size = 0;
  CHECK_FAILS(apimodel_create(&options, &ctx), KILN_ARENA_TOO_SMALL, apimodel_last_error(NULL),
              "the model needs");
  options.arena = arena + 8;
  options.arena_size = APIMODEL_ARENA_SIZE;
  CHECK_FAILS(apimodel_create(&options, &ctx), KILN_INVALID_ARGUMENT, apimodel_last_error(NULL),
              "not 64-byte aligned");
  CHECK(ctx == NULL);

  /* A good create clears the thread's message. */
  CHECK(apimodel_create(NULL, &ctx) == KILN_OK && ctx != NULL);
  CHECK(strcmp(apimodel_last_error(NULL), "") == 0);
  apimodel_destroy(ctx);
  free(arena);
}

static void test_run(apimodel_context *ctx) {
  /* No context. */
  poison();
  CHECK_FAILS(apimodel_run(NULL, in, in_sizes, out, out_sizes), KILN_INVALID_ARGUMENT,
              apimodel_last_error(NULL), "the context is NULL");
  CHECK(untouched());

  /* NULL arrays, each named. */
  const char *names[] = {"inputs is NULL", "input_sizes is NULL", "outputs is NULL",
                         "output_sizes is NULL"};
  for (int which = 0; which < 4; ++which) {
    poison();
    kiln_status st = apimodel_run(ctx, which == 0 ? NULL : in, which == 1 ? NULL : in_sizes,
                                  which == 2 ? NULL : out, which == 3 ? NULL : out_sizes);
    CHECK_FAILS(st, KILN_INVALID_ARGUMENT, apimodel_last_error(ctx), names[which]);
    CHECK(untouched());
  }

  /* Each input and output: NULL, then sizes off by one element, zero and
   * absurd. The message names the tensor. */
  size_t bad_sizes[] = {0, 4, SIZE_MAX};
  for (int i = 0; i < NI; ++i) {
    char text[256];
    const void *saved = in[i];
    in[i] = NULL;
    snprintf(text, sizeof text, "input %d ('%s') is NULL", i, apimodel_inputs[i].name);
    refused(ctx, __LINE__, text);
    in[i] = saved;
    snprintf(text, sizeof text, "input %d ('%s') has the wrong size", i, apimodel_inputs[i].name);
    in_sizes[i] -= 4;
    refused(ctx, __LINE__, text);
    in_sizes[i] += 8;
    refused(ctx, __LINE__, text);
    in_sizes[i] -= 4;
    for (int k = 0; k < 3; ++k) {
      size_t good = in_sizes[i];
      in_sizes[i] = bad_sizes[k];
      refused(ctx, __LINE__, text);
      in_sizes[i] = good;
    }
  }
  for (int i = 0; i < NO; ++i) {
    char text[256];
    void *saved = out[i];
    snprintf(text, sizeof text, "output %d ('%s') is NULL", i, apimodel_outputs[i].name);
    poison();
    out[i] = NULL;
    kiln_status st = apimodel_run(ctx, in, in_sizes, out, out_sizes);
    out[i] = saved;
    CHECK_FAILS(st, KILN_INVALID_ARGUMENT, apimodel_last_error(ctx), text);
    CHECK(untouched());
    snprintf(text, sizeof text, "output %d ('%s') has the wrong size", i, apimodel_outputs[i].name);
    out_sizes[i] += 4;
    refused(ctx, __LINE__, text);
    out_sizes[i] -= 4;
  }

  /* Outputs that overlap an input or each other. */
  {
    void *saved = out[0];
    unsigned char *input_copy = malloc(in_sizes[0] + out_sizes[0]);
    const void *saved_in = in[0];
    memcpy(input_copy, in[0], in_sizes[0]);
    in[0] = input_copy;
    out[0] = input_copy + in_sizes[0] - 4; /* its first bytes are the input's last */
    refused(ctx, __LINE__, "output 0");
    CHECK(strstr(apimodel_last_error(ctx), "overlaps input 0") != NULL);
    out[0] = saved;
    in[0] = saved_in;
    free(input_copy);
    if (NO > 1) {
      void *saved1 = out[1];
      unsigned char *both = malloc(out_sizes[0] + out_sizes[1]);
      out[0] = both;
      out[1] = both + 4;
      refused(ctx, __LINE__, "output 1");
      CHECK(strstr(apimodel_last_error(ctx), "overlaps output 0") != NULL);
      out[0] = saved;
      out[1] = saved1;
      free(both);
    }
  }

  /* A good call after bad ones works and clears the error. */
  CHECK(apimodel_run(ctx, in, in_sizes, out, out_sizes) == KILN_OK);
  CHECK(strcmp(apimodel_last_error(ctx), "") == 0);
}

static void test_runtime(void) {
  for (int s = KILN_OK; s <= KILN_INVALID_WEIGHTS; ++s)
    CHECK(strcmp(kiln_status_string((kiln_status)s), "unknown status") != 0);
  CHECK(strcmp(kiln_status_string(KILN_INVALID_ARGUMENT), "invalid argument") == 0);
  CHECK(strcmp(kiln_status_string(KILN_CONTEXT_BUSY), "context busy") == 0);
  CHECK(strcmp(kiln_status_string((kiln_status)-1), "unknown status") == 0);
  CHECK(strcmp(kiln_status_string((kiln_status)1000), "unknown status") == 0);
  CHECK(strcmp(kiln_dtype_name(apimodel_inputs[0].dtype), "f32") == 0);
  CHECK(strcmp(kiln_dtype_name((kiln_dtype)-1), "?") == 0);
  CHECK(strcmp(kiln_dtype_name((kiln_dtype)99), "?") == 0);

  CHECK(kiln_set_num_threads(-1) == KILN_INVALID_ARGUMENT);
  CHECK(kiln_set_num_threads(KILN_MAX_THREADS + 1) == KILN_INVALID_ARGUMENT);
  CHECK(kiln_set_num_threads(INT_MIN) == KILN_INVALID_ARGUMENT);
  CHECK(kiln_set_num_threads(0) == KILN_OK);

  size_t sizes[] = {1024};
  CHECK(kiln_reserve_scratch(NULL, 1, NULL, 0, 0) == KILN_INVALID_ARGUMENT);
  CHECK(kiln_reserve_scratch(NULL, 0, NULL, 1, 0) == KILN_INVALID_ARGUMENT);
  CHECK(kiln_reserve_scratch(sizes, -1, NULL, 0, 0) == KILN_INVALID_ARGUMENT);
  CHECK(kiln_reserve_scratch(sizes, 1, sizes, INT_MIN, 0) == KILN_INVALID_ARGUMENT);
  CHECK(kiln_reserve_scratch(sizes, 1, NULL, 0, -1) == KILN_INVALID_ARGUMENT);
  CHECK(kiln_reserve_scratch(sizes, 1, NULL, 0, INT_MAX) == KILN_INVALID_ARGUMENT);
  CHECK(kiln_reserve_scratch(NULL, 0, NULL, 0, 0) == KILN_OK);
  CHECK(kiln_reserve_scratch(sizes, 1, sizes, 1, 1) == KILN_OK);

  kiln_install_halide_hooks();
  kiln_install_halide_hooks(); /* again: harmless */
  CHECK(kiln_kernel_error_message() != NULL);
  CHECK(apimodel_last_error(NULL) != NULL);
  apimodel_destroy(NULL);
}

int main(void) {
  for (int i = 0; i < NI; ++i) {
    in_sizes[i] = apimodel_inputs[i].bytes;
    float *data = malloc(in_sizes[i]);
    for (size_t k = 0; k < in_sizes[i] / sizeof(float); ++k)
      data[k] = (float)((k * 7919) % 255) / 127.5f - 1.0f;
    in[i] = data;
  }
  void *out2[NO];
  for (int i = 0; i < NO; ++i) {
    out_sizes[i] = apimodel_outputs[i].bytes;
    out[i] = malloc(out_sizes[i]);
    out2[i] = malloc(out_sizes[i]);
  }
  CHECK(apimodel_inputs[0].rank >= 1 && apimodel_inputs[0].bytes == in_sizes[0]);

  test_create();
  apimodel_context *ctx = NULL;
  CHECK(apimodel_create(NULL, &ctx) == KILN_OK && ctx != NULL);
  test_run(ctx);
  test_runtime();

  /* A caller-provided arena gives bit-identical results. */
  apimodel_options options;
  apimodel_options_initialize(&options);
  unsigned char *arena = aligned_alloc(64, (APIMODEL_ARENA_SIZE + 127) / 64 * 64);
  apimodel_context *ctx2 = NULL;
  options.arena = arena;
  options.arena_size = APIMODEL_ARENA_SIZE;
  CHECK(apimodel_create(&options, &ctx2) == KILN_OK);
  CHECK(apimodel_run(ctx, in, in_sizes, out, out_sizes) == KILN_OK);
  CHECK(apimodel_run(ctx2, in, in_sizes, out2, out_sizes) == KILN_OK);
  for (int i = 0; i < NO; ++i)
    CHECK(memcmp(out[i], out2[i], out_sizes[i]) == 0);

  apimodel_destroy(ctx2);
  apimodel_destroy(ctx);
  free(arena);
  /* Everything freed, so that LeakSanitizer's report is the model's own. */
  for (int i = 0; i < NI; ++i)
    free((void *)in[i]);
  for (int i = 0; i < NO; ++i) {
    free(out[i]);
    free(out2[i]);
  }
  if (failures == 0)
    printf("api_test: all checks passed\n");
  return failures ? 1 : 0;
}
