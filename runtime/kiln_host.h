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
  const unsigned char *weights; /* linked in, or the caller's */
  unsigned char *arena;
  int owns_arena;    /* create allocated the arena, destroy frees it */
  const char *error; /* what NAME_last_error returns: static text or `message` */
  char message[320];
} kiln_host_context;

/* Makes `message` (static text) the context's last error; returns `status`. */
kiln_status kiln_host_fail(kiln_host_context *ctx, kiln_status status, const char *message);

/* KILN_KERNEL_FAILED, with "<what>: <what the kernel reported>" as the last
 * error (just `what` when Kiln's Halide error handler is not installed, and
 * in WASM modules, whose shim keeps Halide's message itself). */
kiln_status kiln_host_kernel_failed(kiln_host_context *ctx, const char *what);

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

#ifdef __cplusplus
}
#endif

#endif /* KILN_HOST_H */
