#!/usr/bin/env node
// Where a threaded WASM model's time goes on 1 and N threads, per kernel, as
// the calling thread sees it (issue 18): the model built with --threads and
// its function names (KILN_WASM_NAMES=1), loaded twice (threads: 1, the plain
// SIMD module; threads: N with {adaptive: false}, every loop shared), and
// profiled with V8's sampling profiler in alternating slices of --slice-ms,
// each slice one setting, so that load changes hit both alike.
//
//   node benchmarks/wasm/kernels_threads.mjs [--model mobilenetv2] [--threads 2] [--seconds 12] [--slice-ms 400]
//        [--dir BUILT [--source MODEL_OR_IR]] [--workers]
//
// The caller's profile: a kernel's N-thread time is the caller's samples in
// it, split into its own iterations and serial code ("work") and the time it
// spends in halide_do_par_for's wait for the workers' last iterations
// ("wait": the shim's claims, spin and wait32; a worker descheduled by other
// load shows here). --workers also profiles each worker (another isolate,
// through the inspector's NodeWorker domain) in the N-thread slices: its
// time in each kernel's iterations, spinning for the next loop, asleep. So
// a parallel kernel's caller + worker time against its 1-thread time says
// whether its iterations got slower when two threads run them (memory,
// shared caches), and caller wait says how long the caller waited.
// Samples are charged to the innermost NAME_kK frame above them; ms are per
// run (sampled time in all of a setting's slices / its runs, so means).
// Serial kernels (parallel = [] in their record) cannot gain; a parallel
// kernel at 2 threads should take half.

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
const profileWorkers = args.includes('--workers');
const model = MODELS.find((m) => m.key === key);
if (!model) throw new Error(`unknown model '${key}'`);
// --source: the model (or kilnc IR, e.g. records edited at --compile-to=schedules) that --dir was built from.
const source = opt('--source', model.onnx ?? model.tfjs);
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
  s.runs = 0;
  s.ms = new Map(); // "k<fn>|work", "k<fn>|wait", "k<fn>|worker", "worker|<leaf>", "other|<leaf>" -> ms in all
  for (let i = 0; i < 10; i++) s.m.run(feeds);
}

const session = new inspector.Session();
session.connect();
const post = (method, params = {}) =>
  new Promise((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
await post('Profiler.enable');
await post('Profiler.setSamplingInterval', { interval: 100 });

// The workers' own profiles (--workers): each worker is another isolate,
// reached through the inspector's NodeWorker domain; V8 serves its Profiler
// commands between the worker's wasm instructions (an interrupt), so they
// work while it spins or runs iterations inside kiln_worker_loop.
const workerSessions = [];
const pendingReplies = new Map();
let nextId = 1;
const postToWorker = (sessionId, method, params = {}) =>
  new Promise((resolve, reject) => {
    const id = nextId++;
    pendingReplies.set(id, (reply) => (reply.error ? reject(new Error(reply.error.message)) : resolve(reply.result)));
    session.post('NodeWorker.sendMessageToWorker', { sessionId, message: JSON.stringify({ id, method, params }) });
  });
if (profileWorkers) {
  session.on('NodeWorker.attachedToWorker', (m) => workerSessions.push(m.params.sessionId));
  session.on('NodeWorker.receivedMessageFromWorker', (m) => {
    const reply = JSON.parse(m.params.message);
    pendingReplies.get(reply.id)?.(reply);
    pendingReplies.delete(reply.id);
  });
  await post('NodeWorker.enable', { waitForDebuggerOnStart: false });
  for (let waited = 0; workerSessions.length < threads - 1; waited++) {
    if (waited > 200) throw new Error(`attached to ${workerSessions.length} of ${threads - 1} workers`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  for (const id of workerSessions) {
    await postToWorker(id, 'Profiler.enable');
    await postToWorker(id, 'Profiler.setSamplingInterval', { interval: 100 });
  }
}

// Charges a profile's samples to keys (classify(leaf name, kernel fn or
// undefined) -> key, or null to drop); returns key -> ms, from the samples'
// own time deltas.
function chargeProfile(profile, classify) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map(); // node id -> key
  const ms = new Map();
  profile.samples.forEach((id, i) => {
    let k = memo.get(id);
    if (k === undefined) {
      const leaf = byId.get(id).callFrame.functionName || '(anonymous)';
      let fn;
      for (let p = id; p !== undefined && fn === undefined; p = parent.get(p))
        fn = kernelName.exec(byId.get(p).callFrame.functionName)?.[1];
      k = classify(leaf, fn);
      memo.set(id, k);
    }
    if (k !== null) ms.set(k, (ms.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return ms;
}
const idleLeaf = (leaf) => leaf === '(idle)' || leaf === '(program)' || leaf === '(garbage collector)';
const callerKey = (leaf, fn) =>
  fn !== undefined ? `k${fn}|${waitNames.has(leaf) ? 'wait' : 'work'}` : idleLeaf(leaf) ? null : `other|${leaf}`;
// A worker's time: iterations of kernel fn, or spinning for the next loop
// (kiln_worker_loop, and claims in `work` that found none), or asleep in
// wait32 (the profiler sees an idle thread).
const workerKey = (leaf, fn) =>
  fn !== undefined ? `k${fn}|worker` : idleLeaf(leaf) ? 'worker|asleep' : `worker|${leaf}`;

const kernelName = new RegExp(`^${key}_k(\\d+)(_|$)`);
const waitNames = new Set(['halide_do_par_for', 'work']);
for (let slice = 0, end = performance.now() + seconds * 1000; performance.now() < end; slice++) {
  const s = settings[slice % 2];
  const withWorkers = profileWorkers && s.n > 1;
  await post('Profiler.start');
  if (withWorkers) for (const id of workerSessions) await postToWorker(id, 'Profiler.start');
  const before = s.times.length;
  for (const t0 = performance.now(); performance.now() - t0 < sliceMs;) {
    const t = performance.now();
    s.m.run(feeds);
    s.times.push(performance.now() - t);
  }
  const runs = s.times.length - before;
  s.runs += runs;
  const { profile } = await post('Profiler.stop');
  for (const [k, ms] of chargeProfile(profile, callerKey)) s.ms.set(k, (s.ms.get(k) ?? 0) + ms);
  if (withWorkers)
    for (const id of workerSessions) {
      const { profile: wp } = await postToWorker(id, 'Profiler.stop');
      for (const [k, ms] of chargeProfile(wp, workerKey)) s.ms.set(k, (s.ms.get(k) ?? 0) + ms / (threads - 1));
    }
}
session.disconnect();

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
for (const s of settings) [s.median, s.mean] = [median(s.times), mean(s.times)];
const [one, many] = settings;
// Per run: a key's time over all its setting's slices / the runs in them.
const ms = (s, k) => (s.ms.get(k) ?? 0) / s.runs;
const rows = [];
for (const fn of fnOfHash.values()) {
  const mine = calls.filter((c) => c.fn === fn);
  const r = { fn, label: mine[0].label, pattern: mine[0].pattern, calls: mine.length, parallel: mine[0].parallel,
    one: ms(one, `k${fn}|work`) + ms(one, `k${fn}|wait`), work: ms(many, `k${fn}|work`), wait: ms(many, `k${fn}|wait`),
    worker: ms(many, `k${fn}|worker`) };
  if (r.one + r.work + r.wait > 0) rows.push(r);
}
rows.sort((a, b) => b.one - a.one);
const keysMs = (s, prefix) => [...s.ms].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0) / s.runs;
const out = [];
out.push(`${model.title}, 1 vs ${threads} threads (adaptive: false), SIMD128, Node ${process.version}; slices of ${sliceMs} ms alternating for ${seconds} s; ` +
  `median run ${one.median.toFixed(2)} ms (mean ${one.mean.toFixed(2)}, ${one.times.length} runs) vs ${many.median.toFixed(2)} ms ` +
  `(mean ${many.mean.toFixed(2)}, ${many.times.length} runs), ${(one.median / many.median).toFixed(2)}x; ` +
  `load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}. Per-kernel ms are per run (profile time / runs: means).`, '');
const wcol = profileWorkers ? ' worker ms |' : '';
out.push(`| fn | kernel (first call) | pattern | calls | parallel | 1T ms | ${threads}T ms | of which wait |${wcol} 1T/${threads}T |`,
  `|---|---|---|---|---|---|---|---|${profileWorkers ? '---|' : ''}---|`);
for (const r of rows)
  out.push(`| k${r.fn} | ${r.label} | ${r.pattern} | ${r.calls} | ${r.parallel ? 'yes' : 'no'} | ${r.one.toFixed(3)} | ${(r.work + r.wait).toFixed(3)} | ` +
    `${r.wait.toFixed(3)} |${profileWorkers ? ` ${r.worker.toFixed(3)} |` : ''} ${r.work + r.wait > 0 ? (r.one / (r.work + r.wait)).toFixed(2) : '-'} |`);
out.push(`| - | host, runtime, JS | | | | ${keysMs(one, 'other|').toFixed(3)} | ${keysMs(many, 'other|').toFixed(3)} | |${profileWorkers ? ' |' : ''} |`);
const sum = (f) => rows.reduce((a, r) => a + f(r), 0);
const serial1 = sum((r) => (r.parallel ? 0 : r.one)), serialN = sum((r) => (r.parallel ? 0 : r.work + r.wait));
const par1 = sum((r) => (r.parallel ? r.one : 0)), parWork = sum((r) => (r.parallel ? r.work : 0)), parWait = sum((r) => (r.parallel ? r.wait : 0));
const totalN = serialN + parWork + parWait + keysMs(many, 'other|');
out.push('', `| part | 1T ms | ${threads}T ms | share of ${threads}T |`, '|---|---|---|---|');
out.push(`| serial kernels | ${serial1.toFixed(2)} | ${serialN.toFixed(2)} | ${(100 * serialN / totalN).toFixed(1)}% |`);
out.push(`| parallel kernels, caller's work | ${par1.toFixed(2)} | ${parWork.toFixed(2)} | ${(100 * parWork / totalN).toFixed(1)}% |`);
out.push(`| parallel kernels, waiting for workers | - | ${parWait.toFixed(2)} | ${(100 * parWait / totalN).toFixed(1)}% |`);
out.push(`| host, runtime, JS | ${keysMs(one, 'other|').toFixed(2)} | ${keysMs(many, 'other|').toFixed(2)} | ${(100 * keysMs(many, 'other|') / totalN).toFixed(1)}% |`);
if (profileWorkers) {
  // Per worker (the mean over workers): iterations of each kind of kernel,
  // spinning, asleep.
  const parW = sum((r) => (r.parallel ? r.worker : 0)), serW = sum((r) => (r.parallel ? 0 : r.worker));
  out.push('', `| a worker, per run | ms |`, '|---|---|');
  out.push(`| iterations of parallel kernels | ${parW.toFixed(2)} |`);
  if (serW > 0) out.push(`| iterations of kernels marked serial (a record's other loop) | ${serW.toFixed(2)} |`);
  for (const [k] of [...many.ms].filter(([k]) => k.startsWith('worker|')).sort((a, b) => b[1] - a[1]))
    out.push(`| ${k.slice(7)} | ${ms(many, k).toFixed(2)} |`);
  out.push(`| caller + worker time in parallel kernels / 1T time | ${((parWork + parW) / par1).toFixed(2)}x |`);
}
process.stdout.write(`${out.join('\n')}\n`);
for (const s of settings) s.m.dispose();
fs.rmSync(work, { recursive: true, force: true });
