/* vulkan_harness.c: one candidate of a kiln-tune task compiled by kilnc's
 * spirv target (kiln-tune --compile-task spirv: the model is named "task"),
 * run through libkiln_runtime_vulkan.a, for tuner/runners/vulkan_runner.mjs.
 *
 * Built per candidate with -include task.h, linked with libtask.a and
 * libkiln_runtime_vulkan.a. A long-lived process: it creates the context
 * once, then prints one JSON line with the interface and answers commands
 * on stdin, one line each:
 *   inputs PATH      the inputs, each task_inputs[i].bytes, one after another
 *   run N PATH       N runs, each timed; the outputs, one after another, to
 *                    PATH; replies {"times_ms":[...]} or {"error":"..."}
 * A crash or hang in the driver kills this process only: the runner reports
 * the candidate as crash (or the tuner's timeout kills the runner).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The names the WASM runners use for dtypes (tuner/runners/inputs.mjs). */
static const char *dtype_name(kiln_dtype d) {
  switch (d) {
  case KILN_DTYPE_F32:
    return "float32";
  case KILN_DTYPE_F16:
    return "float16";
  case KILN_DTYPE_I64:
    return "int64";
  case KILN_DTYPE_I32:
    return "int32";
  case KILN_DTYPE_I16:
    return "int16";
  case KILN_DTYPE_I8:
    return "int8";
  case KILN_DTYPE_U8:
    return "uint8";
  case KILN_DTYPE_BOOL:
    return "bool";
  case KILN_DTYPE_U16:
    return "uint16";
  case KILN_DTYPE_U32:
    return "uint32";
  case KILN_DTYPE_U64:
    return "uint64";
  case KILN_DTYPE_F64:
    return "float64";
  case KILN_DTYPE_BF16:
    return "bfloat16";
  }
  return "unknown";
}

static void print_infos(const char *key, const kiln_tensor_info *infos, int count) {
  printf("\"%s\":[", key);
  for (int i = 0; i < count; ++i) {
    printf("%s{\"name\":\"%s\",\"dtype\":\"%s\",\"bytes\":%zu,\"shape\":[", i ? "," : "",
           infos[i].name, dtype_name(infos[i].dtype), infos[i].bytes);
    for (int d = 0; d < infos[i].rank; ++d)
      printf("%s%lld", d ? "," : "", (long long)infos[i].shape[d]);
    printf("]}");
  }
  printf("]");
}

/* A message as a JSON string's contents: quotes, backslashes and control
 * characters dropped. */
static void print_message(const char *text) {
  for (; text && *text; ++text)
    if (*text != '"' && *text != '\\' && (unsigned char)*text >= 32)
      putchar(*text);
}

enum { IN = TASK_INPUT_COUNT, OUT = TASK_OUTPUT_COUNT };

int main(void) {
  const void *inputs[IN + 1];
  void *input_data[IN + 1];
  size_t input_sizes[IN + 1];
  void *outputs[OUT + 1];
  size_t output_sizes[OUT + 1];
  for (int i = 0; i < IN; ++i) {
    input_sizes[i] = task_inputs[i].bytes;
    input_data[i] = calloc(1, input_sizes[i] ? input_sizes[i] : 1);
    inputs[i] = input_data[i];
  }
  for (int i = 0; i < OUT; ++i) {
    output_sizes[i] = task_outputs[i].bytes;
    outputs[i] = malloc(output_sizes[i] ? output_sizes[i] : 1);
  }
  task_context *ctx = 0;
  if (task_create(0, &ctx) != KILN_OK) {
    printf("{\"error\":\"create: ");
    print_message(task_last_error(0));
    printf("\"}\n");
    return 1;
  }
  printf("{\"device\":\"");
  print_message(task_device_name(ctx));
  printf("\",");
  print_infos("inputs", task_inputs, IN);
  printf(",");
  print_infos("outputs", task_outputs, OUT);
  printf("}\n");
  fflush(stdout);

  char line[4200], path[4096];
  while (fgets(line, sizeof line, stdin)) {
    int runs = 0;
    if (sscanf(line, "inputs %4095s", path) == 1) {
      FILE *f = fopen(path, "rb");
      int ok = f != 0;
      for (int i = 0; ok && i < IN; ++i)
        ok = fread(input_data[i], 1, input_sizes[i], f) == input_sizes[i];
      if (f)
        fclose(f);
      printf(ok ? "{\"status\":\"ok\"}\n" : "{\"error\":\"cannot read the inputs\"}\n");
    } else if (sscanf(line, "run %d %4095s", &runs, path) == 2 && runs > 0) {
      printf("{\"times_ms\":[");
      for (int r = 0; r < runs; ++r) {
        double start = now_ms();
        if (task_run(ctx, inputs, input_sizes, outputs, output_sizes) != KILN_OK) {
          printf("],\"error\":\"run: ");
          print_message(task_last_error(ctx));
          printf("\"}\n");
          runs = -1;
          break;
        }
        printf("%s%.6f", r ? "," : "", now_ms() - start);
      }
      if (runs > 0) {
        FILE *f = fopen(path, "wb");
        int ok = f != 0;
        for (int i = 0; ok && i < OUT; ++i)
          ok = fwrite(outputs[i], 1, output_sizes[i], f) == output_sizes[i];
        if (f && fclose(f))
          ok = 0;
        printf(ok ? "]}\n" : "],\"error\":\"cannot write the outputs\"}\n");
      }
    } else {
      printf("{\"error\":\"unknown command\"}\n");
    }
    fflush(stdout);
  }
  task_destroy(ctx);
  return 0;
}
