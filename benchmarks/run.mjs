#!/usr/bin/env node
// Kiln side by side with ONNX Runtime (native and WASM) and TensorFlow.js
// (WASM, in Node and in Chromium), on the same models in one run (issue 8).
//
//   node benchmarks/run.mjs [--smoke] [--models a,b] [--out DIR] [--rounds N]
//        [--round-ms MS] [--kernels a,b|none] [--no-callgrind] [--no-browser]
//        [--keep-work] [--no-vulkan] [--no-threads] [--no-tuned]
//
// Per model: compiles Kiln's CPU and WASM artifacts (timed), starts every
// contender in its own process (or the one Chromium page), warms each up,
// then runs them in alternating rounds (the order rotates every round), so
// that a load spike from elsewhere on the machine hits all of them alike.
// Writes DIR/results.json, DIR/results.md and DIR/ratios.{svg,png}; then,
// unless --no-vulkan, runs benchmarks/vulkan/run.mjs (Kiln's SPIR-V against
// WebGPU, DIR/vulkan.{json,md}) with the same --smoke, --models and --out;
// and unless --no-threads, benchmarks/wasm/threads_peers.mjs (WASM on 2
// threads against ORT-web's and TF.js's, DIR/threads.{json,md}). Unless
// --no-tuned, each model with a shipped tuning database (tuning/) is also
// built from it and timed beside its untuned build and the peer
// (lib/tuned.mjs, DIR/tuned.md; issue 20).
// Nothing here asserts a speed: --smoke (one run of each, one model) checks
// only that every part still works, and exits non-zero when one does not.
//
// Exit status: 0 all measured (skips are fine), 1 a model or contender
// failed, 2 bad usage.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { UsageError, repoRoot, runMain, parseArgs } from '../test/e2e/common.mjs';
import { buildPeakNative, buildPeakWasm, kilnc } from './lib/artifacts.mjs';
import { benchmarkModel } from './lib/bench.mjs';
import { Browser, chromiumMissing } from './lib/browser.mjs';
import { writeChart } from './lib/chart.mjs';
import { KERNEL_MODELS, MODELS, SMOKE_MODELS } from './lib/models.mjs';
import { provenance } from './lib/provenance.mjs';
import { finalize, writeMarkdown } from './lib/report.mjs';
import { benchmarkTuned, tunedMarkdown } from './lib/tuned.mjs';
import { wasmPeak } from './lib/wasm_peak.mjs';

const USAGE = `usage: node benchmarks/run.mjs [--smoke] [--models ${MODELS.map((m) => m.key).join(',')}]
       [--out DIR] [--rounds N] [--round-ms MS] [--kernels KEYS|none] [--no-callgrind]
       [--no-browser] [--keep-work] [--no-vulkan] [--no-threads] [--no-tuned]
       node benchmarks/run.mjs --render DIR   (results.md and the chart again from DIR/results.json)
  --smoke         one run of each contender on ${SMOKE_MODELS.join(',')}: checks that the benchmark works
  --out           where results.{json,md} and ratios.{svg,png} go
                  (default benchmarks/results; with --smoke, build/bench-smoke)
  --rounds        alternating rounds (default 10)
  --round-ms      time per contender per round (default 300)
  --kernels       models of the per-kernel breakdown (default ${KERNEL_MODELS.join(',')}; smoke: its model)
  --no-callgrind  skip callgrind's instruction counts in the breakdown
  --no-browser    skip Chromium
  --keep-work     keep the compiled artifacts (their directory is printed)
  --no-vulkan     skip benchmarks/vulkan/run.mjs (Kiln's SPIR-V against WebGPU)
  --no-threads    skip benchmarks/wasm/threads_peers.mjs (WASM on 2 threads against the peers)
  --no-tuned      skip the tuned columns (Kiln built from tuning/MODEL.*.jsonl beside its untuned build; never in --smoke)
  --render        measure nothing: rewrite DIR/results.md and DIR/ratios.* from DIR/results.json`;

const FLAGS = { '--render': 'string', '--models': 'string', '--out': 'string', '--rounds': 'int', '--round-ms': 'float',
  '--kernels': 'string', '--smoke': 'bool', '--no-callgrind': 'bool', '--no-browser': 'bool', '--keep-work': 'bool',
  '--no-vulkan': 'bool', '--no-threads': 'bool', '--no-tuned': 'bool' };

// parseArgs (test/e2e/common.mjs) takes valued flags only: booleans are
// taken out here first.
function parseFlags(argv) {
  const bools = {};
  const rest = [];
  for (const [i, a] of argv.entries()) {
    const previous = argv[i - 1];
    if (!a.startsWith('--') && !(previous && FLAGS[previous] && FLAGS[previous] !== 'bool'))
      throw new UsageError(`unexpected argument '${a}' (see --help)`);
    if (FLAGS[a] === 'bool') bools[a.slice(2)] = true;
    else if (FLAGS[a.split('=')[0]] === 'bool') throw new UsageError(`${a.split('=')[0]} takes no value`);
    else rest.push(a);
  }
  const spec = Object.fromEntries(Object.entries(FLAGS).filter(([, k]) => k !== 'bool'));
  return { ...parseArgs(rest, spec, []), ...bools };
}

function keys(text, what) {
  const known = new Set(MODELS.map((m) => m.key));
  const list = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const k of list) if (!known.has(k)) throw new UsageError(`unknown ${what} '${k}' (known: ${[...known].join(', ')})`);
  return list;
}

function machine() {
  const cpus = os.cpus();
  const p = provenance(kilnc);
  // (the report prints `commit`: it says when the compiler's sources differed from it)
  const commit = p.commit && p.dirty.length ? `${p.commit} (with uncommitted changes to the compiler's sources)` : p.commit;
  return { cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGiB: os.totalmem() / 2 ** 30,
    node: process.version, ...p, commit, loadAverageStart: os.loadavg() };
}

// Peaks are capabilities: load elsewhere only ever lowers a measurement, so
// each is the best of many short trials, taken again between models.
async function measurePeaks(peaks, tools, browser, smoke) {
  const ms = 10;
  const trials = smoke ? 5 : 30;
  for (const threads of [1, 2]) {
    const out = execFileSync(tools.native, ['--threads', String(threads), '--ms', String(ms), '--trials', String(trials)],
      { encoding: 'utf8' });
    const [, gflops, isa] = out.trim().split(/\s+/);
    peaks.native[threads] = Math.max(peaks.native[threads] ?? 0, Number(gflops));
    peaks.isa = isa;
  }
  peaks.wasmNode = Math.max(peaks.wasmNode ?? 0, await wasmPeak(fs.readFileSync(tools.wasm), ms, trials));
  if (browser) peaks.wasmChromium = Math.max(peaks.wasmChromium ?? 0, await browser.peak(ms, trials));
}

// Writes results.md and the chart of `results` into `out`; returns the chart's {files, note}.
async function writeReport(results, out, withBrowser) {
  fs.mkdirSync(out, { recursive: true });
  const chart = await writeChart(results, out, withBrowser);
  fs.writeFileSync(path.join(out, 'results.md'), writeMarkdown(results, chart));
  return chart;
}

async function main(argv) {
  const args = parseFlags(argv);
  if (args.render) {
    const file = path.join(args.render, 'results.json');
    if (!fs.existsSync(file)) throw new UsageError(`${file}: no such file`);
    const results = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (results.format !== 'kiln-bench-v1') throw new UsageError(`${file}: not a kiln-bench-v1 results file`);
    finalize(results);
    const chart = await writeReport(results, args.render, !chromiumMissing());
    console.log(`wrote ${path.join(args.render, 'results.md')} and ${chart.files.map((f) => path.basename(f)).join(', ')}`);
    return;
  }
  const smoke = Boolean(args.smoke);
  const selected = args.models ? keys(args.models, 'model') : smoke ? SMOKE_MODELS : MODELS.map((m) => m.key);
  const options = {
    smoke,
    rounds: args.rounds ?? (smoke ? 1 : 10),
    roundMs: args['round-ms'] ?? 300,
    warmupMs: smoke ? 0 : 500,
    kernelModels: args.kernels === 'none' ? [] : args.kernels ? keys(args.kernels, 'model') : smoke ? selected : KERNEL_MODELS,
    kernelRuns: smoke ? 2 : 30,
    callgrind: !args['no-callgrind'],
  };
  if (options.rounds < 1 || !(options.roundMs > 0)) throw new UsageError('--rounds and --round-ms must be positive');
  if (!fs.existsSync(kilnc)) throw new UsageError(`${kilnc} is missing: build it (scripts/bench.sh builds, then runs this)`);
  const out = path.resolve(args.out ?? (smoke ? path.join(repoRoot, 'build/bench-smoke') : path.join(repoRoot, 'benchmarks/results')));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-bench-'));
  const log = (text) => console.log(text);
  const started = Date.now();

  const results = { format: 'kiln-bench-v1', date: new Date().toISOString(), mode: smoke ? 'smoke' : 'full',
    command: `node benchmarks/run.mjs ${argv.join(' ')}`.trim(), machine: machine(), options,
    peaks: { native: {}, isa: null, wasmNode: null, wasmChromium: null }, browser: null, models: [] };
  let browser = null;
  try {
    const tools = { native: buildPeakNative(workDir), wasm: buildPeakWasm(workDir) };
    const missing = args['no-browser'] ? 'not run (--no-browser)' : chromiumMissing();
    if (missing) {
      results.browser = { skipped: missing };
      log(`Chromium: skipped: ${missing}`);
    } else {
      try {
        browser = await Browser.launch(tools.wasm);
        results.browser = { version: await browser.version() };
      } catch (e) {
        results.browser = { error: `Chromium did not start: ${e.message.split('\n')[0]}` };
        log(results.browser.error);
      }
    }
    await measurePeaks(results.peaks, tools, browser, smoke);
    log(`peaks: native ${results.peaks.native[1].toFixed(1)} / ${results.peaks.native[2].toFixed(1)} GFLOP/s ` +
      `(1 / 2 threads, ${results.peaks.isa}), WASM ${results.peaks.wasmNode.toFixed(1)} GFLOP/s in Node`);
    for (const key of selected) {
      const model = MODELS.find((m) => m.key === key);
      log(`${model.title}:`);
      const r = await benchmarkModel(model, { workDir, browser, options, peaks: results.peaks, log });
      results.models.push(r);
      // Not in --smoke: two more compiles and contenders per row cost about
      // 110 s at load 10, over the suite's budget; the full run has them.
      if (!r.skipped && !smoke && !args['no-tuned']) {
        r.tuned = await benchmarkTuned(model, { workDir, options, log, browser });
        r.errors.push(...r.tuned.filter((t) => t.error && !/applied no record|not timed/.test(t.error))
          .map((t) => `tuned ${t.db}: ${t.error}`));
      }
      if (r.skipped) log(`  skipped: ${r.skipped}`);
      for (const e of r.errors) log(`  error: ${e}`);
      await measurePeaks(results.peaks, tools, browser, smoke);
    }
  } finally {
    await browser?.close();
    if (args['keep-work']) log(`artifacts kept in ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  }
  results.machine.loadAverageEnd = os.loadavg();
  results.seconds = (Date.now() - started) / 1e3;
  finalize(results);

  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  const chart = await writeReport(results, out, Boolean(results.browser.version));
  if (results.models.some((m) => m.tuned?.length)) fs.writeFileSync(path.join(out, 'tuned.md'), tunedMarkdown(results));
  const shown = path.relative(process.cwd(), out) || '.';
  log(`wrote ${shown}/results.{json,md} and ${chart.files.map((f) => path.join(shown, path.basename(f))).join(', ')} ` +
    `in ${results.seconds.toFixed(0)} s`);

  const failures = results.models.flatMap((m) => m.errors.map((e) => `${m.key}: ${e}`));
  if (results.browser.error) failures.push(results.browser.error);
  if (smoke) failures.push(...smokeChecks(results, chart));
  if (!args['no-vulkan']) {
    // Its own process and report (vulkan.{json,md}); its errors are ours.
    const vkArgs = [path.join(repoRoot, 'benchmarks/vulkan/run.mjs'), '--out', out, ...(smoke ? ['--smoke'] : []),
      ...(args.models ? ['--models', args.models] : []), ...(args['no-browser'] ? ['--no-browser'] : [])];
    log('Vulkan (benchmarks/vulkan/run.mjs):');
    if (spawnSync(process.execPath, vkArgs, { stdio: 'inherit' }).status !== 0) failures.push('benchmarks/vulkan/run.mjs failed');
  }
  if (!args['no-threads']) {
    // The 2-thread rows, likewise: threads.{json,md} beside results.json.
    const thArgs = [path.join(repoRoot, 'benchmarks/wasm/threads_peers.mjs'), '--out', out, ...(smoke ? ['--smoke'] : []),
      ...(args['no-browser'] ? ['--no-browser'] : [])];
    log('2 threads (benchmarks/wasm/threads_peers.mjs):');
    if (spawnSync(process.execPath, thArgs, { stdio: 'inherit' }).status !== 0) failures.push('benchmarks/wasm/threads_peers.mjs failed');
  }
  if (failures.length) {
    for (const f of failures) console.error(`bench: error: ${f}`);
    process.exit(1);
  }
}

// What --smoke requires beyond "no errors": every contender that could run
// did, FLOPs were counted, and the chart exists. Skips must say why.
function smokeChecks(results, chart) {
  const problems = [];
  for (const m of results.models) {
    if (m.skipped) continue;
    if (!m.contenders['kiln-native-1t'] || !m.contenders['kiln-wasm-node']) problems.push(`${m.key}: Kiln did not run`);
    if (!(m.flops.used > 0)) problems.push(`${m.key}: no FLOP count`);
    if (!m.comparisons.length) problems.push(`${m.key}: no peer was compared`);
    if (results.options.kernelModels.includes(m.key) && !m.kernels?.rows?.length) problems.push(`${m.key}: no kernel table`);
  }
  if (!results.models.some((m) => !m.skipped)) problems.push('every model was skipped');
  if (!(results.peaks.native[1] > 0) || !(results.peaks.wasmNode > 0)) problems.push('a peak was not measured');
  if (!chart.files.some((f) => f.endsWith('.svg'))) problems.push('no chart was written');
  return problems;
}

runMain('bench', USAGE, main);
