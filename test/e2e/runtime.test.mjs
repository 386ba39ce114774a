// The generated C API's runtime contract (issue 17), on BlazeFace front
// compiled by kilnc --target=cpu:
// - every public function, given hostile arguments, returns a status and a
//   message and touches no output (native/api_test.c);
// - external weights are checked at create: a truncated, another model's,
//   another build's, corrupt or foreign file gets KILN_INVALID_WEIGHTS and a
//   message that says which (native/weights_test.c, on files crafted here);
// - two contexts run at once from two threads, under ThreadSanitizer, with
//   the kernels, Halide's runtime and the host code instrumented
//   (--cpu-features=sse41-tsan: 128-bit vectors, the widest accesses TSan
//   checks), and the same context from two threads is refused with
//   KILN_CONTEXT_BUSY, as is set_seed while another thread runs it
//   (native/threads_test.c); a negative control (two
//   contexts sharing one arena) shows that a race in the kernels fails it;
// - 10,000 runs allocate nothing and leave the resident set flat;
// - under AddressSanitizer and UndefinedBehaviorSanitizer, with the kernels
//   and runtime instrumented (--cpu-features=avx2-asan): BlazeFace front
//   matches onnxruntime-node and frees everything, native/api_test.c's
//   hostile arguments pass, and create's weights check meets every cut and
//   one-bit change of a weights file's header (native/weights_hostile.c).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { models, repoRoot, workDir } from './common.mjs';
import { modelSkip } from './setup_skip.mjs';

const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const native = path.join(repoRoot, 'test/e2e/native');
const work = workDir('kiln-runtime-e2e-');

function run(cmd, args, options = {}) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
  } catch (e) {
    assert.fail(`${path.basename(cmd)} ${args.join(' ')} failed:\n${e.stdout || ''}${e.stderr || ''}`);
  }
}

// kilnc BlazeFace front into <work>/<name>; returns the directory.
function compile(name, flags = []) {
  const out = path.join(work, name);
  if (!fs.existsSync(path.join(out, `${name}.h`))) run(kilnc, [models.blazefaceFront, '-o', out, `--name=${name}`, ...flags]);
  return out;
}

// Links native/<source> against a compiled model.
function link(out, name, source, exe, flags = ['-O2']) {
  run('clang-19', [...flags, '-std=c11', '-D_GNU_SOURCE', '-I', out, path.join(native, source), `${out}/lib${name}.a`,
    `${out}/libkiln_runtime.a`, '-lm', '-lpthread', '-ldl', '-o', path.join(out, exe)]);
  return path.join(out, exe);
}

const skip = modelSkip(models.blazefaceFront);

test('every function of the C API refuses hostile arguments with a status and a message', { skip }, () => {
  const out = compile('apimodel');
  assert.match(run(link(out, 'apimodel', 'api_test.c', 'api_test'), []), /all checks passed/);
});

test('10,000 runs allocate nothing and keep the resident set flat', { skip }, (t) => {
  const out = compile('apimodel');
  const runner = path.join(out, 'runner');
  run('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', '-DKILN_MODEL=apimodel', '-DKILN_MODEL_UPPER=APIMODEL',
    '-include', `${out}/apimodel.h`, '-I', out, path.join(native, 'model_runner.c'), `${out}/libapimodel.a`,
    `${out}/libkiln_runtime.a`, '-lm', '-lpthread', '-ldl', '-o', runner]);
  const inputs = path.join(work, 'inputs');
  run(process.execPath, [path.join(repoRoot, 'test/e2e/make_inputs.mjs'), models.blazefaceFront, '--out-dir', inputs, '--seed', '3']);
  fs.mkdirSync(path.join(out, 'outputs'), { recursive: true });
  const log = run(runner, [inputs, path.join(out, 'outputs'), '--runs', '10000', '--threads', '1', '--check-no-alloc', '--rss', '--time']);
  assert.match(log, /no allocations during 9999 runs after warm-up/);
  const rss = Object.fromEntries([...log.matchAll(/rss after run (\d+): (\d+) KB/g)].map((m) => [Number(m[1]), Number(m[2])]));
  t.diagnostic(`native RSS (KB) after run ${Object.entries(rss).map(([n, kb]) => `${n}: ${kb}`).join(', ')}; ${log.match(/median.*/)?.[0]}`);
  // After the first 100 runs every page a run touches is resident: the rest
  // must not add a page (one page of slack for the C library's own use).
  assert.ok(rss[10000] - rss[100] <= 4, `RSS grew from ${rss[100]} KB (run 100) to ${rss[10000]} KB (run 10000)`);
});

// Writes `bytes` to <work>/weights/<label>.bin; returns the path.
function weightsFile(label, bytes) {
  const dir = path.join(work, 'weights');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${label}.bin`);
  fs.writeFileSync(file, bytes);
  return file;
}

test('external weights are checked at create: size, header and checksum', { skip }, () => {
  const out = compile('ext', ['--weights=external']);
  const header = fs.readFileSync(`${out}/ext.h`, 'utf8');
  const size = Number(/#define EXT_WEIGHTS_SIZE (\d+)u/.exec(header)[1]);
  const good = fs.readFileSync(`${out}/ext.weights.bin`);
  assert.equal(good.length, size, 'EXT_WEIGHTS_SIZE is the size of ext.weights.bin');
  assert.match(header, /const void \*weights;/);
  // The header (runtime/kiln_runtime.h).
  assert.equal(good.subarray(0, 8).toString('latin1'), 'KILNWTS\0');
  assert.equal(good.readUInt32LE(8), 1);
  assert.equal(good.readUInt32LE(12), 64);
  assert.equal(Number(good.readBigUInt64LE(16)), size - 64);
  assert.equal(`0x${good.readBigUInt64LE(24).toString(16).padStart(16, '0')}ull`, /#define EXT_WEIGHTS_HASH (0x[0-9a-f]+ull)/.exec(header)[1]);
  assert.equal(good.subarray(32, 35).toString('latin1'), 'ext');

  const exe = link(out, 'ext', 'weights_test.c', 'weights_test');
  assert.match(run(exe, [weightsFile('good', good)]), /^create: ok: \nrun: ok: /);
  assert.match(run(exe, [weightsFile('api', good), '--api']), /all checks passed/);

  const variant = (edit) => {
    const copy = Buffer.from(good);
    edit(copy);
    return copy;
  };
  const otherModel = Buffer.concat([good.subarray(0, 64), good.subarray(64, good.length - 4096)]);
  otherModel.writeBigUInt64LE(BigInt(otherModel.length - 64), 16);
  otherModel.fill(0, 32, 64).write('bf_back', 32, 'latin1');
  const cases = {
    truncated: [good.subarray(0, good.length - 1000), /the weights file is truncated: \d+ bytes of weights, its header says \d+/],
    'header only': [good.subarray(0, 64), /truncated: 0 bytes of weights/],
    empty: [Buffer.alloc(0), /not a Kiln weights file \(0 bytes, no KILNWTS header\): pass the contents of ext\.weights\.bin/],
    'another model': [otherModel, new RegExp(`these are the weights of model 'bf_back' \\(${otherModel.length - 64} bytes\\), not of 'ext' \\(${size - 64} bytes\\)`)],
    'another build': [variant((b) => b.writeBigUInt64LE(0x0123456789abcdefn, 24)), /these weights are from another build of 'ext' \(checksum 0x0123456789abcdef, the model expects 0x[0-9a-f]{16}\): use the ext\.weights\.bin that kilnc wrote with it/],
    corrupt: [variant((b) => (b[64 + 12345] ^= 1)), /the weights are corrupt: their checksum is 0x[0-9a-f]{16}, their header and the model say 0x[0-9a-f]{16}/],
    'future format': [variant((b) => b.writeUInt32LE(2, 8)), /the weights file has format 2; this model reads format 1/],
    'without a header (an older kilnc)': [good.subarray(64), /not a Kiln weights file/],
    'a PNG of the same size': [variant((b) => b.write('\x89PNG\r\n\x1a\n', 0, 'latin1')), /not a Kiln weights file/],
  };
  for (const [label, [bytes, message]] of Object.entries(cases)) {
    const r = spawnSync(exe, [weightsFile(label.replace(/\W+/g, '_'), bytes)], { encoding: 'utf8' });
    assert.equal(r.status, 1, `${label}: create did not refuse it:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /^create: invalid weights: /, label);
    assert.match(r.stdout, message, label);
  }
});

const tsanEnv = { ...process.env, TSAN_OPTIONS: 'halt_on_error=1 exitcode=66 second_deadlock_stack=1' };
// The sanitizers' runtimes come with Debian's libclang-rt-19-dev, which
// scripts/setup.sh installs: missing, they fail the tests (a skip would hide
// that the threading and ASan tests never ran).
function assertSanitizerRuntime(name) {
  const file = spawnSync('clang-19', [`-print-file-name=libclang_rt.${name}-x86_64.a`], { encoding: 'utf8' }).stdout?.trim() ?? '';
  assert.ok(fs.existsSync(file), `${file || `libclang_rt.${name}`} is missing: run scripts/setup.sh (apt-get install libclang-rt-19-dev)`);
}

test('two contexts run at once under ThreadSanitizer; one context from two threads is refused as busy', { skip }, (t) => {
  assertSanitizerRuntime('tsan');
  const out = compile('tmodel', ['--cpu-features=sse41-tsan']);
  const exe = link(out, 'tmodel', 'threads_test.c', 'threads_test', ['-O1', '-g', '-fsanitize=thread']);
  const r = spawnSync(exe, [], { encoding: 'utf8', env: tsanEnv });
  assert.equal(r.status, 0, `threads_test failed (status ${r.status}):\n${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stderr, /ThreadSanitizer/);
  t.diagnostic(r.stdout.trim());

  // The negative control: two contexts on one arena race in the kernels,
  // and ThreadSanitizer must say so.
  const control = spawnSync(exe, ['--shared-arena'], { encoding: 'utf8', env: tsanEnv });
  assert.equal(control.status, 66, `a race in the kernels went unreported:\n${control.stdout}${control.stderr}`);
  assert.match(control.stderr, /WARNING: ThreadSanitizer: data race/);
});

// AddressSanitizer and UndefinedBehaviorSanitizer on the generated code:
// kilnc --cpu-features=<isa>-asan instruments the kernels (Halide's asan
// feature), Halide's runtime and Kiln's runtime and host code; the programs
// linked here add -fsanitize=address,undefined. Any report ends the program
// with status 66. AVX2 where this CPU has it (8-lane vectors: tails and tiles
// narrower than the widest), else SSE4.1.
const asanEnv = { ...process.env, ASAN_OPTIONS: 'exitcode=66:detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' };
const asanIsa = /\bavx2\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8')) ? 'avx2' : 'sse41';
const asanFlags = ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

function runSanitized(exe, args) {
  const r = spawnSync(exe, args, { encoding: 'utf8', env: asanEnv });
  assert.equal(r.status, 0, `${path.basename(exe)} failed (status ${r.status}${r.status === 66 ? ': a sanitizer report' : ''}):\n${r.stdout}${r.stderr}`);
  assert.doesNotMatch(r.stderr, /AddressSanitizer|runtime error:/);
  return r.stdout;
}

test(`BlazeFace front with ASan+UBSan kernels (${asanIsa}-asan) matches onnxruntime-node; hostile API arguments under ASan`, { skip }, (t) => {
  assertSanitizerRuntime('asan');
  const out = path.join(work, 'asan');
  if (!fs.existsSync(path.join(out, 'apimodel.h')))
    run(kilnc, [models.blazefaceFront, '-o', out, '--name=apimodel', `--cpu-features=${asanIsa}-asan`]);
  // Every kernel's object calls ASan's checks: the instrumentation is real.
  const objects = run('ar', ['t', `${out}/libapimodel.a`]).split('\n').filter((o) => /_k\d+\.o$/.test(o));
  const checked = new Set(run('nm', ['-A', `${out}/libapimodel.a`]).split('\n')
    .filter((l) => / U __asan_(report|load|store)/.test(l)).map((l) => l.split(':')[1]));
  assert.ok(objects.length > 10, `only ${objects.length} kernel objects in libapimodel.a`);
  assert.deepEqual(objects.filter((o) => !checked.has(o)), [], 'kernel objects without ASan checks');
  const libs = [`${out}/libapimodel.a`, `${out}/libkiln_runtime.a`, '-lm', '-lpthread', '-ldl'];
  const runner = path.join(out, 'runner');
  // Without the runner's counting malloc, which ASan's replaces.
  run('clang-19', [...asanFlags, '-std=c11', '-D_GNU_SOURCE', '-DKILN_RUNNER_NO_COUNTING', '-DKILN_MODEL=apimodel', '-DKILN_MODEL_UPPER=APIMODEL',
    '-include', `${out}/apimodel.h`, '-I', out, path.join(native, 'model_runner.c'), ...libs, '-o', runner]);
  const inputs = path.join(work, 'asan-inputs'), ort = path.join(work, 'asan-ort'), got = path.join(out, 'outputs');
  run(process.execPath, [path.join(repoRoot, 'test/e2e/make_inputs.mjs'), models.blazefaceFront, '--out-dir', inputs, '--seed', '7']);
  run(process.execPath, [path.join(repoRoot, 'test/e2e/ort_run.mjs'), models.blazefaceFront, '--inputs-dir', inputs, '--outputs-dir', ort]);
  fs.mkdirSync(got, { recursive: true });
  // Two threads: the parallel loops run under ASan too.
  runSanitized(runner, [inputs, got, '--runs', '3', '--threads', '2']);
  // Tolerance as in cpu.test.mjs: 1e-4 of each output's range.
  const report = run(process.execPath, [path.join(repoRoot, 'test/e2e/compare.mjs'), ort, got, '--atol-frac', '1e-4']);
  t.diagnostic(`${objects.length} kernel objects instrumented; ${report.trim()}`);

  const api = path.join(out, 'api_test');
  run('clang-19', [...asanFlags, '-std=c11', '-D_GNU_SOURCE', '-I', out, path.join(native, 'api_test.c'), ...libs, '-o', api]);
  assert.match(runSanitized(api, []), /all checks passed/);
});

// A small model with external weights, so that create's check of the file
// meets every cut and every one-bit change of its header under ASan
// (native/weights_hostile.c) in a second or two.
function smallModel(file) {
  const w = Array.from({ length: 16 * 8 }, (_, i) => ((i * 37) % 101) / 101 - 0.5);
  fs.writeFileSync(file, `<ir_version: 8, opset_import: ["" : 13]>
ext (float[1,8,6,6] x) => (float[1,16,6,6] y)
<float[16,8,1,1] w = {${w.join(',')}}>
{
  c = Conv (x, w)
  y = Relu (c)
}
`);
  return file;
}

test('external weights under ASan: every cut and one-bit change of the header is refused with a message', (t) => {
  assertSanitizerRuntime('asan');
  const out = path.join(work, 'asan-ext');
  fs.mkdirSync(out, { recursive: true });
  run(kilnc, [smallModel(path.join(out, 'ext.onnxtext')), '-o', out, '--name=ext', '--weights=external', `--cpu-features=${asanIsa}-asan`]);
  const exe = path.join(out, 'weights_hostile');
  run('clang-19', [...asanFlags, '-std=c11', '-D_GNU_SOURCE', '-I', out, path.join(native, 'weights_hostile.c'),
    `${out}/libext.a`, `${out}/libkiln_runtime.a`, '-lm', '-lpthread', '-ldl', '-o', exe]);
  const log = runSanitized(exe, [path.join(out, 'ext.weights.bin')]);
  // 1 good, 256 cuts (192 one byte apart, then 7 more at most), 512 bits, 2 of noise; the 256 bits of the name pass.
  assert.match(log, /weights_hostile: \d+ variants, 257 accepted, 0 failures/);
  t.diagnostic(log.trim());
});
