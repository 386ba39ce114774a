/*===- kiln_host.h - what generated model code calls in the runtime -*- C -*-===*
 *
 * For the C that kilnc generates (NAME.c) only; not a user API, and it may
 * change with any kilnc. Programs use NAME.h and kiln_runtime.h.
 *
 * The parts of a model's create/run that are the same for every model live
 * here and in kiln_host.c, compiled once into libkiln_runtime.a (or the WASM
 * module) instead of into each model's code. The template that NAME.c is
 * filled from is targets/host/templates/model.c.in.
 *
 * Freestanding like kiln_runtime.c: no libc calls, so it builds for wasm32
 * with the shim's headers (targets/wasm/shim).
 *===----------------------------------------------------------------------===*/
#ifndef KILN_HOST_H
#define KILN_HOST_H

#include "HalideRuntime.h"
#include "kiln_runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What every model's context holds; NAME_context wraps one. */
typedef struct kiln_host_context {
  const unsigned char *weights; /* linked in, or the caller's (past the header) */
  unsigned char *arena;
  int owns_arena;    /* create allocated the arena, destroy frees it */
  int busy;          /* a run is in progress (kiln_host_begin_run), atomic */
  const char *error; /* what NAME_last_error returns: static text or `message` */
  char message[320];
  /* The random ops' state, bound as an int32 [4] kernel argument
   * (KILN_HOST_ARG_RNG): the seed's low and high words (NAME_set_seed; 0
   * after create), then the run counter's, which every run of a model with
   * random ops advances (kiln_host_next_run). */
  uint32_t rng[4];
} kiln_host_context;

/* Makes `message` (static text) the context's last error, or with ctx NULL
 * this thread's (kiln_host_thread_error); returns `status`. */
kiln_status kiln_host_fail(kiln_host_context *ctx, kiln_status status, const char *message);

/* Formats the context's last error, or with ctx NULL this thread's (see
 * kiln_host_thread_error), and returns `status`. Conversions: %s (a string),
 * %d (int), %u (unsigned long long: cast sizes), %x (unsigned long long, as
 * 0x and 16 hex digits). Long messages are cut. */
kiln_status kiln_host_failf(kiln_host_context *ctx, kiln_status status, const char *format, ...);

/* The last error of a call that had no context to keep it (a failed create,
 * a NULL or busy context), on this thread: NAME_last_error(NULL). "" if none
 * since the last create. */
const char *kiln_host_thread_error(void);
void kiln_host_clear_thread_error(void);

/* KILN_KERNEL_FAILED, with "<what>: <what the kernel reported>" as the last
 * error (just `what` when Kiln's Halide error handler is not installed, and
 * in WASM modules, whose shim keeps Halide's message itself). */
kiln_status kiln_host_kernel_failed(kiln_host_context *ctx, const char *what);

/* create's checks of the options every model has: num_threads in
 * 0..KILN_MAX_THREADS; a caller's arena 64-byte aligned and at least
 * `arena_bytes` (NAME_ARENA_SIZE). */
kiln_status kiln_host_check_options(int num_threads, const void *arena, size_t arena_size,
                                    size_t arena_bytes);

/* create's check of external weights (the header in kiln_runtime.h): `data`
 * and `size` as the caller passed them, the model's name, the bytes of
 * weights and their FNV-1a as compiled into the model. KILN_OK, or
 * KILN_INVALID_ARGUMENT / KILN_INVALID_WEIGHTS with this thread's message. */
kiln_status kiln_host_check_weights(const char *model, const void *data, size_t size,
                                    uint64_t weight_bytes, uint64_t hash);

/* 64-bit FNV-1a of n bytes (the weights' checksum; kilnc computes the same,
 * targets/host/HostEmitter.h: weightsHash). */
uint64_t kiln_host_fnv1a64(const unsigned char *p, size_t n);

/* What run does before the kernels: ctx not NULL, no other thread running it
 * (it is marked busy until kiln_host_end_run), then every pointer and size
 * against the model's tables, and no output overlapping an input or another
 * output. On failure nothing is left busy and no output is touched. (Not
 * in WASM modules: HostOptions::leanChecks, targets/host/HostEmitter.h.) */
kiln_status kiln_host_begin_run(kiln_host_context *ctx, const kiln_tensor_info *input_infos,
                                int input_count, const void *const *inputs,
                                const size_t *input_sizes, const kiln_tensor_info *output_infos,
                                int output_count, void *const *outputs, const size_t *output_sizes);

/* Marks the context free again; returns `status`. */
kiln_status kiln_host_end_run(kiln_host_context *ctx, kiln_status status);

/* Fills `b` to describe a dense tensor at `host`: Halide type `code`/`bits`,
 * `rank` dimensions from the static table `dim` (innermost first). */
void kiln_host_bind(halide_buffer_t *b, void *host, uint8_t code, uint8_t bits, int32_t rank,
                    halide_dimension_t *dim);

/* The compact form of a model's calls (HostOptions::compactCalls): a table
 * of calls, each naming a run of rows in a table of arguments. */
typedef enum kiln_host_arg_kind {
  KILN_HOST_ARG_INPUT = 0,   /* `at` indexes run()'s inputs */
  KILN_HOST_ARG_OUTPUT = 1,  /* `at` indexes run()'s outputs */
  KILN_HOST_ARG_WEIGHTS = 2, /* `at` is a byte offset into the weights */
  KILN_HOST_ARG_ARENA = 3,   /* `at` is a byte offset into the arena */
  KILN_HOST_ARG_RNG = 4,     /* the context's `rng` (`at` unused) */
} kiln_host_arg_kind;

typedef struct kiln_host_arg {
  unsigned char kind, code, bits, rank; /* kiln_host_arg_kind, Halide type, rank */
  halide_dimension_t *dim;              /* the model's static table for the shape */
  size_t at;
} kiln_host_arg;

typedef struct kiln_host_call {
  unsigned kernel, args, first; /* the model's kernel switch, argument count, first row */
  const char *error;            /* "kernel 'x' failed" */
} kiln_host_call;

/* kiln_host_bind for one row of the argument table. */
void kiln_host_bind_arg(halide_buffer_t *b, const kiln_host_context *ctx, const kiln_host_arg *arg,
                        const void *const *inputs, void *const *outputs);

/* NAME_set_seed: the seed, and the run counter back to 0. KILN_INVALID_ARGUMENT
 * for a NULL context, KILN_CONTEXT_BUSY (touching nothing) while another
 * thread runs it (the busy flag, as kiln_host_begin_run). */
kiln_status kiln_host_set_seed(kiln_host_context *ctx, uint64_t seed);

/* After a run of a model with random ops: the next run samples afresh. */
void kiln_host_next_run(kiln_host_context *ctx);

/* An output of data-dependent length (docs/BOUNDED.md): its kernel wrote
 * `outer` blocks of `bound` rows of `row_bytes`, each block's first `count`
 * rows valid. Moves them together to the front of `data`, so that the
 * output is dense with `count` in place of `bound`. 0, or -1 (and nothing
 * moved) when `count` is outside 0..bound. */
int kiln_host_pack_bounded(void *data, int64_t count, size_t outer, int64_t bound,
                           size_t row_bytes);

#ifdef __cplusplus
}
#endif

#endif /* KILN_HOST_H */
