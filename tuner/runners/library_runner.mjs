// The library runner of kiln-tune (tuner/README.md, "The runner protocol"):
//
//   node tuner/runners/library_runner.mjs --kiln-tune=PATH --target=cpu|spirv
//
// One JSON request per line on stdin, one reply per line on stdout, as the
// JIT and WASM runners. "compile" builds the candidate with `kiln-tune
// --compile-task TARGET` (its own process: a compiler crash is a
// compile-error) exactly as kilnc builds a model for that target, links
// library_harness.c with the library it wrote and the target's runtime, and
// starts the harness: a process per candidate that creates the model's
// context once and then runs and times it on request. A crash in the
// kernels or the driver kills the harness only (the reply is "crash"); a
// run that does not answer within KILN_TUNE_RUN_TIMEOUT seconds (default
// 20, below the tuner's 30) kills the harness and replies "timeout"; a
// hang elsewhere is the tuner's timeout, which kills this runner and, with
// it, its harnesses (their stdin closes).
//
// --target=cpu (kiln-tune's default native runner): the kernel is compiled
// ahead of time for this machine's Halide target, as kilnc --target=cpu
// compiles it, and run through libkiln_runtime.a: Kiln's own thread pool
// with HL_NUM_THREADS threads (the tuner sets it from --threads; the
// context's num_threads), the arena create allocates (64-byte aligned),
// inputs and outputs 64-byte aligned. KILN_TUNE_CLOCK=cpu makes the
// harness time in process CPU time instead of wall time; each "run" reply
// says which ("clock", as the harness reported it).
//
// --target=spirv (the Vulkan runner): the device is the runtime's choice
// (KILN_VK_DEVICE or VK_ICD_FILENAMES decide). lavapipe's worker threads
// follow kiln-tune's --threads: 1 runs on the calling thread
// (LP_NUM_THREADS=0), as the spirv e2e tests do; N > 1 gives lavapipe N.
// LP_NUM_THREADS set by the caller wins.
//
// Test only, counting the candidates compiled whose schedule is not their
// task's reference (the template): KILN_TUNE_TEST_WRONG=N corrupts the
// N-th one's outputs (the first element of each moves by more than the
// output's range) before they are compared; KILN_TUNE_TEST_CRASH=N and
// KILN_TUNE_TEST_HANG=N make the N-th one's harness abort or hang on its
// first run (KILN_HARNESS_TEST_FAULT). test/e2e/tune.test.mjs and
// test/unit/TunerTest.cpp use them to check that a wrong candidate is
// recorded `wrong` and never applied, and that a crash or a hang costs the
// candidate, not the runner. KILN_TUNE_TEST_BREAK=N fails every compile
// from the N-th on (references included), as when kiln-tune is relinked
// under a running tune: test/lit/tuner/machinery.test checks the tuner
// stops and writes none of those failures. Unset in real tunes.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

import { makeInputs, runnerArgs, serve } from './common.mjs';
import { relativeError } from './measure.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = runnerArgs();
const kilnTune = args['kiln-tune'];
const target = args.target || 'spirv';
if (!kilnTune || !['cpu', 'spirv'].includes(target)) {
  process.stderr.write('usage: library_runner.mjs --kiln-tune=PATH --target=cpu|spirv\n');
  process.exit(2);
}

const threads = Number(process.env.HL_NUM_THREADS || 1);
const harnessEnv = { ...process.env, HL_NUM_THREADS: String(threads) };
if (target === 'spirv') harnessEnv.LP_NUM_THREADS = process.env.LP_NUM_THREADS ?? String(threads > 1 ? threads : 0);
delete harnessEnv.KILN_HARNESS_TEST_FAULT;
const runTimeoutMs = 1000 * Number(process.env.KILN_TUNE_RUN_TIMEOUT || 20);
// What links a candidate: the runtime library, and the C flags (cpu: as
// the benchmark's harness is built, benchmarks/lib/artifacts.mjs).
const runtimeLib = target === 'cpu' ? 'libkiln_runtime.a' : 'libkiln_runtime_vulkan.a';
const harnessFlags = target === 'cpu' ? ['-O2', '-DKILN_HARNESS_CPU'] : ['-O1'];
// The C compiler: $CC, else clang-19 (scripts/setup.sh installs it), else cc.
const cc = process.env.CC || (spawnSync('clang-19', ['--version']).status === 0 ? 'clang-19' : 'cc');

const ARRAYS = { float32: Float32Array, float16: Uint16Array, int64: BigInt64Array, int32: Int32Array,
  int16: Int16Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, uint16: Uint16Array,
  uint32: Uint32Array, uint64: BigUint64Array, float64: Float64Array, bfloat16: Uint16Array };

const candidates = new Map(); // id -> {child, next, task, dir}
// Built harnesses by task and schedule: the tuner compiles a task's
// template for its reference, to time it, and again for each pair; a
// schedule built once is started again from its copy here. And the
// runtime library (cpu), the same for every candidate: built once.
// Beside the tasks, in the tuner's work folder (removed with it, also when
// the tuner kills this runner).
let cacheDir = null;
const built = new Map(); // task + '\n' + schedule -> harness executable
let runtimeCopy = null;
const corruptNth = Number(process.env.KILN_TUNE_TEST_WRONG || 0);
const crashNth = Number(process.env.KILN_TUNE_TEST_CRASH || 0);
const hangNth = Number(process.env.KILN_TUNE_TEST_HANG || 0);
const breakNth = Number(process.env.KILN_TUNE_TEST_BREAK || 0);
let nonReferenceCompiles = 0, allCompiles = 0;
const firstSchedule = new Map(); // task path -> the first schedule compiled for it (the reference)
const tasks = new Map(); // task path -> {infos, inputsPath, reference}

// A harness process: next() resolves to its next stdout line parsed as
// JSON, or null once it has exited (a crash); ask(line, ms) to
// {timeout: true} after ms, having killed it.
function startHarness(exe, fault) {
  const env = fault ? { ...harnessEnv, KILN_HARNESS_TEST_FAULT: fault } : harnessEnv;
  const child = spawn(exe, [], { stdio: ['pipe', 'pipe', 'inherit'], env });
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
  const ask = (line, ms = 0) => {
    if (!done) child.stdin.write(line + '\n');
    if (!ms) return next();
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ timeout: true });
      }, ms);
    });
    return Promise.race([next(), late]).finally(() => clearTimeout(timer));
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
  const dir = path.join(path.dirname(task), `${target}-${process.pid}-${id}`);
  fs.rmSync(dir, { recursive: true, force: true });
  const fail = (message) => {
    fs.rmSync(dir, { recursive: true, force: true });
    return { id, status: 'compile-error', message };
  };
  if (breakNth && ++allCompiles >= breakNth)
    return fail('kiln-tune --compile-task: no such file (test fault KILN_TUNE_TEST_BREAK)');
  const key = `${task}\n${request.schedule || ''}`;
  let exe = built.get(key);
  if (!cacheDir) {
    cacheDir = path.join(path.dirname(task), `${target}-builds-${process.pid}`);
    fs.mkdirSync(cacheDir, { recursive: true });
  }
  if (!exe) {
    const env = runtimeCopy ? { ...process.env, KILN_TUNE_REUSE_RUNTIME: runtimeCopy } : process.env;
    const compiled = spawnSync(kilnTune, ['--compile-task', target, task, dir, request.schedule || ''], { encoding: 'utf8', env });
    if (compiled.status !== 0) return fail((compiled.stderr || `kiln-tune exited with ${compiled.status ?? compiled.signal}`).trim());
    if (target === 'cpu' && !runtimeCopy) {
      runtimeCopy = path.join(cacheDir, runtimeLib);
      fs.copyFileSync(path.join(dir, runtimeLib), runtimeCopy);
    }
    exe = path.join(cacheDir, `harness-${built.size}`);
    const linked = spawnSync(cc, [...harnessFlags, '-std=c11', '-D_GNU_SOURCE', '-include', path.join(dir, 'task.h'), '-I', dir,
      path.join(here, 'library_harness.c'), path.join(dir, 'libtask.a'), path.join(dir, runtimeLib),
      '-lm', '-lpthread', '-ldl', '-o', exe], { encoding: 'utf8' });
    if (linked.status !== 0) return fail(`linking the harness: ${(linked.stderr || '').trim()}`);
    built.set(key, exe);
  } else {
    fs.mkdirSync(dir, { recursive: true });
  }
  // The test-only faults (above): the reference schedule is the first one
  // compiled for a task (the tuner compiles the template first).
  const schedule = request.schedule || '';
  if (!firstSchedule.has(task)) firstSchedule.set(task, schedule);
  const nth = schedule !== firstSchedule.get(task) ? ++nonReferenceCompiles : 0;
  const fault = nth && nth === crashNth ? 'crash' : nth && nth === hangNth ? 'hang' : '';
  const harness = startHarness(exe, fault);
  const hello = await harness.next();
  if (!hello || hello.error) {
    harness.child.kill('SIGKILL');
    return fail(`starting the model${target === 'spirv' ? ' on Vulkan' : ''}: ${hello ? hello.error : 'the harness died'}`);
  }
  if (!tasks.has(task)) {
    const inputsPath = `${task}.${target}-inputs-${process.pid}.bin`;
    fs.writeFileSync(inputsPath, encode(hello.inputs, makeInputs(hello.inputs)));
    tasks.set(task, { inputsPath, reference: null });
  }
  const state = tasks.get(task);
  const given = await harness.ask(`inputs ${state.inputsPath}`);
  if (!given || given.error) {
    harness.child.kill('SIGKILL');
    return fail(`giving the inputs: ${given ? given.error : 'the harness died'}`);
  }
  const corrupt = nth > 0 && nth === corruptNth;
  candidates.set(id, { ...harness, task, dir, outputs: hello.outputs, corrupt, clock: hello.clock });
  // The protocol's "device_version": the kernel for native code (as
  // `uname -sr`); for spirv the device's name and its driver's version as
  // the Vulkan runtime reports them (NAME_device_name, NAME_driver_version:
  // "llvmpipe (LLVM 15.0.6, 256 bits), driver 0.0.1, Vulkan 1.3.230").
  const deviceVersion = target === 'cpu' ? `${os.type()} ${os.release()}` : `${hello.device}, ${hello.driver}`;
  return { id, status: 'ok', seconds: (performance.now() - start) / 1000, device: hello.device,
    device_version: deviceVersion };
}

async function run(request) {
  const id = request.id ?? -1;
  const c = candidates.get(id);
  if (!c) return { id, status: 'error', message: `no compiled candidate ${id}` };
  const outPath = path.join(c.dir, 'outputs.bin');
  // The first run is a warm-up (pipelines, first touch of memory).
  const iterations = Math.max(1, request.iterations || 1);
  const answer = await c.ask(`run ${iterations + 1} ${outPath}`, runTimeoutMs);
  if (!answer) return { id, status: 'crash', message: 'the harness died' };
  if (answer.timeout) return { id, status: 'timeout', message: `no answer in ${runTimeoutMs / 1000} s: the harness was killed` };
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
    error: Number.isFinite(error) ? error : 1e30, clock: c.clock };
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
if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
process.exit(0);
