/* bounded_runner.c: runs test/e2e/bounded.test.mjs's model (CPU static
 * library, named "bounded") on two input sets in one context and prints each
 * output of data-dependent length (and Unique's static inverse_indices) as
 * its run-time shape and values, one line an output:
 * "<name> <d0>x<d1>... v0 v1 ...". It reads only what the header
 * promises: the output's count (int64), BOUNDED_OUTPUT_<Y>_BOUNDED_DIM, the
 * bound in bounded_outputs[], and the data packed at the buffer's start.
 *   bounded_runner <x0.bin> <c0.bin> <x1.bin> <c1.bin>
 * x: float32 [3, 4]; c: bool [4]. */
#include "bounded.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int read_file(const char *path, void *data, size_t bytes) {
  FILE *f = fopen(path, "rb");
  size_t got = f ? fread(data, 1, bytes, f) : 0;
  if (f)
    fclose(f);
  return got == bytes ? 0 : -1;
}

/* One output: its run-time shape (a bounded one's from its count; dim -1:
 * a static output, count_index unused), then the values. */
static void print_output(int index, int count_index, int dim, void *const *outputs) {
  const kiln_tensor_info *info = &bounded_outputs[index];
  int64_t count = dim < 0 ? 0 : *(const int64_t *)outputs[count_index], n = 1;
  int d;
  printf("%s ", info->name);
  for (d = 0; d < info->rank; ++d) {
    int64_t extent = d == dim ? count : info->shape[d];
    printf("%s%lld", d ? "x" : "", (long long)extent);
    n *= extent;
  }
  for (d = 0; d < n; ++d) {
    if (info->dtype == KILN_DTYPE_I64)
      printf(" %lld", (long long)((const int64_t *)outputs[index])[d]);
    else
      printf(" %.9g", (double)((const float *)outputs[index])[d]);
  }
  printf("\n");
}

int main(int argc, char **argv) {
  float x[12];
  unsigned char c[4];
  void *outputs[BOUNDED_OUTPUT_COUNT];
  size_t output_sizes[BOUNDED_OUTPUT_COUNT];
  const void *inputs[2] = {x, c};
  size_t input_sizes[2] = {sizeof x, sizeof c};
  bounded_context *ctx = NULL;
  int i, run;
  if (argc != 5) {
    fprintf(stderr, "usage: bounded_runner x0.bin c0.bin x1.bin c1.bin\n");
    return 2;
  }
  for (i = 0; i < BOUNDED_OUTPUT_COUNT; ++i) {
    output_sizes[i] = bounded_outputs[i].bytes;
    outputs[i] = malloc(output_sizes[i]);
  }
  if (bounded_create(NULL, &ctx) != KILN_OK) {
    fprintf(stderr, "create: %s\n", bounded_last_error(NULL));
    return 1;
  }
  for (run = 0; run < 2; ++run) {
    if (read_file(argv[1 + 2 * run], x, sizeof x) || read_file(argv[2 + 2 * run], c, sizeof c)) {
      fprintf(stderr, "cannot read the inputs of run %d\n", run);
      return 1;
    }
    if (bounded_run(ctx, inputs, input_sizes, outputs, output_sizes) != KILN_OK) {
      fprintf(stderr, "run: %s\n", bounded_last_error(ctx));
      return 1;
    }
    print_output(BOUNDED_OUTPUT_NZ, BOUNDED_OUTPUT_NZ_COUNT, BOUNDED_OUTPUT_NZ_BOUNDED_DIM,
                 outputs);
    print_output(BOUNDED_OUTPUT_Y, BOUNDED_OUTPUT_Y_COUNT, BOUNDED_OUTPUT_Y_BOUNDED_DIM, outputs);
    print_output(BOUNDED_OUTPUT_U, BOUNDED_OUTPUT_U_COUNT, BOUNDED_OUTPUT_U_BOUNDED_DIM, outputs);
    print_output(BOUNDED_OUTPUT_U_INDICES, BOUNDED_OUTPUT_U_INDICES_COUNT,
                 BOUNDED_OUTPUT_U_INDICES_BOUNDED_DIM, outputs);
    print_output(BOUNDED_OUTPUT_U_INVERSE, 0, -1, outputs);
    print_output(BOUNDED_OUTPUT_U_COUNTS, BOUNDED_OUTPUT_U_COUNTS_COUNT,
                 BOUNDED_OUTPUT_U_COUNTS_BOUNDED_DIM, outputs);
  }
  bounded_destroy(ctx);
  for (i = 0; i < BOUNDED_OUTPUT_COUNT; ++i)
    free(outputs[i]);
  return 0;
}
