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

#if !defined(__wasm__)
/* Kernel scratch (see kiln_install_halide_hooks). WebAssembly modules bring
 * their own malloc, which already reuses freed blocks (targets/wasm/shim). */
typedef void *(*kiln_halide_malloc)(void *user_context, size_t size);
typedef void (*kiln_halide_free)(void *user_context, void *ptr);
extern kiln_halide_malloc halide_set_custom_malloc(kiln_halide_malloc fn);
extern kiln_halide_free halide_set_custom_free(kiln_halide_free fn);
extern void *halide_default_malloc(void *user_context, size_t size);

/* A block's header fills the first 128 bytes, so the memory after it keeps
 * the alignment of Halide's own allocations. */
enum { KILN_BLOCK_HEADER = 128 };
typedef struct kiln_block {
  struct kiln_block *next;
  size_t size;
} kiln_block;
static kiln_block *kiln_free_blocks;
static char kiln_free_lock;

static void kiln_lock(void) {
  while (__atomic_test_and_set(&kiln_free_lock, __ATOMIC_ACQUIRE)) {
  }
}
static void kiln_unlock(void) { __atomic_clear(&kiln_free_lock, __ATOMIC_RELEASE); }

/* The smallest free block of at least `size` bytes, unlinked (call locked).
 * Best fit is what makes a reservation work: requests that each have a
 * block at least their size get one, in any order. */
static kiln_block *kiln_take_best_fit(size_t size) {
  kiln_block **best = 0;
  for (kiln_block **b = &kiln_free_blocks; *b; b = &(*b)->next)
    if ((*b)->size >= size && (!best || (*b)->size < (*best)->size))
      best = b;
  kiln_block *found = best ? *best : 0;
  if (found)
    *best = found->next;
  return found;
}

static void *kiln_scratch_malloc(void *user_context, size_t size) {
  kiln_lock();
  kiln_block *found = kiln_take_best_fit(size);
  kiln_unlock();
  if (!found) {
    found = (kiln_block *)halide_default_malloc(user_context, size + KILN_BLOCK_HEADER);
    if (!found)
      return 0;
    found->size = size;
  }
  return (unsigned char *)found + KILN_BLOCK_HEADER;
}

static void kiln_scratch_free(void *user_context, void *ptr) {
  (void)user_context;
  if (!ptr)
    return;
  kiln_block *block = (kiln_block *)((unsigned char *)ptr - KILN_BLOCK_HEADER);
  kiln_lock();
  block->next = kiln_free_blocks;
  kiln_free_blocks = block;
  kiln_unlock();
}

extern int halide_host_cpu_count(void);

/* Parallel loops (issue 20: no model may run slower on 2 threads than on 1).
 * Halide's pool hands out a parallel loop one iteration at a time, each
 * claimed under the pool's one global mutex. Kiln's loops are rows of small
 * kernels, often under a microsecond each: measured with perf on FaceMesh
 * at 2 threads, 20% of the time went to halide_mutex_lock, the two threads
 * taking turns on the lock, and the model ran no faster than on 1 thread.
 * Kiln's do_par_for runs loops on its own pool (below), or, when that is
 * busy, gives Halide's pool a few contiguous chunks (two per thread, so that
 * a thread that wakes late or is preempted leaves little for the other to
 * wait on); it runs a loop on the calling thread, with no lock at all, when
 * one thread is set. */
typedef int (*kiln_halide_task)(void *user_context, int index, uint8_t *closure);
typedef int (*kiln_halide_do_par_for)(void *user_context, kiln_halide_task f, int min, int size,
                                      uint8_t *closure);
extern kiln_halide_do_par_for halide_set_custom_do_par_for(kiln_halide_do_par_for fn);
extern int halide_default_do_par_for(void *user_context, kiln_halide_task f, int min, int size,
                                     uint8_t *closure);

/* The count last given to kiln_set_num_threads; 0: Halide's default (the
 * CPU count, or HL_NUM_THREADS). Read racily by design: it only sets how
 * finely loops are cut, never whether they are correct. */
static int kiln_threads;

typedef struct kiln_par_loop {
  kiln_halide_task f;
  uint8_t *closure;
  int min, size, chunks;
} kiln_par_loop;

static int kiln_run_iterations(void *user_context, kiln_halide_task f, int begin, int end,
                               uint8_t *closure) {
  for (int i = begin; i < end; ++i) {
    int result = f(user_context, i, closure);
    if (result)
      return result;
  }
  return 0;
}

static int kiln_par_chunk(void *user_context, int chunk, uint8_t *closure) {
  const kiln_par_loop *loop = (const kiln_par_loop *)closure;
  /* The larger chunks first: the pool hands chunks out in order, so 14 rows
   * cut 3,4,3,4 left one of 2 threads 8 rows and the other 6 (MobileNetV2's
   * 14x14 convs); cut 4,4,3,3 they split 7/7. */
  int base = loop->size / loop->chunks, extra = loop->size % loop->chunks;
  int begin = loop->min + chunk * base + (chunk < extra ? chunk : extra);
  int end = begin + base + (chunk < extra ? 1 : 0);
  return kiln_run_iterations(user_context, loop->f, begin, end, loop->closure);
}

/* Kiln's own pool (issue 20: MobileNetV2 on 2 threads runs about 36
 * parallel loops per inference, one per kernel, many under 50 us).
 * - The caller runs tasks too, and the loop is cut into as many chunks as
 *   threads (KILN_POOL_CHUNKS per thread), claimed from one atomic word: no
 *   mutex on the way in or out, where Halide's pool takes its one mutex per
 *   job and per task.
 * - Workers spin (pause) for a while after each loop before they sleep on a
 *   condition variable, so the next kernel's loop, usually microseconds
 *   later, finds them awake; a worker asleep costs the caller a futex wake
 *   and the worker 5-50 us to run.
 * - One loop at a time: a loop started while the pool is busy (another
 *   context on another thread, or a loop nested in a task) goes to Halide's
 *   pool, chunked as above; so two contexts still run at once.
 * The claim word packs the job's generation (32 bits), its task count (16)
 * and the next task to claim (16). A worker reads the job's fields, then
 * claims a task by compare-and-swap on the word it read them under: a
 * stale read (the caller already publishing the next job) cannot claim,
 * because the next job is only published once every task of this one has
 * been claimed and has finished. */
/* One chunk per thread: the caller claims chunk 0 as it publishes the loop
 * and an awake worker chunk 1, so consecutive kernels that split the same
 * rows keep them on the same core, in its cache (two per thread mixed them:
 * MobileNetV2 on 2 threads, sum of per-kernel medians 2.16 ms with two,
 * 2.09 ms with one). A late worker's chunk is taken by the caller. */
enum { KILN_POOL_CHUNKS = 1 };

struct halide_mutex {
  uintptr_t _private[1];
};
struct halide_cond {
  uintptr_t _private[1];
};
struct halide_thread;
extern void halide_mutex_lock(struct halide_mutex *mutex);
extern void halide_mutex_unlock(struct halide_mutex *mutex);
extern void halide_cond_broadcast(struct halide_cond *cond);
extern void halide_cond_wait(struct halide_cond *cond, struct halide_mutex *mutex);
extern struct halide_thread *halide_spawn_thread(void (*f)(void *), void *closure);
extern void halide_thread_yield(void);

static struct {
  uint64_t claim; /* generation << 32 | tasks << 16 | next task */
  /* The job (valid for the generation in `claim`): */
  kiln_halide_task f;
  uint8_t *closure;
  void *user_context;
  int min, size, helpers; /* helpers: workers that may take part */
  int done;               /* tasks finished */
  int result;             /* the first task error, else 0 */
  int busy;               /* a caller owns the pool */
  int spawned;            /* workers started (only the owner starts them) */
  int sleepers;           /* workers waiting on `wake` */
  struct halide_mutex mutex;
  struct halide_cond wake;
} kiln_pool;

static void kiln_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

/* How long a worker waits awake for the next loop before it sleeps: about
 * 10 us of pauses, then yields to about 0.2 ms (x86: by the time-stamp
 * counter; elsewhere by counts). Pauses alone answer fastest on an idle
 * machine, but on a loaded one a worker that only pauses holds a core that
 * the caller's own thread may be waiting for: yields let it run. Returns 0
 * (keep pausing), 1 (yield) or 2 (sleep). */
static int kiln_wait_phase(uint64_t start, int spins) {
#if defined(__x86_64__)
  uint64_t cycles = __builtin_ia32_rdtsc() - start;
  (void)spins;
  return cycles < 30000 ? 0 : cycles < 600000 ? 1 : 2;
#else
  (void)start;
  return spins < 1000 ? 0 : spins < 3000 ? 1 : 2;
#endif
}
static uint64_t kiln_wait_start(void) {
#if defined(__x86_64__)
  return __builtin_ia32_rdtsc();
#else
  return 0;
#endif
}

/* Runs chunk k of `tasks` (the larger chunks first) and counts it done,
 * keeping the job's first error. */
static void kiln_pool_chunk(void *user_context, kiln_halide_task f, uint8_t *closure, int min,
                            int size, int tasks, int k) {
  int base = size / tasks, extra = size % tasks;
  int begin = min + k * base + (k < extra ? k : extra);
  int result = kiln_run_iterations(user_context, f, begin, begin + base + (k < extra), closure);
  if (result) {
    int none = 0;
    __atomic_compare_exchange_n(&kiln_pool.result, &none, result, 0, __ATOMIC_RELAXED,
                                __ATOMIC_RELAXED);
  }
  __atomic_fetch_add(&kiln_pool.done, 1, __ATOMIC_RELEASE);
}

/* Claims and runs the job's tasks while any are left (c: the claim word
 * the caller last read); returns when none is. */
static void kiln_pool_work(uint64_t c) {
  for (;;) {
    unsigned tasks = (unsigned)(c >> 16) & 0xffff, next = (unsigned)c & 0xffff;
    if (next >= tasks)
      return;
    kiln_halide_task f = __atomic_load_n(&kiln_pool.f, __ATOMIC_RELAXED);
    uint8_t *closure = __atomic_load_n(&kiln_pool.closure, __ATOMIC_RELAXED);
    void *user_context = __atomic_load_n(&kiln_pool.user_context, __ATOMIC_RELAXED);
    int min = __atomic_load_n(&kiln_pool.min, __ATOMIC_RELAXED);
    int size = __atomic_load_n(&kiln_pool.size, __ATOMIC_RELAXED);
    if (!__atomic_compare_exchange_n(&kiln_pool.claim, &c, c + 1, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
      continue; /* c now holds the word as it is */
    kiln_pool_chunk(user_context, f, closure, min, size, (int)tasks, (int)next);
    c = __atomic_load_n(&kiln_pool.claim, __ATOMIC_ACQUIRE);
  }
}

static void kiln_pool_worker(void *arg) {
  int index = (int)(intptr_t)arg;
  uint64_t seen = __atomic_load_n(&kiln_pool.claim, __ATOMIC_ACQUIRE);
  for (;;) {
    if (index < __atomic_load_n(&kiln_pool.helpers, __ATOMIC_RELAXED))
      kiln_pool_work(seen);
    /* Wait for the word to move on: a new job (or another claim). */
    uint64_t start = kiln_wait_start(), c;
    int spins = 0;
    while ((c = __atomic_load_n(&kiln_pool.claim, __ATOMIC_ACQUIRE)) == seen) {
      int phase = kiln_wait_phase(start, ++spins);
      if (phase == 0) {
        kiln_pause();
        continue;
      }
      if (phase == 1) {
        halide_thread_yield();
        continue;
      }
      halide_mutex_lock(&kiln_pool.mutex);
      __atomic_fetch_add(&kiln_pool.sleepers, 1, __ATOMIC_SEQ_CST);
      while (__atomic_load_n(&kiln_pool.claim, __ATOMIC_SEQ_CST) == seen)
        halide_cond_wait(&kiln_pool.wake, &kiln_pool.mutex);
      __atomic_fetch_sub(&kiln_pool.sleepers, 1, __ATOMIC_SEQ_CST);
      halide_mutex_unlock(&kiln_pool.mutex);
      start = kiln_wait_start();
      spins = 0;
    }
    seen = c;
  }
}

/* Runs the loop on the pool (the caller owns it); returns the first error. */
static int kiln_pool_run(void *user_context, kiln_halide_task f, int min, int size,
                         uint8_t *closure, int threads) {
  int tasks = size < KILN_POOL_CHUNKS * threads ? size : KILN_POOL_CHUNKS * threads;
  if (tasks > 0xffff)
    tasks = 0xffff;
  int helpers = threads - 1;
  while (kiln_pool.spawned < helpers) {
    if (!halide_spawn_thread(kiln_pool_worker, (void *)(intptr_t)kiln_pool.spawned))
      break;
    ++kiln_pool.spawned;
  }
  __atomic_store_n(&kiln_pool.f, f, __ATOMIC_RELAXED);
  __atomic_store_n(&kiln_pool.closure, closure, __ATOMIC_RELAXED);
  __atomic_store_n(&kiln_pool.user_context, user_context, __ATOMIC_RELAXED);
  __atomic_store_n(&kiln_pool.min, min, __ATOMIC_RELAXED);
  __atomic_store_n(&kiln_pool.size, size, __ATOMIC_RELAXED);
  __atomic_store_n(&kiln_pool.helpers, helpers, __ATOMIC_RELAXED);
  __atomic_store_n(&kiln_pool.done, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&kiln_pool.result, 0, __ATOMIC_RELAXED);
  uint64_t generation = (__atomic_load_n(&kiln_pool.claim, __ATOMIC_RELAXED) >> 32) + 1;
  /* Published with chunk 0 already claimed: it is the caller's, so that
   * chunk k runs on the same thread from one loop to the next. */
  __atomic_store_n(&kiln_pool.claim, generation << 32 | (uint64_t)tasks << 16 | 1,
                   __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&kiln_pool.sleepers, __ATOMIC_SEQ_CST)) {
    halide_mutex_lock(&kiln_pool.mutex);
    halide_cond_broadcast(&kiln_pool.wake);
    halide_mutex_unlock(&kiln_pool.mutex);
  }
  kiln_pool_chunk(user_context, f, closure, min, size, tasks, 0);
  kiln_pool_work(__atomic_load_n(&kiln_pool.claim, __ATOMIC_ACQUIRE));
  /* The workers' last tasks: usually already done, or microseconds away. */
  for (int spins = 0; __atomic_load_n(&kiln_pool.done, __ATOMIC_ACQUIRE) < tasks; ++spins) {
    if (spins < 256)
      kiln_pause();
    else
      halide_thread_yield(); /* a worker was preempted (a loaded machine) */
  }
  return __atomic_load_n(&kiln_pool.result, __ATOMIC_RELAXED);
}

static int kiln_do_par_for(void *user_context, kiln_halide_task f, int min, int size,
                           uint8_t *closure) {
  int threads = __atomic_load_n(&kiln_threads, __ATOMIC_RELAXED);
  if (threads <= 0)
    threads = halide_host_cpu_count();
  if (threads <= 1 || size <= 1)
    return kiln_run_iterations(user_context, f, min, min + size, closure);
  if (!__atomic_exchange_n(&kiln_pool.busy, 1, __ATOMIC_ACQUIRE)) {
    int result = kiln_pool_run(user_context, f, min, size, closure, threads);
    __atomic_store_n(&kiln_pool.busy, 0, __ATOMIC_RELEASE);
    return result;
  }
  kiln_par_loop loop = {f, closure, min, size, size < 2 * threads ? size : 2 * threads};
  return halide_default_do_par_for(user_context, kiln_par_chunk, 0, loop.chunks, (uint8_t *)&loop);
}

kiln_status kiln_reserve_scratch(const size_t *per_thread, int per_thread_count, const size_t *once,
                                 int once_count, int num_threads) {
  if (per_thread_count < 0 || once_count < 0 || (per_thread_count && !per_thread) ||
      (once_count && !once) || num_threads < 0 || num_threads > KILN_MAX_THREADS)
    return KILN_INVALID_ARGUMENT;
  /* Halide's pool runs tasks on its workers and on the calling thread. */
  int threads = (num_threads > 0 ? num_threads : halide_host_cpu_count()) + 1;
  kiln_block *held = 0; /* blocks that meet this reservation, set aside */
  kiln_status status = KILN_OK;
  kiln_lock();
  for (int t = 0; t <= threads && status == KILN_OK; ++t) {
    /* t == threads: the blocks needed once per run. */
    const size_t *sizes = t < threads ? per_thread : once;
    int count = t < threads ? per_thread_count : once_count;
    for (int i = 0; i < count; ++i) {
      kiln_block *block = kiln_take_best_fit(sizes[i]);
      if (!block) {
        block = (kiln_block *)halide_default_malloc(0, sizes[i] + KILN_BLOCK_HEADER);
        if (!block) {
          status = KILN_OUT_OF_MEMORY;
          break;
        }
        block->size = sizes[i];
      }
      block->next = held;
      held = block;
    }
  }
  while (held) {
    kiln_block *next = held->next;
    held->next = kiln_free_blocks;
    kiln_free_blocks = held;
    held = next;
  }
  kiln_unlock();
  return status;
}
#endif

/* 0: not installed, 1: a thread is installing them, 2: installed. Halide
 * reads its hooks without synchronisation, so they are written once, before
 * any create returns, never while a kernel may be reading them. */
static int kiln_hooks_state;

void kiln_install_halide_hooks(void) {
  int expected = 0;
  if (__atomic_load_n(&kiln_hooks_state, __ATOMIC_ACQUIRE) == 2)
    return;
  if (__atomic_compare_exchange_n(&kiln_hooks_state, &expected, 1, 0, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE)) {
    halide_set_error_handler(kiln_error_handler);
#if !defined(__wasm__)
    halide_set_custom_malloc(kiln_scratch_malloc);
    halide_set_custom_free(kiln_scratch_free);
    halide_set_custom_do_par_for(kiln_do_par_for);
#endif
    __atomic_store_n(&kiln_hooks_state, 2, __ATOMIC_RELEASE);
    return;
  }
  while (__atomic_load_n(&kiln_hooks_state, __ATOMIC_ACQUIRE) != 2) {
  }
}

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
  case KILN_CONTEXT_BUSY:
    return "context busy";
  case KILN_INVALID_WEIGHTS:
    return "invalid weights";
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
  case KILN_DTYPE_U16:
    return "u16";
  case KILN_DTYPE_U32:
    return "u32";
  case KILN_DTYPE_U64:
    return "u64";
  case KILN_DTYPE_F64:
    return "f64";
  case KILN_DTYPE_BF16:
    return "bf16";
  }
  return "?";
}

size_t kiln_dtype_size(kiln_dtype dtype) {
  switch (dtype) {
  case KILN_DTYPE_I8:
  case KILN_DTYPE_U8:
  case KILN_DTYPE_BOOL:
    return 1;
  case KILN_DTYPE_F16:
  case KILN_DTYPE_BF16:
  case KILN_DTYPE_I16:
  case KILN_DTYPE_U16:
    return 2;
  case KILN_DTYPE_F32:
  case KILN_DTYPE_I32:
  case KILN_DTYPE_U32:
    return 4;
  case KILN_DTYPE_F64:
  case KILN_DTYPE_I64:
  case KILN_DTYPE_U64:
    return 8;
  }
  return 0;
}

kiln_status kiln_set_num_threads(int num_threads) {
  /* Halide's own check of a negative count calls its error handler, which
   * aborts unless Kiln's is installed. */
  if (num_threads < 0 || num_threads > KILN_MAX_THREADS)
    return KILN_INVALID_ARGUMENT;
  halide_set_num_threads(num_threads);
#if !defined(__wasm__)
  __atomic_store_n(&kiln_threads, num_threads, __ATOMIC_RELAXED);
#endif
  return KILN_OK;
}
