/* model_runner.c: runs one Kiln-compiled model (CPU static library) on raw
 * input files and writes raw output files, for the end-to-end tests.
 *
 * Built per model with -DKILN_MODEL=<name> -include <name>.h:
 *   model_runner <inputs-dir> <outputs-dir> [--runs N] [--threads T]
 *                [--check-no-alloc] [--time] [--rss]
 * Reads <inputs-dir>/<input name>.bin, writes <outputs-dir>/<output name>.bin.
 * --check-no-alloc counts malloc/calloc/realloc calls during every run after
 * the first (warm-up) and fails if there is any. --rss prints the resident
 * set size after runs 1, 10, 100, ... and the last one.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* also pass -D_GNU_SOURCE when -include comes first */
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUNNER_NAME "model_runner"
#include "tensor_files.h"

#define KILN_CAT2(a, b) a##b
#define KILN_CAT(a, b) KILN_CAT2(a, b)
#define M(suffix) KILN_CAT(KILN_MODEL, suffix)

/* Counting allocator: the executable's malloc interposes libc's for the
 * whole process (Halide's runtime included). Left out with
 * -DKILN_RUNNER_NO_COUNTING (AddressSanitizer has its own malloc, and libc's
 * free would get its pointers); --check-no-alloc is then refused. */
static volatile int counting;
static volatile long allocations;
#ifndef KILN_RUNNER_NO_COUNTING
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
void *malloc(size_t n) {
  if (counting)
    __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
  return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
  if (counting)
    __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
  return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
  if (counting)
    __atomic_add_fetch(&allocations, 1, __ATOMIC_RELAXED);
  return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }
#endif

/* Resident set size in KB (Linux), 0 if unknown. */
static long rss_kb(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f)
    return 0;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
    resident = 0;
  fclose(f);
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv) {
  int runs = 1, threads = 0, check_alloc = 0, timing = 0, rss = 0;
  if (argc < 3) {
    fprintf(stderr,
            "usage: %s <inputs-dir> <outputs-dir> [--runs N] [--threads T] "
            "[--check-no-alloc] [--time] [--rss]\n",
            argv[0]);
    return 2;
  }
  for (int i = 3; i < argc; ++i) {
    if (!strcmp(argv[i], "--runs") && i + 1 < argc)
      runs = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--check-no-alloc")) {
#ifdef KILN_RUNNER_NO_COUNTING
      fprintf(stderr, "model_runner: built without the counting allocator: no --check-no-alloc\n");
      return 2;
#endif
      check_alloc = 1;
    } else if (!strcmp(argv[i], "--time"))
      timing = 1;
    else if (!strcmp(argv[i], "--rss"))
      rss = 1;
    else {
      fprintf(stderr, "model_runner: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  enum {
    NI = KILN_CAT(KILN_MODEL_UPPER, _INPUT_COUNT),
    NO = KILN_CAT(KILN_MODEL_UPPER, _OUTPUT_COUNT)
  };
  const void *inputs[NI + 1];
  size_t input_sizes[NI + 1];
  void *outputs[NO + 1];
  size_t output_sizes[NO + 1];
  for (int i = 0; i < NI; ++i) {
    input_sizes[i] = M(_inputs)[i].bytes;
    inputs[i] = read_tensor(argv[1], M(_inputs)[i].name, input_sizes[i]);
  }
  for (int i = 0; i < NO; ++i) {
    output_sizes[i] = M(_outputs)[i].bytes;
    outputs[i] = malloc(output_sizes[i] ? output_sizes[i] : 1);
  }
  M(_options) options;
  M(_options_initialize)(&options);
  options.num_threads = threads;
  M(_context) *ctx = 0;
  kiln_status st = M(_create)(&options, &ctx);
  if (st != KILN_OK) {
    fprintf(stderr, "model_runner: create failed: %s\n", kiln_status_string(st));
    return 1;
  }
  double *times = (double *)malloc(sizeof(double) * (runs > 0 ? runs : 1));
  for (int r = 0; r < runs; ++r) /* resident before the runs: not part of their RSS */
    times[r] = -1;
  for (int r = 0; r < runs; ++r) {
    counting = check_alloc && r > 0;
    double t0 = now_ms();
    st = M(_run)(ctx, inputs, input_sizes, outputs, output_sizes);
    times[r] = now_ms() - t0;
    counting = 0;
    if (st != KILN_OK) {
      fprintf(stderr, "model_runner: run failed: %s: %s\n", kiln_status_string(st),
              M(_last_error)(ctx));
      return 1;
    }
    if (rss) {
      int n = r + 1, decade = n;
      while (decade % 10 == 0)
        decade /= 10;
      if (decade == 1 || n == runs)
        printf("rss after run %d: %ld KB\n", n, rss_kb());
    }
  }
  if (check_alloc) {
    if (allocations) {
      fprintf(stderr, "model_runner: %ld allocations during %d runs after warm-up\n", allocations,
              runs - 1);
      return 1;
    }
    printf("no allocations during %d runs after warm-up\n", runs - 1);
  }
  if (timing) {
    qsort(times, runs, sizeof(double), compare_double);
    printf("median %.3f ms over %d runs (min %.3f, max %.3f)\n", times[runs / 2], runs, times[0],
           times[runs - 1]);
  }
  for (int i = 0; i < NO; ++i)
    if (write_tensor(argv[2], M(_outputs)[i].name, outputs[i], output_sizes[i]))
      return 1;
  M(_destroy)(ctx);
  /* Everything freed, so that LeakSanitizer's report is the model's own. */
  for (int i = 0; i < NI; ++i)
    free((void *)inputs[i]);
  for (int i = 0; i < NO; ++i)
    free(outputs[i]);
  free(times);
  return 0;
}
