/* pool_cost.c: what sharing one parallel loop with the WASM pool costs,
 * built with the shim (targets/wasm/shim, with atomics) by pool_cost.mjs.
 * A loop of `iterations` tasks, each `work` steps of a dependent float chain
 * (no memory traffic: the cost measured is the pool's, not the caches'),
 * run through halide_do_par_for as a kernel's parallel loop is.
 */
#include <stdint.h>

typedef int (*kiln_task)(void *user_context, int index, unsigned char *closure);
int halide_do_par_for(void *user_context, kiln_task fn, int min, int extent,
                      unsigned char *closure);

/* One cache line per task, so that the tasks share no line. */
static volatile float sink[64 * 16];

static int task(void *user_context, int index, unsigned char *closure) {
  int work = *(const int *)closure;
  float x = (float)index;
  for (int k = 0; k < work; ++k)
    x = x * 0.9999f + 1.0f;
  sink[(index & 63) * 16] = x;
  return 0;
}

/* Runs the loop `reps` times back to back. */
__attribute__((export_name("bench_loop"))) int bench_loop(int iterations, int work, int reps) {
  int status = 0;
  for (int r = 0; r < reps && !status; ++r)
    status = halide_do_par_for(0, task, 0, iterations, (unsigned char *)&work);
  return status;
}
