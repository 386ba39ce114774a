// 1 vs N threads of a Kiln threaded WASM module in Node (kilnc --target=wasm
// --threads): both loaded side by side, then rounds that alternate which
// runs first, each setting running about --round-ms per round. Prints the
// median, p25-p75 and min of each, and the ratio 1 thread / N threads.
//
//   node benchmarks/wasm/threads.mjs DIR/NAME.mjs [DIR2/NAME.mjs ...] [--threads 2] [--rounds 10] [--round-ms 300] [--fixed]
//
// With several loaders (builds of one model from different commits, side by
// side), the first runs on 1 and N threads and the others on N threads only,
// all in the same rotating rounds; each N-thread setting's ratio is against
// the first's 1 thread (their single-threaded modules share no pool code).
//
// Each ratio is also given as the median over rounds of the ratio of the two
// settings' medians within the round (with --round-ms 1: one run of each),
// which a slowly changing load moves less than the ratio of the medians.
//
// A time is one whole run() as the caller sees it (input in, outputs out).
// Nothing here asserts a speed: the machine's load moves 2-thread times most.

import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const loaderPaths = args.filter((a) => a.endsWith('.mjs'));
const loaderPath = loaderPaths[0];
if (!loaderPath) {
  console.error('usage: node benchmarks/wasm/threads.mjs DIR/NAME.mjs [DIR2/NAME.mjs ...] [--threads 2] [--rounds 10] [--round-ms 300]');
  process.exit(2);
}
// --fixed: each N-thread setting also with {adaptive: false} (every loop
// shared with the workers, as before the loader's PoolChooser).
const fixed = args.includes('--fixed');
const threads = option('--threads', 2), rounds = option('--rounds', 10), roundMs = option('--round-ms', 300);

const loader = await import(pathToFileURL(path.resolve(loaderPath)).href);
const feeds = Object.fromEntries(loader.inputs.map((t) => {
  const n = t.shape.reduce((a, b) => a * b, 1);
  // Integer inputs (MoveNet's image is int32 0-255) get pixel-like values.
  if (t.dtype === 'float32') return [t.name, new Float32Array(n).map((_, i) => Math.sin(i * 0.37))];
  const Kind = { int32: Int32Array, uint8: Uint8Array, int8: Int8Array }[t.dtype];
  if (!Kind) throw new Error(`input '${t.name}': dtype ${t.dtype} is not handled here`);
  return [t.name, new Kind(n).map((_, i) => (i * 37) % 256)];
}));
const settings = [];
for (const [i, file] of loaderPaths.entries()) {
  const mod = i ? await import(pathToFileURL(path.resolve(file)).href) : loader;
  for (const n of i ? [threads] : [1, threads])
    for (const adaptive of n > 1 && fixed ? [true, false] : [true]) {
      const m = await mod.load(undefined, { threads: n, adaptive });
      if (n > 1 && m.backend.name !== 'threads') throw new Error(`${file}: ${n} threads unavailable: ${m.backend.reason}`);
      settings.push({ n, m, file, adaptive, samples: [] });
    }
}
// Warm-up: 3 runs and 0.5 s each.
for (const s of settings)
  for (let i = 0, t0 = performance.now(); i < 3 || performance.now() - t0 < 500; i++) s.m.run(feeds);
for (let r = 0; r < rounds; r++)
  for (const s of settings.map((_, i) => settings[(i + r) % settings.length])) {
    const first = s.samples.length;
    for (const t0 = performance.now(); performance.now() - t0 < roundMs;) {
      const t = performance.now();
      s.m.run(feeds);
      s.samples.push(performance.now() - t);
    }
    (s.rounds ??= []).push(s.samples.slice(first));
  }
const stat = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p25: q(0.25), p75: q(0.75), min: s[0], runs: s.length };
};
const [one, ...many] = settings.map((s) => ({ n: s.n, file: s.file, adaptive: s.adaptive, ...stat(s.samples) }));
const label = (s) => (loaderPaths.length > 1 ? path.relative('.', s.file) : path.basename(s.file, '.mjs')) + (s.adaptive ? '' : ' (adaptive: false)');
for (const s of [one, ...many])
  console.log(`${label(s)}: ${s.n} thread(s): median ${s.median.toFixed(3)} ms (p25-p75 ${s.p25.toFixed(3)}-${s.p75.toFixed(3)}, min ${s.min.toFixed(3)}, ${s.runs} runs)`);
// Per round, the ratio of the two settings' medians in it, and the median of
// those: the settings ran within one round of each other, so a load that
// changes slowly cancels (with --round-ms 1, one run of each per round).
const roundMedian = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const pairRatio = (a, b) => roundMedian(a.rounds.map((xs, r) => roundMedian(xs) / roundMedian(b.rounds[r])));
for (const [i, s] of many.entries())
  console.log(`${many.length > 1 ? `${label(s)}: ` : ''}ratio 1/${threads} threads: median ${(one.median / s.median).toFixed(2)}x, ` +
    `min ${(one.min / s.min).toFixed(2)}x, median of per-round ratios ${pairRatio(settings[0], settings[i + 1]).toFixed(2)}x`);
// Several builds: each later build's N-thread setting against the first's
// with the same `adaptive`, round by round.
for (const [i, s] of settings.entries())
  if (s.file !== loaderPath) {
    const base = settings.find((b) => b.file === loaderPath && b.n === s.n && b.adaptive === s.adaptive);
    console.log(`${label(s)}: ${threads} threads, first build / this one: median of per-round ratios ${pairRatio(base, s).toFixed(3)}x`);
  }
console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const s of settings) s.m.dispose();
