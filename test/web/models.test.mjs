// The WASM target on real models in Node: BlazeFace front and back and the
// generated MobileNetV2, compiled to WebAssembly and run through the
// generated loader, SIMD and fallback modules both, against onnxruntime-node
// on the same fixed-seed inputs (test/e2e's oracle). Tolerance: every output
// within 1e-4 of its range (test/e2e/compare.mjs, the end-to-end bar).
//
// Run with `node --test test/web/`.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';

import {
  MODELS,
  compare,
  compileWasm,
  importLoader,
  jsAllocation,
  loadCatchingExports,
  oracle,
  readFeeds,
  tempDir,
  writeOutputs,
} from './common.mjs';
import { modelSkip } from '../e2e/setup_skip.mjs';

const tmp = tempDir('kiln-web-models-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

for (const { name, model } of MODELS) {
  const skip = modelSkip(model, 'scripts/setup.sh, or build kiln-models');
  describe(name, { skip }, () => {
    let artifact, truth, feeds;
    const setup = () => {
      artifact ??= compileWasm(model, name);
      truth ??= oracle(model);
      feeds ??= readFeeds(truth.inputs);
    };

    test('the artifact has its files, imports nothing and exports the C API', async () => {
      setup();
      for (const file of ['.wasm', '.nosimd.wasm', '.mjs', '.d.ts', '.size.json'])
        assert.ok(fs.existsSync(path.join(artifact.dir, name + file)), `${name}${file} is missing`);
      assert.ok(!fs.existsSync(path.join(artifact.dir, `${name}.weights.bin`)), 'weights are embedded by default');
      for (const file of [`${name}.wasm`, `${name}.nosimd.wasm`]) {
        const module = new WebAssembly.Module(fs.readFileSync(path.join(artifact.dir, file)));
        assert.deepEqual(WebAssembly.Module.imports(module), [], `${file} imports something`);
        const exports = WebAssembly.Module.exports(module).map((e) => e.name);
        for (const fn of ['_create', '_run', '_destroy', '_last_error']) assert.ok(exports.includes(name + fn), `${file} lacks ${name}${fn}`);
        assert.ok(exports.includes('kiln_malloc') && exports.includes('memory'));
      }
    });

    test('the size report counts code, weights and JS', () => {
      setup();
      const report = JSON.parse(fs.readFileSync(path.join(artifact.dir, `${name}.size.json`), 'utf8'));
      const size = (file) => fs.statSync(path.join(artifact.dir, file)).size;
      assert.equal(report.model, name);
      assert.equal(report.js.raw, size(`${name}.mjs`));
      assert.equal(report.types.raw, size(`${name}.d.ts`));
      // Embedded weights: the module is its code plus the weights, exactly.
      assert.equal(report.code.raw + report.weights.raw, size(`${name}.wasm`));
      assert.equal(report.fallbackCode.raw + report.weights.raw, size(`${name}.nosimd.wasm`));
      for (const part of ['code', 'weights', 'js']) assert.ok(report[part].gzip > 0 && report[part].gzip < report[part].raw + 64);
      assert.equal(report.goal.met, report.code.raw + report.js.raw < report.goal.codeAndJsRawBelow);
      console.log(`${name}: code ${report.code.raw} B (gzip ${report.code.gzip}), JS ${report.js.raw} B, ` +
        `weights ${report.weights.raw} B; code + JS ${report.codeAndJs.raw} B, goal ${report.goal.met ? 'met' : 'not met'}`);
    });

    // Shipped kernels are built without Halide's buffer checks; with them, a
    // schedule that reads outside a buffer fails loudly instead of reading a
    // neighbour's bytes. Same outputs either way.
    test('with Halide\'s buffer checks kept, no kernel reads out of bounds', async () => {
      setup();
      const checked = compileWasm(model, name, { fallback: false, kernelChecks: true });
      const loader = await importLoader(checked);
      const m = await loader.load();
      try {
        const actual = path.join(tmp, `${name}-checked`);
        writeOutputs(actual, m.run(feeds), loader.outputs);
        const r = compare(truth.expected, actual);
        assert.equal(r.status, 0, `outputs differ from ONNX Runtime's:\n${r.out}`);
      } finally {
        m.dispose();
      }
      const size = (dir) => fs.statSync(path.join(dir, `${name}.wasm`)).size;
      assert.ok(size(checked.dir) > size(artifact.dir), 'the checks add code');
    });

    // kilnc --fuse-blocks (experimental): block kernels keep their expanded
    // rows in heap scratch (over Halide 14's 16 KB stack limit, so
    // halide_malloc), which the shim's malloc recycles: the same number of
    // mallocs every run (MobileNetV2: 12), all freed before run returns.
    test('with --fuse-blocks, the SIMD module matches ONNX Runtime and keeps its memory', async (t) => {
      setup();
      const fused = compileWasm(model, name, { fallback: false, fuseBlocks: true });
      const loader = await importLoader(fused);
      const { m, exports } = await loadCatchingExports(loader);
      try {
        const calls = exports.kiln_malloc_calls();
        const outputs = m.run(feeds);
        const perRun = exports.kiln_malloc_calls() - calls;
        const bytes = m.memoryBytes;
        const heap = exports.kiln_heap_in_use();
        for (let i = 0; i < 20; i++) {
          const before = exports.kiln_malloc_calls();
          m.run(feeds);
          assert.equal(exports.kiln_malloc_calls() - before, perRun, `run ${i + 2} called malloc a different number of times`);
          assert.equal(exports.kiln_heap_in_use(), heap, `run ${i + 2} left memory allocated`);
        }
        t.diagnostic(`${name} --fuse-blocks: ${perRun} mallocs per run`);
        assert.equal(m.memoryBytes, bytes, 'the module grew its memory');
        const actual = path.join(tmp, `${name}-fused`);
        writeOutputs(actual, outputs, loader.outputs);
        const r = compare(truth.expected, actual);
        assert.equal(r.status, 0, `outputs differ from ONNX Runtime's:\n${r.out}`);
      } finally {
        m.dispose();
      }
    });

    for (const simd of [true, false]) {
      test(`the ${simd ? 'SIMD' : 'fallback'} module matches ONNX Runtime`, async () => {
        setup();
        const loader = await importLoader(artifact);
        const m = await loader.load(undefined, { simd });
        try {
          assert.equal(m.simd, simd);
          const outputs = m.run(feeds);
          assert.deepEqual(Object.keys(outputs).sort(), loader.outputs.map((t) => t.name).sort());
          const actual = path.join(tmp, `${name}-${simd ? 'simd' : 'nosimd'}`);
          writeOutputs(actual, outputs, loader.outputs);
          const r = compare(truth.expected, actual);
          assert.equal(r.status, 0, `outputs differ from ONNX Runtime's:\n${r.out}`);
        } finally {
          m.dispose();
        }
      });
    }
  });
}

// Native runs allocate nothing (test/e2e/runtime.test.mjs counts); WASM
// runs call no malloc in the module either (the shim's kiln_malloc_calls
// counts every call, Halide's halide_malloc included; only --fuse-blocks'
// block kernels malloc, above), nothing stays allocated and the memory never
// grows, single-threaded and on 2 threads (the workers' tasks included), on
// every model. The counts include the first run; fewer runs of the larger
// models keep the file's time (1 thread: 2.7, 16 and 25 ms a run, 08:25).
// test/web/soak.mjs runs 10,000 and prints the figures.
// By default run() returns fresh arrays; given its own arrays
// (run(feeds, {outputs})) or asked for views ({views: true}) it allocates
// nothing in JS either: the second half of the runs is measured (below).
const MEMORY_RUNS = { blazeface_front: [1000, 50], blazeface_back: [40, 20], mobilenetv2: [20, 10] };

// A fresh array of each output's class and length (what run() fills).
const outputArrays = (loader, first) =>
  Object.fromEntries(loader.outputs.map((o) => [o.name, new first[o.name].constructor(o.shape.reduce((a, d) => a * d, 1))]));

for (const { name, model } of MODELS) {
  const [runs, threadedRuns] = MEMORY_RUNS[name];
  describe(`${name}: memory`, { skip: modelSkip(model) }, () => {
    test(`${runs} runs call no malloc and leave the module memory and its heap where they were after the first; with {outputs}, no JS allocation`, async (t) => {
      const loader = await importLoader(compileWasm(model, name));
      const feeds = readFeeds(oracle(model).inputs);
      const { m, exports } = await loadCatchingExports(loader);
      try {
        const calls = exports.kiln_malloc_calls();
        const first = m.run(feeds);
        const bytes = m.memoryBytes;
        const heap = exports.kiln_heap_in_use();
        const options = { outputs: outputArrays(loader, first) };
        const run = () => {
          m.run(feeds, options);
          if (exports.kiln_heap_in_use() !== heap) assert.fail('a run left memory allocated');
        };
        const half = runs >> 1;
        for (let i = 1; i < runs - half; i++) run();
        const js = await jsAllocation(run, half);
        assert.equal(exports.kiln_malloc_calls() - calls, 0, 'runs called malloc in the module');
        assert.equal(m.memoryBytes, bytes, 'the module grew its memory');
        t.diagnostic(`${name} in Node: memory ${bytes} B, heap in use ${heap} B, unchanged over ${runs} runs; ` +
          `JS in the quietest ${js.calls} of the last ${half} (run(feeds, {outputs})): ${js.bytes} B, ArrayBuffers ${js.arrayBuffers} B, ${js.gcs} collections`);
        assert.equal(js.gcs, 0, 'V8 collected garbage during the runs: they allocated (or the measure is void)');
        assert.equal(js.arrayBuffers, 0, 'the runs created ArrayBuffers');
        // Any object allocated per run (16 B or more) fails.
        assert.ok(js.bytes < 16 * js.calls, `the runs allocated ${js.bytes} B of JS objects in ${js.calls} runs`);
        // The measure sees the default run's fresh arrays.
        const fresh = await jsAllocation(() => m.run(feeds), 2);
        assert.ok(fresh.gcs > 0 || (fresh.arrayBuffers > 0 && fresh.bytes >= 16 * fresh.calls), `the measure missed run()'s fresh arrays: ${JSON.stringify(fresh)}`);
        // And runs are repeatable, bit for bit, in every form.
        const views = m.run(feeds, { views: true });
        const last = m.run(feeds);
        for (const o of loader.outputs) {
          assert.deepEqual(last[o.name], first[o.name], `output ${o.name} changed`);
          assert.deepEqual(options.outputs[o.name], first[o.name], `output ${o.name} given to run() differs from the fresh one`);
          assert.deepEqual(views[o.name].slice(), first[o.name], `output ${o.name} as a view differs from the fresh one`);
        }
      } finally {
        m.dispose();
      }
      assert.equal(m.memoryBytes, 0);
    });

    // A run shared with the workers allocates nothing in the loader, nor in
    // V8's wasm atomics since the shim's notify count fits a small integer
    // (0xFFFFFFFF was boxed in a heap number: 300-1,000 B a run). What is
    // left: in Node the caller's futex wait, when it sleeps, passes its i64
    // timeout as a BigInt (24 B), so the bound here is 256 B a run.
    test(`on 2 threads, ${threadedRuns} runs call no malloc in the module either`, async (t) => {
      const loader = await importLoader(compileWasm(model, name, { threads: true, fallback: false }));
      const feeds = readFeeds(oracle(model).inputs);
      const { m, exports } = await loadCatchingExports(loader, undefined, { threads: 2, adaptive: false });
      try {
        assert.equal(m.backend.name, 'threads');
        const calls = exports.kiln_malloc_calls();
        const heap = exports.kiln_heap_in_use();
        const bytes = m.memoryBytes;
        const first = m.run(feeds);
        const options = { outputs: outputArrays(loader, first) };
        for (let i = 1; i < threadedRuns >> 1; i++) m.run(feeds, options);
        const js = await jsAllocation(() => m.run(feeds, options), threadedRuns - (threadedRuns >> 1));
        assert.equal(exports.kiln_malloc_calls() - calls, 0, 'runs called malloc in the module');
        assert.equal(exports.kiln_heap_in_use(), heap, 'runs left memory allocated');
        assert.equal(m.memoryBytes, bytes, 'the module grew its memory');
        assert.ok(m.poolStats.workerIterations > 0, 'the worker ran no iteration: the runs were not shared');
        t.diagnostic(`${name} on 2 threads, run(feeds, {outputs}): JS ${js.bytes} B in the quietest ${js.calls} runs, ArrayBuffers ${js.arrayBuffers} B, ${js.gcs} collections`);
        assert.equal(js.gcs, 0, 'V8 collected garbage during the runs');
        assert.equal(js.arrayBuffers, 0, 'the runs created ArrayBuffers');
        assert.ok(js.bytes < 256 * js.calls, `the runs allocated ${js.bytes} B of JS objects in ${js.calls} runs`);
        for (const o of loader.outputs) assert.deepEqual(options.outputs[o.name], first[o.name], `output ${o.name} given to run() differs from the fresh one`);
      } finally {
        m.dispose();
      }
    });
  });
}
