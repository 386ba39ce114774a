// The tuned columns (issue 20): Kiln built from a shipped tuning database
// (tuning/MODEL.DEVICE-Nt.jsonl) beside the same Kiln built from its
// templates and the peer it is compared with, in one set of alternating
// rounds, so that the untuned and the tuned ratio come from the same
// minutes of the machine. Rows exist only where a database is shipped; a
// database kilnc applies nothing from (another CPU: the records are for the
// exact fingerprint they were measured on) is reported as such, not timed.

import fs from 'node:fs';
import path from 'node:path';

import { repoRoot } from '../../test/e2e/common.mjs';
import { buildHarness, kilnc, run } from './artifacts.mjs';
import { ChildContender, nodeWorker } from './contender.mjs';
import { ratio, summarize } from './stats.mjs';


// Each row: which database, how Kiln is built and run, and which peer.
const SETTINGS = [
  { device: 'native', threads: 1, peer: 'ort-node-1t', peerLabel: 'onnxruntime-node, 1 thread' },
  { device: 'native', threads: 2, peer: 'ort-node-2t', peerLabel: 'onnxruntime-node, 2 threads' },
  { device: 'node', threads: 1, peer: 'ort-web-node', peerLabel: 'ORT-web WASM, Node', tfjsPeer: 'tfjs-wasm-node' },
  // The page of benchmarks/lib/browser.mjs: both Kiln modules and TF.js in
  // one page, as the main table's Chromium rows (no ORT-web there either).
  { device: 'chromium', threads: 1, tfjsPeer: 'tfjs-wasm-chromium', tfjsLabel: 'TF.js WASM, Chromium' },
];

/** The shipped database of `key` for a setting, or null. */
export function tuningDb(key, { device, threads }) {
  const file = path.join(repoRoot, 'tuning', `${key}.${device}-${threads}t.jsonl`);
  return fs.existsSync(file) ? file : null;
}

// kilnc with or without the database; returns {dir, name, fromDb} where
// fromDb is kilnc's own line ("N of M kernels scheduled from ...").
function build(source, dir, name, setting, db) {
  const target = setting.device === 'native' ? 'cpu' : 'wasm';
  const args = [source, `--target=${target}`, `--name=${name}`, '-o', dir];
  if (db) args.push(`--tuning-db=${db}`, `--tuning-threads=${setting.threads}`,
    ...(target === 'wasm' ? [`--tuning-device=${setting.device}`] : []));
  const out = run(kilnc, args);
  const fromDb = db ? (/(\d+) of (\d+) kernels scheduled from/.exec(out)?.slice(1, 3).join(' of ') ?? '0') : null;
  return { dir, name, fromDb };
}

async function contenders(model, setting, untuned, tuned, dir, browser) {
  const list = [];
  if (setting.device === 'chromium') {
    const key = path.basename(dir);
    list.push(['kiln', await browser.addKiln(`${key}-kiln`, untuned.dir, untuned.name)]);
    list.push(['kiln-tuned', await browser.addKiln(`${key}-kiln-tuned`, tuned.dir, tuned.name)]);
    if (model.tfjs) list.push([setting.tfjsPeer, await browser.addTfjs(`${key}-tfjs`, model.tfjs)]);
  } else if (setting.device === 'native') {
    for (const [id, artifact] of [['kiln', untuned], ['kiln-tuned', tuned]]) {
      const exe = buildHarness(artifact, path.join(dir, `${id}_${setting.threads}t`));
      list.push([id, new ChildContender(id, exe, ['--threads', String(setting.threads)])]);
    }
    if (model.onnx) list.push([setting.peer, nodeWorker(setting.peer, 'ort-node', { model: model.onnx, threads: setting.threads })]);
  } else {
    list.push(['kiln', nodeWorker('kiln', 'kiln-wasm', { dir: untuned.dir, name: untuned.name })]);
    list.push(['kiln-tuned', nodeWorker('kiln-tuned', 'kiln-wasm', { dir: tuned.dir, name: tuned.name })]);
    if (model.onnx) list.push([setting.peer, nodeWorker(setting.peer, 'ort-web', { model: model.onnx })]);
    if (model.tfjs) list.push([setting.tfjsPeer, nodeWorker(setting.tfjsPeer, 'tfjs-wasm', { model: model.tfjs })]);
  }
  return list;
}

/**
 * The tuned rows of one model: [{device, threads, db, fromDb, kiln, tuned,
 * peers: [{id, label, stats, untuned: ratio, tuned: ratio}], tunedSpeedup}]
 * or rows with `error`. options: {rounds, roundMs, smoke}. `only(setting)`
 * picks some of the settings (benchmarks/tuner/tuned_row.mjs: one row).
 * `browser` (benchmarks/lib/browser.mjs) for the Chromium row; without one
 * that row says so.
 */
export async function benchmarkTuned(model, { workDir, options, log, browser = null, only = () => true }) {
  const rows = [];
  const source = model.onnx ?? model.tfjs;
  for (const setting of SETTINGS.filter(only)) {
    const db = tuningDb(model.key, setting);
    if (!db) continue;
    if (setting.device === 'chromium' && !browser) {
      rows.push({ device: setting.device, threads: setting.threads, db: path.relative(repoRoot, db),
        error: 'not timed: no Chromium in this run' });
      continue;
    }
    const row = { device: setting.device, threads: setting.threads, db: path.relative(repoRoot, db) };
    rows.push(row);
    const dir = path.join(workDir, `${model.key}-tuned-${setting.device}-${setting.threads}t`);
    fs.mkdirSync(dir, { recursive: true });
    let started = [];
    try {
      const untuned = build(source, path.join(dir, 'untuned'), model.key, setting, null);
      const tuned = build(source, path.join(dir, 'tuned'), model.key, setting, db);
      row.fromDb = tuned.fromDb;
      if (tuned.fromDb.startsWith('0 ')) {
        row.error = `kilnc applied no record of ${row.db} here (another CPU or target)`;
        continue;
      }
      for (const [id, c] of await contenders(model, setting, untuned, tuned, dir, browser)) {
        await c.start?.();
        started.push([id, c]);
      }
      const samples = new Map(started.map(([id]) => [id, []]));
      const per = new Map();
      for (const [id, c] of started) {
        const warm = await c.run(options.smoke ? 1 : 5);
        per.set(id, options.smoke ? 1 : Math.max(2, Math.min(100, Math.round(options.roundMs / summarize(warm).median))));
      }
      for (let r = 0; r < options.rounds; r++)
        for (let i = 0; i < started.length; i++) {
          const [id, c] = started[(i + r) % started.length];
          samples.get(id).push(...(await c.run(per.get(id))));
        }
      const stats = Object.fromEntries([...samples].map(([id, s]) => [id, summarize(s)]));
      row.kiln = stats.kiln;
      row.tuned = stats['kiln-tuned'];
      row.tunedSpeedup = ratio(row.kiln, row.tuned);
      row.peers = started.map(([id]) => id).filter((id) => !id.startsWith('kiln')).map((id) => ({
        id, label: id === setting.peer ? setting.peerLabel : (setting.tfjsLabel ?? 'TF.js WASM, Node'), stats: stats[id],
        untuned: ratio(stats[id], row.kiln), tuned: ratio(stats[id], row.tuned) }));
      log(`    tuned ${setting.device} ${setting.threads}t: ${row.kiln.median.toFixed(3)} -> ` +
        `${row.tuned.median.toFixed(3)} ms (${row.fromDb} kernels from ${path.basename(db)})`);
    } catch (e) {
      // A build or contender failure is this row's, not the benchmark's.
      row.error = e.message.split('\n')[0];
    } finally {
      for (const [, c] of started) await c.close();
    }
  }
  return rows;
}

const x2 = (r) => (r ? `${r.value.toFixed(2)}x` : '-');

/** tuned.md: per model and database, untuned and tuned ratios side by side. */
export function tunedMarkdown(results) {
  const lines = ['# Kiln untuned and tuned, side by side', '',
    `${results.date}, ${results.machine.cores} x ${results.machine.cpu}; load average ` +
    `${results.machine.loadAverageStart.map((x) => x.toFixed(1)).join(' ')} at the start, ` +
    `${(results.machine.loadAverageEnd ?? []).map((x) => x.toFixed(1)).join(' ')} at the end. ` +
    'Kiln from its templates, Kiln from the shipped database (tuning/) and the peer alternate in one set of ' +
    'rounds; medians in ms; ratio = peer / Kiln (above 1: Kiln is faster); "tuned / untuned" is the untuned ' +
    'Kiln time over the tuned one.', '',
    '| model | database | kernels from it | Kiln | Kiln tuned | tuned / untuned | peer | peer ms | peer / Kiln | peer / Kiln tuned |',
    '|---|---|---|---|---|---|---|---|---|---|'];
  for (const m of results.models)
    for (const row of m.tuned ?? []) {
      if (row.error) {
        lines.push(`| ${m.title} | ${row.db} | ${row.fromDb ?? '-'} | - | - | - | ${row.error} | | | |`);
        continue;
      }
      for (const p of row.peers.length ? row.peers : [null])
        lines.push(`| ${m.title} | ${row.db} | ${row.fromDb} | ${row.kiln.median.toFixed(3)} | ` +
          `${row.tuned.median.toFixed(3)} | ${x2(row.tunedSpeedup)} | ${p?.label ?? '-'} | ` +
          `${p ? p.stats.median.toFixed(3) : '-'} | ${x2(p?.untuned)} | ${x2(p?.tuned)} |`);
    }
  return `${lines.join('\n')}\n`;
}
