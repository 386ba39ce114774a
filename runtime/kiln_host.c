/*===- kiln_host.c - what generated model code calls in the runtime -------===*
 *
 * See kiln_host.h. Compiled by kilnc for each target into libkiln_runtime.a
 * (or the WASM module), beside kiln_runtime.c. Freestanding: no libc calls.
 *===----------------------------------------------------------------------===*/
#include "kiln_host.h"

kiln_status kiln_host_fail(kiln_host_context *ctx, kiln_status status, const char *message) {
  ctx->error = message;
  return status;
}

/* Appends `text` to the context's message from `n` on, leaving room for the
 * terminator; returns the new length. */
static unsigned kiln_append(kiln_host_context *ctx, unsigned n, const char *text) {
  while (*text && n + 1 < sizeof ctx->message)
    ctx->message[n++] = *text++;
  return n;
}

kiln_status kiln_host_kernel_failed(kiln_host_context *ctx, const char *what) {
  unsigned n = kiln_append(ctx, 0, what);
#if !defined(__wasm__)
  /* "" unless kiln_install_halide_hooks installed Kiln's error handler. WASM
   * modules never do: the shim keeps Halide's message for the loader. */
  const char *detail = kiln_kernel_error_message();
  if (*detail && n + 3 < sizeof ctx->message)
    n = kiln_append(ctx, kiln_append(ctx, n, ": "), detail);
#endif
  ctx->message[n] = 0;
  return kiln_host_fail(ctx, KILN_KERNEL_FAILED, ctx->message);
}

void kiln_host_bind(halide_buffer_t *b, void *host, uint8_t code, uint8_t bits, int32_t rank,
                    halide_dimension_t *dim) {
  __builtin_memset(b, 0, sizeof *b);
  b->host = (uint8_t *)host;
  b->type.code = (halide_type_code_t)code;
  b->type.bits = bits;
  b->type.lanes = 1;
  b->dimensions = rank;
  b->dim = rank ? dim : 0;
}

void kiln_host_bind_arg(halide_buffer_t *b, const kiln_host_context *ctx, const kiln_host_arg *arg,
                        const void *const *inputs, void *const *outputs) {
  void *host = arg->kind == KILN_HOST_ARG_INPUT     ? (void *)inputs[arg->at]
               : arg->kind == KILN_HOST_ARG_OUTPUT  ? outputs[arg->at]
               : arg->kind == KILN_HOST_ARG_WEIGHTS ? (void *)(ctx->weights + arg->at)
                                                    : (void *)(ctx->arena + arg->at);
  kiln_host_bind(b, host, arg->code, arg->bits, arg->rank, arg->dim);
}
