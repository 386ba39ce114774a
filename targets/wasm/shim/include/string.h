/* string.h for Kiln's WASM modules: only what the generated host code and
 * HalideRuntime.h use. kiln_wasm_shim.c defines these; there is no libc. */
#ifndef KILN_WASM_STRING_H
#define KILN_WASM_STRING_H
#include <stddef.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
#endif
