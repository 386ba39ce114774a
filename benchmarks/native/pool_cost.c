/* pool_cost.c: what one parallel loop costs in the runtime's pool (issue 20:
 * fewer, cheaper parallel regions on 2 threads). Links to a CPU artifact's
 * libkiln_runtime.a, installs Kiln's hooks as a model's create does, and
 * times halide_do_par_for on loops of `--tasks` empty iterations, each loop
 * after `--gap` microseconds of serial work on the caller (a kernel that
 * runs serial between two parallel ones), on --threads threads:
 *
 *   clang-19 -O2 -std=c11 -D_GNU_SOURCE -I DIR benchmarks/native/pool_cost.c \
 *     DIR/libkiln_runtime.a -lm -lpthread -ldl -o pool_cost
 *   pool_cost --threads 2 --gap 0,20,200,2000 [--loops 2000]
 *
 * Prints per gap the median and 10th percentile of one loop's wall time in
 * microseconds (the fork and the join: the iterations do nothing) and the
 * process's CPU time per loop-and-gap beyond the gap (what the waiting
 * workers burn). Nothing asserts a speed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln_runtime.h"

typedef int (*task_fn)(void *user_context, int index, uint8_t *closure);
extern int halide_do_par_for(void *user_context, task_fn f, int min, int size, uint8_t *closure);

static int touch(void *user_context, int index, uint8_t *closure) {
  (void)user_context;
  __atomic_fetch_add((int *)closure, index, __ATOMIC_RELAXED);
  return 0;
}

static double now_us(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void spin_for(double us) {
  double end = now_us(CLOCK_MONOTONIC) + us;
  while (now_us(CLOCK_MONOTONIC) < end) {
  }
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int threads = 2, loops = 2000, tasks = 14;
  const char *gaps = "0,20,200,2000";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--threads"))
      threads = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--loops"))
      loops = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--tasks"))
      tasks = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--gap"))
      gaps = argv[i + 1];
    else {
      fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 1;
    }
  }
  kiln_install_halide_hooks();
  if (kiln_set_num_threads(threads) != KILN_OK || loops < 10)
    return 1;
  double *t = malloc(sizeof(double) * (size_t)loops);
  int sum = 0;
  printf(
      "threads %d, %d iterations a loop: gap us, loop median us, p10 us, extra CPU us per loop\n",
      threads, tasks);
  for (const char *g = gaps; *g;) {
    double gap = strtod(g, (char **)&g);
    if (*g == ',')
      ++g;
    double cpu0 = now_us(CLOCK_PROCESS_CPUTIME_ID), wall0 = now_us(CLOCK_MONOTONIC);
    for (int l = 0; l < loops; ++l) {
      spin_for(gap);
      double t0 = now_us(CLOCK_MONOTONIC);
      halide_do_par_for(NULL, touch, 0, tasks, (uint8_t *)&sum);
      t[l] = now_us(CLOCK_MONOTONIC) - t0;
    }
    double cpu = now_us(CLOCK_PROCESS_CPUTIME_ID) - cpu0, wall = now_us(CLOCK_MONOTONIC) - wall0;
    qsort(t, (size_t)loops, sizeof *t, compare);
    printf("%8.0f %8.2f %8.2f %8.2f\n", gap, t[loops / 2], t[loops / 10], (cpu - wall) / loops);
  }
  free(t);
  return sum == 0; /* the loops ran */
}
