/* spirv_runner.c: runs one model compiled by kilnc --target=spirv on raw
 * input files and writes raw output files, for test/e2e/spirv.test.mjs.
 *
 * Built per model with -DKILN_MODEL=<name> -DKILN_MODEL_UPPER=<NAME>
 * -D_GNU_SOURCE (clock_gettime; -include comes first) -include <name>.h, linked with
 * lib<name>.a and libkiln_runtime_vulkan.a:
 *   spirv_runner <inputs-dir> <outputs-dir> [--runs N] [--time]
 * Reads <inputs-dir>/<input name>.bin, writes <outputs-dir>/<output
 * name>.bin (names as test/e2e/tensor_dir.mjs writes them). --time prints
 * the median and the first run's time in ms, and the device's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNNER_NAME "spirv_runner"
#include "tensor_files.h"

#define KILN_CAT2(a, b) a##b
#define KILN_CAT(a, b) KILN_CAT2(a, b)
#define M(suffix) KILN_CAT(KILN_MODEL, suffix)
#define UP(suffix) KILN_CAT(KILN_MODEL_UPPER, suffix)

int main(int argc, char **argv) {
  int runs = 1, timing = 0;
  if (argc < 3) {
    fprintf(stderr, "usage: %s <inputs-dir> <outputs-dir> [--runs N] [--time]\n", argv[0]);
    return 2;
  }
  for (int i = 3; i < argc; ++i) {
    if (!strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--time"))
      timing = 1;
    else {
      fprintf(stderr, "spirv_runner: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  enum { IN = UP(_INPUT_COUNT), OUT = UP(_OUTPUT_COUNT) };
  const void *inputs[IN];
  size_t input_sizes[IN];
  void *outputs[OUT];
  size_t output_sizes[OUT];
  for (int i = 0; i < IN; ++i) {
    input_sizes[i] = M(_inputs)[i].bytes;
    inputs[i] = read_tensor(argv[1], M(_inputs)[i].name, input_sizes[i]);
  }
  for (int i = 0; i < OUT; ++i) {
    output_sizes[i] = M(_outputs)[i].bytes;
    outputs[i] = malloc(output_sizes[i] ? output_sizes[i] : 1);
  }
  M(_context) *ctx = 0;
  kiln_status status = M(_create)(0, &ctx);
  if (status != KILN_OK) {
    fprintf(stderr, "spirv_runner: create: %s\n", M(_last_error)(0));
    return 1;
  }
  double *times = malloc(sizeof(double) * (runs > 0 ? runs : 1));
  for (int r = 0; r < runs; ++r) {
    double start = now_ms();
    status = M(_run)(ctx, inputs, input_sizes, outputs, output_sizes);
    times[r] = now_ms() - start;
    if (status != KILN_OK) {
      fprintf(stderr, "spirv_runner: run: %s\n", M(_last_error)(ctx));
      return 1;
    }
  }
  for (int i = 0; i < OUT; ++i)
    if (write_tensor(argv[2], M(_outputs)[i].name, outputs[i], output_sizes[i]))
      return 1;
  if (timing && runs > 0) {
    double first = times[0];
    qsort(times, runs, sizeof *times, compare_double);
    printf("device: %s\nmedian %.3f ms over %d runs (first %.3f ms)\n", M(_device_name)(ctx),
           times[runs / 2], runs, first);
  }
  M(_destroy)(ctx);
  return 0;
}
