/* bench_b: route (b) timed as a user runs it: the one-Conv ONNX model
 * (mk_conv.mjs) compiled by kilnc --target=spirv, conv_run called RUNS
 * times after one warm-up run. conv_run copies the NCHW input in, submits
 * the recorded command buffer (transpose to NHWC, the conv, transpose
 * back: 3 dispatches), waits and copies the output out.
 *
 *   bench_b RUNS    ->  "wall_ms_median W cpu_ms_median C runs N"
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "conv.h"

#include "timing.h"

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 21;
  conv_context *ctx;
  if (conv_create(NULL, &ctx) != KILN_OK) {
    fprintf(stderr, "bench_b: create: %s\n", conv_last_error(NULL));
    return 1;
  }
  fprintf(stderr, "bench_b: device %s\n", conv_device_name(ctx));
  size_t in_bytes = conv_inputs[0].bytes, out_bytes = conv_outputs[0].bytes;
  float *in = malloc(in_bytes), *out = malloc(out_bytes);
  uint32_t s = 12345;
  for (size_t i = 0; i < in_bytes / 4; ++i) {
    s = s * 1664525u + 1013904223u;
    in[i] = (float)((s >> 8) / 16777216.0 * 2.0 - 1.0);
  }
  const void *ins[1] = {in};
  void *outs[1] = {out};
  double *wall = calloc(runs + 1, sizeof(double)), *cpu = calloc(runs + 1, sizeof(double));
  for (int i = 0; i <= runs; ++i) {
    double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    if (conv_run(ctx, ins, &in_bytes, outs, &out_bytes) != KILN_OK) {
      fprintf(stderr, "bench_b: run: %s\n", conv_last_error(ctx));
      return 1;
    }
    wall[i] = now_ms(CLOCK_MONOTONIC) - w0;
    cpu[i] = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (i == 0) fprintf(stderr, "bench_b: first run %.1f ms wall\n", wall[0]);
  }
  print_medians(wall, cpu, runs);
  conv_destroy(ctx);
  return 0;
}
