/* blazeface_demo.c: the README's first command ends here. Runs BlazeFace
 * (front, 128x128), compiled by Kiln into libblazeface.a, on a photo and
 * prints the faces it finds and how long inference takes.
 *
 *   blazeface_demo <input.bin> <image width> <image height> [runs]
 *
 * input.bin is the photo as float32 NHWC [1,128,128,3] in [-1, 1] (see
 * scripts/png_to_tensor.py). Decoding follows MediaPipe's SSD anchors for
 * this model: a 16x16 grid with 2 anchors per cell and an 8x8 grid with 6,
 * each regressing a box and 6 key points relative to its cell centre, in
 * units of the 128-pixel input; overlapping boxes are merged by IoU.
 */
#define _POSIX_C_SOURCE 199309L
#include "blazeface.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { SIZE = 128, MAX_FACES = 64 };

typedef struct {
  float score, cx, cy, w, h;
  float eyes[4]; /* right eye x, y; left eye x, y (as seen in the photo) */
} face;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static float iou(const face *a, const face *b) {
  float x0 = fmaxf(a->cx - a->w / 2, b->cx - b->w / 2), x1 = fminf(a->cx + a->w / 2, b->cx + b->w / 2);
  float y0 = fmaxf(a->cy - a->h / 2, b->cy - b->h / 2), y1 = fminf(a->cy + a->h / 2, b->cy + b->h / 2);
  float inter = fmaxf(0, x1 - x0) * fmaxf(0, y1 - y0);
  return inter / (a->w * a->h + b->w * b->h - inter);
}

/* Appends the detections of one head (cells x cells grid, anchors per cell). */
static int decode(const float *scores, const float *boxes, int cells, int anchors, float threshold,
                  face *out, int count) {
  for (int cy = 0; cy < cells; ++cy)
    for (int cx = 0; cx < cells; ++cx)
      for (int a = 0; a < anchors; ++a) {
        int i = (cy * cells + cx) * anchors + a;
        float score = 1.0f / (1.0f + expf(-scores[i]));
        if (score < threshold || count == MAX_FACES)
          continue;
        const float *b = boxes + i * 16;
        float ax = (cx + 0.5f) / cells, ay = (cy + 0.5f) / cells;
        face f = {score, ax + b[0] / SIZE, ay + b[1] / SIZE, b[2] / SIZE, b[3] / SIZE,
                  {ax + b[4] / SIZE, ay + b[5] / SIZE, ax + b[6] / SIZE, ay + b[7] / SIZE}};
        out[count++] = f;
      }
  return count;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s <input.bin> <image width> <image height> [runs]\n", argv[0]);
    return 2;
  }
  float width = (float)atof(argv[2]), height = (float)atof(argv[3]);
  int runs = argc > 4 ? atoi(argv[4]) : 50;
  if (runs < 1)
    runs = 1;

  static float input[SIZE * SIZE * 3];
  FILE *f = fopen(argv[1], "rb");
  if (!f || fread(input, 1, sizeof input, f) != sizeof input) {
    fprintf(stderr, "blazeface_demo: cannot read %zu bytes from %s\n", sizeof input, argv[1]);
    return 1;
  }
  fclose(f);

  static float scores16[512], scores8[384], boxes16[512 * 16], boxes8[384 * 16];
  const void *inputs[] = {input};
  size_t input_sizes[] = {sizeof input};
  void *outputs[] = {scores16, scores8, boxes16, boxes8};
  size_t output_sizes[] = {sizeof scores16, sizeof scores8, sizeof boxes16, sizeof boxes8};
  for (int i = 0; i < BLAZEFACE_OUTPUT_COUNT; ++i)
    if (blazeface_outputs[i].bytes != output_sizes[i]) {
      fprintf(stderr, "blazeface_demo: output %s is not what this demo expects\n",
              blazeface_outputs[i].name);
      return 1;
    }

  blazeface_options options;
  blazeface_options_initialize(&options);
  options.num_threads = 1;
  blazeface_context *ctx;
  kiln_status status = blazeface_create(&options, &ctx);
  if (status != KILN_OK) {
    fprintf(stderr, "blazeface_demo: create: %s\n", kiln_status_string(status));
    return 1;
  }
  double *times = malloc(sizeof(double) * runs);
  for (int r = 0; r < runs; ++r) {
    double t0 = now_ms();
    status = blazeface_run(ctx, inputs, input_sizes, outputs, output_sizes);
    times[r] = now_ms() - t0;
    if (status != KILN_OK) {
      fprintf(stderr, "blazeface_demo: run: %s: %s\n", kiln_status_string(status),
              blazeface_last_error(ctx));
      return 1;
    }
  }
  double first = times[0];
  qsort(times, runs, sizeof(double), cmp_double);

  face raw[MAX_FACES], faces[MAX_FACES];
  int n = decode(scores16, boxes16, 16, 2, 0.75f, raw, 0);
  n = decode(scores8, boxes8, 8, 6, 0.75f, raw, n);
  /* Keep the best box of each overlapping group. */
  int kept = 0;
  for (;;) {
    int best = -1;
    for (int i = 0; i < n; ++i)
      if (raw[i].score > 0 && (best < 0 || raw[i].score > raw[best].score))
        best = i;
    if (best < 0)
      break;
    faces[kept++] = raw[best];
    for (int i = 0; i < n; ++i)
      if (i != best && raw[i].score > 0 && iou(&raw[i], &raw[best]) > 0.3f)
        raw[i].score = 0;
    raw[best].score = 0;
  }

  printf("BlazeFace (front, 128x128) compiled by Kiln, on a %gx%g photo:\n", width, height);
  printf("%d face%s found\n", kept, kept == 1 ? "" : "s");
  for (int i = 0; i < kept; ++i) {
    face *d = &faces[i];
    printf("  face %d: score %.3f, box x=%.0f y=%.0f w=%.0f h=%.0f px, eyes at (%.0f, %.0f) and "
           "(%.0f, %.0f)\n",
           i + 1, d->score, (d->cx - d->w / 2) * width, (d->cy - d->h / 2) * height, d->w * width,
           d->h * height, d->eyes[0] * width, d->eyes[1] * height, d->eyes[2] * width,
           d->eyes[3] * height);
  }
  printf("inference: median %.3f ms over %d runs (first run %.3f ms), 1 thread\n", times[runs / 2],
         runs, first);
  blazeface_destroy(ctx);
  free(times);
  return 0;
}
