/*===- kiln_runtime.c - Kiln's own runtime functions ----------------------===*
 *
 * Compiled by kilnc for each target into libkiln_runtime.a, beside Halide's
 * runtime. Freestanding: no libc calls, so it builds for wasm32 unchanged.
 *===----------------------------------------------------------------------===*/
#include "kiln_runtime.h"

/* From Halide's runtime (HalideRuntime.h), linked into the same library. */
extern int halide_set_num_threads(int n);
typedef void (*kiln_halide_error_handler)(void *user_context, const char *message);
extern kiln_halide_error_handler halide_set_error_handler(kiln_halide_error_handler handler);

/* One message per thread: contexts on different threads fail independently.
 * WebAssembly modules here are single-threaded and have no TLS. */
#if defined(__wasm__)
#define KILN_THREAD_LOCAL
#else
#define KILN_THREAD_LOCAL _Thread_local
#endif
static KILN_THREAD_LOCAL char kiln_error_message[256];

static void kiln_error_handler(void *user_context, const char *message) {
  unsigned i = 0;
  (void)user_context;
  for (; message && message[i] && i + 1 < sizeof kiln_error_message; ++i)
    kiln_error_message[i] = message[i];
  /* Halide's messages end with a newline; the caller adds its own context. */
  while (i > 0 && (kiln_error_message[i - 1] == '\n' || kiln_error_message[i - 1] == ' '))
    --i;
  kiln_error_message[i] = 0;
}

void kiln_install_error_handler(void) { halide_set_error_handler(kiln_error_handler); }

const char *kiln_kernel_error_message(void) { return kiln_error_message; }

const char *kiln_status_string(kiln_status status) {
  switch (status) {
  case KILN_OK:
    return "ok";
  case KILN_INVALID_ARGUMENT:
    return "invalid argument";
  case KILN_OUT_OF_MEMORY:
    return "out of memory";
  case KILN_ARENA_TOO_SMALL:
    return "arena too small";
  case KILN_KERNEL_FAILED:
    return "kernel failed";
  }
  return "unknown status";
}

const char *kiln_dtype_name(kiln_dtype dtype) {
  switch (dtype) {
  case KILN_DTYPE_F32:
    return "f32";
  case KILN_DTYPE_F16:
    return "f16";
  case KILN_DTYPE_I64:
    return "i64";
  case KILN_DTYPE_I32:
    return "i32";
  case KILN_DTYPE_I16:
    return "i16";
  case KILN_DTYPE_I8:
    return "i8";
  case KILN_DTYPE_U8:
    return "u8";
  case KILN_DTYPE_BOOL:
    return "bool";
  }
  return "?";
}

void kiln_set_num_threads(int num_threads) { halide_set_num_threads(num_threads); }
