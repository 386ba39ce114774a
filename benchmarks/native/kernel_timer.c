/* kernel_timer.c: see kernel_timer.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "benchmarks/native/kernel_timer.h"

#include <time.h>

/* More calls than any model here makes (MobileNetV2: 58); later ones are
 * dropped, and the harness sees the count stop at the limit. */
enum { MAX_CALLS = 4096 };
static double durations[MAX_CALLS];
static int functions[MAX_CALLS];
static int calls;

void kiln_kernel_timer_reset(void) { calls = 0; }

int kiln_kernel_timer_calls(void) { return calls; }

double kiln_kernel_timer_us(int call) { return call >= 0 && call < calls ? durations[call] : 0; }

int kiln_kernel_timer_function(int call) {
  return call >= 0 && call < calls ? functions[call] : -1;
}

/* bench_model --clock cpu: the calling thread's CPU time (the per-kernel
 * table is taken on 1 thread), so that a loaded machine's slices elsewhere
 * do not count. */
int kiln_kernel_timer_cpu_clock;

double kiln_kernel_timer_now_us(void) {
  struct timespec ts;
  clock_gettime(kiln_kernel_timer_cpu_clock ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

void kiln_kernel_timer_record(int function, double us) {
  if (calls < MAX_CALLS) {
    functions[calls] = function;
    durations[calls++] = us;
  }
}
