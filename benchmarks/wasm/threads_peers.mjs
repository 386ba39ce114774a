#!/usr/bin/env node
// The 2-thread rows (issue 18): Kiln's threaded WASM module (kilnc --threads,
// load(src, {threads: 2})) against ONNX Runtime Web (env.wasm.numThreads = 2)
// and TF.js WASM (setThreadsCount(2)), in Node and in headless Chromium on a
// cross-origin isolated page (COOP/COEP: shared memory, so every runtime's
// threads work there). Same method as benchmarks/run.mjs: every contender
// started first (own process in Node, one page in Chromium), warmed up, then
// rounds in rotating order of about --round-ms each; medians, p25-p75,
// minimums and ratios peer / Kiln printed and written to --out as
// threads.json and threads.md.
//
// In Chromium, TF.js's worker pool is sized from navigator.hardwareConcurrency
// (half of it), which the page overrides (openIsolatedPage); each runtime's
// own thread count is recorded in threads.json (setup) and checked.
//
// TF.js's WASM backend has no threads in Node (its threaded build does not
// start there: WASM_HAS_MULTITHREAD_SUPPORT is false, and forcing it fails to
// initialise), so its Node row is one thread, labelled so.
//
//   node benchmarks/wasm/threads_peers.mjs [--models mobilenetv2,blazeface_back]
//        [--threads 2] [--rounds 8] [--round-ms 300] [--out benchmarks/results] [--no-browser]
//        [--work DIR (compiled modules, kept and reused; default: a fresh
//        temporary directory)] [--kilnc build/bin/kilnc] [--smoke] [--fixed] [--gap-ms 150]
// --fixed: also Kiln's plain module with {adaptive: false} (every run shares
// its loops), as kiln-2t-fixed, in the same rounds. --gap-ms N (default 150):
// a pause before each round. ORT-web's worker thread goes on spinning after
// its round (25-50 ms of CPU in the first 100 ms, /proc schedstat, load
// 2.5-7), and the rotation keeps the contenders' cyclic order, so without a
// pause that spin always fell on the same next contender's first runs (Kiln
// 2t for MobileNetV2, in Node and in Chromium).
// --smoke: BlazeFace front, one round of a few runs each: checks that every
// part works (exit status 1 when a contender did not run), measures nothing.
//
// Kiln is compiled with --relaxed-simd too (--no-relaxed: not): its relaxed
// SIMD modules (f32x4.relaxed_madd) run as kiln-*-relaxed, in Node with
// --experimental-wasm-relaxed-simd (Node 20 has it behind the flag), in
// Chromium as shipped; the plain rows load with {relaxed: false}. Each
// contender's loader is checked to have run the module asked for.
//
// For each threaded Kiln contender the report says how many runs the
// loader's PoolChooser shared with the workers and how many it kept on the
// calling thread, with each kind's median (the model's poolStats, read after
// every timed run); threads.json keeps every run's time and way.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { depsDir } from '../../test/e2e/common.mjs';
import { kilnc, run as runTool } from '../lib/artifacts.mjs';
import { chromiumMissing, launchChromium, pageFiles, servePage } from '../lib/browser.mjs';
import { RELAXED_FLAGS, nodeWorker } from '../lib/contender.mjs';
import { MODELS } from '../lib/models.mjs';
import { provenance } from '../lib/provenance.mjs';
import { ratio, summarize } from '../lib/stats.mjs';
import { tfjsPackages } from '../lib/tfjs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const benchDir = path.join(here, '..');

function parseArgs(argv) {
  const o = { models: ['mobilenetv2', 'blazeface_back', 'blazeface_front'], threads: 2, rounds: 8, roundMs: 300,
    out: path.join(benchDir, 'results'), browser: true, work: null, kilnc, smoke: false, relaxed: true, fixed: false, gapMs: 150 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i];
    if (a === '--models') o.models = value().split(',');
    else if (a === '--threads') o.threads = Number(value());
    else if (a === '--rounds') o.rounds = Number(value());
    else if (a === '--round-ms') o.roundMs = Number(value());
    else if (a === '--out') o.out = value();
    else if (a === '--work') o.work = value();
    else if (a === '--no-browser') o.browser = false;
    else if (a === '--kilnc') o.kilnc = value();
    else if (a === '--smoke') o.smoke = true;
    else if (a === '--no-relaxed') o.relaxed = false;
    else if (a === '--fixed') o.fixed = true;
    else if (a === '--gap-ms') o.gapMs = Number(value());
    else throw new Error(`unknown argument '${a}'`);
  }
  if (!(Number.isInteger(o.threads) && o.threads >= 2)) throw new Error('--threads must be 2 or more');
  if (o.smoke) Object.assign(o, { models: ['blazeface_front'], rounds: 1, roundMs: 1, warmupMs: 0, gapMs: 0 });
  return o;
}

const log = (s) => process.stderr.write(`${s}\n`);

// Kiln's threaded module of `model` (and with o.relaxed its relaxed SIMD
// twins), compiled once into the work directory.
function kilnModule(model, { work, kilnc: compiler, relaxed }) {
  const dir = path.join(work, `${model.key}-threads${relaxed ? '-relaxed' : ''}`);
  if (!fs.existsSync(path.join(dir, `${model.key}.threads.wasm`)))
    runTool(compiler, [model.onnx ?? model.tfjs, '--target=wasm', '--threads', '--no-fallback', `--name=${model.key}`, '-o', dir,
      ...(relaxed ? ['--relaxed-simd'] : [])]);
  return { dir, name: model.key };
}

// Warm-up (3 runs and 0.5 s), then rounds in rotating order. A threaded
// Kiln contender's stats also get `pool`: how its runs went (poolSummary).
async function alternate(contenders, { rounds, roundMs, warmupMs = 500, gapMs = 0 }) {
  const samples = new Map(contenders.map(([id]) => [id, []]));
  const modes = new Map(contenders.map(([id]) => [id, '']));
  const perRound = new Map();
  const isKiln = (id) => id.startsWith('kiln-');
  for (const [id, c] of contenders) {
    // Kiln's: at least the PoolChooser's first 16 runs, which alternate
    // shared and serial on purpose, so that none of them is a sample.
    const warm = await c.run(isKiln(id) ? 16 : 3);
    while (warm.reduce((a, b) => a + b, 0) < warmupMs && warm.length < 200) warm.push(...(await c.run(1)));
    perRound.set(id, Math.max(2, Math.min(100, Math.round(roundMs / summarize(warm).median))));
    if (isKiln(id)) await c.modes(); // forget the warm-up's
  }
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < contenders.length; i++) {
      const [id, c] = contenders[(i + r) % contenders.length];
      if (gapMs) await new Promise((resolve) => setTimeout(resolve, gapMs));
      samples.get(id).push(...(await c.run(perRound.get(id))));
      if (isKiln(id)) modes.set(id, modes.get(id) + (await c.modes()));
    }
  return Object.fromEntries([...samples].map(([id, s]) => [id, { ...summarize(s), ...poolSummary(s, modes.get(id)) }]));
}

// {pool: {shared, serial, sharedMedian, serialMedian}, runs: [[ms, 'P' | 'S']]}
// for a contender whose every run has a mode, else {}.
function poolSummary(times, modes) {
  if (!modes || modes.length !== times.length) return {};
  const of = (m) => times.filter((_, i) => modes[i] === m);
  const [shared, serial] = [of('P'), of('S')];
  return { pool: { shared: shared.length, serial: serial.length, sharedMedian: summarize(shared)?.median ?? null,
    serialMedian: summarize(serial)?.median ?? null }, runs: times.map((t, i) => [+t.toFixed(3), modes[i]]) };
}

// ---- Chromium: one cross-origin isolated page -------------------------------

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin' };

async function openIsolatedPage(mounts, threads) {
  const files = pageFiles('kiln threads benchmark', 'browser/threads_page.mjs',
    [['/base_page.mjs', { file: path.join(benchDir, 'browser/page.mjs') }]]);
  const { server, origin } = await servePage(files, mounts, ISOLATION);
  const { context, dispose } = await launchChromium();
  const page = await context.newPage();
  // TF.js's threaded build starts hardwareConcurrency / 2 workers (at most 4)
  // and ignores setThreadsCount beyond them: on a 2-core machine it would run
  // on one thread. The page reports twice the thread count asked for, so
  // that TF.js gets them too (its getThreadsCount() is checked below).
  await page.addInitScript((n) => Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => n }), 2 * threads);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 60000 });
  if (!(await page.evaluate(() => window.bench.isolated()))) throw new Error('the benchmark page is not cross-origin isolated');
  const close = async () => {
    await dispose();
    server.close();
  };
  return { page, errors, close };
}

const pageContender = (page, id) => ({ run: (n) => page.evaluate(([i, k]) => window.bench.run(i, k), [id, n]),
  modes: () => page.evaluate((i) => window.bench.modes(i), id) });

// ---- one model ----------------------------------------------------------------

async function benchModel(model, o, browser) {
  const t = o.threads;
  const kiln = kilnModule(model, o);
  const result = { key: model.key, title: model.title, node: {}, chromium: {}, setup: {}, errors: [] };

  // Node: each contender in its own process.
  const plain = o.relaxed ? { relaxed: false } : {};
  const node = [[`kiln-${t}t`, nodeWorker(`kiln-${t}t`, 'kiln-wasm', { ...kiln, threads: t, ...plain })],
    [`kiln-1t`, nodeWorker('kiln-1t', 'kiln-wasm', { ...kiln, threads: 1, ...plain })]];
  if (o.fixed) node.push([`kiln-${t}t-fixed`, nodeWorker(`kiln-${t}t-fixed`, 'kiln-wasm', { ...kiln, threads: t, ...plain, adaptive: false })]);
  if (o.relaxed)
    for (const n of [t, 1])
      node.push([`kiln-${n}t-relaxed`, nodeWorker(`kiln-${n}t-relaxed`, 'kiln-wasm', { ...kiln, threads: n, relaxed: true }, RELAXED_FLAGS)]);
  if (model.onnx) node.push([`ort-web-${t}t`, nodeWorker(`ort-web-${t}t`, 'ort-web', { model: model.onnx, threads: t })]);
  if (model.tfjs) node.push(['tfjs-wasm-1t', nodeWorker('tfjs-wasm-1t', 'tfjs-wasm', { model: model.tfjs })]);
  const started = [];
  for (const [id, c] of node) {
    try {
      await c.start();
      started.push([id, c]);
    } catch (e) {
      result.errors.push(`node ${id}: ${e.message}`);
      await c.close?.();
    }
  }
  log(`  ${model.key}: Node, ${started.map(([id]) => id).join(', ')}`);
  result.node = await alternate(started, o);
  for (const [, c] of started) await c.close();

  if (browser) {
    const { page } = browser;
    const contenders = [];
    const tryLoad = async (id, fn, args, want = t) => {
      try {
        const setup = await page.evaluate(([f, a]) => window.bench[f](...a), [fn, args]);
        if ((setup.threadsCount ?? setup.threads) !== want) throw new Error(`runs on ${setup.threads} thread(s), not ${want}: ${JSON.stringify(setup)}`);
        if (id.startsWith('kiln') && o.relaxed && setup.relaxed !== id.endsWith('-relaxed')) throw new Error(`the wrong module ran: ${JSON.stringify(setup)}`);
        result.setup[id] = setup;
        contenders.push([id, pageContender(page, id)]);
      } catch (e) {
        result.errors.push(`chromium ${id}: ${e.message.split('\n')[0]}`);
      }
    };
    browser.mounts.set(`/k/${model.key}/`, kiln.dir);
    await tryLoad(`kiln-${t}t`, 'loadKiln', [`kiln-${t}t`, `/k/${model.key}`, kiln.name, t, ...(o.relaxed ? [false] : [])]);
    if (o.fixed) await tryLoad(`kiln-${t}t-fixed`, 'loadKiln', [`kiln-${t}t-fixed`, `/k/${model.key}`, kiln.name, t, o.relaxed ? false : undefined, false]);
    // The same module on 1 thread in the same page and rounds: whether the
    // second core pays in the browser too (issue 18: no model slower on 2
    // threads than on 1).
    await tryLoad('kiln-1t', 'loadKiln', ['kiln-1t', `/k/${model.key}`, kiln.name, 1, ...(o.relaxed ? [false] : [])], 1);
    if (o.relaxed) await tryLoad(`kiln-${t}t-relaxed`, 'loadKiln', [`kiln-${t}t-relaxed`, `/k/${model.key}`, kiln.name, t, true]);
    if (model.onnx) {
      browser.mounts.set(`/o/${model.key}/`, path.dirname(model.onnx));
      await tryLoad(`ort-web-${t}t`, 'loadOrt', [`ort-web-${t}t`, `/o/${model.key}/${path.basename(model.onnx)}`, t]);
    }
    if (model.tfjs) {
      browser.mounts.set(`/j/${model.key}/`, path.dirname(model.tfjs));
      await tryLoad(`tfjs-wasm-${t}t`, 'loadTfjs', [`tfjs-wasm-${t}t`, `/j/${model.key}/${path.basename(model.tfjs)}`, t]);
    }
    log(`  ${model.key}: Chromium, ${contenders.map(([id]) => id).join(', ')}`);
    result.chromium = await alternate(contenders, o);
  }
  return result;
}

// ---- report -------------------------------------------------------------------

const ms = (s) => (s ? `${s.median.toFixed(2)} (${s.p25.toFixed(2)}-${s.p75.toFixed(2)}, min ${s.min.toFixed(2)})` : '-');
const x = (r) => (r ? `${r.value.toFixed(2)}x (min ${r.ofMinimums.toFixed(2)}x)` : '-');

function markdown(results, o, meta) {
  const t = o.threads;
  const lines = [`# Kiln WASM on ${t} threads vs ORT-web and TF.js WASM on ${t} threads`, '',
    `${meta.date}, ${meta.cpus}; load average ${meta.loadStart} at the start, ${meta.loadEnd} at the end; ` +
      `${o.rounds} rounds of ${o.roundMs} ms, ${o.gapMs} ms apart. Times in ms: median (p25-p75, min); ratio = peer / Kiln ${t} threads ` +
      `(Kiln 1t / ${t}t: the same module on 1 thread, what the other cores gave) ` +
      `(above 1: Kiln is faster). TF.js has no threads in Node (its threaded WASM build does not start there): its Node row is 1 thread.`, '',
    ...(o.smoke ? ['**Smoke run: a few cold runs of each, to check that every contender works. These times measure ' +
      'nothing (no warm-up, no rounds; the CI machine is busy): compare nothing here, 1 thread with 2 threads included.**', ''] : []),
    `| model | where | Kiln ${t}t | Kiln 1t | Kiln 1t / ${t}t | ORT-web ${t}t | TF.js WASM | ORT-web / Kiln | TF.js / Kiln |`, '|---|---|---|---|---|---|---|---|---|'];
  const relaxedLines = [];
  for (const r of results) {
    for (const where of ['node', 'chromium']) {
      const s = r[where];
      if (!s || !Object.keys(s).length) continue;
      const kiln = s[`kiln-${t}t`];
      const tf = s[`tfjs-wasm-${t}t`] ?? s['tfjs-wasm-1t'];
      const tfLabel = s[`tfjs-wasm-${t}t`] ? `${t}t` : '1t';
      lines.push(`| ${r.title} | ${where === 'node' ? 'Node' : 'Chromium (isolated)'} | ${ms(kiln)} | ${ms(s['kiln-1t'])} | ${x(ratio(s['kiln-1t'], kiln))} | ` +
        `${ms(s[`ort-web-${t}t`])} | ${tf ? `${ms(tf)} (${tfLabel})` : '-'} | ${x(ratio(s[`ort-web-${t}t`], kiln))} | ${x(ratio(tf, kiln))} |`);
      const relaxed = s[`kiln-${t}t-relaxed`];
      if (relaxed)
        relaxedLines.push(`| ${r.title} | ${where === 'node' ? 'Node (flag)' : 'Chromium (isolated)'} | ${ms(relaxed)} | ${ms(s['kiln-1t-relaxed'])} | ` +
          `${x(ratio(kiln, relaxed))} | ${x(ratio(s[`ort-web-${t}t`], relaxed))} | ${x(ratio(tf, relaxed))} |`);
    }
  }
  if (relaxedLines.length)
    lines.push('', `Kiln's relaxed SIMD modules (kilnc --relaxed-simd: f32x4.relaxed_madd; Node with --experimental-wasm-relaxed-simd), ` +
      'in the same rounds; ratios = the other / Kiln relaxed:', '',
      `| model | where | Kiln ${t}t relaxed | Kiln 1t relaxed | Kiln ${t}t plain / relaxed | ORT-web / Kiln relaxed | TF.js / Kiln relaxed |`,
      '|---|---|---|---|---|---|---|', ...relaxedLines);
  const poolLines = results.flatMap((r) => ['node', 'chromium'].flatMap((where) =>
    Object.entries(r[where] ?? {}).filter(([, s]) => s?.pool).map(([id, s]) => `| ${r.title} | ${where === 'node' ? 'Node' : 'Chromium'} | ` +
      `${id} | ${s.pool.shared} of ${s.n} | ${s.pool.sharedMedian?.toFixed(2) ?? '-'} | ${s.pool.serialMedian?.toFixed(2) ?? '-'} | ${ms(s)} |`)));
  if (poolLines.length)
    lines.push('', `How Kiln's threaded runs went: shared with the workers, or kept on the calling thread by the loader's ` +
      'PoolChooser (the model\'s poolStats after every run; -fixed: {adaptive: false}); times in ms:', '',
    '| model | where | contender | runs shared | median shared | median kept on the caller | all runs |', '|---|---|---|---|---|---|---|', ...poolLines);
  const errors = results.flatMap((r) => r.errors.map((e) => `- ${r.key}: ${e}`));
  if (errors.length) lines.push('', 'Not measured:', ...errors);
  return `${lines.join('\n')}\n`;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const tempWork = !o.work;
  if (tempWork) o.work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-threads-peers-'));
  else fs.mkdirSync(o.work, { recursive: true });
  const meta = { date: new Date().toISOString(), cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}`,
    loadStart: os.loadavg()[0].toFixed(1), ...provenance(o.kilnc) };
  const models = o.models.map((k) => MODELS.find((m) => m.key === k) ?? (() => { throw new Error(`unknown model '${k}'`); })());
  let browser = null;
  const missing = o.browser ? chromiumMissing() : 'skipped (--no-browser)';
  if (!missing) {
    const mounts = new Map([['/tfjs/', tfjsPackages], ['/ort/', path.join(depsDir, 'node_modules/onnxruntime-web/dist')]]);
    browser = { mounts, ...(await openIsolatedPage(mounts, o.threads)) };
  } else log(`Chromium: ${missing}`);
  const results = [];
  try {
    for (const model of models) results.push(await benchModel(model, o, browser));
  } finally {
    await browser?.close();
    if (tempWork) fs.rmSync(o.work, { recursive: true, force: true });
  }
  meta.loadEnd = os.loadavg()[0].toFixed(1);
  const text = markdown(results, o, meta);
  fs.mkdirSync(o.out, { recursive: true });
  fs.writeFileSync(path.join(o.out, 'threads.json'), `${JSON.stringify({ meta, options: { ...o, work: undefined, out: undefined }, results }, null, 1)}\n`);
  fs.writeFileSync(path.join(o.out, 'threads.md'), text);
  process.stdout.write(text);
  const errors = results.flatMap((r) => r.errors);
  if (o.smoke && (errors.length || missing === null && results.some((r) => !Object.keys(r.chromium).length))) {
    log(`threads_peers --smoke: ${errors.join('; ') || 'Chromium measured nothing'}`);
    process.exit(1);
  }
}

main().catch((e) => {
  log(`threads_peers: ${e.stack ?? e}`);
  process.exit(1);
});

