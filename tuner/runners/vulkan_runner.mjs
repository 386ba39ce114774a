// The Vulkan runner of kiln-tune (tuner/README.md, "The runner protocol"):
//
//   node tuner/runners/vulkan_runner.mjs --kiln-tune=PATH
//
// One JSON request per line on stdin, one reply per line on stdout, as the
// native and WASM runners. "compile" builds the candidate with `kiln-tune
// --compile-task spirv` (its own process: a compiler crash is a
// compile-error), links vulkan_harness.c with the library it wrote and
// libkiln_runtime_vulkan.a, and starts the harness: a process per candidate
// that creates the Vulkan context once (the device: the runtime's choice,
// KILN_VK_DEVICE or VK_ICD_FILENAMES decide) and then runs and times the
// model on request. A driver crash kills the harness only (the reply is
// "crash"); a hang is the tuner's timeout, which kills this runner and,
// with it, its harnesses (their stdin closes).
//
// lavapipe's worker threads follow kiln-tune's --threads (HL_NUM_THREADS,
// which the tuner sets for every runner): 1 runs on the calling thread
// (LP_NUM_THREADS=0), as the spirv e2e tests do; N > 1 gives lavapipe N.
// LP_NUM_THREADS set by the caller wins.
//
// Test only: KILN_TUNE_TEST_WRONG=N makes this runner corrupt the outputs
// (the first element of each moves by more than the output's range) of
// the N-th candidate it compiles
// whose schedule is not its task's reference (the template), before they
// are compared; test/e2e/tune.test.mjs uses it to check that a wrong
// candidate is recorded `wrong` and never applied. Unset in real tunes.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import { makeInputs, serve } from './common.mjs';
import { relativeError } from './measure.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split(/=(.*)/s).slice(0, 2)));
const kilnTune = args['kiln-tune'];
if (!kilnTune) {
  process.stderr.write('usage: vulkan_runner.mjs --kiln-tune=PATH\n');
  process.exit(2);
}

const threads = Number(process.env.HL_NUM_THREADS || 1);
const harnessEnv = { ...process.env, LP_NUM_THREADS: process.env.LP_NUM_THREADS ?? String(threads > 1 ? threads : 0) };
// The C compiler: $CC, else clang-19 (scripts/setup.sh installs it), else cc.
const cc = process.env.CC || (spawnSync('clang-19', ['--version']).status === 0 ? 'clang-19' : 'cc');

const ARRAYS = { float32: Float32Array, float16: Uint16Array, int64: BigInt64Array, int32: Int32Array,
  int16: Int16Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, uint16: Uint16Array,
  uint32: Uint32Array, uint64: BigUint64Array, float64: Float64Array, bfloat16: Uint16Array };

const candidates = new Map(); // id -> {child, next, task, dir}
const corruptNth = Number(process.env.KILN_TUNE_TEST_WRONG || 0);
let nonReferenceCompiles = 0;
const tasks = new Map(); // task path -> {infos, inputsPath, reference}

// A harness process: next() resolves to its next stdout line parsed as
// JSON, or null once it has exited (a crash).
function startHarness(exe) {
  const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'], env: harnessEnv });
  const waiting = [], lines = [];
  let done = false;
  const finish = () => {
    done = true;
    while (waiting.length) waiting.shift()(null);
  };
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let value;
    try {
      value = JSON.parse(line);
    } catch {
      value = { error: `the harness printed '${line.slice(0, 200)}'` };
    }
    if (waiting.length) waiting.shift()(value);
    else lines.push(value);
  });
  child.on('exit', finish);
  child.on('error', finish);
  child.stdin.on('error', () => {}); // a dead harness: its reply is null
  const next = () => (lines.length ? Promise.resolve(lines.shift()) : done ? Promise.resolve(null)
    : new Promise((resolve) => waiting.push(resolve)));
  const ask = (line) => {
    if (!done) child.stdin.write(line + '\n');
    return next();
  };
  return { child, next, ask };
}

function decode(infos, bytes) {
  const outputs = {};
  let offset = 0;
  for (const t of infos) {
    const Array_ = ARRAYS[t.dtype];
    const copy = new Uint8Array(bytes.subarray(offset, offset + t.bytes)); // aligned
    outputs[t.name] = new Array_(copy.buffer, 0, t.bytes / Array_.BYTES_PER_ELEMENT);
    offset += t.bytes;
  }
  return outputs;
}

function encode(infos, inputs) {
  return Buffer.concat(infos.map((t) => {
    const a = new ARRAYS[t.dtype](inputs[t.name].length);
    if (inputs[t.name].values) a.set(inputs[t.name].values);
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
  }));
}

async function compile(request) {
  const id = request.id ?? -1;
  const start = performance.now();
  const task = request.task || '';
  const dir = path.join(path.dirname(task), `vulkan-${process.pid}-${id}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const fail = (message) => {
    fs.rmSync(dir, { recursive: true, force: true });
    return { id, status: 'compile-error', message };
  };
  const built = spawnSync(kilnTune, ['--compile-task', 'spirv', task, dir, request.schedule || ''], { encoding: 'utf8' });
  if (built.status !== 0) return fail((built.stderr || `kiln-tune exited with ${built.status ?? built.signal}`).trim());
  const exe = path.join(dir, 'harness');
  const linked = spawnSync(cc, ['-O1', '-std=c11', '-D_GNU_SOURCE', '-include', path.join(dir, 'task.h'), '-I', dir,
    path.join(here, 'vulkan_harness.c'), path.join(dir, 'libtask.a'), path.join(dir, 'libkiln_runtime_vulkan.a'),
    '-lm', '-lpthread', '-ldl', '-o', exe], { encoding: 'utf8' });
  if (linked.status !== 0) return fail(`linking the harness: ${(linked.stderr || '').trim()}`);
  const harness = startHarness(exe);
  const hello = await harness.next();
  if (!hello || hello.error) {
    harness.child.kill('SIGKILL');
    return fail(`starting the model on Vulkan: ${hello ? hello.error : 'the harness died'}`);
  }
  if (!tasks.has(task)) {
    const inputsPath = `${task}.vulkan-inputs-${process.pid}.bin`;
    fs.writeFileSync(inputsPath, encode(hello.inputs, makeInputs(hello.inputs)));
    tasks.set(task, { inputsPath, reference: null });
  }
  const state = tasks.get(task);
  const given = await harness.ask(`inputs ${state.inputsPath}`);
  if (!given || given.error) {
    harness.child.kill('SIGKILL');
    return fail(`giving the inputs: ${given ? given.error : 'the harness died'}`);
  }
  // The test-only corruption (above): the reference schedule is the first
  // one compiled for a task (the tuner compiles the template first).
  if (!state.schedule) state.schedule = request.schedule || '';
  const corrupt = corruptNth > 0 && (request.schedule || '') !== state.schedule && ++nonReferenceCompiles === corruptNth;
  candidates.set(id, { ...harness, task, dir, outputs: hello.outputs, corrupt });
  return { id, status: 'ok', seconds: (performance.now() - start) / 1000, device: hello.device };
}

async function run(request) {
  const id = request.id ?? -1;
  const c = candidates.get(id);
  if (!c) return { id, status: 'error', message: `no compiled candidate ${id}` };
  const outPath = path.join(c.dir, 'outputs.bin');
  // The first run is a warm-up (pipelines, first touch of memory).
  const iterations = Math.max(1, request.iterations || 1);
  const answer = await c.ask(`run ${iterations + 1} ${outPath}`);
  if (!answer) return { id, status: 'crash', message: 'the Vulkan harness died' };
  if (answer.error) return { id, status: 'crash', message: answer.error };
  const outputs = decode(c.outputs, fs.readFileSync(outPath));
  if (c.corrupt)
    for (const a of Object.values(outputs)) {
      if (!a.length) continue;
      if (typeof a[0] === 'bigint') a[0] += 1n << 20n;
      else a[0] += 1 + 2 * a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    }
  const state = tasks.get(c.task);
  if (request.reference) state.reference = outputs;
  const against = request.reference_task ? tasks.get(request.reference_task) : state;
  if (!against || !against.reference) return { id, status: 'error', message: 'no reference to compare with' };
  const error = relativeError(outputs, against.reference);
  return { id, status: error <= 1e-4 ? 'ok' : 'wrong', times_ms: answer.times_ms.slice(1),
    error: Number.isFinite(error) ? error : 1e30 };
}

function forget(request) {
  const id = request.id ?? -1;
  const c = candidates.get(id);
  if (c) {
    c.child.stdin.end();
    c.child.kill('SIGKILL');
    fs.rmSync(c.dir, { recursive: true, force: true });
    candidates.delete(id);
  }
  return { id, status: 'ok' };
}

async function handle(request) {
  switch (request.op) {
    case 'compile':
      return compile(request);
    case 'run':
      return run(request);
    case 'forget':
      return forget(request);
    default:
      return { id: request.id ?? -1, status: 'error', message: `unknown op '${request.op}'` };
  }
}

await serve(handle);
for (const id of [...candidates.keys()]) forget({ id });
for (const t of tasks.values()) fs.rmSync(t.inputsPath, { force: true });
process.exit(0);
