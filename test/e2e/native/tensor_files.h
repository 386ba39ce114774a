/* tensor_files.h: what model_runner.c and spirv_runner.c share: tensor
 * files named as test/e2e/tensor_dir.mjs names them, read and written whole,
 * and the clock and sort their --time uses. Static functions, included by
 * each runner's one source file; RUNNER_NAME prefixes messages. */
#ifndef KILN_TEST_TENSOR_FILES_H
#define KILN_TEST_TENSOR_FILES_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The file for a tensor: <dir>/<name>.bin, where characters outside
 * [A-Za-z0-9._:+=-] become '_' (as test/e2e/tensor_dir.mjs writes them). */
static void tensor_path(char *path, size_t size, const char *dir, const char *name) {
  int n = snprintf(path, size, "%s/", dir);
  for (const char *c = name; *c && n + 5 < (int)size; ++c, ++n) {
    int ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
             strchr("._:+=-", *c);
    path[n] = ok ? *c : '_';
  }
  snprintf(path + n, size - n, ".bin");
}

/* A tensor's file, exactly `expected` bytes; exits with status 2 otherwise. */
static void *read_tensor(const char *dir, const char *name, size_t expected) {
  char path[4096];
  tensor_path(path, sizeof path, dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, RUNNER_NAME ": cannot open %s\n", path);
    exit(2);
  }
  void *data = malloc(expected ? expected : 1);
  size_t got = fread(data, 1, expected, f);
  int extra = fgetc(f);
  fclose(f);
  if (got != expected || extra != EOF) {
    fprintf(stderr, RUNNER_NAME ": %s: expected %zu bytes\n", path, expected);
    exit(2);
  }
  return data;
}

/* Writes a tensor's file; 0 on success, else 1 with a message. */
static int write_tensor(const char *dir, const char *name, const void *data, size_t size) {
  char path[4096];
  tensor_path(path, sizeof path, dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, size, f) != size) {
    fprintf(stderr, RUNNER_NAME ": cannot write %s\n", path);
    if (f)
      fclose(f);
    return 1;
  }
  fclose(f);
  return 0;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int compare_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}
#endif
