/* two_models.c: two Kiln-compiled models (BlazeFace front as bf_front, back
 * as bf_back) linked into one program with one libkiln_runtime.a. Runs both
 * on the inputs in <front-in> and <back-in>, writes their outputs to
 * <front-out> and <back-out> (one .bin per output, raw).
 *
 *   two_models <front-in> <front-out> <back-in> <back-out>
 */
#include "bf_back.h"
#include "bf_front.h"

#include <stdio.h>
#include <stdlib.h>

static void *load(const char *dir, const char *name, size_t bytes) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.bin", dir, name);
  FILE *f = fopen(path, "rb");
  void *data = malloc(bytes);
  if (!f || fread(data, 1, bytes, f) != bytes) {
    fprintf(stderr, "two_models: cannot read %zu bytes from %s\n", bytes, path);
    exit(1);
  }
  fclose(f);
  return data;
}

static void save(const char *dir, const char *name, const void *data, size_t bytes) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s.bin", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, bytes, f) != bytes) {
    fprintf(stderr, "two_models: cannot write %s\n", path);
    exit(1);
  }
  fclose(f);
}

#define RUN_MODEL(m, M, in_dir, out_dir)                                                           \
  do {                                                                                             \
    const void *in[M##_INPUT_COUNT];                                                               \
    size_t in_sizes[M##_INPUT_COUNT], out_sizes[M##_OUTPUT_COUNT];                                 \
    void *out[M##_OUTPUT_COUNT];                                                                   \
    for (int i = 0; i < M##_INPUT_COUNT; ++i) {                                                    \
      in_sizes[i] = m##_inputs[i].bytes;                                                           \
      in[i] = load(in_dir, m##_inputs[i].name, in_sizes[i]);                                       \
    }                                                                                              \
    for (int i = 0; i < M##_OUTPUT_COUNT; ++i) {                                                   \
      out_sizes[i] = m##_outputs[i].bytes;                                                         \
      out[i] = malloc(out_sizes[i]);                                                               \
    }                                                                                              \
    m##_context *ctx;                                                                              \
    if (m##_create(NULL, &ctx) != KILN_OK ||                                                       \
        m##_run(ctx, in, in_sizes, out, out_sizes) != KILN_OK) {                                   \
      fprintf(stderr, "two_models: %s failed\n", #m);                                              \
      return 1;                                                                                    \
    }                                                                                              \
    for (int i = 0; i < M##_OUTPUT_COUNT; ++i)                                                     \
      save(out_dir, m##_outputs[i].name, out[i], out_sizes[i]);                                    \
    m##_destroy(ctx);                                                                              \
  } while (0)

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s <front-in> <front-out> <back-in> <back-out>\n", argv[0]);
    return 2;
  }
  /* Interleaved, so each model's state survives the other's runs. */
  RUN_MODEL(bf_front, BF_FRONT, argv[1], argv[2]);
  RUN_MODEL(bf_back, BF_BACK, argv[3], argv[4]);
  RUN_MODEL(bf_front, BF_FRONT, argv[1], argv[2]);
  printf("two_models: bf_front and bf_back ran in one program\n");
  return 0;
}
