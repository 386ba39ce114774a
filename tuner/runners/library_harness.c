/* library_harness.c: one candidate of a kiln-tune task compiled as kilnc
 * compiles it (kiln-tune --compile-task cpu|spirv: the model is named
 * "task"), run through the library's own runtime, for
 * tuner/runners/library_runner.mjs.
 *
 * Built per candidate with -include task.h, linked with libtask.a and
 * libkiln_runtime.a (cpu, with -DKILN_HARNESS_CPU: Kiln's thread pool,
 * HL_NUM_THREADS threads, the arena create allocates, 64-byte aligned
 * inputs and outputs, as a program linking the library has) or
 * libkiln_runtime_vulkan.a (spirv). A long-lived process: it creates the
 * context once, then prints one JSON line with the interface and answers
 * commands on stdin, one line each:
 *   inputs PATH      the inputs, each task_inputs[i].bytes, one after another
 *   run N PATH       N runs, each timed; the outputs, one after another, to
 *                    PATH; replies {"times_ms":[...]} or {"error":"..."}.
 *                    cpu: the last run is seeded 0 first (task_set_seed),
 *                    so a model's random ops give the same outputs in
 *                    every harness (the reference and the candidates)
 * A crash or hang in the kernels or the driver kills this process only: the
 * runner reports the candidate as crash (or kills it after its timeout).
 * KILN_TUNE_CLOCK=cpu times runs in the process's CPU time (on 1 thread, a
 * run's own time on a loaded machine) instead of wall time.
 * Test only: KILN_HARNESS_TEST_FAULT=crash|hang makes the first run abort
 * or sleep forever (the runner's crash and timeout paths).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static clockid_t clock_id = CLOCK_MONOTONIC;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(clock_id, &t);
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
  const char *clock_name = getenv("KILN_TUNE_CLOCK");
  if (clock_name && !strcmp(clock_name, "cpu"))
    clock_id = CLOCK_PROCESS_CPUTIME_ID;
  const char *fault = getenv("KILN_HARNESS_TEST_FAULT");
  /* 64-byte aligned, as the benchmark's and a careful caller's buffers. */
  for (int i = 0; i < IN; ++i) {
    input_sizes[i] = task_inputs[i].bytes;
    input_data[i] = aligned_alloc(64, (input_sizes[i] + 63) / 64 * 64 + 64);
    memset(input_data[i], 0, input_sizes[i]);
    inputs[i] = input_data[i];
  }
  for (int i = 0; i < OUT; ++i) {
    output_sizes[i] = task_outputs[i].bytes;
    outputs[i] = aligned_alloc(64, (output_sizes[i] + 63) / 64 * 64 + 64);
  }
  task_context *ctx = 0;
#ifdef KILN_HARNESS_CPU
  task_options options;
  task_options_initialize(&options);
  const char *threads = getenv("HL_NUM_THREADS");
  options.num_threads = threads && atoi(threads) > 0 ? atoi(threads) : 1;
  kiln_status created = task_create(&options, &ctx);
#else
  kiln_status created = task_create(0, &ctx);
#endif
  if (created != KILN_OK) {
    printf("{\"error\":\"create: ");
    print_message(task_last_error(0));
    printf("\"}\n");
    return 1;
  }
  printf("{\"device\":\"");
#ifdef KILN_HARNESS_CPU
  printf("native");
#else
  print_message(task_device_name(ctx));
  printf("\",\"driver\":\"");
  print_message(task_driver_version(ctx));
#endif
  /* The clock its times are on: the runner passes it on in each "run"
     reply (the protocol's "clock"), and kiln-tune reports it. */
  printf("\",\"clock\":\"%s\",", clock_id == CLOCK_PROCESS_CPUTIME_ID ? "cpu" : "wall");
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
      if (fault && !strcmp(fault, "crash"))
        abort();
      while (fault && !strcmp(fault, "hang"))
        sleep(1);
      printf("{\"times_ms\":[");
      for (int r = 0; r < runs; ++r) {
#ifdef KILN_HARNESS_CPU
        /* The run whose outputs are written samples the model's random ops
         * (TF.js Random*) from seed 0 and run count 0, whatever ran before
         * in this process: a template's reference and a candidate's
         * outputs then compare like for like. Untimed; a model without
         * random ops has nothing to seed. (The spirv target has no random
         * ops, nor set_seed.) */
        if (r == runs - 1 && task_set_seed(ctx, 0) != KILN_OK) {
          printf("],\"error\":\"set_seed: ");
          print_message(task_last_error(0));
          printf("\"}\n");
          runs = -1;
          break;
        }
#endif
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
