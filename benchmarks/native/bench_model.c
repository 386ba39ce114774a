/* bench_model.c: the timing harness for one Kiln-compiled model (CPU static
 * library), driven by benchmarks/run.mjs over stdin/stdout so that its runs
 * can alternate with the peers' in one benchmark.
 *
 * Built per model, like test/e2e/native/model_runner.c:
 *   clang-19 -O2 -std=c11 -D_GNU_SOURCE -DKILN_MODEL=<name>
 *     -DKILN_MODEL_UPPER=<NAME> -include <name>.h -I <dir> bench_model.c
 *     lib<name>.a libkiln_runtime.a -lm -lpthread -ldl
 * and with -DKILN_BENCH_KERNELS plus kernel_timer.c and -Wl,--wrap=<fn> for
 * every kernel function, to time each kernel call (see lib/kernels.mjs).
 *
 *   bench_model --threads T [--batch N] [--clock cpu|undisturbed]
 * For a loaded machine (other work on the cores):
 * --clock cpu times runs in the process's CPU time instead of wall time:
 *   the slices where the process was not running do not count (1 thread:
 *   the run's own time; 2 threads: the sum over threads, so a spinning or
 *   waiting worker shows up as CPU time, not as a speed-up).
 * --clock undisturbed keeps wall time but runs again (up to 100 times) a run
 *   during which any of the process's threads was preempted (its count of
 *   involuntary context switches moved): the time the model takes when it
 *   has its threads' cores, which is what a 2-thread speed-up needs. Runs
 *   that never got through undisturbed keep their last time.
 * Inputs are filled with a fixed pseudo-random pattern (floats in [-1, 1),
 * integers in [0, 256)): the models' run time does not depend on values.
 * With --batch N it runs N times and exits (for callgrind); otherwise it
 * prints "ready <arena bytes> <weights bytes>" and answers one line per
 * command:
 *   run N      -> "ok t1 ... tN"   (milliseconds per run)
 *   kernels N  -> "ok C f1:c1 ... fC:cC" (per kernel call: the function
 *                 NAME_kF it called and its median microseconds over N runs;
 *                 needs -DKILN_BENCH_KERNELS)
 *   rss        -> "ok KB"          (peak resident set, VmHWM)
 *   quit
 * Errors: "error <message>" and exit status 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "benchmarks/native/kernel_timer.h"

#define KILN_CAT2(a, b) a##b
#define KILN_CAT(a, b) KILN_CAT2(a, b)
#define M(suffix) KILN_CAT(KILN_MODEL, suffix)
#define MU(suffix) KILN_CAT(KILN_MODEL_UPPER, suffix)

static clockid_t clock_id = CLOCK_MONOTONIC;
static int undisturbed;

static long involuntary_switches(void) {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nivcsw;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(clock_id, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *message, const char *detail) {
  printf("error %s%s%s\n", message, detail ? ": " : "", detail ? detail : "");
  fflush(stdout);
  exit(1);
}

/* xorshift32: deterministic, and cheap enough for 600 KB of inputs. */
static void fill(void *data, const kiln_tensor_info *info, uint32_t seed) {
  /* By kiln_dtype's value (runtime/kiln_runtime.h). */
  static const size_t element_bytes[] = {4, 2, 8, 4, 2, 1, 1, 1, 2, 4, 8, 8, 2};
  size_t count = info->bytes / element_bytes[info->dtype];
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < count; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    switch (info->dtype) {
    case KILN_DTYPE_F32:
      ((float *)data)[i] = (float)(x >> 8) / 8388608.0f - 1.0f;
      break;
    case KILN_DTYPE_I64:
      ((int64_t *)data)[i] = x & 255u;
      break;
    case KILN_DTYPE_I32:
      ((int32_t *)data)[i] = (int32_t)(x & 255u);
      break;
    case KILN_DTYPE_BOOL:
      ((uint8_t *)data)[i] = (uint8_t)(x & 1u);
      break;
    default: /* other dtypes: zeros (no model here has such inputs) */
      memset(data, 0, info->bytes);
      return;
    }
  }
}

/* Peak resident set in KB: VmHWM of /proc/self/status, which belongs to
 * this program's own address space. getrusage's ru_maxrss is the fallback
 * only: Linux carries it across exec, so a harness spawned by a 50 MB Node
 * process would report Node's peak. */
static long peak_rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
      break;
  if (f)
    fclose(f);
  if (kb < 0) {
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    kb = usage.ru_maxrss;
  }
  return kb;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

enum { NI = MU(_INPUT_COUNT), NO = MU(_OUTPUT_COUNT) };
static const void *inputs[NI + 1];
static size_t input_sizes[NI + 1];
static void *outputs[NO + 1];
static size_t output_sizes[NO + 1];
static M(_context) * ctx;

static void run_once(void) {
  kiln_status st = M(_run)(ctx, inputs, input_sizes, outputs, output_sizes);
  if (st != KILN_OK)
    die(kiln_status_string(st), M(_last_error)(ctx));
}

/* Times first, then one line: an error mid-way prints only "error ...". */
static void cmd_run(long n) {
  double *times = (double *)malloc(sizeof(double) * (size_t)n);
  if (!times)
    die("out of memory", NULL);
  for (long r = 0; r < n; ++r) {
    for (int attempt = 0; attempt < 100; ++attempt) {
      long switches = undisturbed ? involuntary_switches() : 0;
      double t0 = now_ms();
      run_once();
      times[r] = now_ms() - t0;
      if (!undisturbed || involuntary_switches() == switches)
        break;
    }
  }
  printf("ok");
  for (long r = 0; r < n; ++r)
    printf(" %.4f", times[r]);
  printf("\n");
  free(times);
}

/* "ok C f1:us1 ... fC:usC": per call, the kernel function it called and its
 * median microseconds. The sequence of functions must not change between
 * runs (the host's calls are fixed). */
static void cmd_kernels(long n) {
#ifdef KILN_BENCH_KERNELS
  double *times = NULL; /* [run][call] in microseconds */
  int *functions = NULL;
  int calls = 0;
  for (long r = 0; r < n; ++r) {
    kiln_kernel_timer_reset();
    run_once();
    if (r == 0) {
      calls = kiln_kernel_timer_calls();
      times = (double *)malloc(sizeof(double) * (size_t)(calls ? calls : 1) * (size_t)n);
      functions = (int *)malloc(sizeof(int) * (size_t)(calls ? calls : 1));
      if (!times || !functions)
        die("out of memory", NULL);
      for (int c = 0; c < calls; ++c)
        functions[c] = kiln_kernel_timer_function(c);
    } else if (kiln_kernel_timer_calls() != calls) {
      die("the number of kernel calls changed between runs", NULL);
    }
    for (int c = 0; c < calls; ++c) {
      if (kiln_kernel_timer_function(c) != functions[c])
        die("the sequence of kernel calls changed between runs", NULL);
      times[r * calls + c] = kiln_kernel_timer_us(c);
    }
  }
  double *column = (double *)malloc(sizeof(double) * (size_t)n);
  if (!column)
    die("out of memory", NULL);
  printf("ok %d", calls);
  for (int c = 0; c < calls; ++c) {
    for (long r = 0; r < n; ++r)
      column[r] = times[r * calls + c];
    qsort(column, (size_t)n, sizeof(double), compare_double);
    printf(" %d:%.3f", functions[c], column[n / 2]);
  }
  printf("\n");
  free(column);
  free(functions);
  free(times);
#else
  (void)n;
  die("built without -DKILN_BENCH_KERNELS", NULL);
#endif
}

int main(int argc, char **argv) {
  int threads = 1;
  long batch = 0;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
      batch = atol(argv[++i]);
    else if (!strcmp(argv[i], "--clock") && i + 1 < argc && !strcmp(argv[i + 1], "cpu") && ++i) {
      clock_id = CLOCK_PROCESS_CPUTIME_ID;
#ifdef KILN_BENCH_KERNELS
      kiln_kernel_timer_cpu_clock = 1;
#endif
    } else if (!strcmp(argv[i], "--clock") && i + 1 < argc && !strcmp(argv[i + 1], "undisturbed") &&
               ++i)
      undisturbed = 1;
    else
      die("unknown argument", argv[i]);
  }
  for (int i = 0; i < NI; ++i) {
    input_sizes[i] = M(_inputs)[i].bytes;
    void *data = aligned_alloc(64, (input_sizes[i] + 63) / 64 * 64);
    if (!data)
      die("out of memory", NULL);
    fill(data, &M(_inputs)[i], (uint32_t)i + 1);
    inputs[i] = data;
  }
  for (int i = 0; i < NO; ++i) {
    output_sizes[i] = M(_outputs)[i].bytes;
    outputs[i] = aligned_alloc(64, (output_sizes[i] + 63) / 64 * 64 + 64);
    if (!outputs[i])
      die("out of memory", NULL);
  }
  M(_options) options;
  M(_options_initialize)(&options);
  options.num_threads = threads;
  kiln_status st = M(_create)(&options, &ctx);
  if (st != KILN_OK)
    die("create failed", kiln_status_string(st));
  if (batch > 0) {
    for (long r = 0; r < batch; ++r)
      run_once();
    M(_destroy)(ctx);
    return 0;
  }
  printf("ready %lu %lu\n", (unsigned long)MU(_ARENA_SIZE), (unsigned long)MU(_WEIGHTS_SIZE));
  fflush(stdout);
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    long n = 0;
    if (sscanf(line, "run %ld", &n) == 1 && n > 0)
      cmd_run(n);
    else if (sscanf(line, "kernels %ld", &n) == 1 && n > 0)
      cmd_kernels(n);
    else if (!strncmp(line, "rss", 3))
      printf("ok %ld\n", peak_rss_kb());
    else if (!strncmp(line, "quit", 4))
      break;
    else {
      line[strcspn(line, "\n")] = 0;
      die("unknown command", line);
    }
    fflush(stdout);
  }
  M(_destroy)(ctx);
  return 0;
}
