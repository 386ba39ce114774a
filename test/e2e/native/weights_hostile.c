/* weights_hostile.c: create's check of an external weights file, given
 * every cut and every one-bit change of a good file's header, and garbage,
 * on a model compiled with --weights=external --name=ext, meant to be built
 * with -fsanitize=address,undefined (test/e2e/runtime.test.mjs).
 *
 *   weights_hostile <ext.weights.bin>
 *
 * Each variant is copied into a heap block of exactly its size (64-byte
 * aligned, as create asks), so that AddressSanitizer sees a read past its
 * end. create must return KILN_OK (only for the good file and bit changes
 * that leave the header's meaning alone: the name's bytes are for messages)
 * or KILN_INVALID_WEIGHTS with a message, and leave no context when it fails.
 * Prints one line with the counts; exits 0 when every variant held. */
#include "ext.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

/* create() on a copy of `bytes` of exactly `size` bytes; returns its status. */
static kiln_status try_create(const unsigned char *bytes, size_t size, const char *what, long at) {
  void *copy = NULL;
  if (posix_memalign(&copy, 64, size ? size : 1) != 0) {
    fprintf(stderr, "weights_hostile: out of memory\n");
    exit(2);
  }
  if (size)
    memcpy(copy, bytes, size);
  ext_options options;
  ext_options_initialize(&options);
  options.weights = copy;
  options.weights_size = size;
  ext_context *ctx = NULL;
  kiln_status st = ext_create(&options, &ctx);
  const char *message = ext_last_error(NULL);
  if (st == KILN_OK) {
    if (!ctx) {
      fprintf(stderr, "weights_hostile: %s %ld: create said ok but gave no context\n", what, at);
      ++failures;
    }
    ext_destroy(ctx);
  } else if (st != KILN_INVALID_WEIGHTS || !message || !*message || ctx) {
    fprintf(stderr, "weights_hostile: %s %ld: got %s (\"%s\")%s\n", what, at,
            kiln_status_string(st), message ? message : "(NULL)", ctx ? " and a context" : "");
    ++failures;
  }
  free(copy);
  return st;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <ext.weights.bin>\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    fprintf(stderr, "weights_hostile: cannot open %s\n", argv[1]);
    return 2;
  }
  size_t size = EXT_WEIGHTS_SIZE;
  unsigned char *good = malloc(size + 1);
  if (!good || fread(good, 1, size + 1, f) != size) {
    fprintf(stderr, "weights_hostile: %s is not EXT_WEIGHTS_SIZE (%zu) bytes\n", argv[1], size);
    return 2;
  }
  fclose(f);

  long variants = 0, accepted = 0;
  if (try_create(good, size, "the good file", 0) != KILN_OK) {
    fprintf(stderr, "weights_hostile: the good file was refused: %s\n", ext_last_error(NULL));
    return 1;
  }
  ++variants, ++accepted;
  /* Every cut in the header and the first bytes after it, then a few more. */
  for (size_t cut = 0; cut < size; cut += cut < 192 ? 1 : size / 7 + 1, ++variants)
    if (try_create(good, cut, "cut at", (long)cut) == KILN_OK) {
      fprintf(stderr, "weights_hostile: a file cut at %zu bytes was accepted\n", cut);
      ++failures;
    }
  /* One bit of the header changed at a time. Only the model name's bytes
   * (32..63) may change and pass: they are read for messages only. */
  for (size_t bit = 0; bit < 64 * 8; ++bit, ++variants) {
    good[bit / 8] ^= (unsigned char)(1u << bit % 8);
    if (try_create(good, size, "header bit", (long)bit) == KILN_OK) {
      ++accepted;
      if (bit / 8 < 32) {
        fprintf(stderr, "weights_hostile: header bit %zu changed and was accepted\n", bit);
        ++failures;
      }
    }
    good[bit / 8] ^= (unsigned char)(1u << bit % 8);
  }
  /* The good header over garbage, and garbage of the right size. */
  unsigned char *noise = malloc(size);
  uint32_t x = 12345;
  for (size_t i = 0; i < size; ++i)
    noise[i] = (unsigned char)((x = x * 1103515245u + 12345u) >> 24);
  try_create(noise, size, "noise", 0), ++variants;
  memcpy(noise, good, 64);
  if (try_create(noise, size, "good header over noise", 0) == KILN_OK) {
    fprintf(stderr, "weights_hostile: noise under a good header was accepted\n");
    ++failures;
  }
  ++variants;
  free(noise);
  free(good);
  printf("weights_hostile: %ld variants, %ld accepted, %d failures\n", variants, accepted,
         failures);
  return failures ? 1 : 0;
}
