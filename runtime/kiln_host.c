/*===- kiln_host.c - what generated model code calls in the runtime -------===*
 *
 * See kiln_host.h. Compiled by kilnc for each target into libkiln_runtime.a
 * (or the WASM module), beside kiln_runtime.c. Freestanding: no libc calls.
 *===----------------------------------------------------------------------===*/
#include "kiln_host.h"

/* WebAssembly modules here are single-threaded and have no TLS. */
#if defined(__wasm__)
#define KILN_THREAD_LOCAL
#else
#define KILN_THREAD_LOCAL _Thread_local
#endif

/* Errors that have no context to keep them (kiln_host_thread_error): static
 * text, or the formatted message in the buffer. */
static KILN_THREAD_LOCAL char kiln_thread_message[320];
static KILN_THREAD_LOCAL const char *kiln_thread_error;

kiln_status kiln_host_fail(kiln_host_context *ctx, kiln_status status, const char *message) {
  if (ctx)
    ctx->error = message;
  else
    kiln_thread_error = message;
  return status;
}

/* Appends `text` to the context's message from `n` on, leaving room for the
 * terminator; returns the new length. */
static unsigned kiln_append(kiln_host_context *ctx, unsigned n, const char *text) {
  while (*text && n + 1 < sizeof ctx->message)
    ctx->message[n++] = *text++;
  return n;
}

/* kiln_host_failf's conversions into out[cap]; cut at cap - 1 characters. */
static void kiln_format(char *out, unsigned cap, const char *f, __builtin_va_list ap) {
  unsigned n = 0;
  char digits[24];
  for (; *f && n + 1 < cap; ++f) {
    const char *s;
    if (*f != '%' || !f[1]) {
      out[n++] = *f;
      continue;
    }
    ++f;
    if (*f == 's') {
      s = __builtin_va_arg(ap, const char *);
      if (!s)
        s = "(null)";
    } else if (*f == 'd' || *f == 'u' || *f == 'x') {
      unsigned long long v;
      unsigned base = *f == 'x' ? 16 : 10, count = 0;
      int negative = 0;
      char *p = digits + sizeof digits;
      if (*f == 'd') {
        int i = __builtin_va_arg(ap, int);
        negative = i < 0;
        v = negative ? -(unsigned long long)i : (unsigned long long)i;
      } else {
        v = __builtin_va_arg(ap, unsigned long long);
      }
      *--p = 0;
      do {
        *--p = "0123456789abcdef"[v % base];
        v /= base;
        ++count;
      } while (v || (base == 16 && count < 16));
      if (base == 16) {
        *--p = 'x';
        *--p = '0';
      }
      if (negative)
        *--p = '-';
      s = p;
    } else {
      out[n++] = *f; /* "%%" */
      continue;
    }
    while (*s && n + 1 < cap)
      out[n++] = *s++;
  }
  out[n] = 0;
}

kiln_status kiln_host_failf(kiln_host_context *ctx, kiln_status status, const char *format, ...) {
  __builtin_va_list ap;
  __builtin_va_start(ap, format);
  kiln_format(ctx ? ctx->message : kiln_thread_message, sizeof kiln_thread_message, format, ap);
  __builtin_va_end(ap);
  return kiln_host_fail(ctx, status, ctx ? ctx->message : kiln_thread_message);
}

const char *kiln_host_thread_error(void) { return kiln_thread_error ? kiln_thread_error : ""; }
void kiln_host_clear_thread_error(void) { kiln_thread_error = ""; }

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

kiln_status kiln_host_check_options(int num_threads, const void *arena, size_t arena_size,
                                    size_t arena_bytes) {
  if (num_threads < 0 || num_threads > KILN_MAX_THREADS)
    return kiln_host_failf(0, KILN_INVALID_ARGUMENT,
                           "options.num_threads is %d; expected 0 (keep the current setting) to %d",
                           num_threads, KILN_MAX_THREADS);
  if (arena && arena_size < arena_bytes)
    return kiln_host_failf(0, KILN_ARENA_TOO_SMALL,
                           "options.arena_size is %u bytes; the model needs %u",
                           (unsigned long long)arena_size, (unsigned long long)arena_bytes);
  if ((size_t)arena & 63)
    return kiln_host_failf(0, KILN_INVALID_ARGUMENT, "options.arena is not 64-byte aligned");
  return KILN_OK;
}

uint64_t kiln_host_fnv1a64(const unsigned char *p, size_t n) {
  uint64_t hash = 14695981039346656037ull;
  /* One multiply after another: unrolling buys nothing but code. */
#pragma clang loop unroll(disable)
  for (size_t i = 0; i < n; ++i)
    hash = (hash ^ p[i]) * 1099511628211ull;
  return hash;
}

/* The little-endian integer of `bytes` bytes at p. */
static uint64_t kiln_le(const unsigned char *p, int bytes) {
  uint64_t v = 0;
  while (bytes--)
    v = v << 8 | p[bytes];
  return v;
}

kiln_status kiln_host_check_weights(const char *model, const void *data, size_t size,
                                    uint64_t weight_bytes, uint64_t hash) {
  const unsigned char *p = (const unsigned char *)data;
  const char *magic = KILN_WEIGHTS_MAGIC;
  char name[33];
  uint64_t declared;
  int i;
  if (!p)
    return kiln_host_failf(0, KILN_INVALID_ARGUMENT,
                           "options.weights is NULL: pass the contents of %s.weights.bin", model);
  if ((size_t)p & 63)
    return kiln_host_failf(0, KILN_INVALID_ARGUMENT, "options.weights is not 64-byte aligned");
  for (i = 0; i < 8 && size >= KILN_WEIGHTS_HEADER_SIZE; ++i)
    if (p[i] != (unsigned char)magic[i])
      break;
  if (i < 8)
    return kiln_host_failf(0, KILN_INVALID_WEIGHTS,
                           "options.weights is not a Kiln weights file (%u bytes, no %s header): "
                           "pass the contents of %s.weights.bin",
                           (unsigned long long)size, magic, model);
  if (kiln_le(p + 8, 4) != KILN_WEIGHTS_VERSION || kiln_le(p + 12, 4) != KILN_WEIGHTS_HEADER_SIZE)
    return kiln_host_failf(0, KILN_INVALID_WEIGHTS,
                           "the weights file has format %u; this model reads format %d",
                           (unsigned long long)kiln_le(p + 8, 4), KILN_WEIGHTS_VERSION);
  for (i = 0; i < 32; ++i) /* the file's model name, for messages */
    name[i] = p[32 + i] < ' ' || p[32 + i] > '~' ? (p[32 + i] ? '?' : 0) : (char)p[32 + i];
  name[32] = 0;
  declared = kiln_le(p + 16, 8);
  size -= KILN_WEIGHTS_HEADER_SIZE;
  if (declared > size)
    return kiln_host_failf(0, KILN_INVALID_WEIGHTS,
                           "the weights file is truncated: %u bytes of weights, its header says %u",
                           (unsigned long long)size, (unsigned long long)declared);
  if (declared < size)
    return kiln_host_failf(0, KILN_INVALID_WEIGHTS,
                           "options.weights_size is %u bytes more than the weights file's header "
                           "and weights (%u + %u bytes)",
                           (unsigned long long)(size - declared),
                           (unsigned long long)KILN_WEIGHTS_HEADER_SIZE,
                           (unsigned long long)declared);
  if (declared != weight_bytes)
    return kiln_host_failf(0, KILN_INVALID_WEIGHTS,
                           "these are the weights of model '%s' (%u bytes), not of '%s' (%u bytes)",
                           name, (unsigned long long)declared, model,
                           (unsigned long long)weight_bytes);
  if (kiln_le(p + 24, 8) != hash)
    return kiln_host_failf(0, KILN_INVALID_WEIGHTS,
                           "these weights are from another build of '%s' (checksum %x, the model "
                           "expects %x): use the %s.weights.bin that kilnc wrote with it",
                           name, (unsigned long long)kiln_le(p + 24, 8), (unsigned long long)hash,
                           model);
  declared = kiln_host_fnv1a64(p + KILN_WEIGHTS_HEADER_SIZE, size);
  if (declared != hash)
    return kiln_host_failf(0, KILN_INVALID_WEIGHTS,
                           "the weights are corrupt: their checksum is %x, their header and the "
                           "model say %x",
                           (unsigned long long)declared, (unsigned long long)hash);
  return KILN_OK;
}

/* Whether [a, a + na) and [b, b + nb) share a byte. */
static int kiln_overlap(const void *a, size_t na, const void *b, size_t nb) {
  uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  return na && nb && x < y + nb && y < x + na;
}

static kiln_status kiln_check_run(kiln_host_context *ctx, const kiln_tensor_info *input_infos,
                                  int input_count, const void *const *inputs,
                                  const size_t *input_sizes, const kiln_tensor_info *output_infos,
                                  int output_count, void *const *outputs,
                                  const size_t *output_sizes) {
  int i, j;
  if (!inputs || !input_sizes || !outputs || !output_sizes)
    return kiln_host_failf(ctx, KILN_INVALID_ARGUMENT, "run: %s is NULL",
                           !inputs        ? "inputs"
                           : !input_sizes ? "input_sizes"
                           : !outputs     ? "outputs"
                                          : "output_sizes");
  for (i = 0; i < input_count; ++i) {
    if (!inputs[i])
      return kiln_host_failf(ctx, KILN_INVALID_ARGUMENT, "input %d ('%s') is NULL", i,
                             input_infos[i].name);
    if (input_sizes[i] != input_infos[i].bytes)
      return kiln_host_failf(ctx, KILN_INVALID_ARGUMENT,
                             "input %d ('%s') has the wrong size: %u bytes, expected %u", i,
                             input_infos[i].name, (unsigned long long)input_sizes[i],
                             (unsigned long long)input_infos[i].bytes);
  }
  for (i = 0; i < output_count; ++i) {
    size_t bytes = output_infos[i].bytes;
    if (!outputs[i])
      return kiln_host_failf(ctx, KILN_INVALID_ARGUMENT, "output %d ('%s') is NULL", i,
                             output_infos[i].name);
    if (output_sizes[i] != bytes)
      return kiln_host_failf(
          ctx, KILN_INVALID_ARGUMENT, "output %d ('%s') has the wrong size: %u bytes, expected %u",
          i, output_infos[i].name, (unsigned long long)output_sizes[i], (unsigned long long)bytes);
    for (j = 0; j < input_count + i; ++j) {
      int input = j < input_count;
      const kiln_tensor_info *other = input ? &input_infos[j] : &output_infos[j - input_count];
      if (kiln_overlap(outputs[i], bytes, input ? inputs[j] : outputs[j - input_count],
                       other->bytes))
        return kiln_host_failf(ctx, KILN_INVALID_ARGUMENT, "output %d ('%s') overlaps %s %d ('%s')",
                               i, output_infos[i].name, input ? "input" : "output",
                               input ? j : j - input_count, other->name);
    }
  }
  return KILN_OK;
}

/* Claims the context for one thread (a run, or a seed change); 0 if another
 * holds it. Only the thread that set `busy` touches the rest of the context,
 * so the one that finds it set must not even write its message there.
 * kiln_host_end_run releases it. */
static int kiln_host_claim(kiln_host_context *ctx) {
  return !__atomic_exchange_n(&ctx->busy, 1, __ATOMIC_ACQUIRE);
}

kiln_status kiln_host_begin_run(kiln_host_context *ctx, const kiln_tensor_info *input_infos,
                                int input_count, const void *const *inputs,
                                const size_t *input_sizes, const kiln_tensor_info *output_infos,
                                int output_count, void *const *outputs,
                                const size_t *output_sizes) {
  kiln_status status;
  if (!ctx)
    return kiln_host_fail(0, KILN_INVALID_ARGUMENT, "run: the context is NULL");
  if (!kiln_host_claim(ctx))
    return kiln_host_fail(0, KILN_CONTEXT_BUSY,
                          "run: another thread is running this context (one run at a time per "
                          "context: create a context per thread)");
  status = kiln_check_run(ctx, input_infos, input_count, inputs, input_sizes, output_infos,
                          output_count, outputs, output_sizes);
  if (status != KILN_OK)
    return kiln_host_end_run(ctx, status);
  ctx->error = "";
  return KILN_OK;
}

kiln_status kiln_host_end_run(kiln_host_context *ctx, kiln_status status) {
  __atomic_store_n(&ctx->busy, 0, __ATOMIC_RELEASE);
  return status;
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
               : arg->kind == KILN_HOST_ARG_RNG     ? (void *)ctx->rng
                                                    : (void *)(ctx->arena + arg->at);
  kiln_host_bind(b, host, arg->code, arg->bits, arg->rank, arg->dim);
}

int kiln_host_pack_bounded(void *data, int64_t count, size_t outer, int64_t bound,
                           size_t row_bytes) {
  unsigned char *bytes = (unsigned char *)data;
  size_t o, kept;
  if (count < 0 || count > bound)
    return -1;
  kept = (size_t)count * row_bytes;
  /* Block o moves from o * bound rows to o * count: never forward, so front
   * to back in place is safe (memmove for the overlap within a block). */
  for (o = 1; o < outer; ++o)
    __builtin_memmove(bytes + o * kept, bytes + o * (size_t)bound * row_bytes, kept);
  return 0;
}

kiln_status kiln_host_set_seed(kiln_host_context *ctx, uint64_t seed) {
  if (!ctx)
    return kiln_host_fail(0, KILN_INVALID_ARGUMENT, "set_seed: the context is NULL");
  /* As run: the kernels of a run in progress read `rng` and the run's end
   * advances it, so a seed set meanwhile would tear. */
  if (!kiln_host_claim(ctx))
    return kiln_host_fail(0, KILN_CONTEXT_BUSY,
                          "set_seed: another thread is running this context (set the seed "
                          "between runs)");
  ctx->rng[0] = (uint32_t)seed;
  ctx->rng[1] = (uint32_t)(seed >> 32);
  ctx->rng[2] = ctx->rng[3] = 0;
  return kiln_host_end_run(ctx, KILN_OK);
}

void kiln_host_next_run(kiln_host_context *ctx) {
  if (++ctx->rng[2] == 0)
    ++ctx->rng[3];
}
