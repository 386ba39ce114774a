/*===- kiln_wasm_shim.c - the little libc a Kiln WASM module needs ---------===*
 *
 * Linked into every NAME.wasm instead of a C library, so that the module
 * imports nothing: the functions Halide's wasm runtime and the generated host
 * code call (memory, strings, malloc/free, abort, write), and the few exports
 * the JS loader uses (buffer allocation, the last runtime message). Compiled
 * freestanding (-ffreestanding implies -fno-builtin, so the loops below are
 * not turned back into calls to themselves).
 *
 * The allocator is a first-fit free list over the heap that wasm-ld leaves
 * above the static data, grown with memory.grow. It is small but real (it
 * frees and coalesces), because Halide allocates some intermediates with
 * malloc on every run: a bump allocator would grow without end.
 *
 * Built with atomics (NAME.threads.wasm, `kilnc --threads`), the memory is
 * shared with the loader's workers, each running its own instance of the
 * module on its own stack: the allocator takes a lock, and Halide's parallel
 * loops run on those workers through halide_do_par_for below.
 *===----------------------------------------------------------------------===*/
#include <stddef.h>
#include <stdint.h>

#define KILN_EXPORT(name) __attribute__((export_name(#name), used))

/* ---- memory and strings ------------------------------------------------ */

void *memcpy(void *dst, const void *src, size_t n) {
#ifdef __wasm_bulk_memory__
  __builtin_memcpy(dst, src, n); /* memory.copy */
#else
  unsigned char *d = dst;
  const unsigned char *s = src;
  for (; n >= 4 && (((uintptr_t)d | (uintptr_t)s) & 3) == 0; n -= 4, d += 4, s += 4)
    *(uint32_t *)d = *(const uint32_t *)s;
  while (n--)
    *d++ = *s++;
#endif
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
#ifdef __wasm_bulk_memory__
  __builtin_memmove(dst, src, n); /* memory.copy handles overlap */
#else
  unsigned char *d = dst;
  const unsigned char *s = src;
  if (d <= s || d >= s + n)
    return memcpy(dst, src, n);
  while (n--)
    d[n] = s[n];
#endif
  return dst;
}

void *memset(void *dst, int c, size_t n) {
#ifdef __wasm_bulk_memory__
  __builtin_memset(dst, c, n); /* memory.fill */
#else
  unsigned char *d = dst;
  while (n--)
    *d++ = (unsigned char)c;
#endif
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const unsigned char *x = a, *y = b;
  for (; n; --n, ++x, ++y)
    if (*x != *y)
      return *x - *y;
  return 0;
}

size_t strlen(const char *s) {
  const char *p = s;
  while (*p)
    ++p;
  return (size_t)(p - s);
}

/* ---- the allocator ------------------------------------------------------ */

/* Every block starts 16 bytes before a 64-byte boundary and spans a multiple
 * of 64 bytes: the 16-byte header is followed by a 64-byte aligned payload,
 * which splits and merges keep aligned. 64 is what the host code asks of
 * arenas and weights (targets/host/HostPlan.h, kBufferAlign). */
typedef struct block {
  size_t size;        /* whole block, header included */
  struct block *next; /* next free block by address (free blocks only) */
  size_t pad[2];
} block;
_Static_assert(sizeof(block) == 16, "the header must keep payloads 64-byte aligned");

enum { kAlign = 64, kPage = 65536 };
extern unsigned char __heap_base; /* from wasm-ld: the first byte after static data */
static block *free_list;          /* ordered by address, for coalescing */
static uintptr_t heap_top;        /* first byte the allocator has not handed to the list */
static size_t bytes_in_use;
static unsigned malloc_calls; /* every malloc since instantiation (kiln_malloc_calls) */

#ifdef __wasm_atomics__
/* Parallel tasks allocate too. A spin lock: the critical sections are a few
 * list steps, and the browser's main thread may not block. */
static int heap_lock;
static void lock_heap(void) {
  while (__atomic_exchange_n(&heap_lock, 1, __ATOMIC_ACQUIRE))
    ;
}
static void unlock_heap(void) { __atomic_store_n(&heap_lock, 0, __ATOMIC_RELEASE); }
#else
static void lock_heap(void) {}
static void unlock_heap(void) {}
#endif

static void insert_free(block *b) {
  block *prev = 0, *cur = free_list;
  while (cur && cur < b) {
    prev = cur;
    cur = cur->next;
  }
  b->next = cur;
  if (cur && (uintptr_t)b + b->size == (uintptr_t)cur) {
    b->size += cur->size;
    b->next = cur->next;
  }
  if (prev && (uintptr_t)prev + prev->size == (uintptr_t)b) {
    prev->size += b->size;
    prev->next = b->next;
  } else if (prev) {
    prev->next = b;
  } else {
    free_list = b;
  }
}

/* Adds the memory above heap_top, grown so that at least `need` bytes fit. */
static int grow(size_t need) {
  if (!heap_top)
    heap_top =
        ((uintptr_t)&__heap_base + sizeof(block) + kAlign - 1) / kAlign * kAlign - sizeof(block);
  uintptr_t end = __builtin_wasm_memory_size(0) * kPage;
  if (end < heap_top || end - heap_top < need + kAlign) {
    size_t pages = (need + kAlign - (end > heap_top ? end - heap_top : 0) + kPage - 1) / kPage;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1)
      return 0;
    end = __builtin_wasm_memory_size(0) * kPage;
  }
  block *b = (block *)heap_top;
  b->size = (end - heap_top) / kAlign * kAlign;
  heap_top += b->size;
  insert_free(b);
  return 1;
}

static void *malloc_locked(size_t n) {
  if (n > 0x7fff0000u)
    return 0;
  size_t size = (n + sizeof(block) + kAlign - 1) / kAlign * kAlign;
  for (int attempt = 0; attempt < 2; ++attempt) {
    block *prev = 0;
    for (block *b = free_list; b; prev = b, b = b->next) {
      if (b->size < size)
        continue;
      block *rest = b->next;
      if (b->size - size >= kAlign) { /* split: the tail stays free */
        block *tail = (block *)((uintptr_t)b + size);
        tail->size = b->size - size;
        tail->next = b->next;
        rest = tail;
        b->size = size;
      }
      if (prev)
        prev->next = rest;
      else
        free_list = rest;
      bytes_in_use += b->size;
      return (unsigned char *)b + sizeof(block);
    }
    if (!grow(size))
      return 0;
  }
  return 0;
}

void *malloc(size_t n) {
  lock_heap();
  ++malloc_calls;
  void *p = malloc_locked(n);
  unlock_heap();
  return p;
}

void free(void *p) {
  if (!p)
    return;
  block *b = (block *)((unsigned char *)p - sizeof(block));
  lock_heap();
  bytes_in_use -= b->size;
  insert_free(b);
  unlock_heap();
}

void *calloc(size_t count, size_t size) {
  if (size && count > 0x7fff0000u / size)
    return 0;
  void *p = malloc(count * size);
  if (p)
    memset(p, 0, count * size);
  return p;
}

/* Every payload is 64-byte aligned already. */
void *aligned_alloc(size_t alignment, size_t size) {
  return alignment <= kAlign ? malloc(size) : 0;
}

/* ---- process functions Halide's runtime refers to ----------------------- */

void abort(void) { __builtin_trap(); }

/* The module never exits, so nothing registered here ever runs. */
int __cxa_atexit(void (*fn)(void *), void *arg, void *dso) { return 0; }

/* Referenced by parts of Halide's runtime that the linker mostly drops
 * (tracing, the thread pool's set-up, timers). Defined here all the same:
 * left undefined, they would pull wasi-libc's stdio and malloc out of libc.a
 * (linked for math functions only) and clash with the allocator above.
 * There are no files, no environment, no clock and one thread. */
void *fopen(const char *path, const char *mode) { return 0; }
int fclose(void *file) { return -1; }
int fileno(void *file) { return -1; }
size_t fwrite(const void *data, size_t size, size_t count, void *file) { return 0; }
char *getenv(const char *name) { return 0; }
int atoi(const char *s) {
  int sign = 1, value = 0;
  if (*s == '-' || *s == '+')
    sign = *s++ == '-' ? -1 : 1;
  while (*s >= '0' && *s <= '9')
    value = value * 10 + (*s++ - '0');
  return sign * value;
}
long sysconf(int name) { return 1; }
int sched_yield(void) { return 0; }
int usleep(unsigned microseconds) { return 0; }
int gettimeofday(void *tv, void *tz) { return -1; }

/* Halide's runtime prints its error messages with write(2). The last ones
 * are kept, so that the loader can put them in the Error it throws. */
static char message[1024];
static size_t message_length;

long write(int fd, const void *data, size_t n) {
  const char *s = data;
  for (size_t i = 0; i < n; ++i) {
    if (message_length + 1 >= sizeof message) { /* keep the tail */
      memmove(message, message + sizeof message / 2, sizeof message / 2);
      message_length -= sizeof message / 2;
    }
    message[message_length++] = s[i];
  }
  message[message_length] = 0;
  return (long)n;
}

/* The module never exits, so the destructors Halide's runtime registers
 * (profiler report, cache and trace clean-up) never run: empty versions
 * replace its weak ones, and the linker drops about 4 KB of printing code
 * that only they reached. */
void halide_profiler_shutdown(void) {}
void halide_cache_cleanup(void) {}
void halide_trace_cleanup(void) {}

/* ---- what the JS loader calls ------------------------------------------- */

/* Halide's default error handler prints, then calls abort(): a trap that
 * leaves the module unusable. This one only keeps the message, so the kernel
 * returns its error code, run() a status, and the loader an Error with the
 * message. Weak: the shim is also built alone, without Halide's runtime. */
typedef void (*kiln_error_handler)(void *user_context, const char *message);
extern kiln_error_handler halide_set_error_handler(kiln_error_handler handler)
    __attribute__((weak));

static void keep_error(void *user_context, const char *text) { write(2, text, strlen(text)); }

/* A WASI-style reactor: the loader calls _initialize once before anything
 * else. Referring to __wasm_call_ctors here also stops wasm-ld from wrapping
 * every export in a call to it, as it does for modules with no entry. */
extern void __wasm_call_ctors(void);
KILN_EXPORT(_initialize) void _initialize(void) {
  __wasm_call_ctors();
  if (halide_set_error_handler)
    halide_set_error_handler(keep_error);
}

KILN_EXPORT(kiln_malloc) void *kiln_malloc(size_t n) { return malloc(n); }
KILN_EXPORT(kiln_free) void kiln_free(void *p) { free(p); }
KILN_EXPORT(kiln_heap_in_use) size_t kiln_heap_in_use(void) { return bytes_in_use; }
/* How many times malloc was called (the loader's kiln_malloc and Halide's
 * halide_malloc included): tests count a run's allocations by it. */
KILN_EXPORT(kiln_malloc_calls) unsigned kiln_malloc_calls(void) { return malloc_calls; }

/* The runtime's messages since the last kiln_clear_message, "" if none. */
KILN_EXPORT(kiln_message) const char *kiln_message(void) { return message; }
KILN_EXPORT(kiln_clear_message) void kiln_clear_message(void) {
  message_length = 0;
  message[0] = 0;
}

#ifdef __wasm_atomics__
/* ---- threads (NAME.threads.wasm) ----------------------------------------- *
 *
 * The loader starts the workers when the model loads; each instantiates the
 * module on the shared memory, moves its stack pointer to a stack of its own
 * (kiln_worker_set_stack) and stays in kiln_worker_loop. Halide's kernels call
 * halide_do_par_for for their parallel loops (this definition replaces the
 * runtime's weak one, and with it Halide's pthread pool, which wasm has no
 * threads to run): the calling thread publishes the loop, the workers and it
 * claim iterations, and it spins until all are done (the browser's main
 * thread may not block: memory.atomic.wait traps there). Nothing is created
 * or allocated per loop.
 *
 * `next` holds the loop's generation (high 16 bits) and 0 while the loop is
 * open, 0xffff (closed) between loops: the workers watch it and sleep on it.
 * `range` holds the generation and the unclaimed iterations: an iteration is
 * claimed by compare-and-swap against both, so a worker that wakes late can
 * never claim an iteration of a later loop with the earlier loop's closure. */
typedef int (*kiln_task)(void *user_context, int index, unsigned char *closure);

static struct {
  kiln_task fn;
  void *user_context;
  unsigned char *closure;
  int min, extent;
  unsigned next;
  /* The unclaimed iterations [front, back) of generation `gen`: gen << 32 |
   * front << 16 | back. The caller claims from the front and the workers
   * from the back, so that in a model's consecutive kernels each thread
   * computes about the same rows and reads the rows it wrote itself: on a
   * host whose two cores share no cache, a cache line written by the other
   * core took about 230 ns to arrive (Zen 3 VM, 2026-12-07), and claims in
   * one order gave each thread about half of its input from the other
   * core. */
  uint64_t range;
  int done;   /* iterations finished in this generation */
  int result; /* the first failing iteration's status */
} job = {.next = 0xffff};
static int workers;   /* workers in their loop, counted by themselves */
static int in_flight; /* a loop is running: nested parallel loops run inline */
static int quit;
static int worker_tasks; /* iterations the workers ran (kiln_threads_tasks) */
/* Whether the thread that runs the model may block (Node's main thread may,
 * a browser's may not): it then sleeps instead of spinning while the workers
 * finish, which leaves a busy machine's cores to them. */
static int caller_may_block;
/* Set by the loader (kiln_threads_serial) for runs it keeps on the calling
 * thread: every parallel loop then runs inline and the workers, finding no
 * loop, go to sleep after their spin. The loader sets it between runs only. */
static int serial;
/* Workers asleep in memory.atomic.wait32 on job.next, and whether the caller
 * sleeps on job.done: a notify (a call into the engine, a futex wake) is made
 * only when someone may be asleep. A sleeper announces itself before its
 * wait32 rechecks the word, so a store it missed makes that wait return at
 * once. */
static int sleepers;
static int caller_sleeping;
/* Set by the loader (kiln_threads_hold) for the length of a run it shares:
 * the workers then spin up to kHoldSpin (about 200 us) between the run's
 * loops instead of sleeping after kSpin. A model's serial kernels between two parallel ones take
 * 20-150 us, longer than the spin, and a sleeping worker takes 55-60 us to
 * join the next loop (benchmarks/wasm/pool_cost.mjs). Only for shared runs:
 * the loader shares a run only when a core is free for the worker
 * (PoolChooser), and clears it when the run returns. */
static int hold;

/* A worker spins this long (iterations of an atomic load, about 25 us in V8)
 * for the next loop before sleeping: a model's parallel kernels often follow
 * each other closely. Not longer: where other processes share the cores
 * (Linux puts each session in its own scheduling group), the spinning worker
 * spends the CPU time the caller's serial kernels need, and 2 threads ran
 * slower than 1. Measured in Node at load 11 on 2 cores, one run of each in
 * turn, 100-300 rounds, 1/2-thread medians with 100 us -> 25 us: BlazeFace
 * back 0.94x -> 1.30x, front 0.99x -> 1.12x, MobileNetV2 1.13x -> 1.14x,
 * FaceMesh 1.12x -> 1.09x. */
enum { kSpin = 1 << 14, kClosed = 0xffff };
/* How long a held worker (kiln_threads_hold) spins for the next loop: about
 * 200 us, longer than most serial stretches between a model's parallel
 * kernels, but bounded: where other processes share the cores, a thread that
 * spins loses its place to the ones that slept (Linux favours a thread that
 * wakes), and a worker spinning a whole run joined fewer of its loops
 * (BlazeFace front, load 8.5: it ran iterations in 4-7 of 16 shared runs, 15
 * of 16 without the hold). */
enum { kHoldSpin = 1 << 17 };

/* How long the caller spins for the workers' last iterations before it
 * sleeps (where it may): about 30 us. A worker's last claim is one iteration,
 * usually shorter than a futex wake-up (10-50 us, longer on a busy machine). */
enum { kCallerSpin = 1 << 14 };

/* Notify's count for "every waiter" (there are at most a few): under 2^30,
 * so that V8 passes it to its runtime as a small integer; 0xFFFFFFFF was
 * boxed in a heap number on the JS heap at every call. */
enum { kWakeAll = 1 << 29 };

/* Threads in the pool, the caller included: sets the size of a claim. */
static int pool_size(void) { return __atomic_load_n(&workers, __ATOMIC_RELAXED) + 1; }

/* Claims and runs iterations until the loop has none left. A claim takes an
 * eighth of what is left per thread (at least one): a loop of 64 cheap rows
 * costs 12 claims instead of 64 compare-and-swaps on the shared word (each
 * moving its cache line between the cores), while the last iterations still
 * go one at a time, so a thread that wakes late or is preempted holds little
 * for the other to wait on. */
static void work(unsigned gen, int worker) {
  kiln_task fn = job.fn;
  void *uc = job.user_context;
  unsigned char *closure = job.closure;
  int min = job.min;
  unsigned extent = (unsigned)job.extent;
  unsigned divisor = 8 * (unsigned)pool_size();
  for (;;) {
    uint64_t v = __atomic_load_n(&job.range, __ATOMIC_SEQ_CST);
    unsigned front = (unsigned)(v >> 16) & 0xffff, back = (unsigned)v & 0xffff;
    if ((unsigned)(v >> 32) != gen || front >= back)
      return;
    unsigned take = (back - front) / divisor;
    take = take ? take : 1;
    unsigned first = worker ? back - take : front;
    uint64_t claimed = worker ? (v & ~(uint64_t)0xffff) | first
                              : (v & ~((uint64_t)0xffff << 16)) | (uint64_t)(front + take) << 16;
    if (!__atomic_compare_exchange_n(&job.range, &v, claimed, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
      continue;
    for (unsigned i = first; i < first + take; ++i) {
      int status = fn(uc, min + (int)i, closure);
      if (status) {
        int zero = 0;
        __atomic_compare_exchange_n(&job.result, &zero, status, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST);
      }
    }
    if (worker)
      __atomic_fetch_add(&worker_tasks, (int)take, __ATOMIC_RELAXED);
    if (__atomic_add_fetch(&job.done, (int)take, __ATOMIC_SEQ_CST) == (int)extent &&
        __atomic_load_n(&caller_sleeping, __ATOMIC_SEQ_CST))
      __builtin_wasm_memory_atomic_notify(&job.done, 1);
  }
}

int halide_do_par_for(void *user_context, kiln_task fn, int min, int extent,
                      unsigned char *closure) {
  int zero = 0;
  if (extent <= 1 || extent >= kClosed || serial || !__atomic_load_n(&workers, __ATOMIC_SEQ_CST) ||
      !__atomic_compare_exchange_n(&in_flight, &zero, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
    for (int i = 0; i < extent; ++i) {
      int status = fn(user_context, min + i, closure);
      if (status)
        return status;
    }
    return 0;
  }
  /* `next` is closed: no worker reads the fields while they change. */
  job.fn = fn;
  job.user_context = user_context;
  job.closure = closure;
  job.min = min;
  job.extent = extent;
  job.done = 0;
  job.result = 0;
  unsigned gen = ((__atomic_load_n(&job.next, __ATOMIC_SEQ_CST) >> 16) + 1) & 0xffff;
  __atomic_store_n(&job.range, (uint64_t)gen << 32 | (unsigned)extent, __ATOMIC_SEQ_CST);
  __atomic_store_n(&job.next, gen << 16, __ATOMIC_SEQ_CST);
  if (__atomic_load_n(&sleepers, __ATOMIC_SEQ_CST))
    __builtin_wasm_memory_atomic_notify((int *)&job.next, kWakeAll);
  work(gen, 0);
  for (int done, spin = 0; (done = __atomic_load_n(&job.done, __ATOMIC_SEQ_CST)) < extent; ++spin)
    if (caller_may_block && spin >= kCallerSpin) {
      /* Woken by the last iteration; 1 ms at most. */
      __atomic_store_n(&caller_sleeping, 1, __ATOMIC_SEQ_CST);
      __builtin_wasm_memory_atomic_wait32(&job.done, done, 1000000);
      __atomic_store_n(&caller_sleeping, 0, __ATOMIC_SEQ_CST);
    }
  __atomic_store_n(&job.next, gen << 16 | kClosed, __ATOMIC_SEQ_CST);
  int result = job.result;
  __atomic_store_n(&in_flight, 0, __ATOMIC_SEQ_CST);
  return result;
}

/* A worker's life: returns only after kiln_threads_stop. */
KILN_EXPORT(kiln_worker_loop) void kiln_worker_loop(void) {
  unsigned seen = __atomic_load_n(&job.next, __ATOMIC_SEQ_CST) >> 16;
  __atomic_fetch_add(&workers, 1, __ATOMIC_SEQ_CST);
  for (;;) {
    unsigned v = 0;
    for (int spin = 0;; ++spin) {
      if (__atomic_load_n(&quit, __ATOMIC_SEQ_CST)) {
        __atomic_fetch_sub(&workers, 1, __ATOMIC_SEQ_CST);
        return;
      }
      v = __atomic_load_n(&job.next, __ATOMIC_SEQ_CST);
      if (v >> 16 != seen && (v & 0xffff) != kClosed)
        break;
      if (spin >= (__atomic_load_n(&hold, __ATOMIC_RELAXED) ? kHoldSpin : kSpin)) {
        __atomic_fetch_add(&sleepers, 1, __ATOMIC_SEQ_CST);
        __builtin_wasm_memory_atomic_wait32((int *)&job.next, (int)v, -1);
        __atomic_fetch_sub(&sleepers, 1, __ATOMIC_SEQ_CST);
        spin = 0;
      }
    }
    seen = v >> 16;
    work(seen, 1);
  }
}

/* Wakes the workers and makes them leave their loop (dispose). */
KILN_EXPORT(kiln_threads_stop) void kiln_threads_stop(void) {
  __atomic_store_n(&quit, 1, __ATOMIC_SEQ_CST);
  __builtin_wasm_memory_atomic_notify((int *)&job.next, kWakeAll);
}

/* How many workers are in their loop (the loader waits for all of them). */
KILN_EXPORT(kiln_threads_running) int kiln_threads_running(void) {
  return __atomic_load_n(&workers, __ATOMIC_SEQ_CST);
}

/* Halide's wasm_threads runtime brings its pthread pool, which the linker
 * keeps (but nothing reaches: halide_do_par_for above replaces its entry).
 * Its pthread calls must still resolve, and wasi-libc has no pthreads: they
 * trap, so that a new way into the pool shows at once. */
int pthread_create(void *thread, const void *attr, void *(*fn)(void *), void *arg) {
  __builtin_trap();
}
int pthread_join(long thread, void **result) { __builtin_trap(); }
int pthread_mutex_init(void *mutex, const void *attr) { __builtin_trap(); }
int pthread_mutex_lock(void *mutex) { __builtin_trap(); }
int pthread_mutex_unlock(void *mutex) { __builtin_trap(); }
int pthread_mutex_destroy(void *mutex) { __builtin_trap(); }
int pthread_cond_init(void *cond, const void *attr) { __builtin_trap(); }
int pthread_cond_wait(void *cond, void *mutex) { __builtin_trap(); }
int pthread_cond_signal(void *cond) { __builtin_trap(); }
int pthread_cond_broadcast(void *cond) { __builtin_trap(); }
int pthread_cond_destroy(void *cond) { __builtin_trap(); }

KILN_EXPORT(kiln_threads_caller_may_block) void kiln_threads_caller_may_block(int may) {
  __atomic_store_n(&caller_may_block, may, __ATOMIC_SEQ_CST);
}

KILN_EXPORT(kiln_threads_serial) void kiln_threads_serial(int on) { serial = on; }

/* Workers stay awake while `on` (the loader's shared runs): set, it also
 * wakes the sleeping ones, so that they are spinning when the run's first
 * parallel loop comes, not 55-60 us later. Notify is allowed on a browser's
 * main thread (only wait is not). */
KILN_EXPORT(kiln_threads_hold) void kiln_threads_hold(int on) {
  __atomic_store_n(&hold, on, __ATOMIC_SEQ_CST);
  if (on && __atomic_load_n(&sleepers, __ATOMIC_SEQ_CST))
    __builtin_wasm_memory_atomic_notify((int *)&job.next, kWakeAll);
}

/* How many loop iterations the workers have run, for the tests: proof that
 * the kernels' parallel loops reached them. */
KILN_EXPORT(kiln_threads_tasks) int kiln_threads_tasks(void) {
  return __atomic_load_n(&worker_tasks, __ATOMIC_RELAXED);
}

/* Each instance has its own __stack_pointer global, which starts at the top
 * of the main thread's stack: a worker moves it to the stack the loader
 * allocated for it before calling anything else. No C builtin sets it. */
__asm__(".globaltype __stack_pointer, i32\n"
        ".globl kiln_worker_set_stack\n"
        ".type kiln_worker_set_stack,@function\n"
        "kiln_worker_set_stack:\n"
        ".functype kiln_worker_set_stack (i32) -> ()\n"
        "local.get 0\n"
        "global.set __stack_pointer\n"
        "end_function\n");
#endif
