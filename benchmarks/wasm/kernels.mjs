#!/usr/bin/env node
// Where a WASM model's time goes, per kernel, on one thread in Node: the model
// compiled with its function names kept (KILN_WASM_NAMES=1, which only keeps
// the name section), run for --seconds under V8's sampling profiler
// (node:inspector), and each sample's function charged to the kernel it
// belongs to (NAME_kK and its closures NAME_kK_*); everything else is "host
// and runtime". FLOPs per kernel come from kilnc's schedules-phase IR
// (lib/flops.mjs countKernels, multiply-accumulates x2; calls map to
// functions by kernel hash in order of first call, as the host numbers them).
// The peak is benchmarks/wasm/peak_simd.c (f32x4 mul+add, or relaxed_madd
// with --relaxed), measured in the same process before and after.
//
//   node --experimental-wasm-relaxed-simd benchmarks/wasm/kernels.mjs
//        [--model mobilenetv2] [--relaxed] [--seconds 6] [--kilnc build/bin/kilnc] [--work DIR] [--dir BUILT]
//
// Sampling shares are statistical (a sample every 100 us) and a busy machine
// slows whole stretches, not single kernels: the shares are steadier than the
// absolute times, which are the shares of the fastest run measured alongside
// (the one least slowed by other load; the peak is a best too).

import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { kilnc, run as runTool } from '../lib/artifacts.mjs';
import { countKernels } from '../lib/flops.mjs';
import { makeData } from '../lib/inputs.mjs';
import { MODELS } from '../lib/models.mjs';
import { wasmPeak } from '../lib/wasm_peak.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function parseArgs(argv) {
  const o = { model: 'mobilenetv2', relaxed: false, seconds: 6, kilnc, work: null, dir: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model') o.model = argv[++i];
    else if (a === '--relaxed') o.relaxed = true;
    else if (a === '--seconds') o.seconds = Number(argv[++i]);
    else if (a === '--kilnc') o.kilnc = argv[++i];
    else if (a === '--work') o.work = argv[++i];
    else if (a === '--dir') o.dir = argv[++i];
    else throw new Error(`unknown argument '${a}'`);
  }
  return o;
}

function peakModule(work, relaxed) {
  const out = path.join(work, relaxed ? 'peak_relaxed.wasm' : 'peak_simd.wasm');
  runTool('clang-19', ['--target=wasm32', '-O2', '-msimd128', ...(relaxed ? ['-mrelaxed-simd', '-DKILN_RELAXED'] : []),
    '-nostdlib', '-Wl,--no-entry', path.join(here, 'peak_simd.c'), '-o', out]);
  return fs.readFileSync(out);
}

function post(session, method, params = {}) {
  return new Promise((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const model = MODELS.find((m) => m.key === o.model);
  if (!model) throw new Error(`unknown model '${o.model}'`);
  const work = o.work ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-wasm-kernels-'));
  const source = model.onnx ?? model.tfjs;
  const name = model.key;
  // --dir: a module already built (KILN_WASM_NAMES=1, --name=MODEL) from
  // other schedules, e.g. records edited in --compile-to=schedules IR.
  const dir = o.dir ?? path.join(work, `${name}${o.relaxed ? '-relaxed' : ''}`);
  process.env.KILN_WASM_NAMES = '1';
  if (!o.dir) runTool(o.kilnc, [source, '--target=wasm', '--no-fallback', `--name=${name}`, '-o', dir, ...(o.relaxed ? ['--relaxed-simd'] : [])]);
  const ir = runTool(o.kilnc, [source, '--target=wasm', '--compile-to=schedules']);
  const calls = countKernels(ir);
  // The pattern is in each kernel's schedule record (kiln.schedule<... pattern = conv ...>).
  const patternOf = new Map();
  for (const line of ir.split('\n')) {
    const m = /kiln\.kernel "([^"]+)".*kiln\.schedule<[^>]*pattern = (\w+)/.exec(line.length > 20000 ? '' : line);
    if (m) patternOf.set(m[1], m[2]);
  }
  for (const c of calls) c.pattern = patternOf.get(c.label) ?? c.pattern ?? '?';
  const fnOfHash = new Map();
  for (const c of calls) {
    if (!fnOfHash.has(c.hash)) fnOfHash.set(c.hash, fnOfHash.size);
    c.fn = fnOfHash.get(c.hash);
  }

  const loader = await import(pathToFileURL(path.join(dir, `${name}.mjs`)).href);
  const m = await loader.load(undefined, o.relaxed ? { relaxed: true } : {});
  if (o.relaxed && !m.backend.relaxed) throw new Error(`the relaxed module did not load: ${m.backend.reason} (run node with --experimental-wasm-relaxed-simd)`);
  const feeds = Object.fromEntries(m.inputs.map((t, i) => [t.name, makeData(t.dtype, [...t.shape], i + 1)]));
  const peakBytes = peakModule(work, o.relaxed);
  const peaks = [await wasmPeak(peakBytes, 10, 30)];
  for (let i = 0; i < 10; i++) m.run(feeds);

  const session = new inspector.Session();
  session.connect();
  await post(session, 'Profiler.enable');
  await post(session, 'Profiler.setSamplingInterval', { interval: 100 });
  await post(session, 'Profiler.start');
  const times = [];
  const end = performance.now() + o.seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    m.run(feeds);
    times.push(performance.now() - t0);
  }
  const { profile } = await post(session, 'Profiler.stop');
  session.disconnect();
  peaks.push(await wasmPeak(peakBytes, 10, 30));
  m.dispose();

  // Samples per function (self), charged to kernels.
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const hits = new Map();
  for (const id of profile.samples) {
    const fn = byNode.get(id).callFrame.functionName || '(anonymous)';
    hits.set(fn, (hits.get(fn) ?? 0) + 1);
  }
  const pattern = new RegExp(`^${name}_k(\\d+)(_|$)`);
  const perFn = new Map();
  let other = 0;
  let idle = 0;
  const otherNames = new Map();
  for (const [fn, n] of hits) {
    const k = pattern.exec(fn)?.[1];
    if (k !== undefined) perFn.set(Number(k), (perFn.get(Number(k)) ?? 0) + n);
    else if (fn === '(idle)' || fn === '(program)' || fn === '(garbage collector)') idle += n;
    else {
      other += n;
      otherNames.set(fn, n);
    }
  }
  const modelSamples = [...perFn.values()].reduce((a, b) => a + b, 0) + other;
  const sorted = [...times].sort((a, b) => a - b);
  const medianMs = sorted[sorted.length >> 1];
  const minMs = sorted[0];
  const peak = Math.max(...peaks);
  // A function's time shared by its calls in proportion to their FLOPs (equal
  // shapes in practice: a function is one kernel key).
  const rows = [];
  for (const [fn, n] of perFn) {
    const mine = calls.filter((c) => c.fn === fn);
    const flops = mine.reduce((a, c) => a + c.flops, 0);
    const ms = (n / modelSamples) * minMs;
    rows.push({ fn, calls: mine.length, label: mine[0]?.label ?? '?', pattern: mine[0]?.pattern ?? '?',
      output: mine[0]?.outputShapes?.[0]?.join('x') ?? '', mflop: flops / 1e6, ms, share: n / modelSamples,
      gflops: flops ? flops / ms / 1e6 : null });
  }
  rows.sort((a, b) => b.ms - a.ms);
  const totalFlops = calls.reduce((a, c) => a + c.flops, 0);
  const load = os.loadavg()[0].toFixed(1);
  const out = [];
  out.push(`${model.title}, ${o.relaxed ? 'relaxed SIMD module (f32x4.relaxed_madd)' : 'SIMD128 module'}, 1 thread, Node ${process.version}; ` +
    `${times.length} runs in ${o.seconds} s, median ${medianMs.toFixed(2)} ms (min ${sorted[0].toFixed(2)}); load average ${load}; ` +
    `${(totalFlops / 1e9).toFixed(3)} GFLOP, ${(totalFlops / minMs / 1e6).toFixed(1)} GFLOP/s in the fastest run (times below are its shares); ` +
    `peak ${peak.toFixed(1)} GFLOP/s (${o.relaxed ? 'relaxed_madd' : 'mul+add'}, best of ${peaks.map((p) => p.toFixed(1)).join(' / ')}); ` +
    `${profile.samples.length} samples, ${(100 * other / modelSamples).toFixed(1)}% outside kernels; ` +
    `${fnOfHash.size} kernel functions by hash, ${perFn.size} seen in samples.`, '');
  out.push('| fn | kernel (first call) | pattern | calls | output | MFLOP | ms | share | GFLOP/s | % of peak |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    out.push(`| k${r.fn} | ${r.label} | ${r.pattern} | ${r.calls} | ${r.output} | ${r.mflop.toFixed(1)} | ${r.ms.toFixed(3)} | ${(100 * r.share).toFixed(1)}% | ` +
      `${r.gflops ? r.gflops.toFixed(1) : '-'} | ${r.gflops ? `${(100 * r.gflops / peak).toFixed(0)}%` : '-'} |`);
  out.push(`| - | host and runtime | | | | | ${((other / modelSamples) * minMs).toFixed(3)} | ${(100 * other / modelSamples).toFixed(1)}% | | |`);
  // Per pattern.
  const byPattern = new Map();
  for (const r of rows) {
    const p = byPattern.get(r.pattern) ?? { ms: 0, mflop: 0, calls: 0 };
    p.ms += r.ms;
    p.mflop += r.mflop;
    p.calls += r.calls;
    byPattern.set(r.pattern, p);
  }
  out.push('', '| pattern | calls | ms | share | GFLOP/s | % of peak |', '|---|---|---|---|---|---|');
  for (const [p, v] of [...byPattern].sort((a, b) => b[1].ms - a[1].ms))
    out.push(`| ${p} | ${v.calls} | ${v.ms.toFixed(3)} | ${(100 * v.ms / minMs).toFixed(1)}% | ${v.mflop ? (v.mflop / v.ms).toFixed(1) : '-'} | ` +
      `${v.mflop ? `${(100 * v.mflop / v.ms / peak).toFixed(0)}%` : '-'} |`);
  const topOther = [...otherNames].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([f, n]) => `${f} ${(100 * n / modelSamples).toFixed(1)}%`);
  if (topOther.length) out.push('', `Outside kernels: ${topOther.join(', ')}.`);
  process.stdout.write(`${out.join('\n')}\n`);
  if (!o.work) fs.rmSync(work, { recursive: true, force: true });
}

main().catch((e) => {
  process.stderr.write(`kernels: ${e.stack ?? e}\n`);
  process.exit(1);
});
