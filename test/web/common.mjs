// Shared by the WASM target's tests: compiling a model to WebAssembly (cached
// between test files), the ONNX Runtime oracle (test/e2e's scripts), running a
// compiled model through its generated loader, and comparing the results.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

import { models, repoRoot, workDir } from '../e2e/common.mjs';
import { readTensorDir, writeTensorDir } from '../e2e/tensor_dir.mjs';

export { models, repoRoot };
export const buildDir = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const e2eDir = path.join(repoRoot, 'test/e2e');

// The end-to-end bar (issue 4): every output within 1e-4 of its range.
export const ATOL_FRAC = '1e-4';

// Compiled artifacts and oracle outputs are cached here, keyed by everything
// they depend on, so that test files (each its own process) share them.
const cacheRoot = path.join(os.tmpdir(), 'kiln-web-cache');

// The compiler: kilnc --target=wasm; KILN_WASM_COMPILER overrides it.
export const compiler = process.env.KILN_WASM_COMPILER || path.join(buildDir, 'bin/kilnc');

function run(command, args) {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { status: r.status, out: (r.stdout ?? '') + (r.stderr ?? '') };
}

function mustRun(command, args) {
  const r = run(command, args);
  assert.equal(r.status, 0, `${path.basename(command)} ${args.join(' ')} failed:\n${r.out}`);
  return r.out;
}

function fileKey(file) {
  const s = fs.statSync(file);
  return `${path.resolve(file)}:${s.size}:${s.mtimeMs}`;
}

// Builds `produce(dir)` into a cache directory named by `label` and a hash
// of `key`; returns the directory, registered as in use by this process.
//
// Several processes use the cache at once: node --test runs two test files
// at a time (scripts/test.sh), and other checkouts or a rebuilt kilnc give
// other keys for the same label. Each test file serves or loads an entry's
// files for as long as it runs (chromium.mjs reads them per request, the
// threaded loader starts its workers from NAME.worker.mjs), so an entry is
// removed only when no live process uses it: each user writes its pid in the
// entry's .users/, and producing, registering and removing all happen under
// one lock per label. Removing an unused older entry of the same label
// (from an earlier build of the compiler) matters: MobileNetV2's modules
// weigh 14 MB each. An entry is published by renaming a complete temporary
// directory, so a process killed half-way never leaves a partial result.
export function cached(label, key, produce) {
  const prefix = `${label.replace(/[^A-Za-z0-9_.-]/g, '_')}-`;
  const dir = path.join(cacheRoot, prefix + crypto.createHash('sha1').update(key).digest('hex').slice(0, 16));
  fs.mkdirSync(cacheRoot, { recursive: true });
  return withLock(path.join(cacheRoot, `${prefix}lock`), () => {
    if (!fs.existsSync(path.join(dir, '.complete'))) produceEntry(dir, key, produce);
    fs.mkdirSync(path.join(dir, '.users'), { recursive: true });
    fs.writeFileSync(path.join(dir, '.users', String(process.pid)), '');
    removeUnused(prefix, dir);
    return dir;
  });
}

function alive(pid) {
  try {
    return pid > 0 && process.kill(pid, 0);
  } catch (e) {
    return e.code === 'EPERM'; // alive, another user's; ESRCH: dead
  }
}

// Runs `fn` holding the lock file `lock`, which names its owner's pid; a
// dead owner's lock is taken over. The lock is created whole (a complete
// file linked into place), so no reader sees it without its pid.
function withLock(lock, fn) {
  const mine = `${lock}.${process.pid}`;
  fs.writeFileSync(mine, String(process.pid));
  try {
    for (;;) {
      try {
        fs.linkSync(mine, lock);
        break;
      } catch (e) {
        if (e.code !== 'EEXIST') throw e;
      }
      let owner;
      try {
        owner = Number(fs.readFileSync(lock, 'utf8'));
      } catch (e) {
        if (e.code === 'ENOENT') continue; // released just now
        throw e;
      }
      if (!alive(owner)) {
        // Take a dead owner's lock only if it is still that owner's.
        const stale = `${lock}.stale-${process.pid}`;
        try {
          fs.renameSync(lock, stale);
        } catch (e) {
          if (e.code === 'ENOENT') continue; // another process took it over
          throw e;
        }
        if (Number(fs.readFileSync(stale, 'utf8')) !== owner) fs.renameSync(stale, lock);
        else fs.rmSync(stale, { force: true });
        continue;
      }
      // Another process is producing an entry of this label (a compile
      // takes seconds): wait for it rather than compiling the same twice.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  } finally {
    fs.rmSync(mine, { force: true });
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function produceEntry(dir, key, produce) {
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  produce(tmp);
  fs.writeFileSync(path.join(tmp, '.complete'), key);
  // A leftover without .complete (a removal killed half-way) goes first.
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
}

// Under the label's lock: removes the label's entries other than `keep` that
// no live process uses, and temporaries their dead producers left.
function removeUnused(prefix, keep) {
  for (const entry of fs.readdirSync(cacheRoot)) {
    if (!entry.startsWith(prefix)) continue;
    const rest = entry.slice(prefix.length);
    const full = path.join(cacheRoot, entry);
    if (/^[0-9a-f]{16}\.tmp-/.test(rest)) {
      fs.rmSync(full, { recursive: true, force: true });
    } else if (/^[0-9a-f]{16}$/.test(rest) && full !== keep && !inUse(full)) {
      // Renamed first: a removal killed half-way must not leave a .complete
      // entry that lacks files.
      const doomed = `${full}.tmp-removed`;
      fs.rmSync(doomed, { recursive: true, force: true });
      fs.renameSync(full, doomed);
      fs.rmSync(doomed, { recursive: true, force: true });
    }
  }
}

function inUse(dir) {
  let users = [];
  try {
    users = fs.readdirSync(path.join(dir, '.users'));
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  return users.some((pid) => alive(Number(pid)));
}

export function modelAvailable(model) {
  return fs.existsSync(model);
}

/**
 * Compiles `model` to WebAssembly; returns {dir, name, log}. Options:
 * external (--weights=external), fallback (default true), kernelChecks
 * (Halide's buffer checks kept in the kernels), threads (NAME.threads.wasm).
 */
export function compileWasm(model, name, { external = false, fallback = true, kernelChecks = false, fuseBlocks = false, threads = false, image = [] } = {}) {
  assert.ok(fs.existsSync(compiler), `${compiler} is missing: build it (ninja -C build kilnc)`);
  // image: the input adapter's flags (--input-image=... and its options).
  const flags = ['--target=wasm', '--name', name, ...image];
  if (external) flags.push('--weights=external');
  if (!fallback) flags.push('--no-fallback');
  if (kernelChecks) flags.push('--kernel-checks');
  if (fuseBlocks) flags.push('--fuse-blocks');
  if (threads) flags.push('--threads');
  let log = '';
  const dir = cached(`wasm-${flags.join('')}`, [fileKey(compiler), fileKey(model), ...flags].join('|'), (out) => {
    log = mustRun(compiler, [model, '-o', out, ...flags]);
  });
  return { dir, name, log };
}

/** Fixed-seed inputs and ONNX Runtime's outputs for them: {inputs, expected}. */
export function oracle(model, seed = 1) {
  const dir = cached(`oracle-${path.basename(model)}-${seed}`, [fileKey(model), seed, fileKey(path.join(e2eDir, 'ort_run.mjs'))].join('|'), (out) => {
    mustRun(process.execPath, [path.join(e2eDir, 'make_inputs.mjs'), model, '--out-dir', path.join(out, 'inputs'), '--seed', String(seed)]);
    mustRun(process.execPath, [path.join(e2eDir, 'ort_run.mjs'), model, '--inputs-dir', path.join(out, 'inputs'),
      '--outputs-dir', path.join(out, 'expected'), '--threads', '1']);
  });
  return { inputs: path.join(dir, 'inputs'), expected: path.join(dir, 'expected') };
}

/** {name: TypedArray} from a tensor directory. */
export function readFeeds(dir) {
  return Object.fromEntries(readTensorDir(dir).map((t) => [t.name, t.data]));
}

/** Writes a run's outputs as a tensor directory, with the dtypes and shapes the model declares. */
export function writeOutputs(dir, outputs, infos) {
  writeTensorDir(dir, infos.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], data: outputs[t.name] })));
}

/** Runs test/e2e/compare.mjs; returns {status, out}. */
export function compare(expectedDir, actualDir) {
  return run(process.execPath, [path.join(e2eDir, 'compare.mjs'), expectedDir, actualDir, '--atol-frac', ATOL_FRAC]);
}

/** Imports a compiled model's generated loader. */
export function importLoader({ dir, name }) {
  return import(pathToFileURL(path.join(dir, `${name}.mjs`)).href);
}

/**
 * Loads a model with its generated loader, catching the module's exports as
 * the loader instantiates it (the shim's kiln_heap_in_use: the bytes its
 * malloc has handed out and not had back). Returns {m, exports}.
 */
export async function loadCatchingExports(loader, ...args) {
  const instantiate = WebAssembly.instantiate;
  let exports;
  WebAssembly.instantiate = async (...a) => {
    const r = await instantiate.apply(WebAssembly, a);
    exports = (r.instance ?? r).exports;
    return r;
  };
  try {
    return { m: await loader.load(...args), exports };
  } finally {
    WebAssembly.instantiate = instantiate;
  }
}

// Removed at exit if every test passed, else kept (e2e/common.mjs, workDir).
export const tempDir = workDir;

// The models the tests compile, by the name their artifacts get.
export const MODELS = [
  { name: 'blazeface_front', model: models.blazefaceFront },
  { name: 'blazeface_back', model: models.blazefaceBack },
  { name: 'mobilenetv2', model: models.mobilenetv2 },
];

// V8's collector and its collections, set up by the first jsAllocation(),
// and the empty function it calibrates with (one, so that V8's first-time
// work on it is done once).
let gc = null;
const noop = () => {};
const collections = [];
const youngBytes = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_used_size;

// One window: n calls of f; its young-generation growth, ArrayBuffer change
// and time span.
function allocationWindow(f, n) {
  gc();
  const buffers = process.memoryUsage().arrayBuffers;
  const young = youngBytes();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) f();
  const t1 = performance.now();
  return { bytes: youngBytes() - young, arrayBuffers: process.memoryUsage().arrayBuffers - buffers, t0, t1 };
}

/**
 * What n calls of fn() allocate in JS, measured in 3 windows of n / 3 calls:
 * {calls, bytes, arrayBuffers, gcs}. V8's young generation (where every new
 * object goes) grows by `bytes` in the quietest window, less what the same
 * loop around an empty function costs (the counters' own objects);
 * `arrayBuffers` is the largest change in ArrayBuffer memory (a fresh typed
 * array adds its bytes); `gcs` counts collections during the windows (by
 * their start time: the observer hears of them later), which would hide
 * both, so a clean measure needs gcs == 0. Steady runs of a model allocate
 * 0 B; V8's own work (type feedback, a function tiered up) adds some
 * 50-1,000 B to one window now and then, hence the quietest of three.
 */
export async function jsAllocation(fn, n) {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc');
    new PerformanceObserver((list) => collections.push(...list.getEntries().map((e) => e.startTime))).observe({ entryTypes: ['gc'] });
    // The measure's own first use costs some 250 B in each window (V8's
    // first-time work on these functions): spent here, on an empty function.
    await measure(noop, 3);
  }
  return measure(fn, n);
}

async function measure(fn, n) {
  const calls = Math.max(1, Math.floor(n / 3));
  // The counters' own cost: the least of two empty windows before and two
  // after (V8's own work lands in either kind now and then).
  const empties = [allocationWindow(noop, calls), allocationWindow(noop, calls)];
  const all = [0, 1, 2].map(() => allocationWindow(fn, calls));
  empties.push(allocationWindow(noop, calls), allocationWindow(noop, calls));
  const empty = Math.min(...empties.map((w) => w.bytes));
  await new Promise((resolve) => setTimeout(resolve, 20)); // the GC entries arrive
  return {
    calls,
    bytes: Math.min(...all.map((w) => w.bytes)) - empty,
    arrayBuffers: Math.max(...all.map((w) => w.arrayBuffers)),
    gcs: collections.filter((t) => all.some((w) => t >= w.t0 && t <= w.t1)).length,
  };
}
