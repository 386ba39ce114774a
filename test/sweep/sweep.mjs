#!/usr/bin/env node
// Every real model, every target, every schedule mode (issue 17): compiles
// each model the set-up fetches with kilnc, checks that nothing crashes, and
// where the model compiles runs it and compares its outputs with the oracle
// (onnxruntime-node for ONNX, TensorFlow.js for TF.js graph models), with
// the end-to-end harness of test/e2e.
//
//   node test/sweep/sweep.mjs [--ci] [--targets cpu,wasm] [--modes template,...]
//        [--models a,b] [--phase schedules|artifact] [--jobs N] [--out DIR]
//        [--expectations FILE] [--fallback] [--timeout S] [--keep] [--list]
//        [--sanitize]
//
// A case is (model, target, mode). Its outcome is one of
//   match        compiled, ran, outputs within 1e-4 of each output's range
//   error        kilnc exited with one clean "kilnc: error: ..." (an
//                unsupported op, an unknown input shape): acceptable
//   crash        a signal, an assertion, a stack dump, or a non-zero exit
//                without a clean error: always a bug
//   timeout      kilnc ran past --timeout
//   mismatch     ran, but an output differs from the oracle's
//   run-failed   linking or running the compiled model failed, or it
//                allocated during a run after the first
//   no-oracle    compiled, but the oracle could not run the model
// The expectations file (default test/sweep/expected.txt) lists the cases
// that are not `match`, with the reason; any other outcome than the one
// listed (or than `match` for an unlisted case) fails the sweep (exit 1).
// An entry `atol=F` instead of an outcome expects a match at a looser
// tolerance F (an output that fp32 summation order moves more than 1e-4 of
// its range).
//
// --ci is the sample the test suite runs (test/sweep/README.md): template
// schedules, both targets, every model compiled to the schedules phase
// (import, graph, kernels with block fusion, schedules: where the crashes
// were; `compiles` is then the outcome that counts as a match), and the
// models of CI_MODELS compiled to artifacts, run and compared. Without it,
// every model is compiled to artifacts under Kiln's templates and the
// three autoschedulers (docs/TRAPS.md B6; Adams2019 takes minutes per model),
// and --fallback also builds and compares the no-SIMD WASM module.
// --phase schedules stops every case at the schedules phase. --keep keeps
// every case's artifact under DIR/cases (by default only those whose
// outcome was unexpected). Writes DIR/report.md (a table per model x target x
// mode), DIR/report.json and each case's logs under DIR/cases/.
// --sanitize (scripts/sanitize.sh --full, with the sanitized build's kilnc)
// compiles the cpu cases with --cpu-features=<isa>-asan (Halide's asan
// feature in the kernels and its runtime, ASan+UBSan in the C kilnc
// compiles), checks that the artifact really calls the sanitizers, and links
// and runs the model with -fsanitize=address,undefined and leak checking:
// any report fails the case (run-failed). The allocation check is left out
// (ASan replaces the runner's counting malloc).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { UsageError, depsDir, models as e2eModels, parseArgs, repoRoot, runMain } from '../e2e/common.mjs';

const USAGE =
  'usage: node test/sweep/sweep.mjs [--ci] [--targets cpu,wasm] [--modes template,auto:li2018,...] ' +
  '[--models a,b] [--phase schedules|artifact] [--jobs N] [--out DIR] [--expectations FILE] [--fallback] ' +
  '[--timeout S] [--keep] [--list] [--sanitize]';

const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const e2e = path.join(repoRoot, 'test/e2e');
const ALL_MODES = ['template', 'auto:mullapudi2016', 'auto:li2018', 'auto:adams2019'];
const ALL_TARGETS = ['cpu', 'wasm'];
const ATOL_FRAC = '1e-4';
// --sanitize: AVX2 where this CPU has it (as test/e2e/runtime.test.mjs).
const ASAN_ISA = /\bavx2\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8')) ? 'avx2' : 'sse41';
const ASAN_FLAGS = ['-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
  '-fno-omit-frame-pointer', '-DKILN_RUNNER_NO_COUNTING'];
const ASAN_ENV = { ...process.env, ASAN_OPTIONS: 'exitcode=66:detect_leaks=1:abort_on_error=0',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1' };
const SANITIZER_REPORT = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:/;

// The models --ci compiles to artifacts and compares with their oracle:
// the cheapest to compile of each kind that test/e2e does not already run
// (it runs BlazeFace front and back and MobileNetV2 from ONNX, and TF.js
// BlazeFace front and back, FaceMesh and MoveNet lightning), with posenet
// and faceres-deep for kiln-fuse-blocks' MobileNetV1 chains (they crashed
// it). Chosen by the compile times of a full template sweep
// (test/sweep/README.md).
const CI_MODELS = ['posenet.json', 'faceres-deep.json', 'age.json', 'antispoof.json', 'liveness.json',
  'emotion.json', 'iris.json', 'blazeface.json', 'gear.json', 'efficientpose.json', 'handlandmark-lite.json',
  'mobileface.json'];

// Shapes for TF.js inputs the model leaves unknown beyond the batch, as
// their signatures or the Human library use them; kilnc refuses such a
// model without them.
const INPUT_SHAPES = {
  'faceboxes.json': ['image_tensor=1x320x320x3'],
  'handtrack.json': ['input_tensor:0=1x320x320x3'],
  'movenet-multipose.json': ['input=1x256x256x3'],
  // A 256x256 frame at downsample_ratio 1: the recurrent states are those
  // r1o..r4o give (compiler/import/tfjs/README.md, Models).
  'rvm.json': ['src=1x256x256x3', 'r1i:0=1x128x128x16', 'r2i:0=1x64x64x20', 'r3i:0=1x32x32x40',
    'r4i:0=1x16x16x64'],
};

// Inputs whose value is fixed at import (kilnc --input-value: the input
// leaves Kiln's interface), fed the same value in TensorFlow.js.
const INPUT_VALUES = {
  'rvm.json': ['downsample_ratio:0=1'],
};

// Every model the set-up fetches (and the generated MobileNetV2 when the
// build made it): { id, file, format }.
function allModels() {
  const list = [];
  const add = (id, file, format) => fs.existsSync(file) && list.push({ id, file, format });
  add('blazeface-front.onnx', e2eModels.blazefaceFront, 'onnx');
  add('blazeface-back.onnx', e2eModels.blazefaceBack, 'onnx');
  add('mobilenetv2.onnx', e2eModels.mobilenetv2, 'onnx');
  const human = path.join(depsDir, 'models/human-models/package/models');
  if (fs.existsSync(human))
    for (const f of fs.readdirSync(human).filter((f) => f.endsWith('.json')).sort())
      add(f, path.join(human, f), 'tfjs');
  return list;
}

// A child process with a time limit; resolves to what it did.
function exec(cmd, args, { timeoutS = 600, cwd, env } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    // A group of its own, so that a timeout kills what it started too.
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutS * 1000);
    child.on('error', (e) => (stderr += `\n${cmd}: ${e.message}`));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, timedOut, stdout, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

const node = (script, args, opts) => exec(process.execPath, [script, ...args], opts);

// kilnc under /usr/bin/time when there is one (CPU seconds and peak memory
// say more than wall time on a busy machine); else wall time only.
const TIME = '/usr/bin/time';
async function timedKilnc(args, timeoutS, dir) {
  if (!fs.existsSync(TIME)) return { ...(await exec(kilnc, args, { timeoutS })), cpuSeconds: null, peakMB: null };
  const file = path.join(dir, 'time.txt');
  const res = await exec(TIME, ['-o', file, '-f', '%U %S %M', kilnc, ...args], { timeoutS });
  const report = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const [user, sys, kb] = report.trim().split('\n').pop().split(' ').map(Number);
  // time reports a signal as "Command terminated by signal N".
  const signal = /terminated by signal (\d+)/.exec(report)?.[1];
  return { ...res, signal: res.signal ?? (signal ? `signal ${signal}` : null),
    status: signal ? null : res.status, cpuSeconds: Number.isFinite(user) ? Math.round((user + sys) * 10) / 10 : null,
    peakMB: Number.isFinite(kb) ? Math.round(kb / 1024) : null };
}

// What kilnc's exit means. A clean failure is a non-zero status with a
// "kilnc: error:" line and nothing that shows a crash.
const CRASH_SIGNS = /Assertion .* failed|Stack dump:|PLEASE submit a bug report|terminate called|Sanitizer|runtime error:|LLVM ERROR|Internal Error|UNREACHABLE/;
export function classifyCompile(res) {
  if (res.timedOut) return { outcome: 'timeout', detail: `no result after ${Math.round(res.seconds)} s` };
  const firstError = /^kilnc: error: (.*)$/m.exec(res.stderr)?.[1];
  const crashLine = res.stderr.split('\n').find((l) => CRASH_SIGNS.test(l));
  if (res.signal) return { outcome: 'crash', detail: `${res.signal}${crashLine ? `: ${crashLine.trim()}` : ''}` };
  if (res.status === 0) return { outcome: 'ok' };
  if (crashLine) return { outcome: 'crash', detail: `exit ${res.status}: ${crashLine.trim()}` };
  if (firstError) return { outcome: 'error', detail: firstError };
  return { outcome: 'crash', detail: `exit ${res.status} without a "kilnc: error:" line: ${res.stderr.trim().slice(0, 200)}` };
}

// Inputs and the oracle's outputs, once per model (a promise each).
const oracles = new Map();
function oracle(model, work) {
  if (!oracles.has(model.id))
    oracles.set(model.id, (async () => {
      const dir = path.join(work, 'oracle', model.id);
      fs.mkdirSync(dir, { recursive: true });
      let res;
      if (model.format === 'onnx') {
        res = await node(path.join(e2e, 'make_inputs.mjs'), [model.file, '--out-dir', `${dir}/in`, '--seed', '7']);
        if (res.status === 0)
          res = await node(path.join(e2e, 'ort_run.mjs'), [model.file, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/out`]);
      } else {
        const shapes = INPUT_SHAPES[model.id] ? ['--input-shape', INPUT_SHAPES[model.id].join(',')] : [];
        for (const v of INPUT_VALUES[model.id] ?? []) shapes.push('--input-value', v);
        res = await node(path.join(e2e, 'tfjs_run.mjs'),
          [model.file, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/out`, '--make-inputs', '7', ...shapes]);
      }
      fs.writeFileSync(`${dir}/log.txt`, res.stdout + res.stderr);
      return res.status === 0 ? { dir } : { error: (res.stderr.trim().split('\n').pop() || 'failed').slice(0, 300) };
    })());
  return oracles.get(model.id);
}

function cName(id) {
  return 'm_' + id.replace(/[^A-Za-z0-9]/g, '_');
}

// Runs the compiled model and compares; returns { outcome, detail }.
// --sanitize: the kernels' objects must call ASan's checks and the C
// objects UBSan's handlers, or the run below would prove nothing. Returns
// what is missing, or null.
async function checkInstrumented(lib, name) {
  const res = await exec('nm', ['-A', `${lib}/lib${name}.a`, `${lib}/libkiln_runtime.a`]);
  if (res.status !== 0) return `nm: ${res.stderr.trim().slice(0, 200)}`;
  const objects = new Map(); // "archive:object" -> the sanitizers it calls
  for (const line of res.stdout.split('\n')) {
    const m = /^(.*?\.a):([^:]+\.o):/.exec(line);
    if (!m) continue;
    const key = `${path.basename(m[1])}:${m[2]}`;
    if (!objects.has(key)) objects.set(key, new Set());
    const symbol = / U (__asan_|__ubsan_handle_)/.exec(line)?.[1];
    if (symbol) objects.get(key).add(symbol === '__asan_' ? 'asan' : 'ubsan');
  }
  const asan = [...objects].filter(([, s]) => s.has('asan')).length;
  const ubsan = [...objects].filter(([, s]) => s.has('ubsan')).length;
  if (asan < 1 || ubsan < 1) return `artifact not instrumented: ${asan} objects call ASan, ${ubsan} UBSan (of ${objects.size})`;
  return null;
}

async function runCase(model, target, dir, name, work, fallback, atolFrac, sanitize) {
  const o = await oracle(model, work);
  if (o.error) return { outcome: 'no-oracle', detail: o.error };
  const runs = [];
  if (target === 'cpu') {
    const lib = path.join(dir, 'out');
    const runner = path.join(dir, 'runner');
    if (sanitize) {
      const missing = await checkInstrumented(lib, name);
      if (missing) return { outcome: 'run-failed', detail: missing };
    }
    const link = await exec('clang-19', [...(sanitize ? ASAN_FLAGS : ['-O2']), '-std=c11', '-D_GNU_SOURCE', `-DKILN_MODEL=${name}`,
      `-DKILN_MODEL_UPPER=${name.toUpperCase()}`, '-include', `${lib}/${name}.h`, '-I', lib,
      path.join(e2e, 'native/model_runner.c'), `${lib}/lib${name}.a`, `${lib}/libkiln_runtime.a`,
      '-lm', '-lpthread', '-ldl', '-o', runner]);
    if (link.status !== 0) return { outcome: 'run-failed', detail: `link: ${link.stderr.trim().slice(0, 300)}` };
    runs.push({ label: sanitize ? 'native-asan' : 'native', actual: `${dir}/actual-native`, cmd: runner,
      args: [`${o.dir}/in`, `${dir}/actual-native`, '--runs', '2', ...(sanitize ? [] : ['--check-no-alloc'])],
      env: sanitize ? ASAN_ENV : undefined });
  } else {
    const loader = path.join(dir, 'out', `${name}.mjs`);
    const wasmRun = path.join(repoRoot, 'test/sweep/wasm_run.mjs');
    runs.push({ label: 'simd', actual: `${dir}/actual-simd`, cmd: process.execPath, args: [wasmRun, loader, '--inputs-dir', `${o.dir}/in`, '--outputs-dir', `${dir}/actual-simd`] });
    if (fallback)
      runs.push({ label: 'nosimd', actual: `${dir}/actual-nosimd`, cmd: process.execPath, args: [wasmRun, loader, '--nosimd', '--inputs-dir', `${o.dir}/in`, '--outputs-dir', `${dir}/actual-nosimd`] });
  }
  const details = [];
  for (const r of runs) {
    const actual = r.actual;
    fs.mkdirSync(actual, { recursive: true });
    const res = await exec(r.cmd, r.args, { timeoutS: sanitize ? 900 : 300, env: r.env });
    fs.writeFileSync(path.join(dir, `run-${r.label}.log`), res.stdout + res.stderr);
    const report = res.stderr.split('\n').find((l) => SANITIZER_REPORT.test(l));
    if (report) return { outcome: 'run-failed', detail: `${r.label}: ${report.trim().slice(0, 300)}` };
    if (res.status !== 0)
      return { outcome: 'run-failed', detail: `${r.label}: ${res.signal ?? `exit ${res.status}`}: ${res.stderr.trim().split('\n').pop()?.slice(0, 300)}` };
    const cmp = await node(path.join(e2e, 'compare.mjs'), [`${o.dir}/out`, actual, '--atol-frac', atolFrac]);
    fs.writeFileSync(path.join(dir, `compare-${r.label}.log`), cmp.stdout + cmp.stderr);
    if (cmp.status === 1) {
      const worst = cmp.stdout.split('\n').find((l) => l.startsWith('FAIL')) ?? '';
      return { outcome: 'mismatch', detail: `${r.label}: ${worst.slice(5, 300)}` };
    }
    if (cmp.status !== 0) return { outcome: 'run-failed', detail: `${r.label}: compare: ${cmp.stderr.trim().slice(0, 300)}` };
    details.push(r.label);
  }
  return { outcome: 'match', detail: details.join(', ') };
}

// A case's column in the report, and its folder.
const caseKey = (c) => `${c.target} ${c.mode}${c.phase === 'schedules' ? ' to schedules' : ''}`;
const caseDir = (c) => `${c.target}-${c.mode.replace('auto:', '')}${c.phase === 'schedules' ? '-schedules' : ''}`;

async function sweepCase(c, opts, atolFrac) {
  const dir = path.join(opts.work, 'cases', c.model.id, caseDir(c));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const name = cName(c.model.id);
  const args = [c.model.file, `--target=${c.target}`, '-o', path.join(dir, 'out'), `--name=${name}`, `--schedule=${c.mode}`];
  if (c.target === 'wasm' && !opts.fallback) args.push('--no-fallback');
  if (c.phase === 'schedules') args.push('--compile-to=schedules');
  if (opts.sanitize && c.target === 'cpu') args.push(`--cpu-features=${ASAN_ISA}-asan`);
  for (const s of INPUT_SHAPES[c.model.id] ?? []) args.push(`--input-shape=${s}`);
  for (const v of INPUT_VALUES[c.model.id] ?? []) args.push(`--input-value=${v}`);
  const timeoutS = opts.timeout ?? (c.mode === 'auto:adams2019' ? 3600 : 900);
  const res = await timedKilnc(args, timeoutS, dir);
  fs.writeFileSync(path.join(dir, 'kilnc.log'), `kilnc ${args.join(' ')}\n${res.stdout}${res.stderr}`);
  const compiled = classifyCompile(res);
  const row = { model: c.model.id, target: c.target, mode: c.mode, phase: c.phase, key: caseKey(c),
    compileSeconds: Math.round(res.seconds * 10) / 10, compileCpuSeconds: res.cpuSeconds, compilePeakMB: res.peakMB };
  if (compiled.outcome !== 'ok') return { ...row, ...compiled };
  if (c.phase === 'schedules') return { ...row, outcome: 'compiles' };
  const ran = await runCase(c.model, c.target, dir, name, opts.work, opts.fallback && c.target === 'wasm', atolFrac,
    opts.sanitize && c.target === 'cpu');
  return { ...row, ...ran, atolFrac };
}

// Expectations: "<model> <target|*> <mode|*> <outcome> <reason...>".
function readExpectations(file) {
  if (!file || !fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [model, target, mode, outcome, ...reason] = l.split(/\s+/);
      return { model, target, mode, outcome, reason: reason.join(' ') };
    });
}

// The expected outcome of a case and the tolerance to compare it at.
function expectedFor(c, expectations) {
  const e = expectations.find((x) => x.model === c.model.id && (x.target === '*' || x.target === c.target) &&
    (x.mode === '*' || x.mode === c.mode));
  const atolFrac = e?.outcome.startsWith('atol=') ? e.outcome.slice(5) : ATOL_FRAC;
  let outcome = !e || e.outcome.startsWith('atol=') ? 'match' : e.outcome;
  // Stopped before codegen, a case can only show that it compiles.
  if (c.phase === 'schedules' && (outcome === 'match' || outcome === 'mismatch')) outcome = 'compiles';
  return { outcome, atolFrac };
}

function cell(row) {
  const t = row.compileCpuSeconds ?? row.compileSeconds;
  switch (row.outcome) {
    case 'match': return `match${row.atolFrac !== ATOL_FRAC ? ` at ${row.atolFrac}` : ''} (${t} s)`;
    case 'compiles': return `compiles (${t} s)`;
    case 'error': return 'unsupported';
    case 'crash': return `**CRASH** ${row.detail.split(':')[0]}`;
    case 'timeout': return `**TIMEOUT** (${t} s)`;
    case 'mismatch': return `**MISMATCH** (${t} s)`;
    case 'run-failed': return `**RUN FAILED** (${t} s)`;
    default: return row.outcome;
  }
}

function writeReport(out, rows, opts, seconds) {
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'report.json'), JSON.stringify({ options: opts.summary, seconds, rows }, null, 1));
  const columns = [...new Set(rows.map((r) => r.key))];
  const lines = [];
  lines.push('# Kiln sweep: every model x target x schedule mode', '');
  lines.push(`kilnc: \`${kilnc}\`; ${rows.length} cases in ${Math.round(seconds)} s on ` +
    `${os.cpus().length} cores (load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end), ` +
    `--jobs ${opts.jobs}; WASM fallback ${opts.fallback ? 'compiled and compared' : 'not built'}. ` +
    `Times in the table are kilnc's CPU seconds (user + sys; wall when /usr/bin/time is missing).`, '');
  const counts = {};
  for (const r of rows) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  lines.push('Outcomes: ' + Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ') + '.', '');
  lines.push(`| model | ${columns.map((k) => k.replace('auto:', '')).join(' | ')} |`);
  lines.push(`|---|${columns.map(() => '---').join('|')}|`);
  const byModel = new Map();
  for (const r of rows) (byModel.get(r.model) ?? byModel.set(r.model, new Map()).get(r.model)).set(r.key, r);
  for (const [model, cells] of byModel)
    lines.push(`| ${model} | ${columns.map((k) => (cells.has(k) ? cell(cells.get(k)) : '-')).join(' | ')} |`);
  lines.push('', '## Why not `match`', '');
  const reasons = new Map();
  for (const r of rows.filter((r) => r.outcome !== 'match' && r.outcome !== 'compiles')) {
    const key = `${r.model}: ${r.outcome}: ${r.detail}`;
    (reasons.get(key) ?? reasons.set(key, []).get(key)).push(r.key);
  }
  for (const [key, where] of reasons) lines.push(`- ${key.slice(0, 400)} (${where.join(', ')})`);
  const unexpected = rows.filter((r) => r.unexpected);
  lines.push('', '## Unexpected outcomes (against the expectations file)', '');
  if (!unexpected.length) lines.push('None.');
  for (const r of unexpected) lines.push(`- ${r.model} ${r.key}: ${r.outcome}, expected ${r.expected}`);
  fs.writeFileSync(path.join(out, 'report.md'), lines.join('\n') + '\n');
}

async function main(argv) {
  const flags = new Set(['--ci', '--fallback', '--list', '--keep', '--sanitize']);
  const args = parseArgs(argv.filter((a) => !flags.has(a)), {
    '--targets': 'string', '--modes': 'string', '--models': 'string', '--jobs': 'int',
    '--out': 'string', '--expectations': 'string', '--timeout': 'int', '--phase': 'string',
  }, []);
  if (args.phase && !['schedules', 'artifact'].includes(args.phase))
    throw new UsageError(`--phase is schedules or artifact, not '${args.phase}'`);
  const ci = argv.includes('--ci');
  const opts = {
    targets: (args.targets ?? ALL_TARGETS.join(',')).split(','),
    modes: (args.modes ?? (ci ? 'template' : ALL_MODES.join(','))).split(','),
    jobs: args.jobs ?? 1,
    fallback: argv.includes('--fallback'),
    sanitize: argv.includes('--sanitize'),
    timeout: args.timeout,
  };
  for (const t of opts.targets) if (!ALL_TARGETS.includes(t)) throw new UsageError(`unknown target '${t}'`);
  for (const m of opts.modes) if (!ALL_MODES.includes(m)) throw new UsageError(`unknown mode '${m}'`);
  let models = allModels();
  if (args.models) {
    const wanted = args.models.split(',');
    for (const w of wanted) if (!models.some((m) => m.id === w)) throw new UsageError(`unknown model '${w}' (see --list)`);
    models = models.filter((m) => wanted.includes(m.id));
  }
  if (argv.includes('--list')) {
    for (const m of models) console.log(`${m.id}\t${m.file}`);
    return;
  }
  if (!fs.existsSync(kilnc)) throw new UsageError(`${kilnc} is missing: build first (scripts/build.sh)`);
  if (!models.length) throw new UsageError('no models found: run scripts/setup.sh');
  const out = args.out ?? path.join(build, 'sweep');
  opts.work = out;
  opts.summary = { targets: opts.targets, modes: opts.modes, jobs: opts.jobs, fallback: opts.fallback,
    sanitize: opts.sanitize, models: models.length };
  const expectations = readExpectations(args.expectations ?? path.join(repoRoot, 'test/sweep/expected.txt'));

  // Cheap cases first, Adams2019 last, so a long sweep reports early.
  const cases = [];
  for (const mode of opts.modes)
    for (const model of models)
      for (const target of opts.targets) {
        const full = ci ? CI_MODELS.includes(model.id) : args.phase !== 'schedules';
        cases.push({ model, target, mode, phase: full ? 'artifact' : 'schedules' });
      }
  if (ci) cases.sort((a, b) => (a.phase === b.phase ? 0 : a.phase === 'schedules' ? -1 : 1));
  const started = Date.now();
  const rows = [];
  // Report order: models as listed, cases of a model as swept.
  const order = (r) => models.findIndex((m) => m.id === r.model) * cases.length +
    cases.findIndex((c) => c.model.id === r.model && caseKey(c) === r.key);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++];
      const expected = expectedFor(c, expectations);
      const row = await sweepCase(c, opts, expected.atolFrac);
      row.expected = expected.outcome;
      row.unexpected = expected.outcome !== row.outcome;
      rows.push(row);
      // The report so far, so that a sweep of hours can be read as it goes.
      writeReport(out, [...rows].sort((a, b) => order(a) - order(b)), opts, (Date.now() - started) / 1000);
      const mark = row.unexpected ? 'UNEXPECTED' : 'ok';
      console.log(`[${rows.length}/${cases.length}] ${row.model} ${row.key}: ${row.outcome}` +
        `${row.detail ? ` (${row.detail.slice(0, 160)})` : ''} ${row.compileSeconds} s${row.unexpected ? ` -- ${mark}, expected ${row.expected}` : ''}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.jobs) }, worker));
  rows.sort((a, b) => order(a) - order(b));
  const seconds = (Date.now() - started) / 1000;
  writeReport(out, rows, opts, seconds);
  if (!argv.includes('--keep'))
    for (const r of rows.filter((r) => !r.unexpected))
      fs.rmSync(path.join(out, 'cases', r.model, caseDir(r), 'out'), { recursive: true, force: true });
  const bad = rows.filter((r) => r.unexpected);
  const crashes = rows.filter((r) => r.outcome === 'crash' || r.outcome === 'timeout');
  console.log(`sweep: ${rows.length} cases in ${Math.round(seconds)} s, ${crashes.length} crashes or timeouts, ` +
    `${bad.length} unexpected; report ${path.join(out, 'report.md')}`);
  if (bad.length) process.exit(1);
}

runMain('sweep', USAGE, main);
