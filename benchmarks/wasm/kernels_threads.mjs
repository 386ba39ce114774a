#!/usr/bin/env node
// Where a threaded WASM model's time goes on 1 and N threads, per kernel, as
// the calling thread sees it (issue 18): the model built with --threads and
// its function names (KILN_WASM_NAMES=1), loaded twice (threads: 1, the plain
// SIMD module; threads: N with {adaptive: false}, every loop shared), and
// profiled with V8's sampling profiler in alternating slices of --slice-ms,
// each slice one setting, so that load changes hit both alike.
//
//   node benchmarks/wasm/kernels_threads.mjs [--model mobilenetv2] [--threads 2] [--seconds 12] [--slice-ms 400] [--dir BUILT]
//
// The profiler samples the calling thread only (workers are other isolates):
// a kernel's N-thread time is its share of the caller's samples, split into
// the caller's own iterations and serial code ("work") and the time it spends
// in halide_do_par_for's wait for the workers' last iterations ("wait": the
// shim's spin and wait32; a worker descheduled by other load shows here).
// Samples are charged to the innermost NAME_kK frame above them; ms are the
// shares of each setting's median run. Serial kernels (parallel = [] in their
// record) cannot gain; a parallel kernel at 2 threads should take half.

import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { kilnc, run as runTool } from '../lib/artifacts.mjs';
import { makeData } from '../lib/inputs.mjs';
import { MODELS } from '../lib/models.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const key = opt('--model', 'mobilenetv2');
const threads = Number(opt('--threads', 2));
const seconds = Number(opt('--seconds', 12));
const sliceMs = Number(opt('--slice-ms', 400));
const model = MODELS.find((m) => m.key === key);
if (!model) throw new Error(`unknown model '${key}'`);
const source = model.onnx ?? model.tfjs;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-kernels-threads-'));
const dir = opt('--dir', path.join(work, key));
process.env.KILN_WASM_NAMES = '1';
if (!args.includes('--dir'))
  runTool(kilnc, [source, '--target=wasm', '--threads', '--no-fallback', `--name=${key}`, '-o', dir]);

// Each kernel's record: whether its loop is parallel, and its pattern; by
// label, in call order (the host numbers kernel functions by hash).
const ir = runTool(kilnc, [source, '--target=wasm', '--compile-to=schedules']);
const calls = [];
for (const line of ir.split('\n')) {
  const m = /kiln\.kernel "([^"]+)".*kiln\.schedule<[^>]*pattern = (\w+)[^>]*parallel = \[([^\]]*)\][^>]*order = (\w+)/.exec(
    line.length > 20000 ? '' : line);
  const hash = /hash = "([0-9a-f]+)"/.exec(line.length > 20000 ? '' : line);
  if (m) calls.push({ label: m[1], pattern: m[2], parallel: m[3] !== '' || m[4] === 'channel_major', hash: hash?.[1] ?? m[1] });
}
const fnOfHash = new Map();
for (const c of calls) {
  if (!fnOfHash.has(c.hash)) fnOfHash.set(c.hash, fnOfHash.size);
  c.fn = fnOfHash.get(c.hash);
}

const loader = await import(pathToFileURL(path.join(dir, `${key}.mjs`)).href);
const settings = [
  { n: 1, m: await loader.load(undefined, { threads: 1 }) },
  { n: threads, m: await loader.load(undefined, { threads, adaptive: false }) },
];
if (settings[1].m.backend.name !== 'threads') throw new Error(`${threads} threads unavailable: ${settings[1].m.backend.reason}`);
const feeds = Object.fromEntries(loader.inputs.map((t, i) => [t.name, makeData(t.dtype, [...t.shape], i + 1)]));
for (const s of settings) {
  s.times = [];
  s.hits = new Map(); // "k<fn>|work" or "k<fn>|wait" or "other|<name>" -> samples
  s.samples = 0;
  for (let i = 0; i < 10; i++) s.m.run(feeds);
}

const session = new inspector.Session();
session.connect();
const post = (method, params = {}) =>
  new Promise((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
await post('Profiler.enable');
await post('Profiler.setSamplingInterval', { interval: 100 });
const kernelName = new RegExp(`^${key}_k(\\d+)(_|$)`);
const waitNames = new Set(['halide_do_par_for', 'work']);
for (let slice = 0, end = performance.now() + seconds * 1000; performance.now() < end; slice++) {
  const s = settings[slice % 2];
  await post('Profiler.start');
  for (const t0 = performance.now(); performance.now() - t0 < sliceMs;) {
    const t = performance.now();
    s.m.run(feeds);
    s.times.push(performance.now() - t);
  }
  const { profile } = await post('Profiler.stop');
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const charge = new Map(); // node id -> key, memoised
  for (const id of profile.samples) {
    let k = charge.get(id);
    if (k === undefined) {
      const leaf = byId.get(id).callFrame.functionName || '(anonymous)';
      k = `other|${leaf}`;
      if (leaf === '(idle)' || leaf === '(program)' || leaf === '(garbage collector)') k = `idle|${leaf}`;
      for (let p = id; p !== undefined; p = parent.get(p)) {
        const kk = kernelName.exec(byId.get(p).callFrame.functionName)?.[1];
        if (kk !== undefined) {
          k = `k${kk}|${waitNames.has(leaf) ? 'wait' : 'work'}`;
          break;
        }
      }
      charge.set(id, k);
    }
    if (k.startsWith('idle|')) continue;
    s.hits.set(k, (s.hits.get(k) ?? 0) + 1);
    s.samples++;
  }
}
session.disconnect();

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const s of settings) s.median = median(s.times);
const [one, many] = settings;
const ms = (s, k) => ((s.hits.get(k) ?? 0) / s.samples) * s.median;
const rows = [];
for (const fn of fnOfHash.values()) {
  const mine = calls.filter((c) => c.fn === fn);
  const r = { fn, label: mine[0].label, pattern: mine[0].pattern, calls: mine.length, parallel: mine[0].parallel,
    one: ms(one, `k${fn}|work`) + ms(one, `k${fn}|wait`), work: ms(many, `k${fn}|work`), wait: ms(many, `k${fn}|wait`) };
  if (r.one + r.work + r.wait > 0) rows.push(r);
}
rows.sort((a, b) => b.one - a.one);
const otherMs = (s) => [...s.hits].filter(([k]) => k.startsWith('other|')).reduce((a, [, n]) => a + n, 0) / s.samples * s.median;
const out = [];
out.push(`${model.title}, 1 vs ${threads} threads (adaptive: false), SIMD128, Node ${process.version}; slices of ${sliceMs} ms alternating for ${seconds} s; ` +
  `median run ${one.median.toFixed(2)} ms (${one.times.length} runs) vs ${many.median.toFixed(2)} ms (${many.times.length} runs), ` +
  `${(one.median / many.median).toFixed(2)}x; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}.`, '');
out.push(`| fn | kernel (first call) | pattern | calls | parallel | 1T ms | ${threads}T ms | of which wait | 1T/${threads}T |`, '|---|---|---|---|---|---|---|---|---|');
for (const r of rows)
  out.push(`| k${r.fn} | ${r.label} | ${r.pattern} | ${r.calls} | ${r.parallel ? 'yes' : 'no'} | ${r.one.toFixed(3)} | ${(r.work + r.wait).toFixed(3)} | ` +
    `${r.wait.toFixed(3)} | ${r.work + r.wait > 0 ? (r.one / (r.work + r.wait)).toFixed(2) : '-'} |`);
out.push(`| - | host and runtime | | | | ${otherMs(one).toFixed(3)} | ${otherMs(many).toFixed(3)} | | |`);
const sum = (f) => rows.reduce((a, r) => a + f(r), 0);
const serial1 = sum((r) => (r.parallel ? 0 : r.one)), serialN = sum((r) => (r.parallel ? 0 : r.work + r.wait));
const par1 = sum((r) => (r.parallel ? r.one : 0)), parWork = sum((r) => (r.parallel ? r.work : 0)), parWait = sum((r) => (r.parallel ? r.wait : 0));
out.push('', `| part | 1T ms | ${threads}T ms | share of ${threads}T |`, '|---|---|---|---|');
out.push(`| serial kernels | ${serial1.toFixed(2)} | ${serialN.toFixed(2)} | ${(100 * serialN / many.median).toFixed(1)}% |`);
out.push(`| parallel kernels, caller's work | ${par1.toFixed(2)} | ${parWork.toFixed(2)} | ${(100 * parWork / many.median).toFixed(1)}% |`);
out.push(`| parallel kernels, waiting for workers | - | ${parWait.toFixed(2)} | ${(100 * parWait / many.median).toFixed(1)}% |`);
out.push(`| host, runtime, JS | ${otherMs(one).toFixed(2)} | ${otherMs(many).toFixed(2)} | ${(100 * otherMs(many) / many.median).toFixed(1)}% |`);
process.stdout.write(`${out.join('\n')}\n`);
for (const s of settings) s.m.dispose();
fs.rmSync(work, { recursive: true, force: true });
