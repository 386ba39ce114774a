/* peak_fma.c: this machine's floating-point peak, for the "% of peak"
 * columns: independent chains of fused multiply-adds in registers, AVX-512
 * when the CPU has it, else AVX2+FMA, else SSE mul+add.
 *
 *   peak_fma [--threads T] [--ms M] [--trials N]
 * prints "ok <GFLOP/s> <isa> <threads>": in each of N trials (default 20), T
 * threads (default 1) run the loop for about M milliseconds (default 10) and
 * the FLOPs of all of them are divided by the trial's wall time; the best
 * trial is the result. Many short trials rather than one long one: on a
 * machine shared with other work, load only ever lowers a trial, and a short
 * trial has a fair chance of running undisturbed (as a kernel call of a few
 * hundred microseconds does). An FMA is two FLOPs.
 *
 * Twelve accumulators: an FMA's latency (4 cycles) times the two FMA ports
 * of recent Xeons needs at least eight independent chains to stay busy, and
 * twelve still fit in the sixteen vector registers AVX2 has.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHAINS 12
/* Multiplier and addend keep every chain near 1.0: no overflow, no
 * denormals (which would slow the loop down). Volatile, so that the compiler
 * cannot evaluate the loops ahead of time (clang folds them otherwise). */
static volatile float MUL = 0.999999f;
static volatile float ADD = 0.000001f;
static volatile float START = 1.0f;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Each returns a sum of its accumulators so the loop cannot be removed. */
__attribute__((target("avx512f"))) static float loop_avx512(long iterations) {
  __m512 acc[CHAINS];
  const __m512 m = _mm512_set1_ps(MUL), a = _mm512_set1_ps(ADD);
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = _mm512_set1_ps(START + c * 1e-3f);
  for (long i = 0; i < iterations; ++i)
    for (int c = 0; c < CHAINS; ++c)
      acc[c] = _mm512_fmadd_ps(acc[c], m, a);
  __m512 sum = acc[0];
  for (int c = 1; c < CHAINS; ++c)
    sum = _mm512_add_ps(sum, acc[c]);
  return _mm512_reduce_add_ps(sum);
}

__attribute__((target("avx2,fma"))) static float loop_avx2(long iterations) {
  __m256 acc[CHAINS];
  const __m256 m = _mm256_set1_ps(MUL), a = _mm256_set1_ps(ADD);
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = _mm256_set1_ps(START + c * 1e-3f);
  for (long i = 0; i < iterations; ++i)
    for (int c = 0; c < CHAINS; ++c)
      acc[c] = _mm256_fmadd_ps(acc[c], m, a);
  float lanes[8], total = 0;
  for (int c = 0; c < CHAINS; ++c) {
    _mm256_storeu_ps(lanes, acc[c]);
    for (int l = 0; l < 8; ++l)
      total += lanes[l];
  }
  return total;
}

static float loop_sse(long iterations) {
  __m128 acc[CHAINS];
  const __m128 m = _mm_set1_ps(MUL), a = _mm_set1_ps(ADD);
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = _mm_set1_ps(START + c * 1e-3f);
  for (long i = 0; i < iterations; ++i)
    for (int c = 0; c < CHAINS; ++c)
      acc[c] = _mm_add_ps(_mm_mul_ps(acc[c], m), a);
  float lanes[4], total = 0;
  for (int c = 0; c < CHAINS; ++c) {
    _mm_storeu_ps(lanes, acc[c]);
    for (int l = 0; l < 4; ++l)
      total += lanes[l];
  }
  return total;
}

typedef float (*loop_fn)(long);
static loop_fn loop;
static int lanes;
static double seconds;
static pthread_barrier_t start;

typedef struct worker {
  pthread_t thread;
  double flops, begin, end;
  float sink;
} worker;

/* Runs the loop in blocks until `seconds` have passed; records when it began
 * and ended (the main thread may itself be descheduled, so it does not time
 * the workers). */
static void *work(void *arg) {
  worker *w = (worker *)arg;
  const long block = 1 << 14; /* about 0.1 ms: trials end close to on time */
  pthread_barrier_wait(&start);
  w->begin = now_s();
  long blocks = 0;
  do {
    w->sink += loop(block);
    ++blocks;
    w->end = now_s();
  } while (w->end - w->begin < seconds);
  w->flops = (double)blocks * block * CHAINS * lanes * 2.0;
  return NULL;
}

int main(int argc, char **argv) {
  int threads = 1, trials = 20;
  double ms = 10;
  for (int i = 1; i < argc; ++i) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc)
      threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--ms") && i + 1 < argc)
      ms = atof(argv[++i]);
    else if (!strcmp(argv[i], "--trials") && i + 1 < argc)
      trials = atoi(argv[++i]);
    else {
      printf("error unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  if (threads < 1 || threads > 256 || !(ms > 0) || trials < 1) {
    printf("error --threads must be 1..256, --ms and --trials positive\n");
    return 2;
  }
  const char *isa;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    loop = loop_avx512, lanes = 16, isa = "avx512";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    loop = loop_avx2, lanes = 8, isa = "avx2";
  else
    loop = loop_sse, lanes = 4, isa = "sse";
  seconds = ms / 1e3;
  loop(1 << 16); /* wake the vector units up before timing */
  worker *workers = (worker *)calloc((size_t)threads, sizeof(worker));
  double best = 0, sink = 0;
  for (int trial = 0; trial < trials; ++trial) {
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);
    for (int t = 0; t < threads; ++t)
      pthread_create(&workers[t].thread, NULL, work, &workers[t]);
    pthread_barrier_wait(&start);
    double flops = 0, begin = 1e300, end = 0;
    for (int t = 0; t < threads; ++t) {
      pthread_join(workers[t].thread, NULL);
      flops += workers[t].flops;
      sink += workers[t].sink;
      begin = workers[t].begin < begin ? workers[t].begin : begin;
      end = workers[t].end > end ? workers[t].end : end;
    }
    /* From the first start to the last end: threads that did not overlap
     * are not counted as parallel. */
    double rate = flops / (end - begin) / 1e9;
    best = rate > best ? rate : best;
    pthread_barrier_destroy(&start);
  }
  printf("ok %.2f %s %d%s\n", best, isa, threads, sink == 12345.0 ? " " : "");
  free(workers);
  return 0;
}
