// Tuned against the template and Halide's three autoschedulers, end to end
// (issue 20's goal "tuned beats the template and the best of the three
// autoschedulers end to end on every benchmark model, on every device"),
// native or WASM in Node: each model built five ways by kilnc (templates; --schedule=
// auto:adams2019, auto:li2018, auto:mullapudi2016; the shipped tuning
// database, tuning/MODEL.DEVICE-Nt.jsonl), each build's outputs checked
// against onnxruntime-node (test/e2e's fixed-seed inputs, 1e-4 of each
// output's range: the e2e tolerance and the tuner's own check), then all
// builds timed in alternating rounds in one set of minutes
// (benchmarks/native/bench_model.c, or for --device node the module's loader
// in benchmarks/workers/node_worker.mjs, one process per build; --clock cpu,
// the process's CPU time, for 1 thread on a shared machine). A build that fails to compile or gives
// wrong outputs is reported as such and is not a contender for "best
// autoscheduler" (the tuner's numeric check would reject it); it is still
// timed if it ran, for the record.
//
//   node benchmarks/tuner/vs_autoschedulers.mjs [--models mobilenetv2,blazeface_back]
//        [--device native|node] [--threads 1] [--clock cpu|wall|undisturbed (native only)] [--rounds 15] [--runs 10]
//        [--out benchmarks/results/vs_autoschedulers] [--adams-beam N]
//
// --adams-beam N sets Adams2019's HL_BEAM_SIZE (1: greedy, as the CI's e2e
// sample runs it; default: Halide's own, 32 wide and 5 passes, which took
// 681 s wall for BlazeFace front alone at load 3.5 and more than 15 minutes
// for MobileNetV2 here). The table says which was used.
// Writes OUT.md (the table per model, medians and ratios, load before and
// after) and OUT.json (every sample). Nothing here asserts a speed.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { repoRoot } from '../../test/e2e/common.mjs';
import { BuildError, buildHarness, kilnc, run } from '../lib/artifacts.mjs';
import { ChildContender, nodeWorker } from '../lib/contender.mjs';
import { MODELS } from '../lib/models.mjs';
import { provenance } from '../lib/provenance.mjs';
import { ratio, summarize } from '../lib/stats.mjs';
import { tuningDb } from '../lib/tuned.mjs';
import { compare, importLoader, readFeeds, writeOutputs } from '../../test/web/common.mjs';
import { parseFlags } from './flags.mjs';

const args = parseFlags({ models: 'mobilenetv2,blazeface_back', device: 'native', threads: '1', clock: '', rounds: '15',
  runs: '10', out: '', 'adams-beam': '' });
const threads = Number(args.threads);
const device = args.device;
if (!['native', 'node'].includes(device)) throw new Error(`--device must be native or node, got '${device}'`);
args.clock ||= 'cpu';
if (device === 'node' && (threads !== 1 || args.clock === 'undisturbed'))
  throw new Error('--device node: 1 thread, --clock cpu or wall');
args.out ||= path.join(repoRoot, `benchmarks/results/vs_autoschedulers${device === 'native' ? '' : `_${device}`}`);
const AUTOSCHEDULERS = ['adams2019', 'li2018', 'mullapudi2016'];
const e2e = path.join(repoRoot, 'test/e2e');
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-vs-auto-'));

// The five builds of a model: id, label, kilnc's extra flags.
function buildsOf(model) {
  const db = tuningDb(model.key, { device, threads });
  return [
    { id: 'template', label: 'template', flags: [] },
    ...AUTOSCHEDULERS.map((a) => ({ id: a, flags: [`--schedule=auto:${a}`],
      label: `auto:${a}${a === 'adams2019' && args['adams-beam'] ? ` (HL_BEAM_SIZE=${args['adams-beam']})` : ''}`,
      env: a === 'adams2019' && args['adams-beam'] ? { HL_BEAM_SIZE: args['adams-beam'] } : {} })),
    { id: 'tuned', label: db ? `tuned (${path.relative(repoRoot, db)})` : 'tuned (no shipped database)',
      flags: db ? [`--tuning-db=${db}`, `--tuning-threads=${threads}`, ...(device === 'native' ? [] : [`--tuning-device=${device}`])]
        : null },
  ];
}

// ONNX Runtime's outputs on the e2e tests' fixed-seed inputs, once per model.
function oracle(model, dir) {
  run(process.execPath, [path.join(e2e, 'make_inputs.mjs'), model.onnx, '--out-dir', `${dir}/in`, '--seed', '7']);
  run(process.execPath, [path.join(e2e, 'ort_run.mjs'), model.onnx, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/ort`]);
  return dir;
}

// Compiles one build, checks its outputs, links the timing harness. Fills
// b.compileS, b.notes (kilnc's lines worth reading), b.check, b.exe or b.error.
async function prepare(model, b, oracleDir) {
  const dir = path.join(work, model.key, b.id);
  const name = `m_${b.id}`;
  if (!b.flags) {
    b.error = 'no shipped database';
    return;
  }
  const t0 = performance.now();
  const target = device === 'native' ? ['--target=cpu'] : ['--target=wasm', '--no-fallback'];
  const compiled = spawnSync(kilnc, [model.onnx, ...target, `--name=${name}`, '-o', `${dir}/lib`, ...b.flags],
    { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 1800e3, env: { ...process.env, ...b.env } });
  b.compileS = (performance.now() - t0) / 1e3;
  const text = `${compiled.stdout ?? ''}${compiled.stderr ?? ''}`;
  // Autoschedule fallbacks ("warning: ...") and the database's own count.
  const warnings = text.split('\n').filter((l) => /warning/i.test(l));
  b.notes = [
    ...text.split('\n').filter((l) => /kernels scheduled from|template changed since tuning/.test(l)),
    ...(warnings.length ? [`${warnings.length} warning line(s), first: ${warnings[0].trim().slice(0, 200)}`] : []),
  ];
  if (compiled.status !== 0 || compiled.error || compiled.signal) {
    const first = text.split('\n').find((l) => /error/i.test(l)) ?? `status ${compiled.status ?? compiled.signal}`;
    b.error = `kilnc failed: ${first.trim().slice(0, 300)}`;
    return;
  }
  if (device !== 'native') return checkWasm(b, { dir: `${dir}/lib`, name }, oracleDir);
  try {
    const lib = { dir: `${dir}/lib`, name };
    run('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', `-DKILN_MODEL=${name}`, `-DKILN_MODEL_UPPER=${name.toUpperCase()}`,
      '-include', `${lib.dir}/${name}.h`, '-I', lib.dir, path.join(e2e, 'native/model_runner.c'),
      `${lib.dir}/lib${name}.a`, `${lib.dir}/libkiln_runtime.a`, '-lm', '-lpthread', '-ldl', '-o', `${dir}/runner`]);
    fs.mkdirSync(`${dir}/out`, { recursive: true });
    run(`${dir}/runner`, [`${oracleDir}/in`, `${dir}/out`, '--threads', String(threads)]);
    const cmp = spawnSync(process.execPath, [path.join(e2e, 'compare.mjs'), `${oracleDir}/ort`, `${dir}/out`,
      '--atol-frac', '1e-4'], { encoding: 'utf8' });
    b.check = { ok: cmp.status === 0, report: `${cmp.stdout}${cmp.stderr}`.trim() };
    b.exe = buildHarness(lib, `${dir}/bench`);
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    b.error = e.message;
  }
}

// A WASM build: its loader's outputs on the oracle's inputs, in this
// process, against ONNX Runtime's; timed later in a Node worker of its own.
// A build that fails to load or traps is reported as such, not fatal.
async function checkWasm(b, lib, oracleDir) {
  try {
    const loader = await importLoader(lib);
    const m = await loader.load(undefined, { relaxed: false });
    try {
      fs.mkdirSync(`${lib.dir}/out`, { recursive: true });
      writeOutputs(`${lib.dir}/out`, m.run(readFeeds(`${oracleDir}/in`)), m.outputs);
    } finally {
      m.dispose();
    }
  } catch (e) {
    b.error = `the module failed: ${String(e.message ?? e).split('\n')[0].slice(0, 300)}`;
    return;
  }
  const cmp = compare(`${oracleDir}/ort`, `${lib.dir}/out`);
  b.check = { ok: cmp.status === 0, report: cmp.out.trim() };
  b.wasm = lib;
}

// The largest error over range among compare.mjs's lines, for the table.
function worstError(report) {
  let worst = 0;
  for (const m of report.matchAll(/max_abs_err ([^ ]+) .*?\(range ([^ ]+) /g))
    worst = Math.max(worst, Number(m[1]) / Math.max(Number(m[2]), 1e-30));
  return worst;
}

async function timeBuilds(builds) {
  const started = [];
  const clockArgs = args.clock === 'wall' ? [] : ['--clock', args.clock];
  try {
    for (const b of builds.filter((x) => x.exe || x.wasm)) {
      const c = b.exe ? new ChildContender(b.id, b.exe, ['--threads', String(threads), ...clockArgs])
        : nodeWorker(b.id, 'kiln-wasm', { ...b.wasm, clock: args.clock });
      await c.start();
      started.push([b, c]);
      b.samples = [];
    }
    // Warm-up: 20 runs, so that V8's tier-up of a WASM build (compiled on
    // background threads, which process CPU time would count) is done.
    for (const [b, c] of started) await c.run(b.exe ? 3 : 20);
    for (let r = 0; r < Number(args.rounds); r++)
      for (let i = 0; i < started.length; i++) {
        const [b, c] = started[(i + r) % started.length];
        b.samples.push(...(await c.run(Number(args.runs))));
      }
  } finally {
    for (const [, c] of started) await c.close();
  }
  for (const b of builds) if (b.samples) b.stats = summarize(b.samples);
}

const fmtRatio = (r) => (r ? `${r.value.toFixed(3)}x [${r.low.toFixed(2)}-${r.high.toFixed(2)}]` : '-');

function markdown(results) {
  const lines = [
    '# Tuned against the template and the three autoschedulers, end to end',
    '',
    `\`node benchmarks/tuner/vs_autoschedulers.mjs --models ${args.models} --threads ${threads} --clock ${args.clock} ` +
      `--rounds ${args.rounds} --runs ${args.runs}${device === 'native' ? '' : ` --device ${device}`}\`, ` +
      `${device === 'native' ? 'native' : `WASM (SIMD128) in Node ${process.version}`}, ${threads} thread(s), ${os.cpus()[0]?.model ?? 'unknown CPU'}, ` +
      `${os.cpus().length} cores. Every build compiled by ${results.kilnc} (built ${results.kilncBuilt}), the tree at ${results.commit}` +
      `${results.dirty.length ? ` (the tree then had uncommitted changes to ${results.dirty.join(', ')})` : ''}; its outputs checked against ` +
      'onnxruntime-node (1e-4 of each output\'s range); then all builds of a model timed in ' +
      `${args.rounds} alternating rounds of ${args.runs} runs each (the order rotating per round), ` +
      `${args.clock === 'cpu' ? `in the process's CPU time (${device === 'native' ? 'bench_model --clock cpu' : 'node_worker\'s process.cpuUsage()'})`
        : `clock ${args.clock}`}. ` +
      'Medians with p25-p75; ratios are the other build\'s median over the tuned build\'s (above 1: tuned is faster), ' +
      'with the range from the quartiles. The machine is shared: the load average is given per model.',
    '',
  ];
  for (const m of results.models) {
    lines.push(`## ${m.title}`, '', `${m.started} to ${m.finished}, load ${m.loadBefore} -> ${m.loadAfter} ` +
      `(builds: ${m.buildS.toFixed(0)} s of compiling and checking).`, '');
    lines.push('| build | compile s | outputs vs ORT (worst error / range) | median ms | p25-p75 | min | this / tuned | notes |',
      '|---|---|---|---|---|---|---|---|');
    const tuned = m.builds.find((b) => b.id === 'tuned');
    for (const b of m.builds) {
      const check = b.error ? `**failed**: ${b.error}` : b.check.ok ? `ok (${worstError(b.check.report).toExponential(1)})`
        : `**wrong** (${worstError(b.check.report).toExponential(1)})`;
      const s = b.stats;
      lines.push(`| ${b.label} | ${b.compileS?.toFixed(1) ?? '-'} | ${check} | ${s ? s.median.toFixed(3) : '-'} | ` +
        `${s ? `${s.p25.toFixed(3)}-${s.p75.toFixed(3)}` : '-'} | ${s ? s.min.toFixed(3) : '-'} | ` +
        `${b !== tuned && s && tuned?.stats ? fmtRatio(ratio(s, tuned.stats)) : '-'} | ${(b.notes ?? []).join('; ').replaceAll('|', '/')} |`);
    }
    const correct = m.builds.filter((b) => AUTOSCHEDULERS.includes(b.id) && b.stats && b.check?.ok);
    const bestAuto = correct.sort((a, b) => a.stats.median - b.stats.median)[0];
    const template = m.builds.find((b) => b.id === 'template');
    lines.push('');
    if (tuned?.stats && template?.stats) {
      const vsT = ratio(template.stats, tuned.stats);
      const vsA = bestAuto ? ratio(bestAuto.stats, tuned.stats) : null;
      const verdict = (r) => (r.value < 1.01 ? '**not faster** (within 1% or slower)' : r.low > 1 ? 'faster, quartiles clear of 1' :
        'faster by the medians, quartiles overlap 1');
      lines.push(`Tuned against the template: ${fmtRatio(vsT)}, ${verdict(vsT)}; against the best correct autoscheduler ` +
        `(${bestAuto ? bestAuto.label : 'none compiled and matched'}): ${fmtRatio(vsA)}${vsA ? `, ${verdict(vsA)}` : ''}.`);
    } else {
      lines.push('Tuned or template not timed: no comparison.');
    }
    lines.push('');
  }
  return lines.join('\n');
}

const results = { ...provenance(kilnc),
  device, threads, clock: args.clock, rounds: Number(args.rounds), runs: Number(args.runs), models: [] };
try {
  for (const key of args.models.split(',')) {
    const model = MODELS.find((m) => m.key === key);
    if (!model?.onnx) throw new Error(`unknown or non-ONNX model '${key}'`);
    const entry = { key, title: model.title, started: new Date().toISOString(), loadBefore: load(), builds: buildsOf(model) };
    const t0 = performance.now();
    const oracleDir = oracle(model, path.join(work, key, 'oracle'));
    for (const b of entry.builds) {
      console.error(`${key}: building ${b.label} (load ${load()})`);
      await prepare(model, b, oracleDir);
      console.error(`  ${b.error ?? (b.check.ok ? 'outputs ok' : 'outputs WRONG')}${b.compileS ? `, ${b.compileS.toFixed(1)} s` : ''}`);
    }
    entry.buildS = (performance.now() - t0) / 1e3;
    console.error(`${key}: timing ${entry.builds.filter((b) => b.exe || b.wasm).length} builds (load ${load()})`);
    await timeBuilds(entry.builds);
    entry.finished = new Date().toISOString();
    entry.loadAfter = load();
    results.models.push(entry);
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
const md = markdown(results);
fs.writeFileSync(`${args.out}.md`, `${md}\n`);
fs.writeFileSync(`${args.out}.json`, `${JSON.stringify(results, (k, v) => (k === 'exe' ? undefined : v), 1)}\n`);
console.log(md);
