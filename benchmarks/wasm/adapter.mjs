#!/usr/bin/env node
// What the image adapter (kilnc --input-image) costs per frame: a model
// compiled with it, run from an RGBA frame (m.run({image})) and from a
// ready tensor (m.run({NAME: tensor})) in alternating rounds; the difference
// of the medians is the frame's copy into the module plus the adapter's
// resize and normalisation.
//
//   node benchmarks/wasm/adapter.mjs DIR/NAME.mjs [--frame 640x480] [--rounds 8] [--round-ms 300] [--threads N]

import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { makeData } from '../lib/inputs.mjs';
import { summarize } from '../lib/stats.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
if (!args[0] || args[0].startsWith('--')) {
  console.error('usage: node benchmarks/wasm/adapter.mjs DIR/NAME.mjs [--frame WxH] [--rounds N] [--round-ms MS] [--threads N]');
  process.exit(2);
}
const [width, height] = option('frame', '640x480').split('x').map(Number);
const rounds = Number(option('rounds', 8));
const roundMs = Number(option('round-ms', 300));
const threads = option('threads') ? Number(option('threads')) : 1;

const loader = await import(pathToFileURL(path.resolve(args[0])).href);
const m = await loader.load(undefined, { threads });
const input = m.inputs[0];
const frame = { data: new Uint8ClampedArray(makeData('uint8', [width * height * 4], 1).buffer), width, height };
const tensor = makeData(input.dtype, [...input.shape], 1);
const ways = { frame: () => m.run({ image: frame }), tensor: () => m.run({ [input.name]: tensor }) };
const samples = { frame: [], tensor: [] };
const time = (fn) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};
// Warm-up, and how many runs make a round.
const per = {};
for (const [k, fn] of Object.entries(ways)) {
  const warm = Array.from({ length: 5 }, () => time(fn));
  per[k] = Math.max(2, Math.round(roundMs / summarize(warm).median));
}
for (let r = 0; r < rounds; r++)
  for (const k of r % 2 ? ['tensor', 'frame'] : ['frame', 'tensor'])
    for (let i = 0; i < per[k]; i++) samples[k].push(time(ways[k]));
const f = summarize(samples.frame);
const t = summarize(samples.tensor);
console.log(`${path.basename(args[0])}, ${width}x${height} RGBA frame -> ${input.name} [${input.shape}], ${m.backend.name} ${threads} thread(s), load average ${os.loadavg()[0].toFixed(1)}`);
console.log(`  run({image}):  median ${f.median.toFixed(3)} ms (p25 ${f.p25.toFixed(3)}, min ${f.min.toFixed(3)})`);
console.log(`  run({tensor}): median ${t.median.toFixed(3)} ms (p25 ${t.p25.toFixed(3)}, min ${t.min.toFixed(3)})`);
console.log(`  the adapter (copy + resize + normalise): ${(f.median - t.median).toFixed(3)} ms median, ${(f.min - t.min).toFixed(3)} ms of the minimums`);
m.dispose();
