// What one parallel loop costs on the WASM pool (targets/wasm/shim), against
// running it on the calling thread: the measurement behind the work
// threshold below which a WASM kernel's loop stays serial
// (codegen/schedule/Templates.cpp, chooseTemplate).
//
//   node benchmarks/wasm/pool_cost.mjs [--rounds 15] [--iterations 16]
//
// Builds the shim with atomics and pool_cost.c (clang-19, wasm-ld-19, as
// WasmLink links a threaded module), starts one worker as the loader does,
// and times loops of --iterations tasks whose serial time goes from 2 to
// 640 us, four ways, interleaved in rounds: serial (kiln_threads_serial),
// on the pool back to back (the worker still spinning from the loop
// before), on the pool after 300 us of other work on the caller (the
// worker asleep: a futex wake-up), and on the pool after 100 us of caller
// work (a serial kernel) with the worker held awake (kiln_threads_hold, as
// the loader does for a shared run). Prints per-loop
// medians and the loop time above which the pool wins. Nothing is asserted:
// the load decides.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

const here = path.dirname(fileURLToPath(import.meta.url));
const shimDir = path.join(here, '../../targets/wasm/shim');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const rounds = option('--rounds', 15), iterations = option('--iterations', 16);

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-pool-cost-'));
const run = (tool, argv) => {
  const r = spawnSync(tool, argv, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr || r.error}`);
};
const cflags = ['--target=wasm32', '-O2', '-ffreestanding', '-nostdlibinc', '-I', path.join(shimDir, 'include'), '-matomics', '-mbulk-memory', '-msimd128', '-c'];
run('clang-19', [...cflags, path.join(shimDir, 'kiln_wasm_shim.c'), '-o', path.join(tmp, 'shim.o')]);
run('clang-19', [...cflags, path.join(here, 'pool_cost.c'), '-o', path.join(tmp, 'bench.o')]);
run('wasm-ld-19', ['--no-entry', '--gc-sections', '--shared-memory', '--import-memory', '--export-memory', '--max-memory=67108864',
  '-z', 'stack-size=262144', '--export=kiln_malloc', '--export=kiln_worker_set_stack', '-o', path.join(tmp, 'pool.wasm'), path.join(tmp, 'shim.o'), path.join(tmp, 'bench.o')]);
const module = new WebAssembly.Module(fs.readFileSync(path.join(tmp, 'pool.wasm')));
fs.rmSync(tmp, { recursive: true, force: true });

const memory = new WebAssembly.Memory({ initial: 64, maximum: 1024, shared: true });
const ex = new WebAssembly.Instance(module, { env: { memory } }).exports;
ex._initialize();
ex.kiln_threads_caller_may_block(1); // as the loader sets it in Node
const stackBytes = 262144;
const stack = ex.kiln_malloc(stackBytes);
const worker = new Worker(`
  const { parentPort, workerData: d } = require('node:worker_threads');
  const ex = new WebAssembly.Instance(d.module, { env: { memory: d.memory } }).exports;
  ex.kiln_worker_set_stack(d.stackTop);
  parentPort.postMessage('ready');
  ex.kiln_worker_loop();`, { eval: true, workerData: { module, memory, stackTop: stack + stackBytes } });
await new Promise((resolve) => worker.once('message', resolve));
while (ex.kiln_threads_running() < 1) await new Promise((resolve) => setTimeout(resolve, 1));

const busy = (us) => {
  for (const t0 = performance.now(); performance.now() - t0 < us / 1000;);
};
// Work units per task for a loop of `us` microseconds serial, calibrated.
ex.kiln_threads_serial(1);
const calib = 20000;
let best = Infinity;
for (let i = 0; i < 20; i++) {
  const t0 = performance.now();
  ex.bench_loop(iterations, calib, 1);
  best = Math.min(best, performance.now() - t0);
}
const unitsPerUs = (calib * iterations) / (best * 1000);
const loopsUs = [2, 5, 10, 20, 40, 80, 160, 320, 640];
const modes = ['serial', 'pool, back to back', 'pool, worker asleep', 'pool, worker held'];
const samples = loopsUs.map(() => modes.map(() => []));
for (let r = 0; r < rounds; r++)
  for (const [li, us] of loopsUs.entries()) {
    const work = Math.max(1, Math.round((us * unitsPerUs) / iterations));
    for (let mi = 0; mi < modes.length; mi++) {
      const m = (mi + r) % modes.length;
      ex.kiln_threads_serial(m === 0 ? 1 : 0);
      const reps = Math.max(4, Math.round(2000 / us));
      if (m >= 2) {
        ex.kiln_threads_hold(m === 3 ? 1 : 0);
        for (let i = 0; i < Math.min(reps, 40); i++) {
          busy(m === 3 ? 100 : 300);
          const t0 = performance.now();
          ex.bench_loop(iterations, work, 1);
          samples[li][m].push((performance.now() - t0) * 1000);
        }
        ex.kiln_threads_hold(0);
      } else {
        ex.bench_loop(iterations, work, 2);
        const t0 = performance.now();
        ex.bench_loop(iterations, work, reps);
        samples[li][m].push(((performance.now() - t0) * 1000) / reps);
      }
    }
  }
ex.kiln_threads_stop();
await worker.terminate();

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`pool cost: ${iterations} iterations per loop, ${rounds} rounds, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`| loop, serial (us) | ${modes.join(' (us) | ')} (us) | pool / serial, back to back | asleep | held |`); // median (min)
console.log(`|---|${modes.map(() => '---|').join('')}---|---|---|`);
const crossover = [null, null, null];
for (const [li, us] of loopsUs.entries()) {
  const [s, b, a, h] = samples[li].map(median);
  // Minimums too: on a busy machine they are the loops that found a core free.
  const mins = samples[li].map((xs) => Math.min(...xs).toFixed(1));
  console.log(`| ${us} | ${s.toFixed(1)} (${mins[0]}) | ${b.toFixed(1)} (${mins[1]}) | ${a.toFixed(1)} (${mins[2]}) | ${h.toFixed(1)} (${mins[3]}) | ` +
    `${(b / s).toFixed(2)} | ${(a / s).toFixed(2)} | ${(h / s).toFixed(2)} |`);
  [b, a, h].forEach((t, i) => {
    if (crossover[i] === null && t < s) crossover[i] = us;
  });
}
console.log(`the pool first wins at a loop of ${crossover[0] ?? '>640'} us (worker spinning), ${crossover[1] ?? '>640'} us (worker asleep) ` +
  `and ${crossover[2] ?? '>640'} us (worker held, after 100 us of caller work), serial time`);
