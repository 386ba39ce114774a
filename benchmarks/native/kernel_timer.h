/* kernel_timer.h: per-call kernel timing for bench_model.c's "kernels"
 * command. benchmarks/lib/kernels.mjs generates one wrapper per kernel
 * function (linked with -Wl,--wrap=<fn>, so the generated host's calls reach
 * the wrapper and the wrapper reaches the real kernel); each wrapper times its
 * call and records it here, in call order. Single-threaded use only: the
 * host calls kernels one after another (their own threads run inside). */
#ifndef KILN_BENCH_KERNEL_TIMER_H
#define KILN_BENCH_KERNEL_TIMER_H

/* Forgets the calls recorded so far (call before each run). */
void kiln_kernel_timer_reset(void);
/* Calls recorded since the last reset. */
int kiln_kernel_timer_calls(void);
/* The duration of call `call`, in microseconds, and the kernel function it
 * called (K of NAME_kK). */
double kiln_kernel_timer_us(int call);
int kiln_kernel_timer_function(int call);

/* For the generated wrappers: a monotonic clock in microseconds (or, when
 * kiln_kernel_timer_cpu_clock is set, the calling thread's CPU time), and
 * one call of kernel function `function` that took `us`. */
extern int kiln_kernel_timer_cpu_clock;
double kiln_kernel_timer_now_us(void);
void kiln_kernel_timer_record(int function, double us);

#endif
