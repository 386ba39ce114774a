// NAME.threads.wasm in Node (kilnc --target=wasm --threads): the three models
// run on 2 threads (the caller and one worker_threads worker sharing the
// module's memory) match onnxruntime-node within 1e-4 of each output's range,
// the workers really run iterations of the kernels' parallel loops, runs
// create no worker and allocate nothing, and the loader says which module it
// picked and why. Chromium (cross-origin isolated
// or not) is in browser.test.mjs.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';

import {
  MODELS,
  compare,
  compileWasm,
  importLoader,
  loadCatchingExports,
  oracle,
  readFeeds,
  repoRoot,
  tempDir,
  writeOutputs,
} from './common.mjs';
import { modelSkip } from '../e2e/setup_skip.mjs';

const tmp = tempDir('kiln-web-threads-');

for (const { name, model } of MODELS) {
  const skip = modelSkip(model, 'scripts/setup.sh, or build kiln-models');
  describe(`${name} on threads`, { skip }, () => {
    let artifact, truth, feeds;
    const setup = () => {
      artifact ??= compileWasm(model, name, { threads: true, fallback: false });
      truth ??= oracle(model);
      feeds ??= readFeeds(truth.inputs);
    };

    test('the threaded module imports only its shared memory and exports the workers\' entry points', () => {
      setup();
      for (const file of ['.wasm', '.threads.wasm', '.worker.mjs', '.mjs'])
        assert.ok(fs.existsSync(path.join(artifact.dir, name + file)), `${name}${file} is missing`);
      const module = new WebAssembly.Module(fs.readFileSync(path.join(artifact.dir, `${name}.threads.wasm`)));
      assert.deepEqual(WebAssembly.Module.imports(module), [{ module: 'env', name: 'memory', kind: 'memory' }]);
      const exports = WebAssembly.Module.exports(module).map((e) => e.name);
      for (const fn of ['memory', `${name}_run`, 'kiln_worker_loop', 'kiln_worker_set_stack', 'kiln_threads_stop', 'kiln_threads_tasks'])
        assert.ok(exports.includes(fn), `${name}.threads.wasm lacks ${fn}`);
    });

    test('2 threads match ONNX Runtime, the worker runs iterations, and runs allocate nothing', async () => {
      setup();
      const loader = await importLoader(artifact);
      const { m, exports } = await loadCatchingExports(loader, undefined, { threads: 2 });
      try {
        assert.equal(m.backend.name, 'threads');
        assert.equal(m.backend.threads, 2);
        assert.ok(exports.memory.buffer instanceof SharedArrayBuffer, 'the memory is not shared');
        assert.equal(exports.kiln_threads_running(), 1, 'one worker is in its loop');
        const first = m.run(feeds);
        const tasks = exports.kiln_threads_tasks();
        assert.ok(tasks > 0, 'the worker ran no iteration of any parallel loop');
        const memory = m.memoryBytes, heap = exports.kiln_heap_in_use();
        let last;
        for (let i = 0; i < 50; i++) last = m.run(feeds);
        assert.equal(m.memoryBytes, memory, 'the memory grew over 50 runs');
        assert.equal(exports.kiln_heap_in_use(), heap, 'the heap in use changed over 50 runs');
        assert.equal(exports.kiln_threads_running(), 1, 'the workers changed during runs');
        for (const k of Object.keys(first)) assert.deepEqual(last[k], first[k], `output '${k}' changed from run to run`);
        assert.ok(!(first[Object.keys(first)[0]].buffer instanceof SharedArrayBuffer), 'outputs must not be views of shared memory');
        const actual = path.join(tmp, `${name}-threads`);
        writeOutputs(actual, first, loader.outputs);
        const r = compare(truth.expected, actual);
        assert.equal(r.status, 0, `2 threads differ from ONNX Runtime:\n${r.out}`);
      } finally {
        m.dispose();
      }
      assert.throws(() => m.run(feeds), /run\(\) after dispose\(\)/);
    });
  });
}

describe('choosing the module', () => {
  const { name, model } = MODELS[0];
  const skip = modelSkip(model);

  test('threads: 1 runs the single-threaded module and says why', { skip }, async () => {
    const loader = await importLoader(compileWasm(model, name, { threads: true, fallback: false }));
    const m = await loader.load(undefined, { threads: 1 });
    assert.deepEqual({ ...m.backend }, { name: 'simd', threads: 1, reason: 'options.threads is 1' });
    assert.equal(m.poolStats, null);
    m.dispose();
  });

  test('a model compiled without --threads says so when threads are asked for', { skip }, async () => {
    const loader = await importLoader(compileWasm(model, name, { fallback: false }));
    const m = await loader.load(undefined, { threads: 2 });
    assert.deepEqual({ ...m.backend }, { name: 'simd', threads: 1, reason: 'the model was compiled without --threads' });
    m.dispose();
  });

  test('bad options.threads is a TypeError naming it', { skip }, async () => {
    const loader = await importLoader(compileWasm(model, name, { threads: true, fallback: false }));
    for (const bad of [0, 1.5, '2', -1])
      await assert.rejects(loader.load(undefined, { threads: bad }), (e) => e instanceof TypeError && /options\.threads must be a whole number of at least 1/.test(e.message));
  });

  // The loader's PoolChooser: the first 16 runs alternate between sharing
  // the loops (even runs) and keeping them on the caller (odd runs: the
  // workers then run nothing); {adaptive: false} shares every run.
  // poolStats says so.
  test('runs alternate between the pool and the caller at first; adaptive: false always shares', { skip }, async () => {
    const loader = await importLoader(compileWasm(model, name, { threads: true, fallback: false }));
    const feeds = readFeeds(oracle(model).inputs);
    for (const adaptive of [undefined, false]) {
      const { m, exports } = await loadCatchingExports(loader, undefined, { threads: 2, adaptive });
      try {
        const grew = [];
        const initial = exports.kiln_threads_tasks();
        let iterations = 0;
        for (let i = 0; i < 16; i++) {
          const before = exports.kiln_threads_tasks();
          m.run(feeds);
          iterations += exports.kiln_threads_tasks() - before;
          grew.push(exports.kiln_threads_tasks() > before);
        }
        // poolStats counts the runs each way, and the workers' iterations:
        // those counted run by run here, on top of any before the first run.
        assert.ok(iterations > 0, `adaptive ${adaptive}: the workers ran no iteration in 16 runs`);
        assert.deepEqual({ ...m.poolStats }, { runs: 16, sharedRuns: adaptive === false ? 16 : 8, workerIterations: initial + iterations });
        const odd = grew.filter((_, i) => i % 2 === 1), even = grew.filter((_, i) => i % 2 === 0);
        assert.ok(even.some(Boolean), `adaptive ${adaptive}: the worker ran nothing in the shared runs`);
        if (adaptive === false) assert.ok(odd.some(Boolean), 'adaptive false: the odd runs were kept on the caller');
        else assert.ok(!odd.some(Boolean), 'adaptive: a run kept on the caller gave the worker iterations');
        // repeat() runs as the last run did (the 16th: serial when adaptive,
        // shared with adaptive: false), and counts its runs.
        const before = exports.kiln_threads_tasks();
        const want = m.run(feeds);
        const got = m.repeat(4);
        for (const k of Object.keys(want)) assert.deepEqual(got[k].slice(), want[k], `output '${k}' of repeat() differs from run()'s`);
        const shared = adaptive === false ? 21 : 8 + (m.poolStats.sharedRuns > 8 ? 5 : 0);
        assert.deepEqual({ runs: m.poolStats.runs, sharedRuns: m.poolStats.sharedRuns }, { runs: 21, sharedRuns: shared });
        if (adaptive === false) assert.ok(exports.kiln_threads_tasks() > before, 'adaptive false: repeat() gave the worker no iteration');
      } finally {
        m.dispose();
      }
    }
    await assert.rejects(loader.load(undefined, { threads: 2, adaptive: 'no' }), (e) => e instanceof TypeError && /options\.adaptive must be a boolean/.test(e.message));
  });

  // The PoolChooser on its own (its source from the generated loader), fed
  // run times: shared 10 ms and serial 18 ms (an idle machine), then shared
  // 30 ms (a busy one), then idle again. Probes must thin out while the
  // pairs agree with the choice, and the choice must follow the load. A
  // pair that flips the choice disagreed with the choice it tested, so the
  // new choice's first probe comes 8 runs after the flip, not later.
  test('PoolChooser: probes thin out while the choice holds, and the choice follows the load', { skip }, () => {
    const { dir } = compileWasm(model, name, { threads: true, fallback: false });
    const text = fs.readFileSync(path.join(dir, `${name}.mjs`), 'utf8');
    const start = text.indexOf('class PoolChooser {');
    assert.ok(start >= 0, 'the loader has no PoolChooser');
    let end = text.indexOf('{', start), depth = 0; // to its closing brace (it has no braces in strings)
    do depth += text[end] === '{' ? 1 : text[end] === '}' ? -1 : 0;
    while (depth && ++end < text.length);
    const source = text.slice(start, end + 1);
    const chooser = new (new Function(`${source}; return PoolChooser;`)())();
    const phase = (runs, shared, serial) => {
      const modes = [];
      for (let i = 0; i < runs; i++) {
        const mode = chooser.next();
        chooser.record(mode, mode ? serial : shared);
        modes.push(mode);
      }
      return modes;
    };
    const idle = phase(16 + 400, 10, 18).slice(16);
    const probes = idle.filter(Boolean).length;
    assert.ok(probes <= 10, `idle: ${probes} of 400 runs were serial probes (one in 8 would be 50)`);
    assert.ok(idle.slice(-200).filter(Boolean).length <= 4, 'idle: probes did not thin out to one in 64');
    const busy = phase(300, 30, 18);
    const switched = busy.findIndex((m, i) => m && busy[i + 1]); // two serial runs in a row
    assert.ok(switched >= 0 && switched < 100, `busy: still sharing after ${switched < 0 ? 300 : switched} runs`);
    assert.ok(busy.slice(-100).filter((m) => !m).length <= 3, 'busy: shared probes did not thin out');
    const firstShared = busy.findIndex((m, i) => i > switched && !m);
    assert.equal(firstShared - switched, 8, 'busy: the first shared probe after the switch is not 8 runs after it');
    const again = phase(300, 10, 18);
    const back = again.findIndex((m, i) => !m && !again[i + 1]);
    assert.ok(back >= 0 && back < 100, `idle again: still serial after ${back < 0 ? 300 : back} runs`);
    assert.ok(again.slice(-100).filter(Boolean).length <= 3, 'idle again: serial probes did not thin out');
    const firstSerial = again.findIndex((m, i) => i > back && m);
    assert.equal(firstSerial - back, 8, 'idle again: the first serial probe after the way back is not 8 runs after it');
  });

  test('the default is the cores, at most 4', { skip }, async () => {
    const os = await import('node:os');
    const loader = await importLoader(compileWasm(model, name, { threads: true, fallback: false }));
    const m = await loader.load();
    const cores = Math.min(4, os.availableParallelism());
    assert.equal(m.backend.threads, cores);
    assert.equal(m.backend.name, cores > 1 ? 'threads' : 'simd');
    m.dispose();
  });
});

// The pool's two-ended claims (targets/wasm/shim/kiln_wasm_shim.c, work():
// the caller claims from the front of a loop's range, the workers from the
// back): every iteration runs exactly once, whatever the extent (1 and 2,
// odd and even, around the claim's eighth-per-thread size) and wherever the
// two ends meet. The shim itself, built with atomics beside a test unit
// whose parallel loop counts each index's runs in memory, a caller and one
// worker_threads worker on its shared memory, as the loader runs them. Each
// iteration spins a little so that the worker joins the loops (checked: it
// ran iterations in them); the counts are checked after every loop.
describe('the pool\'s two-ended claims', () => {
  const shim = path.join(repoRoot, 'targets/wasm/shim');
  const build = () => {
    const dir = path.join(tmp, 'claims');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'claims.c'), `
#include <stdint.h>
typedef int (*kiln_task)(void *, int, unsigned char *);
int halide_do_par_for(void *, kiln_task, int, int, unsigned char *);
static int counts[1024];
static int count(void *uc, int index, unsigned char *closure) {
  __atomic_fetch_add(&counts[index], 1, __ATOMIC_SEQ_CST);
  for (volatile int i = 0; i < *(int *)closure; ++i) {
  }
  return 0;
}
__attribute__((export_name("claims_loop"))) int claims_loop(int min, int extent, int spin) {
  return halide_do_par_for(0, count, min, extent, (unsigned char *)&spin);
}
__attribute__((export_name("claims_counts"))) int *claims_counts(void) { return counts; }
`);
    const cc = ['--target=wasm32', '-O2', '-std=c11', '-ffreestanding', '-nostdlibinc', '-fvisibility=hidden',
      '-matomics', '-mbulk-memory', '-I', path.join(shim, 'include'), '-c'];
    for (const [src, obj] of [[path.join(shim, 'kiln_wasm_shim.c'), 'shim.o'], [path.join(dir, 'claims.c'), 'claims.o']]) {
      const r = spawnSync('clang-19', [...cc, src, '-o', path.join(dir, obj)], { encoding: 'utf8' });
      assert.equal(r.status, 0, `clang-19 ${src}:\n${r.stderr}`);
    }
    const wasm = path.join(dir, 'claims.wasm');
    const r = spawnSync('wasm-ld-19', ['--no-entry', '--stack-first', '-z', 'stack-size=65536', '--shared-memory',
      '--import-memory', '--export-memory', '--max-memory=16777216', '--export=kiln_malloc', '--export=_initialize',
      '--export=kiln_worker_set_stack', '--export=kiln_worker_loop', '--export=kiln_threads_stop',
      '--export=kiln_threads_running', '--export=kiln_threads_tasks', path.join(dir, 'shim.o'),
      path.join(dir, 'claims.o'), '-o', wasm], { encoding: 'utf8' });
    assert.equal(r.status, 0, `wasm-ld-19:\n${r.stderr}`);
    return new WebAssembly.Module(fs.readFileSync(wasm));
  };

  test('caller from the front, worker from the back: every iteration exactly once', async () => {
    const module = build();
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 256, shared: true });
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
    ex._initialize?.();
    const stack = ex.kiln_malloc(65536);
    const worker = new Worker(`
      const { parentPort } = require('node:worker_threads');
      parentPort.once('message', ({ module, memory, stackTop }) => {
        const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
        ex.kiln_worker_set_stack(stackTop);
        parentPort.postMessage('ready');
        ex.kiln_worker_loop();
      });`, { eval: true });
    try {
      const ready = new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      worker.postMessage({ module, memory, stackTop: stack + 65536 });
      await ready;
      for (let i = 0; ex.kiln_threads_running() !== 1; ++i) {
        assert.ok(i < 5000, 'the worker never entered its loop');
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      const counts = () => new Int32Array(memory.buffer, ex.claims_counts(), 1024);
      const extents = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 100, 255, 256, 1000];
      let loops = 0;
      const ranByWorker = new Set();
      for (let round = 0; round < 30; ++round)
        for (const extent of extents) {
          const min = (round * 7) % (1024 - extent); // the loop's min moves too
          counts().fill(0);
          const before = ex.kiln_threads_tasks();
          assert.equal(ex.claims_loop(min, extent, 200), 0);
          ++loops;
          if (ex.kiln_threads_tasks() > before) ranByWorker.add(extent);
          const c = counts();
          for (let i = 0; i < 1024; ++i) {
            const expected = i >= min && i < min + extent ? 1 : 0;
            if (c[i] !== expected)
              assert.fail(`extent ${extent}, min ${min} (round ${round}): index ${i} ran ${c[i]} times`);
          }
        }
      // Where both ends claimed: the worker ran iterations in most extents
      // above 1 (extent 1 runs inline).
      assert.ok(ranByWorker.size >= extents.length / 2,
        `the worker ran iterations in loops of only ${[...ranByWorker].join(', ') || 'no'} extents (${loops} loops)`);
      assert.ok(!ranByWorker.has(1), 'a loop of 1 iteration runs on the caller');
    } finally {
      ex.kiln_threads_stop();
      await worker.terminate();
    }
  });
});
