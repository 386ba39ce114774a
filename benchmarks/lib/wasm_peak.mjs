// The WebAssembly f32x4 mul+add peak (wasm/peak_simd.c) in GFLOP/s: the best
// of `trials` loops of about `ms` each. Many short trials, as for the native
// peak (native/peak_fma.c): load elsewhere only ever lowers a trial, and a
// short one has a fair chance of running undisturbed. Runs in Node and in
// the benchmark page alike.

export async function wasmPeak(bytes, ms, trials) {
  const { instance } = await WebAssembly.instantiate(bytes);
  const { peak, flops_per_iteration: flopsPerIteration } = instance.exports;
  const block = 1 << 16; // about 0.15 ms
  // Engines tier a function up between calls (no on-stack replacement in
  // WebAssembly): call it enough for the optimizing tier to take over.
  for (let i = 0; i < 50; i++) peak(block, 0.999999, 0.000001, 1);
  let best = 0;
  for (let t = 0; t < trials; t++) {
    let iterations = 0;
    const t0 = performance.now();
    let elapsed;
    do {
      peak(block, 0.999999, 0.000001, 1);
      iterations += block;
      elapsed = performance.now() - t0;
    } while (elapsed < ms);
    best = Math.max(best, (iterations * flopsPerIteration()) / elapsed / 1e6);
  }
  return best;
}
