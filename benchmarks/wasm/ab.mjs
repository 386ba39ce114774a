#!/usr/bin/env node
// A/B of two Kiln WASM builds of one model, in one Node process: the two
// loaders (kilnc --target=wasm output directories, or their NAME.mjs files)
// are loaded side by side and run in alternating batches (A then B, B then A
// in the next batch, so that neither always runs right after the other),
// each batch timed by the process's CPU time (process.cpuUsage, user +
// system) and by wall time. On a shared, busy machine CPU time is the
// steadier measure: a descheduled stretch costs wall time, not CPU time.
// With --threads N (a --threads build) the CPU time is that of all the
// process's threads, the pool's workers included.
//
//   node benchmarks/wasm/ab.mjs A B [--batches 200] [--runs 5] [--warmup 20]
//        [--relaxed] [--threads N] [--tolerance 0]
//
// A and B: a directory with one NAME.mjs loader (or give the .mjs itself).
// Before timing, both builds run the same fixed pseudo-random inputs
// (lib/inputs.mjs) and their outputs are compared: bit for bit by default,
// or within --tolerance (max abs difference over the output's max abs
// value); a difference beyond it is an error (exit 1), since a faster build
// that computes something else is no result.
//
// Prints per-run medians (CPU and wall) of each build and the ratio A / B
// of the medians (> 1: B is faster); the paired view, which load moving
// during the run disturbs less: the median and interquartile range of the
// per-batch CPU ratios A_i / B_i, in how many batches B used less CPU, and
// the two-sided sign test's p (the chance of a split at least that uneven
// if neither build were faster); and the 1-minute load average at the start
// and the end. On a busy machine the ratio of medians alone has swung by
// several percent between repeats of one comparison (wasm_kernels.md): go
// by the paired ratio and p, and run a build against itself (A/A) to see
// the floor (benchmarks/README.md).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { cpuMs } from '../lib/clock.mjs';
import { makeData } from '../lib/inputs.mjs';

function usage(message) {
  process.stderr.write(`ab: ${message}\nusage: node benchmarks/wasm/ab.mjs A B [--batches N] [--runs R] [--warmup W] ` +
    '[--relaxed] [--threads N] [--tolerance T]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { builds: [], batches: 200, runs: 5, warmup: 20, relaxed: false, threads: null, tolerance: 0 };
  const number = (i, name, min) => {
    const v = Number(argv[i]);
    const whole = name !== '--tolerance';
    if (!Number.isFinite(v) || v < min || (whole && !Number.isInteger(v)))
      usage(`${name} needs ${whole ? 'a whole number' : 'a number'} >= ${min}, got '${argv[i] ?? ''}'`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--batches') o.batches = number(++i, a, 1);
    else if (a === '--runs') o.runs = number(++i, a, 1);
    else if (a === '--warmup') o.warmup = number(++i, a, 0);
    else if (a === '--threads') o.threads = number(++i, a, 1);
    else if (a === '--tolerance') o.tolerance = number(++i, a, 0);
    else if (a === '--relaxed') o.relaxed = true;
    else if (a.startsWith('--')) usage(`unknown option '${a}'`);
    else o.builds.push(a);
  }
  if (o.builds.length !== 2) usage(`needs two builds, got ${o.builds.length}`);
  return o;
}

// The loader of a build: the .mjs given, or the one .mjs in the directory
// that is not a worker.
function loaderOf(build) {
  if (!fs.existsSync(build)) usage(`'${build}' does not exist`);
  if (fs.statSync(build).isFile()) return path.resolve(build);
  const found = fs.readdirSync(build).filter((f) => f.endsWith('.mjs') && !f.includes('worker'));
  if (found.length !== 1) usage(`'${build}' has ${found.length} loaders (${found.join(', ')}): name the .mjs`);
  return path.resolve(build, found[0]);
}

async function open(build, o) {
  const file = loaderOf(build);
  const loader = await import(pathToFileURL(file).href);
  const options = {};
  if (o.relaxed) options.relaxed = true;
  if (o.threads !== null) options.threads = o.threads;
  const m = await loader.load(undefined, options);
  if (o.relaxed && !m.backend.relaxed)
    throw new Error(`${file}: the relaxed module did not load (${m.backend.reason}; node needs --experimental-wasm-relaxed-simd)`);
  return { file, m };
}

// Largest |a - b| over the largest |a|, per output; 0 when bit-identical.
function compare(a, b) {
  const diffs = {};
  for (const name of Object.keys(a)) {
    if (!(name in b)) throw new Error(`output '${name}' is missing from B`);
    const x = a[name];
    const y = b[name];
    if (x.length !== y.length) throw new Error(`output '${name}': ${x.length} elements in A, ${y.length} in B`);
    const bx = new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    const by = new Uint8Array(y.buffer, y.byteOffset, y.byteLength);
    if (bx.every((v, i) => v === by[i])) {
      diffs[name] = 0;
      continue;
    }
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < x.length; i++) {
      diff = Math.max(diff, Math.abs(Number(x[i]) - Number(y[i])));
      scale = Math.max(scale, Math.abs(Number(x[i])));
    }
    diffs[name] = Number.isNaN(diff) ? Infinity : diff / (scale || 1);
  }
  return diffs;
}

function median(values) {
  const s = [...values].sort((p, q) => p - q);
  const n = s.length;
  return n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

// Two-sided sign test: P(a split at least as uneven as k of n) under p = 1/2.
function signTest(k, n) {
  const tail = Math.min(k, n - k);
  let logC = 0; // log C(n, 0)
  let sum = 0;
  for (let i = 0; i <= tail; i++) {
    sum += Math.exp(logC - n * Math.LN2);
    logC += Math.log(n - i) - Math.log(i + 1);
  }
  return Math.min(1, 2 * sum);
}

function batch(m, feeds, runs) {
  const cpu0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) m.run(feeds);
  const wall = performance.now() - t0;
  return { cpu: (cpuMs() - cpu0) / runs, wall: wall / runs };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const loadStart = os.loadavg()[0];
  const [A, B] = [await open(o.builds[0], o), await open(o.builds[1], o)];
  const inputs = A.m.inputs.map((t) => `${t.name}:${t.dtype}[${t.shape}]`).join(' ');
  const inputsB = B.m.inputs.map((t) => `${t.name}:${t.dtype}[${t.shape}]`).join(' ');
  if (inputs !== inputsB) throw new Error(`the builds take different inputs: A ${inputs}, B ${inputsB}`);
  const feeds = Object.fromEntries(A.m.inputs.map((t, i) => [t.name, makeData(t.dtype, [...t.shape], i + 1)]));

  const diffs = compare(A.m.run(feeds), B.m.run(feeds));
  const worst = Math.max(...Object.values(diffs));
  const agreement = worst === 0 ? 'bit-identical outputs'
    : `outputs differ: ${Object.entries(diffs).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ')} (max abs diff / max abs)`;
  if (worst > o.tolerance) throw new Error(`${agreement}, over --tolerance ${o.tolerance}`);

  for (let i = 0; i < o.warmup; i++) {
    A.m.run(feeds);
    B.m.run(feeds);
  }
  const samples = { A: [], B: [] };
  let bFaster = 0;
  for (let i = 0; i < o.batches; i++) {
    const order = i % 2 ? ['B', 'A'] : ['A', 'B'];
    const got = {};
    for (const k of order) got[k] = batch(k === 'A' ? A.m : B.m, feeds, o.runs);
    samples.A.push(got.A);
    samples.B.push(got.B);
    if (got.B.cpu < got.A.cpu) bFaster++;
  }
  const loadEnd = os.loadavg()[0];
  const stat = (k, f) => median(samples[k].map((s) => s[f]));
  const ratios = samples.A.map((a, i) => a.cpu / samples.B[i].cpu).sort((p, q) => p - q);
  const quartile = (q) => ratios[Math.min(ratios.length - 1, Math.floor(q * ratios.length))];
  const lines = [
    `A ${A.file}`,
    `B ${B.file}`,
    `${o.batches} batches of ${o.runs} runs each, alternating; ${agreement}; backend A ${A.m.backend.name}, B ${B.m.backend.name}` +
      `${o.relaxed ? ', relaxed' : ''}${o.threads !== null ? `, threads ${o.threads}` : ''}; Node ${process.version}`,
    `CPU median per run: A ${stat('A', 'cpu').toFixed(3)} ms, B ${stat('B', 'cpu').toFixed(3)} ms, ` +
      `A/B ${(stat('A', 'cpu') / stat('B', 'cpu')).toFixed(3)}x`,
    `paired CPU ratio A_i/B_i: median ${median(ratios).toFixed(3)}x (IQR ${quartile(0.25).toFixed(3)}-` +
      `${quartile(0.75).toFixed(3)}); B faster in ${bFaster} of ${o.batches} batches, sign test p ` +
      `${signTest(bFaster, o.batches).toPrecision(2)}`,
    `wall median per run: A ${stat('A', 'wall').toFixed(3)} ms, B ${stat('B', 'wall').toFixed(3)} ms, ` +
      `A/B ${(stat('A', 'wall') / stat('B', 'wall')).toFixed(3)}x`,
    `load average (1 min): ${loadStart.toFixed(2)} at the start, ${loadEnd.toFixed(2)} at the end`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  A.m.dispose();
  B.m.dispose();
}

main().catch((e) => {
  process.stderr.write(`ab: ${e.message ?? e}\n`);
  process.exit(1);
});
