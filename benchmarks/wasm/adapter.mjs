#!/usr/bin/env node
// What the image adapter (kilnc --input-image) costs per frame: a model
// compiled with it, run from an RGBA frame (m.run({image})) and from a
// ready tensor (m.run({NAME: tensor})) in rounds taken in turn; the difference
// of the medians is the frame's copy into the module plus the adapter's
// resize and normalisation. For an NHWC float input, a third way: the
// same region cropped and resized in JavaScript by kiln-vision's
// cropToTensor (what a page does without the adapter, e.g. the face-mesh
// example's detector) and run as a tensor. Each run is timed in wall time
// and in the process's CPU time (../lib/clock.mjs: what load from other
// processes does not inflate as much; the one to decide by on a busy machine).
// Also the adapter's export alone (kiln_image on a frame already in the
// module's memory: its sampling and its writing of the input) and a copy of
// the input's bytes within the module's memory (one read and one write of
// them: what fusing the adapter into the first kernel could save at most,
// since the fused kernel still samples the frame; the bound of issue 18's
// "fused into the first kernel where it pays").
//
//   node benchmarks/wasm/adapter.mjs DIR/NAME.mjs [--frame 640x480] [--rounds 8] [--round-ms 300] [--threads N]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { cpuMs } from '../lib/clock.mjs';
import { makeData } from '../lib/inputs.mjs';
import { summarize } from '../lib/stats.mjs';

const vision = await import(new URL('../../targets/wasm/vision/kiln-vision.mjs', import.meta.url).href);

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
// The module's exports, caught as the loader instantiates it.
let ex;
const instantiate = WebAssembly.instantiate;
WebAssembly.instantiate = async (...a) => {
  const r = await instantiate.apply(WebAssembly, a);
  ex ??= (r.instance ?? r).exports;
  return r;
};
const m = await loader.load(undefined, { threads });
WebAssembly.instantiate = instantiate;
const input = m.inputs[0];
const frame = { data: new Uint8ClampedArray(makeData('uint8', [width * height * 4], 1).buffer), width, height };
const tensor = makeData(input.dtype, [...input.shape], 1);
const ways = { frame: () => m.run({ image: frame }), tensor: () => m.run({ [input.name]: tensor }) };
// The JS way: the region the adapter's --fit takes (stated in the loader's
// description), by cropToTensor (its rule is --resize=asymmetric; the cost
// is the same for either rule).
const [, h, w, c] = input.shape;
if (input.dtype === 'float32' && c === 3) {
  const fit = /"fit":"(\w+)"/.exec(fs.readFileSync(path.resolve(args[0]), 'utf8'))?.[1] ?? 'stretch';
  const region = fit === 'letterbox' ? vision.wholeImage(width, height, { tensorWidth: w, tensorHeight: h, keepAspect: true })
    : fit === 'crop' ? (() => {
      const cw = Math.min(width, (height * w) / h);
      const ch = Math.min(height, (width * h) / w);
      return { xCenter: 0.5, yCenter: 0.5, width: cw / width, height: ch / height, rotation: 0 };
    })() : vision.wholeImage(width, height);
  const out = new Float32Array(w * h * 3);
  ways.js = () => m.run({ [input.name]: vision.cropToTensor(frame, region, { width: w, height: h, range: [-1, 1], out }) });
}
if (ex?.kiln_image && threads === 1) {
  const bytes = { float32: 4, int32: 4, uint8: 1 }[input.dtype] * input.shape.reduce((a, b) => a * b, 1);
  const framePtr = ex.kiln_malloc(width * height * 4);
  const outPtr = ex.kiln_malloc(bytes);
  new Uint8Array(ex.memory.buffer, framePtr, width * height * 4).set(frame.data);
  ways.kiln_image = () => {
    if (ex.kiln_image(framePtr, width, height, outPtr) !== 0) throw new Error('kiln_image failed');
  };
  const copyPtr = ex.kiln_malloc(bytes);
  ways.input_copy = () => new Uint8Array(ex.memory.buffer, copyPtr, bytes).set(new Uint8Array(ex.memory.buffer, outPtr, bytes));
}
const names = Object.keys(ways);
const samples = Object.fromEntries(names.map((k) => [k, []]));
const cpu = Object.fromEntries(names.map((k) => [k, []]));
const time = (fn, k) => {
  const c0 = cpuMs();
  const t0 = performance.now();
  fn();
  const t = performance.now() - t0;
  if (k) cpu[k].push(cpuMs() - c0);
  return t;
};
// Warm-up, and how many runs make a round.
const per = {};
for (const [k, fn] of Object.entries(ways)) {
  const warm = Array.from({ length: 5 }, () => time(fn));
  per[k] = Math.max(2, Math.round(roundMs / summarize(warm).median));
}
// Each round runs every way, in an order that turns each round.
for (let r = 0; r < rounds; r++)
  for (let j = 0; j < names.length; j++) {
    const k = names[(j + r) % names.length];
    for (let i = 0; i < per[k]; i++) samples[k].push(time(ways[k], k));
  }
const s = Object.fromEntries(names.map((k) => [k, { wall: summarize(samples[k]), cpu: summarize(cpu[k]) }]));
const line = (label, k) =>
  console.log(`  ${label.padEnd(32)} median ${s[k].wall.median.toFixed(3)} ms (p25 ${s[k].wall.p25.toFixed(3)}, min ${s[k].wall.min.toFixed(3)}); CPU median ${s[k].cpu.median.toFixed(3)} ms`);
console.log(`${path.basename(args[0])}, ${width}x${height} RGBA frame -> ${input.name} [${input.shape}], ${m.backend.name} ${threads} thread(s), load average ${os.loadavg()[0].toFixed(1)}`);
line('run({image}):', 'frame');
line('run({tensor}):', 'tensor');
if (ways.js) line('cropToTensor + run({tensor}):', 'js');
if (ways.kiln_image) line('kiln_image alone:', 'kiln_image');
if (ways.input_copy) line("the input's bytes copied once:", 'input_copy');
const diff = (a, b, q) => (s[a][q].median - s[b][q].median).toFixed(3);
console.log(`  the adapter (copy + resize + normalise): ${diff('frame', 'tensor', 'wall')} ms median (CPU ${diff('frame', 'tensor', 'cpu')}), ${(s.frame.wall.min - s.tensor.wall.min).toFixed(3)} ms of the minimums`);
if (ways.js)
  console.log(`  the JS crop: ${diff('js', 'tensor', 'wall')} ms median (CPU ${diff('js', 'tensor', 'cpu')}); run({image}) / JS crop + run: ${(s.frame.wall.median / s.js.wall.median).toFixed(3)}x wall, ${(s.frame.cpu.median / s.js.cpu.median).toFixed(3)}x CPU (medians)`);
if (ways.kiln_image)
  for (const [k, what] of [['kiln_image', 'kiln_image alone'], ['input_copy', 'the input copied (the most fusing saves)']])
    console.log(`  ${what} / run({tensor}): ${((100 * s[k].wall.median) / s.tensor.wall.median).toFixed(1)}% wall, ${((100 * s[k].cpu.median) / s.tensor.cpu.median).toFixed(1)}% CPU (medians)`);
m.dispose();
