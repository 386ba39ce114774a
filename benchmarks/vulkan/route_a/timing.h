/* timing.h: the clocks and the median line that host_a (route a) and
 * bench_b (route b) share, so that both routes are timed and printed alike.
 * Each program times one warm-up run (index 0) and RUNS runs after it. */
#ifndef ROUTE_A_TIMING_H
#define ROUTE_A_TIMING_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(clockid_t clk) {
  struct timespec ts;
  clock_gettime(clk, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* "wall_ms_median W cpu_ms_median C runs N" over wall[1..runs], cpu[1..runs]
 * (sorts them in place; index 0 is the warm-up run). */
static void print_medians(double *wall, double *cpu, int runs) {
  qsort(wall + 1, runs, sizeof(double), cmp_d);
  qsort(cpu + 1, runs, sizeof(double), cmp_d);
  printf("wall_ms_median %.3f cpu_ms_median %.3f runs %d\n", wall[1 + runs / 2], cpu[1 + runs / 2],
         runs);
}

#endif
