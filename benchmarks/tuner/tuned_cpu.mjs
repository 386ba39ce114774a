// Kiln from its templates against Kiln from a shipped tuning database
// (tuning/), native only, in the process's CPU time (bench_model --clock
// cpu) or in undisturbed wall time (--clock undisturbed, for 2 threads):
// the tuned columns' question (lib/tuned.mjs) on a machine too loaded for
// wall-clock medians, where the two builds' quartiles overlap. No peer: its
// harness has no such clock.
//
//   node benchmarks/tuner/tuned_cpu.mjs --model mobilenetv2 --threads 1 [--clock cpu] [--rounds 30] [--runs 10]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { buildHarness, kilnc, run } from '../lib/artifacts.mjs';
import { ChildContender } from '../lib/contender.mjs';
import { MODELS } from '../lib/models.mjs';
import { parseFlags } from './flags.mjs';
import { ratio, summarize } from '../lib/stats.mjs';
import { tuningDb } from '../lib/tuned.mjs';

const args = parseFlags({ model: 'mobilenetv2', threads: '1', clock: 'cpu', rounds: '30', runs: '10' });
const model = MODELS.find((m) => m.key === args.model);
if (!model?.onnx) throw new Error(`unknown or non-ONNX model '${args.model}'`);
const threads = Number(args.threads);
const db = tuningDb(model.key, { device: 'native', threads });
if (!db) throw new Error(`no shipped database for ${args.model} on native with ${threads} thread(s)`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-tuned-cpu-'));
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const loadStart = load();
const build = (id, withDb) => {
  const dir = path.join(work, id);
  const out = run(kilnc, [model.onnx, '--target=cpu', `--name=${model.key}`, '-o', dir,
    ...(withDb ? [`--tuning-db=${db}`, `--tuning-threads=${threads}`] : [])]);
  const exe = buildHarness({ dir, name: model.key }, path.join(dir, 'bench'));
  return { exe, note: withDb ? out.split('\n').filter((l) => l.startsWith('kilnc:')).join('\n') : '' };
};
const builds = { kiln: build('kiln', false), 'kiln-tuned': build('kiln-tuned', true) };
const started = [];
try {
  for (const [id, b] of Object.entries(builds)) {
    const c = new ChildContender(id, b.exe, ['--threads', String(threads), '--clock', args.clock]);
    await c.start();
    started.push([id, c]);
  }
  const samples = new Map(started.map(([id]) => [id, []]));
  for (const [, c] of started) await c.run(3); // warm-up
  for (let r = 0; r < Number(args.rounds); r++)
    for (let i = 0; i < started.length; i++) {
      const [id, c] = started[(i + r) % started.length];
      samples.get(id).push(...(await c.run(Number(args.runs))));
    }
  const s = Object.fromEntries([...samples].map(([id, v]) => [id, summarize(v)]));
  const q = (x) => `${x.median.toFixed(3)} ms (p25-p75 ${x.p25.toFixed(3)}-${x.p75.toFixed(3)}, min ${x.min.toFixed(3)}, n ${x.n})`;
  const r = ratio(s.kiln, s['kiln-tuned']);
  console.log(`${model.title}, ${path.relative(process.cwd(), db)}, native ${threads}t, --clock ${args.clock}, ` +
    `${args.rounds} rounds of ${args.runs}, load ${loadStart} -> ${load()}, ${new Date().toISOString()}:`);
  console.log(builds['kiln-tuned'].note);
  console.log(`  Kiln untuned ${q(s.kiln)}\n  Kiln tuned   ${q(s['kiln-tuned'])}`);
  console.log(`  tuned / untuned ${r.value.toFixed(3)}x [IQR ${r.low.toFixed(2)}-${r.high.toFixed(2)}], of minimums ${r.ofMinimums.toFixed(3)}x`);
} finally {
  for (const [, c] of started) await c.close();
  fs.rmSync(work, { recursive: true, force: true });
}
