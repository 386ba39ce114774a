// Shared by the WASM target's tests: compiling a model to WebAssembly (cached
// between test files), the ONNX Runtime oracle (test/e2e's scripts), running a
// compiled model through its generated loader, and comparing the results.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { models, repoRoot } from '../e2e/common.mjs';
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
// of `key`, atomically, so that a test file killed half-way never leaves a
// partial result. Older entries of the same label (from an earlier build of
// the compiler) are removed: MobileNetV2's modules weigh 14 MB each.
function cached(label, key, produce) {
  const prefix = `${label.replace(/[^A-Za-z0-9_.-]/g, '_')}-`;
  const dir = path.join(cacheRoot, prefix + crypto.createHash('sha1').update(key).digest('hex').slice(0, 16));
  if (fs.existsSync(path.join(dir, '.complete'))) return dir;
  fs.mkdirSync(cacheRoot, { recursive: true });
  // node --test runs two test files at once (scripts/test.sh): when another
  // process is producing this entry, wait for it instead of compiling the
  // same model twice. The lock names its pid; a dead owner's lock is taken.
  const lock = `${dir}.lock`;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
    }
    if (fs.existsSync(path.join(dir, '.complete'))) return dir;
    let alive;
    try {
      const pid = Number(fs.readFileSync(lock, 'utf8'));
      // A half-written lock counts as dead: at worst both produce the entry,
      // which the rename below allows.
      alive = pid > 0 && process.kill(pid, 0);
    } catch (e) {
      if (e.code === 'ENOENT') continue; // released just now
      alive = e.code === 'EPERM'; // alive, another user's; ESRCH: dead
    }
    if (!alive) fs.rmSync(lock, { force: true });
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
  try {
    if (fs.existsSync(path.join(dir, '.complete'))) return dir;
    return produceEntry(prefix, dir, key, produce);
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function produceEntry(prefix, dir, key, produce) {
  for (const entry of fs.readdirSync(cacheRoot))
    if (entry.startsWith(prefix) && /^[0-9a-f]{16}$/.test(entry.slice(prefix.length)))
      fs.rmSync(path.join(cacheRoot, entry), { recursive: true, force: true });
  const tmp = fs.mkdtempSync(`${dir}.tmp-`);
  produce(tmp);
  fs.writeFileSync(path.join(tmp, '.complete'), key);
  fs.rmSync(dir, { recursive: true, force: true });
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    // Another test process finished the same entry first: keep theirs.
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(path.join(dir, '.complete'))) throw e;
  }
  return dir;
}

export function modelAvailable(model) {
  return fs.existsSync(model);
}

/**
 * Compiles `model` to WebAssembly; returns {dir, name, log}. Options:
 * external (--weights=external), fallback (default true), kernelChecks
 * (Halide's buffer checks kept in the kernels), threads (NAME.threads.wasm).
 */
export function compileWasm(model, name, { external = false, fallback = true, kernelChecks = false, fuseBlocks = false, threads = false } = {}) {
  assert.ok(fs.existsSync(compiler), `${compiler} is missing: build it (ninja -C build kilnc)`);
  const flags = ['--target=wasm', '--name', name];
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

export function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// The models the tests compile, by the name their artifacts get.
export const MODELS = [
  { name: 'blazeface_front', model: models.blazefaceFront },
  { name: 'blazeface_back', model: models.blazefaceBack },
  { name: 'mobilenetv2', model: models.mobilenetv2 },
];
