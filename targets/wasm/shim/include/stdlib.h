/* stdlib.h for Kiln's WASM modules: the allocation functions the generated
 * host code calls at create and destroy. kiln_wasm_shim.c defines them. */
#ifndef KILN_WASM_STDLIB_H
#define KILN_WASM_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
void *calloc(size_t count, size_t size);
void *aligned_alloc(size_t alignment, size_t size);
void free(void *p);
void abort(void);
#endif
