// Shared by the end-to-end scripts: where the repository and its npm peers
// are, loading onnxruntime-node and TensorFlow.js, seeded input streams, command-line flags, and the error convention
// (one line "<tool>: error: ..." on stderr and exit status 2 for bad usage or
// bad files; compare.mjs keeps status 1 for a real mismatch).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { TensorDirError } from './tensor_dir.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// npm peers live in <repo>/.deps (scripts/setup.sh puts them there, outside
// any package.json of the repo); KILN_DEPS_DIR points elsewhere if needed.
export const depsDir = process.env.KILN_DEPS_DIR || path.join(repoRoot, '.deps');

/**
 * A fresh folder in the system's temp dir for a test file's work (the
 * tests' rule, test/README.md): removed when the process exits with every
 * test passed (node --test runs each file in a process of its own); kept,
 * with its path on stderr, when a test failed or KILN_KEEP_TEMP=1.
 */
export function workDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', (code) => {
    if (code === 0 && process.env.KILN_KEEP_TEMP !== '1') fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    else process.stderr.write(`kept ${dir} (${code === 0 ? 'KILN_KEEP_TEMP=1' : `exit status ${code}`})\n`);
  });
  return dir;
}

// The models the end-to-end tests and benchmarks share. MobileNetV2 is a
// build output (test/models/CMakeLists.txt); KILN_MOBILENETV2 or
// KILN_BUILD_DIR point elsewhere.
const blazefaceDir = path.join(depsDir, 'models/blazeface/package/ONNX');
export const models = {
  blazefaceFront: path.join(blazefaceDir, 'face_detection_front_128x128_barracuda.onnx'),
  blazefaceBack: path.join(blazefaceDir, 'face_detection_back_256x256_barracuda.onnx'),
  mobilenetv2:
    process.env.KILN_MOBILENETV2 ||
    path.join(process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build'), 'test/models/mobilenetv2.onnx'),
};

export function loadOrt() {
  const require = createRequire(path.join(depsDir, 'package.json'));
  try {
    return require('onnxruntime-node');
  } catch (e) {
    throw new UsageError(
      `cannot load onnxruntime-node from ${depsDir}/node_modules (run scripts/setup.sh): ` +
        e.message.split('\n')[0],
    );
  }
}

// Opens a session with a fixed thread count. Sequential execution and one
// inter-op thread, so that `threads` is the whole parallelism and runs repeat.
export async function openSession(ort, model, threads = 1) {
  if (!fs.existsSync(model)) throw new UsageError(`${model}: no such file`);
  try {
    return await ort.InferenceSession.create(model, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      logSeverityLevel: 3, // errors only: tf2onnx models trigger harmless warnings
    });
  } catch (e) {
    throw new UsageError(`${model}: ONNX Runtime cannot load it: ${e.message.split('\n')[0]}`);
  }
}

// TensorFlow.js (core, cpu backend, converter) from the npm peers, cpu
// backend set: the oracle of the TF.js tests.
export async function loadTf() {
  const require = createRequire(path.join(depsDir, 'package.json'));
  try {
    const tf = require('@tensorflow/tfjs-core');
    require('@tensorflow/tfjs-backend-cpu');
    const converter = require('@tensorflow/tfjs-converter');
    await tf.setBackend('cpu');
    // The cpu backend greets Node users on its first write with advice to
    // install tfjs-node; the oracle's output stays its own.
    tf.backend().firstUse = false;
    return { tf, converter };
  } catch (e) {
    throw new UsageError(
      `cannot load TensorFlow.js from ${depsDir}/node_modules (run scripts/setup.sh): ` +
        e.message.split('\n')[0],
    );
  }
}

// mulberry32: a small, well-tested 32-bit generator; exact in JS integers.
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

// FNV-1a of a name, mixed with the seed: one stream per input.
export function streamSeed(seed, name) {
  let h = 0x811c9dc5 ^ seed;
  for (const byte of Buffer.from(name, 'utf8')) h = Math.imul(h ^ byte, 0x01000193);
  return h >>> 0;
}

// An error the user caused (bad flag, missing file): reported on one line.
export class UsageError extends Error {}

// Parses argv. `spec` maps each flag to 'string', 'int', 'float' or 'list'
// (repeatable string); `--flag value` and `--flag=value` are both accepted.
export function parseArgs(argv, spec, positionalNames) {
  const values = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    let value;
    const eq = arg.indexOf('=');
    if (eq >= 0) [arg, value] = [arg.slice(0, eq), arg.slice(eq + 1)];
    const kind = spec[arg];
    if (!kind) throw new UsageError(`unknown flag '${arg}' (see --help)`);
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`${arg} needs a value`);
      value = argv[++i];
    }
    const key = arg.slice(2);
    if (kind === 'list') (values[key] ??= []).push(value);
    else if (kind === 'string') values[key] = value;
    else {
      const n = Number(value);
      if (value.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n)))
        throw new UsageError(`${arg} expects ${kind === 'int' ? 'an integer' : 'a number'}, got '${value}'`);
      values[key] = n;
    }
  }
  if (positional.length !== positionalNames.length)
    throw new UsageError(
      `expected ${positionalNames.length} arguments (${positionalNames.join(' ')}), ` +
        `got ${positional.length} (see --help)`,
    );
  positionalNames.forEach((name, i) => (values[name] = positional[i]));
  return values;
}

// Parses "name=1x3x224x224" into [name, [1, 3, 224, 224]].
export function parseShapeFlag(text) {
  const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(text);
  if (!m) throw new UsageError(`--input-shape expects name=DxDx..., got '${text}'`);
  return [m[1], m[2].split('x').map(Number)];
}

// Runs a script's async main with the error convention above.
export async function runMain(tool, usage, main) {
  try {
    if (process.argv.includes('--help')) {
      console.log(usage);
      return;
    }
    await main(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof UsageError || e instanceof TensorDirError)) {
      // A bug in the harness, not in the user's input: keep the stack.
      console.error(`${tool}: internal error:`, e);
      process.exit(3);
    }
    console.error(`${tool}: error: ${e.message}`);
    process.exit(2);
  }
}
