/*===- kiln_runtime.c - Kiln's own runtime functions ----------------------===*
 *
 * Compiled by kilnc for each target into libkiln_runtime.a, beside Halide's
 * runtime. Freestanding: no libc calls, so it builds for wasm32 unchanged.
 *===----------------------------------------------------------------------===*/
#include "kiln_runtime.h"

/* From Halide's runtime (HalideRuntime.h), linked into the same library. */
extern int halide_set_num_threads(int n);

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
