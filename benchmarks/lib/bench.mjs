// One model's benchmark: Kiln's artifacts (timed compiles), every contender
// started side by side, warm-up, then alternating rounds, then memory, sizes,
// FLOPs and, for the chosen models, the per-kernel breakdown.

import fs from 'node:fs';
import path from 'node:path';

import { BuildError, buildHarness, compileCpu, compileWasm, kernelIr } from './artifacts.mjs';
import { ChildContender, RELAXED_FLAGS, nodeWorker } from './contender.mjs';
import { countKernels, countOnnx } from './flops.mjs';
import { callgrindKernels, kernelRows, timeKernels } from './kernels.mjs';
import { CONTENDERS } from './models.mjs';
import { kilnWasmSize, nativeSizes, ortWebSize, tfjsSize } from './sizes.mjs';
import { ratio, summarize } from './stats.mjs';


// Kiln compiles the ONNX file if there is one, else model.json; an importer
// that does not take the file yet is a skip with its reason, not a failure.
function kilnSource(model) {
  return model.onnx ?? model.tfjs;
}
const onPath = (tool) => (process.env.PATH ?? '').split(':').some((d) => d && fs.existsSync(path.join(d, tool)));
const NOT_YET = /unknown model type|not implemented|unsupported (model|format)/i;

// Starts each contender; one that fails is reported and left out, so the
// others are still measured.
async function startAll(entries, errors, log) {
  const started = [];
  for (const [id, make] of entries) {
    let c = null;
    try {
      c = await make();
      const ready = (await c.start?.()) ?? '';
      started.push([id, c, ready.startsWith('{') ? JSON.parse(ready) : {}]);
      log(`    started ${id}`);
    } catch (e) {
      await c?.close();
      errors.push(`${id} did not start: ${e.message}`);
    }
  }
  return started;
}

/** Warm-up, then `rounds` rounds in rotating order; samples per contender. */
async function alternate(contenders, { rounds, roundMs, warmupMs, smoke }, log) {
  const samples = new Map(contenders.map(([id]) => [id, []]));
  const perRound = new Map();
  for (const [id, c] of contenders) {
    const warm = await c.run(smoke ? 1 : 3);
    let spent = warm.reduce((a, b) => a + b, 0);
    while (!smoke && spent < warmupMs && warm.length < 200) {
      const t = await c.run(1);
      warm.push(...t);
      spent += t[0];
    }
    const estimate = summarize(warm).median;
    perRound.set(id, smoke ? 1 : Math.max(2, Math.min(100, Math.round(roundMs / estimate))));
  }
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < contenders.length; i++) {
      const [id, c] = contenders[(i + r) % contenders.length];
      samples.get(id).push(...(await c.run(perRound.get(id))));
    }
    log(`    round ${r + 1}/${rounds}`);
  }
  return samples;
}

/**
 * Benchmarks `model`. ctx: {workDir, browser (or null), options, peaks, log}.
 * Returns the model's section of the results; failures become `errors`.
 */
export async function benchmarkModel(model, ctx) {
  const { options, log } = ctx;
  const result = { key: model.key, title: model.title, onnx: model.onnx, tfjs: model.tfjs, skipped: null,
    errors: [], notes: [], compile: {}, flops: {}, contenders: {}, comparisons: [], sizes: {} };
  const source = kilnSource(model);
  for (const f of [model.onnx, model.tfjs].filter(Boolean))
    if (!fs.existsSync(f)) {
      result.skipped = `${f} is missing (scripts/setup.sh; KILN_SETUP_HUMAN_MODELS=1 for the TF.js models)`;
      return result;
    }
  const dir = path.join(ctx.workDir, model.key);
  fs.mkdirSync(dir, { recursive: true });
  const name = model.key;

  // Kiln's artifacts, timed.
  let cpu;
  let wasm;
  let wasmRelaxed;
  try {
    log(`  compiling ${path.basename(source)} (cpu)`);
    cpu = compileCpu(source, path.join(dir, 'cpu'), name);
    result.compile.cpu = cpu.compile;
    log(`  compiling ${path.basename(source)} (wasm)`);
    wasm = compileWasm(source, path.join(dir, 'wasm'), name);
    result.compile.wasm = { tool: wasm.tool, ...wasm.compile };
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    if (source === model.tfjs && NOT_YET.test(e.message)) result.skipped = `Kiln cannot compile the TF.js model yet: ${e.message}`;
    else result.errors.push(`compile: ${e.message}`);
    return result;
  }
  // Its relaxed SIMD module, built apart so that the timed compile and the
  // sizes above stay those of the default build; if it fails, the model's
  // other rows are still measured.
  try {
    log(`  compiling ${path.basename(source)} (wasm, --relaxed-simd)`);
    wasmRelaxed = compileWasm(source, path.join(dir, 'wasm-relaxed'), name, ['--relaxed-simd', '--no-fallback']);
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    result.errors.push(`compile (--relaxed-simd): ${e.message}`);
  }

  // FLOPs: the ONNX counter where there is an ONNX file, the kernel IR always.
  const kernels = countKernels(kernelIr(source, path.join(dir, `${name}.kernels.mlir`)));
  result.flops.kernels = kernels.reduce((a, k) => a + k.flops, 0);
  if (model.onnx) {
    const onnx = countOnnx(model.onnx);
    result.flops.onnx = onnx.flops;
    if (onnx.missing.length) result.errors.push(`ONNX FLOP counter: ${onnx.missing.join('; ')}`);
    else if (Math.abs(onnx.flops - result.flops.kernels) > 1e-3 * onnx.flops)
      result.errors.push(`FLOP counters disagree: ONNX ${onnx.flops}, kernel IR ${result.flops.kernels}`);
  }
  result.flops.used = result.flops.onnx ?? result.flops.kernels;

  // The contenders.
  const entries = [];
  for (const threads of [1, 2]) {
    const exe = path.join(dir, `bench_${threads}t`);
    entries.push([`kiln-native-${threads}t`, () => {
      buildHarness(cpu, exe);
      return new ChildContender(`kiln-native-${threads}t`, exe, ['--threads', String(threads)]);
    }]);
    if (model.onnx) entries.push([`ort-node-${threads}t`, () => nodeWorker(`ort-node-${threads}t`, 'ort-node', { model: model.onnx, threads })]);
  }
  // The plain row is the default build (no relaxed module: its loader has
  // no choice to make); the relaxed row is checked to run the relaxed one.
  entries.push(['kiln-wasm-node', () => nodeWorker('kiln-wasm-node', 'kiln-wasm', { dir: wasm.dir, name })]);
  if (wasmRelaxed)
    entries.push(['kiln-wasm-node-relaxed', () => nodeWorker('kiln-wasm-node-relaxed', 'kiln-wasm',
      { dir: wasmRelaxed.dir, name, relaxed: true }, RELAXED_FLAGS)]);
  if (model.onnx) entries.push(['ort-web-node', () => nodeWorker('ort-web-node', 'ort-web', { model: model.onnx })]);
  else result.notes.push('no ONNX model: no ONNX Runtime peers');
  if (model.tfjs) entries.push(['tfjs-wasm-node', () => nodeWorker('tfjs-wasm-node', 'tfjs-wasm', { model: model.tfjs })]);
  else result.notes.push('no TF.js model: compared with ONNX Runtime Web only in WASM, and no TF.js in Chromium');
  if (ctx.browser) {
    entries.push(['kiln-wasm-chromium', () => ctx.browser.addKiln(`${name}-kiln`, wasm.dir, name)]);
    if (wasmRelaxed)
      entries.push(['kiln-wasm-chromium-relaxed', () => ctx.browser.addKiln(`${name}-kiln-relaxed`, wasmRelaxed.dir, name, true)]);
    if (model.tfjs) entries.push(['tfjs-wasm-chromium', () => ctx.browser.addTfjs(`${name}-tfjs`, model.tfjs)]);
  }

  let started = [];
  try {
    started = await startAll(entries, result.errors, log);
    const samples = await alternate(started.map(([id, c]) => [id, c]), options, log);
    for (const [id, c, info] of started) {
      const stats = summarize(samples.get(id));
      const spec = CONTENDERS[id];
      const rssKB = await c.rss();
      // peakFraction: set once the run's peaks are final (report.mjs, finalize).
      result.contenders[id] = { label: spec.label, stats, gflops: result.flops.used / stats.median / 1e6,
        peakFraction: null, rssKB, baseRssKB: info.baseRssKB ?? null };
    }
  } catch (e) {
    result.errors.push(e.message);
  } finally {
    for (const [, c] of started) await c.close();
  }
  for (const [id, spec] of Object.entries(CONTENDERS))
    for (const kiln of [spec.kiln, spec.kilnRelaxed]) {
      if (!kiln || !result.contenders[id] || !result.contenders[kiln]) continue;
      result.comparisons.push({ peer: id, kiln, ratio: ratio(result.contenders[id].stats, result.contenders[kiln].stats) });
    }

  // What each ships.
  try {
    result.sizes.kilnWasm = kilnWasmSize(wasm.dir, name);
    if (model.tfjs) result.sizes.tfjs = tfjsSize(model.tfjs);
    if (model.onnx) result.sizes.ortWeb = ortWebSize(model.onnx);
    result.sizes.native = nativeSizes(cpu);
  } catch (e) {
    result.errors.push(`sizes: ${e.message}`);
  }

  if (options.kernelModels.includes(model.key)) await kernelBreakdown(result, { cpu, kernels, source, dir, ctx });
  return result;
}

async function kernelBreakdown(result, { cpu, kernels, source, dir, ctx }) {
  const { options, log } = ctx;
  const breakdown = { runs: options.kernelRuns, callgrind: null, callgrindNote: null };
  try {
    log('  timing each kernel');
    const timing = await timeKernels(cpu, kernels, dir, { runs: options.kernelRuns, warmup: options.smoke ? 1 : 5 });
    breakdown.wholeMs = timing.wholeMs;
    breakdown.kernelsMs = timing.calls.reduce((a, c) => a + c.us, 0) / 1e3;
    let callgrind = null;
    if (options.callgrind && !onPath('valgrind'))
      breakdown.callgrindNote = 'valgrind is not installed (apt-get install valgrind)';
    else if (options.callgrind) {
      try {
        log('  callgrind (AVX2 build)');
        const avx2 = compileCpu(source, path.join(dir, 'cpu-avx2'), cpu.name, 'avx2');
        const avx2Dir = path.join(dir, 'avx2-work');
        fs.mkdirSync(avx2Dir, { recursive: true });
        callgrind = callgrindKernels(avx2, avx2Dir);
        // That build numbers its functions itself: which one each call ran.
        callgrind.calls = (await timeKernels(avx2, kernels, avx2Dir, { runs: 1, warmup: 0 })).calls;
        breakdown.callgrind = { totalIr: callgrind.total };
      } catch (e) {
        breakdown.callgrindNote = e.message;
      }
    } else breakdown.callgrindNote = 'not run (--no-callgrind)';
    breakdown.rows = kernelRows(kernels, timing, callgrind);
    result.kernels = breakdown;
  } catch (e) {
    result.errors.push(`kernel breakdown: ${e.message}`);
  }
}
