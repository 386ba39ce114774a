/* api_test.c: the generated C API's contract on a real model (compiled with
 * --name=apimodel): bad arguments are refused with a status and a message and
 * touch no output, caller-provided arenas work, results do not depend on who
 * owns the arena. Exit 0 when every check holds; each failure is printed. */
#include "apimodel.h"

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

int main(void) {
  enum { NI = APIMODEL_INPUT_COUNT, NO = APIMODEL_OUTPUT_COUNT };
  const void *in[NI];
  size_t in_sizes[NI];
  void *out[NO], *out2[NO];
  size_t out_sizes[NO];
  for (int i = 0; i < NI; ++i) {
    in_sizes[i] = apimodel_inputs[i].bytes;
    float *data = malloc(in_sizes[i]);
    for (size_t k = 0; k < in_sizes[i] / sizeof(float); ++k)
      data[k] = (float)((k * 7919) % 255) / 127.5f - 1.0f;
    in[i] = data;
  }
  for (int i = 0; i < NO; ++i) {
    out_sizes[i] = apimodel_outputs[i].bytes;
    out[i] = malloc(out_sizes[i]);
    out2[i] = malloc(out_sizes[i]);
  }

  CHECK(apimodel_create(NULL, NULL) == KILN_INVALID_ARGUMENT);
  apimodel_context *ctx = NULL;
  CHECK(apimodel_create(NULL, &ctx) == KILN_OK && ctx != NULL);
  CHECK(apimodel_run(NULL, in, in_sizes, out, out_sizes) == KILN_INVALID_ARGUMENT);
  CHECK(apimodel_run(ctx, NULL, in_sizes, out, out_sizes) == KILN_INVALID_ARGUMENT);

  /* A wrong size is refused and leaves the outputs as they were. */
  memset(out[0], 0xAB, out_sizes[0]);
  in_sizes[0] -= 4;
  CHECK(apimodel_run(ctx, in, in_sizes, out, out_sizes) == KILN_INVALID_ARGUMENT);
  CHECK(strstr(apimodel_last_error(ctx), "wrong size") != NULL);
  CHECK(((unsigned char *)out[0])[0] == 0xAB && ((unsigned char *)out[0])[out_sizes[0] - 1] == 0xAB);
  in_sizes[0] += 4;
  out_sizes[NO - 1] += 4;
  CHECK(apimodel_run(ctx, in, in_sizes, out, out_sizes) == KILN_INVALID_ARGUMENT);
  out_sizes[NO - 1] -= 4;
  const void *saved = in[0];
  in[0] = NULL;
  CHECK(apimodel_run(ctx, in, in_sizes, out, out_sizes) == KILN_INVALID_ARGUMENT);
  CHECK(strstr(apimodel_last_error(ctx), "NULL") != NULL);
  in[0] = saved;

  /* A good call after bad ones works and clears the error. */
  CHECK(apimodel_run(ctx, in, in_sizes, out, out_sizes) == KILN_OK);
  CHECK(strcmp(apimodel_last_error(ctx), "") == 0);

  /* Caller-provided arenas: too small or misaligned are refused; a good one
   * gives bit-identical results. */
  apimodel_options options;
  apimodel_options_initialize(&options);
  unsigned char *arena = aligned_alloc(64, (APIMODEL_ARENA_SIZE + 127) / 64 * 64);
  apimodel_context *ctx2 = NULL;
  options.arena = arena;
  options.arena_size = APIMODEL_ARENA_SIZE - 1;
  CHECK(apimodel_create(&options, &ctx2) == KILN_ARENA_TOO_SMALL && ctx2 == NULL);
  options.arena = arena + 8;
  options.arena_size = APIMODEL_ARENA_SIZE;
  CHECK(apimodel_create(&options, &ctx2) == KILN_INVALID_ARGUMENT);
  options.arena = arena;
  CHECK(apimodel_create(&options, &ctx2) == KILN_OK);
  CHECK(apimodel_run(ctx2, in, in_sizes, out2, out_sizes) == KILN_OK);
  for (int i = 0; i < NO; ++i)
    CHECK(memcmp(out[i], out2[i], out_sizes[i]) == 0);

  CHECK(strcmp(kiln_status_string(KILN_INVALID_ARGUMENT), "invalid argument") == 0);
  CHECK(strcmp(kiln_dtype_name(apimodel_inputs[0].dtype), "f32") == 0);
  CHECK(apimodel_inputs[0].rank >= 1 && apimodel_inputs[0].bytes == in_sizes[0]);

  apimodel_destroy(ctx2);
  apimodel_destroy(ctx);
  apimodel_destroy(NULL);
  free(arena);
  if (failures == 0)
    printf("api_test: all checks passed\n");
  return failures ? 1 : 0;
}
