/* threads_test.c: the generated C API under threads, on a real model compiled
 * with --name=tmodel; test/e2e/runtime.test.mjs builds it with
 * -fsanitize=thread against a library compiled with --cpu-features=host-tsan
 * (kernels, Halide's runtime and the host code instrumented too).
 *
 *   threads_test            1. two threads, each creating its own context at
 *                              the same moment and running it, at once:
 *                              every output must equal a one-thread run's;
 *                           2. two threads on one context, each retrying at
 *                              once when refused: overlapping calls get
 *                              KILN_CONTEXT_BUSY and a message, the others
 *                              succeed with the right outputs;
 *                           3. one thread running the context, another
 *                              setting its seed meanwhile: the calls that
 *                              overlap a run get KILN_CONTEXT_BUSY. Exit 0
 *                              when all of it holds (and ThreadSanitizer
 *                              found no race).
 *   threads_test --shared-arena
 *                           the negative control: two contexts given the
 *                           same arena and run at once, a real race in the
 *                           kernels that ThreadSanitizer must report. */
#include "tmodel.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NI = TMODEL_INPUT_COUNT, NO = TMODEL_OUTPUT_COUNT, RUNS = 8, SAME_RUNS = 8 };

static const void *in[NI];
static size_t in_sizes[NI], out_sizes[NO];
static void *expected[NO];
static pthread_barrier_t start;
static unsigned char *shared_arena;
static int seeding_done; /* a worker has finished its runs (test 3) */

typedef struct worker {
  tmodel_context *ctx; /* shared (same-context test), or NULL: create one */
  int runs;            /* successful runs to make */
  int ok, busy, other, wrong, busy_message_missing;
  kiln_status create_status;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  void *out[NO];
  for (int i = 0; i < NO; ++i)
    out[i] = malloc(out_sizes[i]);
  tmodel_context *ctx = w->ctx;
  pthread_barrier_wait(&start);
  if (!ctx) {
    tmodel_options options;
    tmodel_options_initialize(&options);
    options.num_threads = 2;
    options.arena = shared_arena;
    options.arena_size = shared_arena ? TMODEL_ARENA_SIZE : 0;
    w->create_status = tmodel_create(&options, &ctx);
    if (w->create_status != KILN_OK)
      return NULL;
  }
  /* Refused runs are retried at once: the thread spins on the busy context. */
  while (w->ok < w->runs && !w->other && w->busy < 100000000) {
    kiln_status st = tmodel_run(ctx, in, in_sizes, out, out_sizes);
    if (st == KILN_OK) {
      ++w->ok;
      for (int i = 0; i < NO; ++i)
        w->wrong += memcmp(out[i], expected[i], out_sizes[i]) != 0;
    } else if (st == KILN_CONTEXT_BUSY) {
      ++w->busy;
      w->busy_message_missing +=
          strstr(tmodel_last_error(NULL), "another thread is running this context") == NULL;
    } else {
      ++w->other; /* ends the loop */
      fprintf(stderr, "threads_test: run: %s: %s\n", kiln_status_string(st),
              tmodel_last_error(ctx));
    }
  }
  __atomic_store_n(&seeding_done, 1, __ATOMIC_RELEASE);
  if (!w->ctx)
    tmodel_destroy(ctx);
  for (int i = 0; i < NO; ++i)
    free(out[i]);
  return NULL;
}

/* Runs two workers at once. */
static void both(worker *a, worker *b) {
  pthread_t ta, tb;
  pthread_barrier_init(&start, NULL, 2);
  pthread_create(&ta, NULL, work, a);
  pthread_create(&tb, NULL, work, b);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  pthread_barrier_destroy(&start);
}

int main(int argc, char **argv) {
  int failures = 0;
  for (int i = 0; i < NI; ++i) {
    in_sizes[i] = tmodel_inputs[i].bytes;
    float *data = malloc(in_sizes[i]);
    for (size_t k = 0; k < in_sizes[i] / sizeof(float); ++k)
      data[k] = (float)((k * 7919) % 255) / 127.5f - 1.0f;
    in[i] = data;
  }
  /* The reference: one thread, one context. */
  tmodel_context *ctx;
  if (tmodel_create(NULL, &ctx) != KILN_OK) {
    fprintf(stderr, "threads_test: create: %s\n", tmodel_last_error(NULL));
    return 1;
  }
  for (int i = 0; i < NO; ++i) {
    out_sizes[i] = tmodel_outputs[i].bytes;
    expected[i] = malloc(out_sizes[i]);
  }
  if (tmodel_run(ctx, in, in_sizes, expected, out_sizes) != KILN_OK) {
    fprintf(stderr, "threads_test: run: %s\n", tmodel_last_error(ctx));
    return 1;
  }

  if (argc > 1 && !strcmp(argv[1], "--shared-arena")) {
    shared_arena = aligned_alloc(64, (TMODEL_ARENA_SIZE + 63) / 64 * 64 + 64);
    worker a = {.runs = RUNS}, b = {.runs = RUNS};
    both(&a, &b);
    printf("threads_test: two contexts on one arena ran (%d and %d runs, %d and %d wrong)\n", a.ok,
           b.ok, a.wrong, b.wrong);
    return 0;
  }

  /* 1. Two contexts, two threads. */
  worker a = {.runs = RUNS}, b = {.runs = RUNS};
  both(&a, &b);
  if (a.create_status != KILN_OK || b.create_status != KILN_OK || a.ok != RUNS || b.ok != RUNS ||
      a.wrong || b.wrong) {
    fprintf(stderr,
            "threads_test: two contexts: create %s/%s, %d/%d runs ok, %d/%d wrong outputs\n",
            kiln_status_string(a.create_status), kiln_status_string(b.create_status), a.ok, b.ok,
            a.wrong, b.wrong);
    ++failures;
  }

  /* 2. One context, two threads, each making SAME_RUNS runs and retrying at
   * once when refused: while one runs, the other keeps calling. */
  worker c = {.ctx = ctx, .runs = SAME_RUNS}, d = {.ctx = ctx, .runs = SAME_RUNS};
  both(&c, &d);
  int busy = c.busy + d.busy;
  if (busy == 0 || c.other || d.other || c.wrong || d.wrong || c.busy_message_missing ||
      d.busy_message_missing || c.ok != SAME_RUNS || d.ok != SAME_RUNS) {
    fprintf(stderr,
            "threads_test: one context: %d ok, %d busy (%d without the message), %d other, "
            "%d wrong outputs\n",
            c.ok + d.ok, busy, c.busy_message_missing + d.busy_message_missing, c.other + d.other,
            c.wrong + d.wrong);
    ++failures;
  }
  /* 3. One thread runs the context while another sets its seed until the
   * runs end: set_seed takes the busy flag as run does, so the calls that
   * overlap a run get KILN_CONTEXT_BUSY (a seed set mid-run would tear what
   * the kernels read), the others KILN_OK. The model has no random ops, so
   * the outputs stay right. */
  worker e = {.ctx = ctx, .runs = SAME_RUNS};
  pthread_t te;
  seeding_done = 0; /* tests 1 and 2 set it */
  pthread_barrier_init(&start, NULL, 2);
  pthread_create(&te, NULL, work, &e);
  pthread_barrier_wait(&start);
  int seed_ok = 0, seed_busy = 0, seed_other = 0, seed_message_missing = 0;
  for (uint64_t seed = 1; !__atomic_load_n(&seeding_done, __ATOMIC_ACQUIRE); ++seed) {
    kiln_status st = tmodel_set_seed(ctx, seed);
    if (st == KILN_OK)
      ++seed_ok;
    else if (st == KILN_CONTEXT_BUSY) {
      ++seed_busy;
      seed_message_missing +=
          strstr(tmodel_last_error(NULL), "another thread is running this context") == NULL;
    } else
      ++seed_other;
  }
  pthread_join(te, NULL);
  pthread_barrier_destroy(&start);
  if (seed_busy == 0 || seed_other || seed_message_missing || e.ok != SAME_RUNS || e.wrong ||
      e.other) {
    fprintf(stderr,
            "threads_test: set_seed during runs: %d ok, %d busy (%d without the message), %d "
            "other; runs %d ok, %d wrong\n",
            seed_ok, seed_busy, seed_message_missing, seed_other, e.ok, e.wrong);
    ++failures;
  }
  /* And the context still works, its error untouched by the refused calls. */
  if (tmodel_run(ctx, in, in_sizes, expected, out_sizes) != KILN_OK ||
      strcmp(tmodel_last_error(ctx), "") != 0) {
    fprintf(stderr, "threads_test: the context no longer runs: %s\n", tmodel_last_error(ctx));
    ++failures;
  }
  tmodel_destroy(ctx);
  if (failures)
    return 1;
  printf("threads_test: two contexts ran %d runs each at once, all outputs right; one context "
         "from two threads: %d runs each, right, and %d calls refused as busy; set_seed during "
         "%d runs: %d refused as busy, %d between runs\n",
         RUNS, SAME_RUNS, busy, SAME_RUNS, seed_busy, seed_ok);
  return 0;
}
