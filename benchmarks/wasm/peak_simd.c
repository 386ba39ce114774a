/* peak_simd.c: the WebAssembly peak for the "% of peak" columns, compiled by
 * benchmarks/lib/artifacts.mjs with
 *   clang-19 --target=wasm32 -O2 -msimd128 -nostdlib -Wl,--no-entry
 * and run in Node and in Chromium. SIMD128 has no fused multiply-add (only
 * relaxed SIMD does), so the peak is an f32x4 multiply and an add per chain:
 * 8 FLOPs per chain and iteration.
 *
 * Built with -mrelaxed-simd -DKILN_RELAXED (benchmarks/wasm/kernels.mjs),
 * each step is one f32x4.relaxed_madd instead: the peak of kilnc
 * --relaxed-simd's modules (an FMA where the engine emits one).
 *
 * Eight chains: engines give WebAssembly at most 16 xmm registers, and
 * tiles above 8 accumulators lost 15-30% (docs/TRAPS.md H3); a multiply's and
 * an add's latency (4 + 4 cycles) over two ports also needs about eight.
 */
#include <wasm_simd128.h>

#define CHAINS 8

/* Runs `iterations` of the loop; returns a sum of the chains so the work
 * cannot be removed. `mul`, `add` and `start` come from the caller, so
 * nothing is known at compile time. */
__attribute__((export_name("peak"))) float peak(int iterations, float mul, float add, float start) {
  v128_t acc[CHAINS];
  const v128_t m = wasm_f32x4_splat(mul), a = wasm_f32x4_splat(add);
  for (int c = 0; c < CHAINS; ++c)
    acc[c] = wasm_f32x4_splat(start + c * 1e-3f);
  for (int i = 0; i < iterations; ++i)
    for (int c = 0; c < CHAINS; ++c)
#ifdef KILN_RELAXED
      acc[c] = wasm_f32x4_relaxed_madd(acc[c], m, a);
#else
      acc[c] = wasm_f32x4_add(wasm_f32x4_mul(acc[c], m), a);
#endif
  v128_t sum = acc[0];
  for (int c = 1; c < CHAINS; ++c)
    sum = wasm_f32x4_add(sum, acc[c]);
  return wasm_f32x4_extract_lane(sum, 0) + wasm_f32x4_extract_lane(sum, 1) +
         wasm_f32x4_extract_lane(sum, 2) + wasm_f32x4_extract_lane(sum, 3);
}

/* FLOPs per iteration, for the caller's arithmetic. */
__attribute__((export_name("flops_per_iteration"))) int flops_per_iteration(void) {
  return CHAINS * 4 * 2;
}
