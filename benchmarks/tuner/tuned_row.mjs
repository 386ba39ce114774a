// One row of the tuned columns (benchmarks/lib/tuned.mjs) without the whole
// benchmark: Kiln from its templates, Kiln from the shipped database and the
// peer, alternating in one set of rounds, as benchmarks/run.mjs times them.
// For checking a database just tuned (tuning/README.md) before the next full run.
//
//   node benchmarks/tuner/tuned_row.mjs --model mobilenetv2 --device native --threads 2 [--rounds 10] [--round-ms 300]
//   (--device native, node or chromium: the last in headless Chromium, one page)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { buildPeakWasm } from '../lib/artifacts.mjs';
import { Browser, chromiumMissing } from '../lib/browser.mjs';
import { MODELS } from '../lib/models.mjs';
import { parseFlags } from './flags.mjs';
import { benchmarkTuned } from '../lib/tuned.mjs';

const args = parseFlags({ model: 'mobilenetv2', device: 'native', threads: '1', rounds: '10', 'round-ms': '300' });
const model = MODELS.find((m) => m.key === args.model);
if (!model) throw new Error(`unknown model '${args.model}' (${MODELS.map((m) => m.key).join(', ')})`);
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-tuned-row-'));
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const loadStart = load();
let browser = null;
let rows;
try {
  if (args.device === 'chromium') {
    const missing = chromiumMissing();
    if (missing) throw new Error(`--device chromium: ${missing}`);
    browser = await Browser.launch(buildPeakWasm(workDir));
  }
  rows = await benchmarkTuned(model, {
    workDir, log: (t) => console.log(t), browser,
    options: { rounds: Number(args.rounds), roundMs: Number(args['round-ms']), smoke: false },
    only: (s) => s.device === args.device && s.threads === Number(args.threads),
  });
} finally {
  await browser?.close();
  fs.rmSync(workDir, { recursive: true, force: true });
}
if (!rows.length) throw new Error(`no shipped database for ${args.model} on ${args.device} with ${args.threads} thread(s)`);
for (const row of rows) {
  if (row.error) throw new Error(row.error);
  const q = (s) => `${s.median.toFixed(3)} ms (p25-p75 ${s.p25.toFixed(3)}-${s.p75.toFixed(3)})`;
  console.log(`${model.title}, ${row.db} (${row.fromDb} kernels from it), ${args.rounds} rounds, load ${loadStart} -> ${load()}:`);
  console.log(`  Kiln untuned ${q(row.kiln)}, tuned ${q(row.tuned)}: tuned / untuned ${row.tunedSpeedup.value.toFixed(2)}x`);
  for (const p of row.peers)
    console.log(`  ${p.label} ${q(p.stats)}: peer / Kiln ${p.untuned.value.toFixed(2)}x untuned, ${p.tuned.value.toFixed(2)}x tuned`);
}
