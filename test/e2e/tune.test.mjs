// kiln-tune end to end: a small tune of BlazeFace front on this machine
// (native device, then WASM in Node and in Chromium), then kilnc --tuning-db builds the static library from
// the database, and its outputs still match onnxruntime-node within 1e-4 of
// each output's range. The tune is short (a few trials, no autoscheduler
// seeds): this checks that what the tuner writes is what kilnc applies and
// that a tuned build is correct, not how fast it is (benchmarks do that).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { models, repoRoot, workDir } from './common.mjs';
import { chromiumSkip } from '../web/chromium.mjs';
import { setupSkip } from './setup_skip.mjs';
import { compare, importLoader, oracle, readFeeds, writeOutputs } from '../web/common.mjs';

const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const bin = (tool) => path.join(build, 'bin', tool);
const work = workDir('kiln-tune-e2e-');

function ok(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  assert.equal(r.status, 0, `${path.basename(cmd)} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
  return r;
}

// A few trials measure only templates, so kilnc would apply no tuned
// record: test/lit/tuner/force_winner.py appends to the database a pair
// that a record other than the template won (a kernel's template with
// vector width and channel tile 1, at 1 ns in its pair), which kilnc
// applies as it applies a search's winner, so the build checked against
// onnxruntime-node below runs a tuned record. The kernel: the first
// template measured whose vector width and channel tile are not both 1.
function forceWinner(db) {
  const base = fs.readFileSync(db, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .find((r) => r.baseline && r.status === 'ok' && /vector_width = \d+, channel_tile = \d+/.test(r.schedule) &&
      !/vector_width = 1, channel_tile = 1,/.test(r.schedule));
  assert.ok(base, `no template in ${db} to force a winner over`);
  ok('python3', [path.join(repoRoot, 'test/lit/tuner/force_winner.py'), db, base.summary]);
}

// Each record's target (schema 2) lists the CPU's features (Halide's
// names, sorted, each once: matched) and the device's version its runner
// reported (recorded, not matched): `version` matches it.
function assertFingerprint(records, version) {
  for (const r of records) {
    const { features, device_version: got } = r.target;
    assert.ok(Array.isArray(features) && features.every((f, i) => i === 0 || features[i - 1] < f),
      `features must be a sorted list: ${JSON.stringify(r.target)}`);
    assert.match(got, version, `device_version of ${JSON.stringify(r.target)}`);
  }
}

// kilnc's count of the kernels that take a tuned record (one that beat its
// template side by side), not the templates a tune kept.
function assertTunedApplied(stderr, dbName) {
  const used = stderr.match(new RegExp(`kilnc: (\\d+) of (\\d+) kernels scheduled from ${dbName.replace('.', '\\.')}`));
  assert.ok(used && Number(used[1]) > 0, `kilnc did not use the database:\n${stderr}`);
  const tuned = stderr.match(/kilnc: note: (\d+) kernels take a record that beat their template side by side/);
  assert.ok(tuned && Number(tuned[1]) >= 1, `kilnc applied no tuned record:\n${stderr}`);
}

test('a database from kiln-tune builds a library that matches onnxruntime-node', () => {
  const model = models.blazefaceFront;
  assert.ok(fs.existsSync(model), `${model} is missing (run scripts/setup.sh)`);
  const db = path.join(work, 'tuning.jsonl');
  // 6 trials: the first 6 tasks' templates, each measured alone first,
  // each built ahead of time as kilnc builds it by the library runner (12
  // with the JIT runner: 12 AOT trials took 38.6 s, 12 JIT ones 15.1 s, 6
  // AOT ones 16.1 s, load 6-9, 2026-12-07).
  const tuned = ok(bin('kiln-tune'), [model, `--db=${db}`, '--trials=6', '--seed=2', '--workers=2',
    '--no-autoschedulers']);
  assert.match(tuned.stdout, /model end to end .*; ok$/m, 'the tuned model must match the templates');
  const lines = fs.readFileSync(db, 'utf8').trim().split('\n');
  assert.equal(lines.length, 6, 'one line per measurement');
  for (const line of lines) assert.equal(JSON.parse(line).schema, 2);
  assertFingerprint(lines.map((l) => JSON.parse(l)), /^Linux \S+$/);

  forceWinner(db);
  const out = path.join(work, 'lib');
  const compiled = ok(bin('kilnc'), [model, '--target=cpu', '-o', out, '--name=bf_tuned', `--tuning-db=${db}`]);
  assertTunedApplied(compiled.stderr, 'tuning.jsonl');

  const e2e = path.join(repoRoot, 'test/e2e');
  ok('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', '-DKILN_MODEL=bf_tuned', '-DKILN_MODEL_UPPER=BF_TUNED',
    '-include', `${out}/bf_tuned.h`, '-I', out, path.join(e2e, 'native/model_runner.c'), `${out}/libbf_tuned.a`,
    `${out}/libkiln_runtime.a`, '-lm', '-lpthread', '-ldl', '-o', `${work}/runner`]);
  ok(process.execPath, [path.join(e2e, 'make_inputs.mjs'), model, '--out-dir', `${work}/in`, '--seed', '7']);
  ok(process.execPath, [path.join(e2e, 'ort_run.mjs'), model, '--inputs-dir', `${work}/in`, '--outputs-dir',
    `${work}/ort`]);
  fs.mkdirSync(`${work}/kiln`);
  ok(`${work}/runner`, [`${work}/in`, `${work}/kiln`]);
  ok(process.execPath, [path.join(e2e, 'compare.mjs'), `${work}/ort`, `${work}/kiln`, '--atol-frac', '1e-4']);
});

// The WASM runners: a few trials of BlazeFace front in Node (and in one
// headless Chromium page, where Chromium and playwright-core are set up),
// then kilnc --target=wasm --tuning-db builds the module from the database,
// and its loader's outputs match onnxruntime-node within 1e-4 of range.
async function wasmTune(device) {
  const model = models.blazefaceFront;
  const db = path.join(work, `tuning-${device}.jsonl`);
  // 3 trials: the templates of the first 3 tasks (each measured alone
  // first), each a WASM module built by kiln-tune and loaded by the runner
  // (4 before lit tuner/tuning_db.test's changed-template check: one
  // module fewer per device pays for it).
  // Timed in CPU time, as tuning/make.sh tunes both devices: Node's
  // process.cpuUsage, Chromium's renderer thread lent by the runner
  // (tuner/runners/chromium.mjs), which fails every candidate where it
  // cannot find that thread.
  const tuned = ok(bin('kiln-tune'), [model, '--target=wasm', `--device=${device}`, `--db=${db}`,
    '--trials=3', '--seed=3', '--workers=2', '--no-autoschedulers'], { KILN_TUNE_CLOCK: 'cpu' });
  assert.match(tuned.stdout, /model end to end \(\w+, 1 thread, CPU time\).*; ok$/m,
    'the tuned model must match the templates');
  const records = fs.readFileSync(db, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(records.length, 3, 'one line per measurement');
  for (const r of records) assert.equal(r.target.device, device);
  assert.ok(records.every((r) => r.status === 'ok' && r.baseline), 'the templates must measure ok, as baselines');
  // Node's process.version ("v20.20.2"); Chromium's full version ("156.0.8078.129", not
  // the user agent's reduced "156.0.0.0").
  assertFingerprint(records, device === 'node' ? /^v\d+\.\d+\.\d+$/ : /^\d+\.\d+\.[1-9]\d*\.\d+$/);

  forceWinner(db);
  const out = path.join(work, `wasm-${device}`);
  const compiled = ok(bin('kilnc'), [model, '--target=wasm', '--no-fallback', '-o', out, '--name=bf',
    `--tuning-db=${db}`, `--tuning-device=${device}`]);
  assertTunedApplied(compiled.stderr, `tuning-${device}.jsonl`);

  const { inputs, expected } = oracle(model);
  const loader = await importLoader({ dir: out, name: 'bf' });
  const m = await loader.load();
  fs.mkdirSync(`${out}/got`);
  writeOutputs(`${out}/got`, m.run(readFeeds(inputs)), m.outputs);
  m.dispose();
  const cmp = compare(expected, `${out}/got`);
  assert.equal(cmp.status, 0, cmp.out);
}

test('a WASM tune in Node builds a module that matches onnxruntime-node', () => wasmTune('node'));

// The TF.js graph model of the tests below, written into `dir` by the TF.js
// op suite's builder (test/tfjs-ops/graph.mjs): a 1x8x8x16 input plus a
// constant, then Exp: one kernel. Returns its model.json.
async function writeOneKernelModel(dir) {
  const { Graph } = await import('../tfjs-ops/graph.mjs');
  const g = new Graph('tune_tfjs');
  const x = g.input('x', [1, 8, 8, 16]);
  const b = g.constant('b', 'float32', [16], Array.from({ length: 16 }, (_, i) => (i - 8) / 16));
  g.output(g.node('Exp', [g.node('AddV2', [x, b])]));
  g.write(dir);
  return path.join(dir, 'model.json');
}

// The module `tt` in `out`, loaded with `options` (on the `backend` it
// names), matches TensorFlow.js itself (test/e2e/tfjs_run.mjs) on `model`
// within 1e-4 of range; inputs and outputs under `dir` (with `again`,
// TensorFlow.js's of an earlier call with the same `dir`), the module's
// under `out`.
async function matchesTfjs(model, dir, out, options = {}, backend = null, again = false) {
  if (!again)
    ok(process.execPath, [path.join(repoRoot, 'test/e2e/tfjs_run.mjs'), model, '--inputs-dir', `${dir}/in`,
      '--outputs-dir', `${dir}/tfjs`, '--make-inputs', '3']);
  const loader = await importLoader({ dir: out, name: 'tt' });
  const m = await loader.load(undefined, options);
  if (backend) assert.equal(m.backend.name, backend);
  fs.mkdirSync(`${out}/got`);
  writeOutputs(`${out}/got`, m.run(readFeeds(`${dir}/in`)), m.outputs);
  m.dispose();
  const cmp = compare(`${dir}/tfjs`, `${out}/got`);
  assert.equal(cmp.status, 0, cmp.out);
}

// A TF.js graph model (model.json) tuned in Node: the one-kernel graph
// above, 1 trial (its template), a forced
// winner as above; the module kilnc builds from the database matches
// TensorFlow.js itself (test/e2e/tfjs_run.mjs) within 1e-4 of range.
test('a TF.js model.json tuned in Node builds a module that matches TensorFlow.js', async () => {
  const dir = path.join(work, 'tfjs');
  const model = await writeOneKernelModel(dir);
  const db = path.join(work, 'tuning-tfjs.jsonl');
  const tuned = ok(bin('kiln-tune'), [model, '--target=wasm', '--device=node', `--db=${db}`, '--trials=1', '--seed=1',
    '--workers=1', '--no-autoschedulers'], { KILN_TUNE_CLOCK: 'cpu' });
  assert.match(tuned.stdout, /model end to end .*; ok$/m, 'the tuned model must match the templates');
  const records = fs.readFileSync(db, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // Its template only: a pair of the tune's own, later than the forced
  // one, would decide the kernel instead.
  assert.ok(records.length === 1 && records.every((r) => r.target.device === 'node' && r.status === 'ok' &&
    r.baseline), 'the template must measure ok in Node');

  forceWinner(db);
  const out = path.join(dir, 'wasm');
  const compiled = ok(bin('kilnc'), [model, '--target=wasm', '--no-fallback', '-o', out, '--name=tt',
    `--tuning-db=${db}`, '--tuning-device=node']);
  assertTunedApplied(compiled.stderr, 'tuning-tfjs.jsonl');

  await matchesTfjs(model, dir, out);
});

// The threaded module tuned on a pool (kiln-tune --threads=2): the
// same one-kernel model, 2 trials (seed 4: its template, serial, then a
// candidate parallel over the rows, each built as the threads module alone
// and run on 2 threads by its loader; their outputs compared by the
// runner), in Node and in the runner's Chromium page, served cross-origin
// isolated for it. A pair that a parallel record of the serial template
// won is appended (dated after any the tune wrote, so that it decides);
// kilnc --threads --tuning-device=DEVICE takes it for the threads module
// only, and that module, loaded on 2 threads, matches TensorFlow.js within
// 1e-4 of range. Chromium's half shares this test (its model and
// TensorFlow.js's outputs) rather than being one of its own; it is a
// browser's start, the tune's builds and a kilnc: +1 to +9 s of CPU, +7 to
// +23 s wall, in 4 runs with and without it at load 6-8 (2026-12-07; the
// Node half alone 10-16 s of CPU: either tune's acceptance runs only when
// the parallel candidate wins its pair, by the noise).
function threadsTune(device, model, dir) {
  const db = path.join(work, `tuning-tfjs-2t-${device}.jsonl`);
  const tuned = ok(bin('kiln-tune'), [model, '--target=wasm', `--device=${device}`, '--threads=2', `--db=${db}`,
    '--trials=2', '--seed=4', '--workers=1', '--no-autoschedulers'], { KILN_TUNE_CLOCK: 'cpu' });
  // On a pool the runner times in wall time whatever KILN_TUNE_CLOCK says.
  assert.match(tuned.stdout, new RegExp(`model end to end \\(${device}, 2 threads, wall time\\b.*; ok$`, 'm'));
  const records = fs.readFileSync(db, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(records.every((r) => r.target.halide === 'wasm-32-wasmrt-wasm_simd128-wasm_threads' &&
    r.target.threads === 2 && r.target.device === device), `records are for the threads module on 2 threads in ${device}`);
  assert.ok(records.some((r) => r.status === 'ok' && /parallel = \[[12]\]/.test(r.schedule)),
    `a candidate parallel over rows or columns ran on the pool in ${device} and matched the template`);
  const base = records.find((r) => r.baseline && r.status === 'ok');
  assert.match(base.schedule, /parallel = \[\]/, 'the template of this small kernel is serial');
  const pair = { time: '2099-01-01T00:00:00Z', paired: true };
  const won = { ...base, ...pair, schedule: base.schedule.replace('parallel = []', 'parallel = [1]'), median_ms: 1e-6, min_ms: 1e-6 };
  delete won.baseline;
  fs.appendFileSync(db, [{ ...base, ...pair, baseline: true }, won].map((r) => JSON.stringify(r) + '\n').join(''));

  const out = path.join(dir, `wasm-${device}`);
  const compiled = ok(bin('kilnc'), [model, '--target=wasm', '--threads', '--no-fallback', '-o', out, '--name=tt',
    `--tuning-db=${db}`, `--tuning-device=${device}`]);
  const name = path.basename(db).replace(/\./g, '\\.');
  assert.match(compiled.stderr, new RegExp(`kilnc: 0 of 1 kernels scheduled from ${name} \\(simd variant\\)`));
  assert.match(compiled.stderr, new RegExp(`kilnc: 1 of 1 kernels scheduled from ${name} \\(threads module\\)`));
  return out;
}

test('a TF.js model.json tuned on 2 threads in Node and in an isolated Chromium page builds threaded modules ' +
  'that match TensorFlow.js', async (t) => {
  const dir = path.join(work, 'tfjs-2t');
  const model = await writeOneKernelModel(dir);
  const skipChromium = chromiumSkip();
  if (skipChromium) t.diagnostic(`Chromium's half skipped: ${skipChromium}`);
  const devices = skipChromium ? ['node'] : ['node', 'chromium'];
  const outs = devices.map((device) => threadsTune(device, model, dir));
  for (const [i, out] of outs.entries())
    await matchesTfjs(model, dir, out, { threads: 2, adaptive: false }, 'threads', i > 0);
});

test('a WASM tune in headless Chromium builds a module that matches onnxruntime-node',
  { skip: chromiumSkip() }, () => wasmTune('chromium'));

// The CPU clock the Chromium runner lends its page (tuner/runners/
// chromium.mjs): 100 ms of waiting in the page must read (nearly) nothing
// (a wall clock reads 100), a piece of work no more than the wall time it
// took, and twice the work about twice the time (so it counts the work,
// whatever the load does to the wall time).
test("the Chromium runner's CPU clock counts the page's work, not its waits; a page not isolated is refused", { skip: chromiumSkip() }, async () => {
  const { lendCpuClock, openRunnerPage } = await import('../../tuner/runners/chromium.mjs');
  const { page, close } = await openRunnerPage({});
  try {
    const { overheadMs } = await lendCpuClock(page);
    assert.ok(overheadMs > 0 && overheadMs < 5, `a reading costs ${overheadMs} ms`);
    const r = await page.evaluate(async () => {
      const timed = async (fn) => {
        const c0 = await kilnCpuMs();
        const w0 = performance.now();
        await fn();
        const c1 = await kilnCpuMs();
        return { cpu: c1 - c0 - kilnCpuOverheadMs, wall: performance.now() - w0 };
      };
      let sink = 0;
      const work = (n) => () => {
        for (let i = 0; i < n; ++i) sink += Math.sqrt(i);
      };
      // The least of 3 of each: on a loaded machine a busy sibling core
      // slows the same work by up to 1.5x in CPU time too.
      const least = async (fn) => {
        const all = [await timed(fn), await timed(fn), await timed(fn)];
        return all.reduce((a, b) => (b.cpu < a.cpu ? b : a));
      };
      return {
        waited: await timed(() => new Promise((resolve) => setTimeout(resolve, 100))),
        once: await least(work(2e7)),
        twice: await least(work(4e7)),
        sink,
      };
    });
    assert.ok(r.waited.cpu < 10, `100 ms of waiting read ${r.waited.cpu.toFixed(2)} ms of CPU`);
    for (const w of [r.once, r.twice])
      assert.ok(w.cpu > 1 && w.cpu < w.wall + 2, `work read ${w.cpu.toFixed(2)} ms of CPU in ${w.wall.toFixed(2)} ms`);
    const ratio = r.twice.cpu / r.once.cpu;
    assert.ok(ratio > 1.4 && ratio < 2.8, `twice the work read ${ratio.toFixed(2)}x the CPU time`);
  } finally {
    await close();
  }
  // The page served for the threaded module must be cross-origin isolated
  // (shared memory): where it is not (its headers left out by
  // KILN_TUNE_TEST_NOT_ISOLATED, a test-only knob), opening it fails and
  // says why; the runner makes that a "device-error", which stops the tune
  // (lit tuner/device_error.test).
  process.env.KILN_TUNE_TEST_NOT_ISOLATED = '1';
  try {
    await assert.rejects(openRunnerPage({}, { isolated: true }), (e) => e.permanent &&
      /the runner's page is not cross-origin isolated \(crossOriginIsolated is false\).*Cross-Origin-Opener-Policy: same-origin/
        .test(e.message));
  } finally {
    delete process.env.KILN_TUNE_TEST_NOT_ISOLATED;
  }
});

// The Vulkan runner (--target=spirv --device=vulkan): a few trials of a
// small conv (the ONNX conformance data's strided, padded conv; BlazeFace
// on lavapipe would take minutes) on lavapipe, then kilnc --target=spirv
// --tuning-db builds the library from the database, and its outputs match
// onnxruntime-node within 1e-4 of range. 6 trials on 1 runner: the 4 tasks'
// templates, then two candidates (and, if one wins, its pair); the runner
// corrupts the first candidate's outputs (KILN_TUNE_TEST_WRONG=1, a
// test-only knob of library_runner.mjs), which must be recorded `wrong` and
// never become the kernel's best. Skipped, with the reason, only where no
// Vulkan driver (ICD) is installed.
const icdDir = '/usr/share/vulkan/icd.d';
const lavapipe = `${icdDir}/lvp_icd.x86_64.json`;
const vulkanSkip = setupSkip(process.env.VK_ICD_FILENAMES || (fs.existsSync(icdDir) && fs.readdirSync(icdDir).length) ? false
  : `no Vulkan ICD in ${icdDir} (scripts/setup.sh installs lavapipe: mesa-vulkan-drivers)`);

test('a Vulkan tune on lavapipe builds a library that matches onnxruntime-node', { skip: vulkanSkip }, () => {
  const model = '/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx';
  assert.ok(fs.existsSync(model), `${model} is missing (scripts/setup.sh: onnx-testdata)`);
  const env = { ...process.env, VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? (fs.existsSync(lavapipe) ? lavapipe : ''),
    KILN_TUNE_TEST_WRONG: '1' };
  if (!env.VK_ICD_FILENAMES) delete env.VK_ICD_FILENAMES;
  const run = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env });
    assert.equal(r.status, 0, `${path.basename(cmd)} ${args.join(' ')} failed:\n${r.stdout}${r.stderr}`);
    return r;
  };
  const db = path.join(work, 'tuning-vulkan.jsonl');
  const tuned = run(bin('kiln-tune'), [model, '--target=spirv', `--db=${db}`, '--trials=6', '--seed=1', '--workers=1']);
  assert.match(tuned.stdout, /model end to end \(vulkan, .*; ok$/m, 'the tuned model must match the templates');
  const records = fs.readFileSync(db, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // Pairs and the whole-model acceptance's verdict lines apart.
  const search = records.filter((r) => !r.paired && !r.accepted && !r.rejected);
  assert.equal(search.length, 6, 'one line per measurement');
  for (const r of records) assert.equal(r.target.device, 'vulkan');
  // The device's name and its driver's version as the Vulkan runtime
  // reports them (lavapipe's: "llvmpipe (LLVM 15.0.6, 256 bits), driver
  // 0.0.1, Vulkan 1.3.230").
  assertFingerprint(records, /^.+, driver \d+\.\d+\.\d+, Vulkan 1\.\d+\.\d+$/);
  assert.ok(search.slice(0, 4).every((r) => r.status === 'ok'), 'the templates must measure ok');
  assert.match(search[4].schedule, /workgroup = \[/, 'the candidate varies the GPU record');
  assert.notEqual(search[4].schedule, search.find((r) => r.kernel === search[4].kernel).schedule,
    'the fifth trial is a candidate, not a template');
  // The corrupted candidate: recorded wrong, and the kernel's best (what
  // kilnc applies, as kiln-tune show prints it) is one of its ok records.
  const wrong = search[4];
  assert.equal(wrong.status, 'wrong', 'the corrupted candidate must be recorded wrong');
  const shown = run(bin('kiln-tune'), ['show', db]).stdout.split('\n')
    .find((l) => l.trim().startsWith(wrong.kernel));
  const best = Number(shown?.trim().split(/\s+/).find((w, i, a) => i > 0 && /^\d+\.\d{4}$/.test(w)));
  const okTimes = records.filter((r) => r.kernel === wrong.kernel && r.status === 'ok').map((r) => r.median_ms.toFixed(4));
  assert.ok(okTimes.includes(best.toFixed(4)), `the best of ${wrong.kernel} must be an ok record:\n${shown}`);

  const out = path.join(work, 'vulkan');
  const compiled = run(bin('kilnc'), [model, '--target=spirv', '-o', out, '--name=vk', `--tuning-db=${db}`]);
  const used = compiled.stderr.match(/kilnc: (\d+) of (\d+) kernels scheduled from tuning-vulkan\.jsonl/);
  assert.ok(used && Number(used[1]) === Number(used[2]), `kilnc did not take every kernel from the database:\n${compiled.stderr}`);

  const e2e = path.join(repoRoot, 'test/e2e');
  run('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', '-DKILN_MODEL=vk', '-DKILN_MODEL_UPPER=VK', '-include', `${out}/vk.h`,
    '-I', out, path.join(e2e, 'native/spirv_runner.c'), `${out}/libvk.a`, `${out}/libkiln_runtime_vulkan.a`, '-lm',
    '-lpthread', '-ldl', '-o', `${out}/runner`]);
  run(process.execPath, [path.join(e2e, 'make_inputs.mjs'), model, '--out-dir', `${out}/in`, '--seed', '7']);
  run(process.execPath, [path.join(e2e, 'ort_run.mjs'), model, '--inputs-dir', `${out}/in`, '--outputs-dir', `${out}/ort`]);
  fs.mkdirSync(`${out}/kiln`);
  run(`${out}/runner`, [`${out}/in`, `${out}/kiln`]);
  run(process.execPath, [path.join(e2e, 'compare.mjs'), `${out}/ort`, `${out}/kiln`, '--atol-frac', '1e-4']);
});
