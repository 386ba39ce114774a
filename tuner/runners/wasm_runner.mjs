// The WASM runners of kiln-tune (tuner/README.md, "The runner protocol"):
//
//   node tuner/runners/wasm_runner.mjs --kiln-tune=PATH --device=node|chromium
//
// One JSON request per line on stdin, one reply per line on stdout, as the
// native runner (`kiln-tune --runner`). "compile" builds the candidate's
// artifact with `kiln-tune --compile-task wasm` in a process of its own (a
// compiler crash is a compile-error, not a dead runner), then loads it
// through its own loader: in this Node process (device node), or in one
// long-lived headless Chromium page (device chromium: chromium.mjs). "run" and
// "forget" go to measure.mjs, the same code in both. A trap in the module is
// a "crash" reply; a hang is the tuner's timeout, which kills this process
// (and with it the page's browser, whose pipe closes).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { lendCpuClock, openRunnerPage } from './chromium.mjs';
import { makeInputs, runnerArgs, serve } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = runnerArgs();
const kilnTune = args['kiln-tune'];
const device = args.device || 'node';
// kiln-tune --threads=N (HL_NUM_THREADS, as for every runner): N > 1 builds
// the threaded module alone (`--compile-task wasm-threads`) and loads it on
// a pool of N threads (measure.mjs): in Node, or in a page served
// cross-origin isolated (chromium.mjs), timed by wall clock in both.
const threads = Number(process.env.HL_NUM_THREADS || 1);
if (!kilnTune || !['node', 'chromium'].includes(device)) {
  process.stderr.write('usage: wasm_runner.mjs --kiln-tune=PATH --device=node|chromium\n');
  process.exit(2);
}


let measure; // {compile, setInputs, run, forget}: measure.mjs here, or proxies into the page
// The protocol's "device_version", in every compile reply: Node's version,
// or the page's browser's (chromiumMeasure sets it).
let deviceVersion = device === 'node' ? process.version : '';
const dirs = new Map(); // id -> the candidate's artifact directory

async function nodeMeasure() {
  return import(pathToFileURL(path.join(here, 'measure.mjs')));
}

async function chromiumMeasure() {
  // /m/cID/ serves candidate ID's directory; /m/runner/ this folder.
  const routes = { runner: here };
  // The threaded module needs shared memory: an isolated page. Where the
  // page cannot be had for good (not isolated, the browser missing) every
  // request gets the protocol's "device-error" and the tune stops saying
  // why; another failure (a launch on a loaded machine) makes a runner that
  // died, which the tuner restarts.
  let opened;
  try {
    opened = await openRunnerPage(routes, { isolated: threads > 1 });
  } catch (e) {
    process.stderr.write(`wasm_runner: ${e.message}\n`);
    if (!e.permanent) process.exit(1);
    return { unusable: e.message };
  }
  const { page, close, version } = opened;
  deviceVersion = version;
  // On a pool the page's renderer thread is one of N that run the module
  // (and the workers spin between runs): its CPU time is not the run's.
  // Wall time there, as in Node (measure.mjs); no clock is lent.
  if (process.env.KILN_TUNE_CLOCK === 'cpu' && threads > 1)
    process.stderr.write(`wasm_runner: ${threads} threads: timing by the page's wall clock, not KILN_TUNE_CLOCK=cpu\n`);
  if (process.env.KILN_TUNE_CLOCK === 'cpu' && threads === 1) {
    try {
      const { pid, overheadMs } = await lendCpuClock(page);
      process.stderr.write(`wasm_runner: timing in the CPU time of renderer ${pid}'s main thread ` +
        `(${overheadMs.toFixed(3)} ms a reading, taken off)\n`);
    } catch (e) {
      // The tuner sees a runner that died (its requests' candidates
      // "crash"); its log says why.
      process.stderr.write(`wasm_runner: ${e.message}\n`);
      await close();
      process.exit(1);
    }
  }
  const inPage = (fn, ...a) => page.evaluate(fn, a);
  return {
    async compile(id, task, dir, threads) {
      routes[`c${id}`] = dir;
      return inPage(async ([id, task, url, threads]) => (await import('/m/runner/measure.mjs')).compile(id, task, url, threads),
        id, task, `/m/c${id}/task.mjs`, threads);
    },
    setInputs: (task, inputs) => {
      const packed = Object.fromEntries(Object.entries(inputs).map(([name, { values, ...t }]) =>
        [name, values && t.dtype === 'float32'
          ? { ...t, base64: Buffer.from(new Float32Array(values).buffer).toString('base64') } : { values, ...t }]));
      return inPage(async (a) => (await import('/m/runner/measure.mjs')).setInputs(...a), task, packed);
    },
    run: (id, iterations, reference, referenceTask) =>
      inPage(async (a) => (await import('/m/runner/measure.mjs')).run(...a), id, iterations, reference, referenceTask),
    async forget(id) {
      await inPage(async ([id]) => (await import('/m/runner/measure.mjs')).forget(id), id);
      delete routes[`c${id}`];
    },
    close,
  };
}

async function handle(request) {
  const id = request.id ?? -1;
  if (measure.unusable) return { id, status: 'device-error', message: measure.unusable };
  switch (request.op) {
    case 'compile': {
      const start = performance.now();
      const task = request.task || '';
      const dir = path.join(path.dirname(task), `wasm-${process.pid}-${id}`);
      fs.rmSync(dir, { recursive: true, force: true });
      const built = spawnSync(kilnTune, ['--compile-task', threads > 1 ? 'wasm-threads' : 'wasm', task, dir,
        request.schedule || ''], { encoding: 'utf8' });
      if (built.status !== 0)
        return { id, status: 'compile-error', message: (built.stderr || `kiln-tune exited with ${built.status ?? built.signal}`).trim() };
      dirs.set(id, dir);
      try {
        const infos = await measure.compile(id, task, device === 'node' ? pathToFileURL(path.join(dir, 'task.mjs')).href : dir,
          threads);
        if (infos) await measure.setInputs(task, makeInputs(infos));
      } catch (e) {
        return { id, status: 'compile-error', message: `loading the module: ${e.message}` };
      }
      return { id, status: 'ok', seconds: (performance.now() - start) / 1000, device_version: deviceVersion };
    }
    case 'run':
      return { id, ...(await measure.run(id, Math.max(1, request.iterations || 1), !!request.reference,
        request.reference_task)) };
    case 'forget':
      if (dirs.has(id)) {
        await measure.forget(id);
        fs.rmSync(dirs.get(id), { recursive: true, force: true });
        dirs.delete(id);
      }
      return { id, status: 'ok' };
    default:
      return { id, status: 'error', message: `unknown op '${request.op}'` };
  }
}

measure = device === 'node' ? await nodeMeasure() : await chromiumMeasure();
await serve(handle);
for (const dir of dirs.values()) fs.rmSync(dir, { recursive: true, force: true });
if (measure.close) await measure.close();
process.exit(0);
