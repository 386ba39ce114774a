// Tuned against the template and Halide's three autoschedulers, end to end
// (issue 20's goal "tuned beats the template and the best of the three
// autoschedulers end to end on every benchmark model, on every device"),
// native (1 or 2 threads) or WASM in Node or in Chromium: each model built
// five ways by kilnc (templates; --schedule=auto:adams2019, auto:li2018,
// auto:mullapudi2016; the shipped tuning database,
// tuning/MODEL.DEVICE-Nt.jsonl: where none is shipped the template build
// stands for "tuned", and the table says so), each build's outputs checked
// against the model's oracle (onnxruntime-node for an ONNX model, TensorFlow.js
// for a TF.js graph model, as test/e2e checks them: fixed-seed inputs, 1e-4
// of each output's range, the e2e tolerance and the tuner's own check; a
// WASM build is checked in this Node process, the same .wasm the page then
// runs), then all builds timed in alternating rounds in one set of minutes
// (benchmarks/native/bench_model.c; for --device node the module's loader in
// benchmarks/workers/node_worker.mjs, one process per build; for --device
// chromium the one long-lived page of benchmarks/lib/browser.mjs, as the
// benchmark's Chromium contenders run). Clocks: --clock cpu, the process's
// CPU time, for 1 thread on a shared machine (the default); wall time for 2
// threads (CPU time would add both threads) and in Chromium (the page's
// performance.now(), 0.1 ms grain), which need a quiet machine to mean
// anything. All builds are compiled and checked before any is timed, and
// --wait-load L waits (up to 5 minutes) for the 1-minute load average to fall
// under L before timing. A build that fails to compile or gives
// wrong outputs is reported as such and is not a contender for "best
// autoscheduler" (the tuner's numeric check would reject it); it is still
// timed if it ran, for the record.
//
//   node benchmarks/tuner/vs_autoschedulers.mjs [--models mobilenetv2,blazeface_back]
//        [--device native|node|chromium] [--threads 1|2 (native)] [--clock cpu|wall|undisturbed (native only)]
//        [--rounds 15] [--runs 10] [--out benchmarks/results/vs_autoschedulers] [--adams-beam N] [--wait-load L]
//   node benchmarks/tuner/vs_autoschedulers.mjs --summary DIR   # one table from DIR/*.json
//
// --adams-beam N sets Adams2019's HL_BEAM_SIZE (1: greedy, as the CI's e2e
// sample runs it; default: Halide's own, 32 wide and 5 passes, which took
// 681 s wall for BlazeFace front alone at load 3.5 and more than 15 minutes
// for MobileNetV2 here). The table says which was used.
// Writes OUT.md (the table per model, medians and ratios, load before and
// after) and OUT.json (every sample). Nothing here asserts a speed.

import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { repoRoot } from '../../test/e2e/common.mjs';
import { BuildError, buildHarness, buildPeakWasm, kilnc, run } from '../lib/artifacts.mjs';
import { Browser, chromiumMissing } from '../lib/browser.mjs';
import { ChildContender, nodeWorker } from '../lib/contender.mjs';
import { MODELS } from '../lib/models.mjs';
import { provenance } from '../lib/provenance.mjs';
import { ratio, summarize } from '../lib/stats.mjs';
import { tuningDb } from '../lib/tuned.mjs';
import { compare, importLoader, readFeeds, writeOutputs } from '../../test/web/common.mjs';
import { parseFlags } from './flags.mjs';

const AUTOSCHEDULERS = ['adams2019', 'li2018', 'mullapudi2016'];
const VERDICT_TEXT = { met: 'met (tuned faster, the paired quartiles above 1)',
  tie: '**tie** (the paired quartiles straddle 1, or within 1%)',
  'not met': '**not met** (tuned slower, the paired quartiles below 1)', 'n/a': 'n/a',
  'tie (same code)': '**tie**: the database gives byte-identical code to the template\'s, so this ratio is only the noise of the moment' };

const args = parseFlags({ models: 'mobilenetv2,blazeface_back', device: 'native', threads: '1', clock: '', rounds: '15',
  runs: '10', out: '', 'adams-beam': '', 'wait-load': '', summary: '', render: '' });
if (args.summary) {
  console.log(summaryTable(args.summary));
  process.exit(0);
}
if (args.render) {
  // The table again from OUT.json, the readings recomputed (nothing is run).
  const saved = JSON.parse(fs.readFileSync(args.render, 'utf8'));
  for (const m of saved.models) m.comparison = comparison(m, saved.runs);
  fs.writeFileSync(args.render, `${JSON.stringify(saved, null, 1)}\n`);
  fs.writeFileSync(args.render.replace(/\.json$/, '.md'), `${markdown(saved)}\n`);
  process.exit(0);
}
const threads = Number(args.threads);
const device = args.device;
// Vulkan has no row: of Halide 14's autoschedulers only Li2018 writes GPU
// schedules, and Kiln's SPIR-V target does not go through Halide at all.
if (device === 'vulkan')
  throw new Error('--device vulkan: no autoscheduler reaches Kiln\'s SPIR-V code (MLIR\'s route, targets/spirv/README.md); ' +
    'see benchmarks/results/znver3/vs_autoschedulers/README.md');
if (!['native', 'node', 'chromium'].includes(device)) throw new Error(`--device must be native, node or chromium, got '${device}'`);
args.clock ||= device === 'chromium' || threads > 1 ? 'wall' : 'cpu';
if (device !== 'native' && (threads !== 1 || args.clock === 'undisturbed'))
  throw new Error(`--device ${device}: 1 thread, --clock cpu or wall`);
if (device === 'chromium' && args.clock !== 'wall') throw new Error('--device chromium: wall clock only (the page has no CPU clock)');
if (threads > 1 && args.clock === 'cpu') throw new Error('--threads 2: --clock wall or undisturbed (CPU time adds the threads up)');
args.out ||= path.join(repoRoot, `benchmarks/results/vs_autoschedulers${device === 'native' ? '' : `_${device}`}`);
const e2e = path.join(repoRoot, 'test/e2e');
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-vs-auto-'));

// The five builds of a model: id, label, kilnc's extra flags. Without a
// shipped database the template build is what kilnc makes, so it stands for
// "tuned" (sameAs) and is not built twice.
function buildsOf(model) {
  const db = tuningDb(model.key, { device, threads });
  return [
    { id: 'template', label: 'template', flags: [] },
    ...AUTOSCHEDULERS.map((a) => ({ id: a, flags: [`--schedule=auto:${a}`],
      label: `auto:${a}${a === 'adams2019' && args['adams-beam'] ? ` (HL_BEAM_SIZE=${args['adams-beam']})` : ''}`,
      env: a === 'adams2019' && args['adams-beam'] ? { HL_BEAM_SIZE: args['adams-beam'] } : {} })),
    db ? { id: 'tuned', label: `tuned (${path.relative(repoRoot, db)})`,
      flags: [`--tuning-db=${db}`, `--tuning-threads=${threads}`, ...(device === 'native' ? [] : [`--tuning-device=${device}`])] }
      : { id: 'tuned', label: `tuned = the template (no tuning/${model.key}.${device}-${threads}t.jsonl)`, sameAs: 'template' },
  ];
}

// The oracle's outputs on the e2e tests' fixed-seed inputs, once per model:
// onnxruntime-node for an ONNX model, else TensorFlow.js (tfjs_run.mjs, as
// test/e2e/tfjs.test.mjs checks TF.js models). Returns the directory (in/, ref/).
function oracle(model, dir) {
  if (model.onnx) {
    run(process.execPath, [path.join(e2e, 'make_inputs.mjs'), model.onnx, '--out-dir', `${dir}/in`, '--seed', '7']);
    run(process.execPath, [path.join(e2e, 'ort_run.mjs'), model.onnx, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/ref`]);
  } else {
    run(process.execPath, [path.join(e2e, 'tfjs_run.mjs'), model.tfjs, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/ref`,
      '--make-inputs', '7']);
  }
  return dir;
}
const oracleName = (model) => (model.onnx ? 'onnxruntime-node' : 'TensorFlow.js (tfjs-backend-cpu)');

// Compiles one build, checks its outputs, links the timing harness. Fills
// b.compileS, b.notes (kilnc's lines worth reading), b.check, b.exe or b.error.
async function prepare(model, b, oracleDir) {
  const dir = path.join(work, model.key, b.id);
  const name = 'm'; // one name for every build, so that identical code is byte-identical
  if (b.sameAs) return;
  const t0 = performance.now();
  const target = device === 'native' ? ['--target=cpu'] : ['--target=wasm', '--no-fallback'];
  const compiled = spawnSync(kilnc, [model.onnx ?? model.tfjs, ...target, `--name=${name}`, '-o', `${dir}/lib`, ...b.flags],
    { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 1800e3, env: { ...process.env, ...b.env } });
  b.compileS = (performance.now() - t0) / 1e3;
  // The code itself (kilnc's output is deterministic): a database that
  // gives back the template's code is told apart from one that was measured.
  const code = `${dir}/lib/${device === 'native' ? `lib${name}.a` : `${name}.wasm`}`;
  if (fs.existsSync(code)) b.codeHash = crypto.createHash('sha256').update(fs.readFileSync(code)).digest('hex');
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
    const cmp = spawnSync(process.execPath, [path.join(e2e, 'compare.mjs'), `${oracleDir}/ref`, `${dir}/out`,
      '--atol-frac', '1e-4'], { encoding: 'utf8' });
    b.check = { ok: cmp.status === 0, report: `${cmp.stdout}${cmp.stderr}`.trim() };
    b.exe = buildHarness(lib, `${dir}/bench`);
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    b.error = e.message;
  }
}

// A WASM build: its loader's outputs on the oracle's inputs, in this
// process, against the oracle's; timed later in a Node worker of its own or
// in the page.
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
  const cmp = compare(`${oracleDir}/ref`, `${lib.dir}/out`);
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

async function timeBuilds(key, builds, browser) {
  const started = [];
  const clockArgs = args.clock === 'wall' ? [] : ['--clock', args.clock];
  try {
    for (const b of builds.filter((x) => x.exe || x.wasm)) {
      const c = b.exe ? new ChildContender(b.id, b.exe, ['--threads', String(threads), ...clockArgs])
        : browser ? await browser.addKiln(`${key}-${b.id}`, b.wasm.dir, b.wasm.name)
        : nodeWorker(b.id, 'kiln-wasm', { ...b.wasm, clock: args.clock });
      await c.start?.();
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

function fmtRatio(r) {
  return r ? `${r.value.toFixed(3)}x [${r.low.toFixed(2)}-${r.high.toFixed(2)}]` : '-';
}

// The script's reading of "tuned beats X" from X's time over tuned's
// (paired by round): met when the quartile range is above 1, not met when
// it is below, else (or within 1%) a tie.
function verdict(r) {
  if (!r) return 'n/a';
  if (r.value >= 1.01 && r.low > 1) return 'met';
  if (r.value <= 0.99 && r.high < 1) return 'not met';
  return 'tie';
}

// other / tuned round by round: the medians of the runs each build made in
// the same round (minutes apart at most, so a change of load hits both),
// their median and quartiles over the rounds. Samples are stored in round
// order, `runs` per round.
function pairedRatio(other, tuned, runs) {
  if (!other?.samples?.length || !tuned?.samples?.length) return null;
  const rounds = Math.min(other.samples.length, tuned.samples.length) / runs;
  const per = [];
  for (let r = 0; r < rounds; r++) {
    const med = (b) => summarize(b.samples.slice(r * runs, (r + 1) * runs)).median;
    per.push(med(other) / med(tuned));
  }
  const s = summarize(per);
  return { value: s.median, low: s.p25, high: s.p75, rounds: per.length };
}

// Tuned (or the template standing for it) against the template and the
// fastest autoscheduler build whose outputs matched; the readings come from
// the ratios paired by round.
function comparison(m, runs) {
  const template = m.builds.find((b) => b.id === 'template');
  const tunedBuild = m.builds.find((b) => b.id === 'tuned');
  const tuned = tunedBuild.sameAs ? template : tunedBuild;
  const bestAuto = m.builds.filter((b) => AUTOSCHEDULERS.includes(b.id) && b.stats && b.check?.ok)
    .sort((a, b) => a.stats.median - b.stats.median)[0];
  if (!tuned?.stats) return { error: 'tuned not timed' };
  const vsTemplate = tunedBuild.sameAs || !template?.stats ? null : ratio(template.stats, tuned.stats);
  const vsBestAuto = bestAuto ? ratio(bestAuto.stats, tuned.stats) : null;
  const vsTemplatePaired = tunedBuild.sameAs ? null : pairedRatio(template, tuned, runs);
  const vsBestAutoPaired = bestAuto ? pairedRatio(bestAuto, tuned, runs) : null;
  // The database gave the template's code back: their ratio is the noise of the moment.
  const sameCode = !tunedBuild.sameAs && Boolean(tuned.codeHash) && tuned.codeHash === template?.codeHash;
  return { tunedIsTemplate: Boolean(tunedBuild.sameAs), sameCode, bestAuto: bestAuto?.label ?? null,
    vsTemplate, vsTemplatePaired,
    vsTemplateReading: tunedBuild.sameAs ? 'n/a (no database)' : sameCode ? 'tie (same code)' : verdict(vsTemplatePaired),
    vsBestAuto, vsBestAutoPaired, vsBestAutoReading: verdict(vsBestAutoPaired) };
}

function deviceText(results) {
  if (results.device === 'native') return `native, ${results.threads} thread(s)`;
  if (results.device === 'node') return `WASM (SIMD128) in Node ${results.node}, 1 thread`;
  return `WASM (SIMD128) in headless Chromium ${results.chromium} (one page, benchmarks/lib/browser.mjs), 1 thread`;
}

function clockText(results) {
  if (results.clock === 'cpu')
    return `in the process's CPU time (${results.device === 'native' ? 'bench_model --clock cpu' : 'node_worker\'s process.cpuUsage()'})`;
  if (results.clock === 'undisturbed') return 'in wall time, a run disturbed by an involuntary switch run again (bench_model --clock undisturbed)';
  return `in wall time (${results.device === 'chromium' ? 'the page\'s performance.now(), 0.1 ms grain' : results.device === 'native'
    ? 'bench_model\'s monotonic clock' : 'node_worker'})`;
}

function markdown(results) {
  const lines = [
    '# Tuned against the template and the three autoschedulers, end to end',
    '',
    `\`${results.command}\`, ${deviceText(results)}, ${results.cpu ?? os.cpus()[0]?.model ?? 'unknown CPU'}, ` +
      `${results.cores ?? os.cpus().length} cores. Every build compiled by ${results.kilnc} (built ${results.kilncBuilt}), the tree at ${results.commit}` +
      `${results.dirty.length ? ` (the tree then had uncommitted changes to ${results.dirty.join(', ')})` : ''}; its outputs checked against ` +
      'the model\'s oracle (1e-4 of each output\'s range; WASM builds in Node); once every model\'s builds were ready, all builds of a model timed in ' +
      `${results.rounds} alternating rounds of ${results.runs} runs each (the order rotating per round), ${clockText(results)}. ` +
      'Medians with p25-p75; ratios are the other build\'s time over the tuned build\'s (above 1: tuned is faster): ' +
      'of all runs\' medians, with the range from the quartiles, and paired by round (per round, the ratio of the two builds\' ' +
      'medians of that round; the median and p25-p75 of those over the rounds), which a change of load between rounds ' +
      'does not move; the readings are the paired ratio\'s: met (its quartiles above 1), not met (below 1), else a tie. ' +
      'The machine is shared: the load average (1, 5, 15 minutes) is given per model.',
    '',
  ];
  for (const m of results.models) {
    lines.push(`## ${m.title}`, '', `Outputs checked against ${m.oracle}; builds: ${m.buildS.toFixed(0)} s of compiling and checking ` +
      `at load ${m.buildLoad}. Timed ${m.started} to ${m.finished}, load ${m.loadBefore} -> ${m.loadAfter}.`, '');
    lines.push('| build | compile s | outputs vs oracle (worst error / range) | median ms | p25-p75 | min | this / tuned | ' +
      'paired by round | notes |', '|---|---|---|---|---|---|---|---|---|');
    const c = m.comparison;
    const tunedBuild = m.builds.find((b) => b.id === 'tuned');
    const tuned = tunedBuild.sameAs ? m.builds.find((b) => b.id === tunedBuild.sameAs) : tunedBuild;
    for (const b of m.builds) {
      if (b.sameAs) {
        lines.push(`| ${b.label} | - | - | - | - | - | - | - | the ${b.sameAs} row stands for it |`);
        continue;
      }
      const check = b.error ? `**failed**: ${b.error}` : b.check.ok ? `ok (${worstError(b.check.report).toExponential(1)})`
        : `**wrong** (${worstError(b.check.report).toExponential(1)})`;
      const s = b.stats;
      lines.push(`| ${b.label} | ${b.compileS?.toFixed(1) ?? '-'} | ${check} | ${s ? s.median.toFixed(3) : '-'} | ` +
        `${s ? `${s.p25.toFixed(3)}-${s.p75.toFixed(3)}` : '-'} | ${s ? s.min.toFixed(3) : '-'} | ` +
        `${b !== tuned && s && tuned?.stats ? fmtRatio(ratio(s, tuned.stats)) : '-'} | ` +
        `${b !== tuned && s && tuned?.stats ? fmtRatio(pairedRatio(b, tuned, results.runs)) : '-'} | ` +
        `${[...(b.notes ?? []), ...(b === tuned && c.sameCode ? ['byte-identical to the template build'] : [])].join('; ').replaceAll('|', '/')} |`);
    }
    lines.push('');
    if (c.error) lines.push(`No comparison: ${c.error}.`);
    else
      lines.push(`Tuned against the template: ${c.tunedIsTemplate ? 'n/a, no shipped database for this device (the template is the tuned build)'
        : `${fmtRatio(c.vsTemplatePaired)} paired by round (${fmtRatio(c.vsTemplate)} of all runs), ${VERDICT_TEXT[c.vsTemplateReading]}`}; ` +
        `against the best correct autoscheduler (${c.bestAuto ?? 'none compiled and matched'}): ` +
        `${c.vsBestAuto ? `${fmtRatio(c.vsBestAutoPaired)} paired (${fmtRatio(c.vsBestAuto)} of all runs), ${VERDICT_TEXT[c.vsBestAutoReading]}` : '-'}.`);
    lines.push('');
  }
  return lines.join('\n');
}

// One table over the OUT.json files of DIR: model x device, both readings.
function summaryTable(dir) {
  const lines = ['| model | device, clock | tuned build | template / tuned, paired [p25-p75] | reading | best autoscheduler / tuned, paired [p25-p75] | ' +
    'reading | load (1 min) while timed | file |', '|---|---|---|---|---|---|---|---|---|'];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const r = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    for (const m of r.models ?? []) {
      const c = m.comparison ?? { error: 'no comparison recorded' };
      const dev = `${r.device}${r.device === 'native' ? ` ${r.threads}T` : ''}, ${r.clock}`;
      if (c.error) {
        lines.push(`| ${m.title} | ${dev} | - | - | ${c.error} | - | - | ${m.loadBefore} | ${file} |`);
        continue;
      }
      const auto = c.bestAuto ? `${fmtRatio(c.vsBestAutoPaired)} (${c.bestAuto.replace(/ \(.*/, '')})` : 'none matched';
      lines.push(`| ${m.title} | ${dev} | ${c.tunedIsTemplate ? 'template (no DB)' : c.sameCode ? 'DB, = template code' : 'DB'} | ` +
        `${c.tunedIsTemplate ? '-' : fmtRatio(c.vsTemplatePaired)} | ${c.vsTemplateReading} | ${auto} | ${c.vsBestAutoReading} | ` +
        `${m.loadBefore.split(' ')[0]} -> ${m.loadAfter.split(' ')[0]} | ${file} |`);
    }
  }
  return lines.join('\n');
}

const results = { ...provenance(kilnc), command: `node benchmarks/tuner/vs_autoschedulers.mjs ${process.argv.slice(2).join(' ')}`,
  device, threads, clock: args.clock, rounds: Number(args.rounds), runs: Number(args.runs), node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown CPU', cores: os.cpus().length, models: [] };
let browser = null;
try {
  const prepared = [];
  if (device === 'chromium' && chromiumMissing()) throw new Error(`--device chromium: ${chromiumMissing()}`);
  for (const key of args.models.split(',')) {
    const model = MODELS.find((m) => m.key === key);
    if (!model || !(model.onnx || model.tfjs)) throw new Error(`unknown model '${key}'`);
    const entry = { key, title: model.title, oracle: oracleName(model), buildLoad: load(), builds: buildsOf(model) };
    const t0 = performance.now();
    const oracleDir = oracle(model, path.join(work, key, 'oracle'));
    for (const b of entry.builds) {
      console.error(`${key}: building ${b.label} (load ${load()})`);
      await prepare(model, b, oracleDir);
      if (!b.sameAs)
        console.error(`  ${b.error ?? (b.check.ok ? 'outputs ok' : 'outputs WRONG')}${b.compileS ? `, ${b.compileS.toFixed(1)} s` : ''}`);
    }
    entry.buildS = (performance.now() - t0) / 1e3;
    prepared.push(entry);
  }
  if (args['wait-load']) {
    const limit = Number(args['wait-load']);
    const t0 = Date.now();
    while (os.loadavg()[0] >= limit && Date.now() - t0 < 300e3) await new Promise((r) => setTimeout(r, 5000));
    console.error(`waited ${((Date.now() - t0) / 1e3).toFixed(0)} s for the load to fall under ${limit}: ${load()}`);
  }
  if (device === 'chromium') {
    browser = await Browser.launch(buildPeakWasm(work));
    results.chromium = await browser.version();
  }
  for (const entry of prepared) {
    console.error(`${entry.key}: timing ${entry.builds.filter((b) => b.exe || b.wasm).length} builds (load ${load()})`);
    entry.started = new Date().toISOString();
    entry.loadBefore = load();
    await timeBuilds(entry.key, entry.builds, browser);
    entry.finished = new Date().toISOString();
    entry.loadAfter = load();
    entry.comparison = comparison(entry, results.runs);
    results.models.push(entry);
  }
} finally {
  await browser?.close();
  fs.rmSync(work, { recursive: true, force: true });
}
const md = markdown(results);
fs.writeFileSync(`${args.out}.md`, `${md}\n`);
fs.writeFileSync(`${args.out}.json`, `${JSON.stringify(results, (k, v) => (k === 'exe' ? undefined : v), 1)}\n`);
console.log(md);
