/* weights_test.c: create's checks of external weights, on a model compiled
 * with --weights=external --name=ext.
 *
 *   weights_test <file>        create with the file's contents; prints
 *                              "create: <status>: <message>", then runs the
 *                              model once if create succeeded. Exit 0 when
 *                              create and run succeed, 1 when create fails.
 *   weights_test <file> --api  the checks that need no crafted file: NULL
 *                              and misaligned weights, a size that does not
 *                              match the buffer. Exit 0 when all hold.
 *
 * test/e2e/runtime.test.mjs crafts the files: truncated, another model's,
 * another build's, corrupt, not a weights file at all. */
#include "ext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "weights_test: cannot open %s\n", path);
    exit(2);
  }
  fseek(f, 0, SEEK_END);
  *size = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  /* Room for a misaligned copy at +8 (--api). */
  unsigned char *data = aligned_alloc(64, (*size + 64 + 63) / 64 * 64);
  if (fread(data, 1, *size, f) != *size) {
    fprintf(stderr, "weights_test: cannot read %s\n", path);
    exit(2);
  }
  fclose(f);
  return data;
}

static kiln_status create(const void *weights, size_t size, ext_context **ctx) {
  ext_options options;
  ext_options_initialize(&options);
  options.weights = weights;
  options.weights_size = size;
  return ext_create(&options, ctx);
}

static int failures;
static void expect(int line, kiln_status got, kiln_status want, const char *text) {
  const char *message = ext_last_error(NULL);
  if (got != want || !strstr(message, text)) {
    fprintf(stderr, "weights_test:%d: expected %s with \"%s\", got %s: \"%s\"\n", line,
            kiln_status_string(want), text, kiln_status_string(got), message);
    ++failures;
  }
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <ext.weights.bin> [--api]\n", argv[0]);
    return 2;
  }
  size_t size;
  unsigned char *data = read_file(argv[1], &size);
  ext_context *ctx = NULL;

  if (argc > 2 && !strcmp(argv[2], "--api")) {
    expect(__LINE__, create(NULL, size, &ctx), KILN_INVALID_ARGUMENT,
           "options.weights is NULL: pass the contents of ext.weights.bin");
    expect(__LINE__, create(NULL, 0, &ctx), KILN_INVALID_ARGUMENT, "options.weights is NULL");
    memmove(data + 8, data, size);
    expect(__LINE__, create(data + 8, size, &ctx), KILN_INVALID_ARGUMENT, "not 64-byte aligned");
    memmove(data, data + 8, size);
    expect(__LINE__, create(data, size - 1, &ctx), KILN_INVALID_WEIGHTS, "truncated");
    expect(__LINE__, create(data, 63, &ctx), KILN_INVALID_WEIGHTS, "not a Kiln weights file");
    expect(__LINE__, create(data, 0, &ctx), KILN_INVALID_WEIGHTS, "not a Kiln weights file");
    expect(__LINE__, create(data, 64, &ctx), KILN_INVALID_WEIGHTS, "truncated");
    expect(__LINE__, create(data, size + 64, &ctx), KILN_INVALID_WEIGHTS,
           "options.weights_size is 64 bytes more");
    if (ctx != NULL) {
      fprintf(stderr, "weights_test: a failed create left a context\n");
      ++failures;
    }
    if (create(data, size, &ctx) != KILN_OK) {
      fprintf(stderr, "weights_test: the good file was refused: %s\n", ext_last_error(NULL));
      ++failures;
    }
    ext_destroy(ctx);
    if (failures == 0)
      printf("weights_test: all checks passed\n");
    return failures ? 1 : 0;
  }

  kiln_status st = create(data, size, &ctx);
  printf("create: %s: %s\n", kiln_status_string(st), ext_last_error(NULL));
  if (st != KILN_OK)
    return 1;
  const void *in[EXT_INPUT_COUNT];
  size_t in_sizes[EXT_INPUT_COUNT], out_sizes[EXT_OUTPUT_COUNT];
  void *out[EXT_OUTPUT_COUNT];
  for (int i = 0; i < EXT_INPUT_COUNT; ++i) {
    in_sizes[i] = ext_inputs[i].bytes;
    in[i] = calloc(1, in_sizes[i]);
  }
  for (int i = 0; i < EXT_OUTPUT_COUNT; ++i) {
    out_sizes[i] = ext_outputs[i].bytes;
    out[i] = malloc(out_sizes[i]);
  }
  st = ext_run(ctx, in, in_sizes, out, out_sizes);
  printf("run: %s: %s\n", kiln_status_string(st), ext_last_error(ctx));
  ext_destroy(ctx);
  return st == KILN_OK ? 0 : 1;
}
