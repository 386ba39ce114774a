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
/* The duration of call `call`, in microseconds. */
double kiln_kernel_timer_us(int call);

/* For the generated wrappers: a monotonic clock in microseconds, and the
 * duration of one call. */
double kiln_kernel_timer_now_us(void);
void kiln_kernel_timer_record(double us);

#endif
