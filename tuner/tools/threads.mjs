// Kiln native, 1 thread against 2, per model and per kernel (issue 20: "no
// model may run slower on 2 threads than on 1").
//
//   node tuner/tools/threads.mjs [--models a,b] [--rounds 8] [--runs 30] [--out DIR] [--kilnc-args "..."]
//
// Each model is compiled once for the CPU and linked twice to
// benchmarks/native/bench_model.c: plain (whole runs) and with a timing
// wrapper around every kernel function (per-call medians). The 1- and
// 2-thread processes then alternate, round after round, so that load on a
// shared machine falls on both alike. Prints, per model, the whole-run
// medians and the kernels that lose most on 2 threads.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { HALIDE_INCLUDE, buildHarness, compileCpu, run } from '../../benchmarks/lib/artifacts.mjs';
import { ChildContender } from '../../benchmarks/lib/contender.mjs';
import { writeWrappers } from '../../benchmarks/lib/kernels.mjs';
import { MODELS } from '../../benchmarks/lib/models.mjs';

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const keys = opt('models', MODELS.map((m) => m.key).join(',')).split(',');
const rounds = Number(opt('rounds', 8));
const runs = Number(opt('runs', 30));
const workDir = opt('out', fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-threads-')));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function kernelArities(dir, name) {
  const symbols = run('llvm-nm-19', ['--defined-only', path.join(dir, `lib${name}.a`)]);
  const re = new RegExp(`\\sT ${name}_k(\\d+)_metadata$`);
  const ks = symbols.split('\n').map((l) => re.exec(l)?.[1]).filter(Boolean).map(Number).sort((a, b) => a - b);
  const src = path.join(dir, 'arity.c');
  fs.writeFileSync(src, ['#include "HalideRuntime.h"', '#include <stdio.h>',
    ...ks.map((k) => `const struct halide_filter_metadata_t *${name}_k${k}_metadata(void);`), 'int main(void) {',
    ...ks.map((k) => `  printf("${k} %d\\n", ${name}_k${k}_metadata()->num_arguments);`), '  return 0;', '}', ''].join('\n'));
  const exe = path.join(dir, 'arity');
  run('clang-19', ['-O1', '-I', HALIDE_INCLUDE, src, path.join(dir, `lib${name}.a`), path.join(dir, 'libkiln_runtime.a'),
    '-lm', '-lpthread', '-ldl', '-o', exe]);
  return new Map(run(exe, []).trim().split('\n').map((l) => l.split(' ').map(Number)));
}

console.log(`load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}; work dir ${workDir}`);
for (const key of keys) {
  const model = MODELS.find((m) => m.key === key);
  const file = model.onnx ?? model.tfjs;
  const dir = path.join(workDir, key);
  fs.mkdirSync(dir, { recursive: true });
  const artifact = compileCpu(file, dir, key);
  const plain = buildHarness(artifact, path.join(dir, 'bench'));
  const wrap = writeWrappers(key, kernelArities(dir, key), path.join(dir, 'wrappers.c'));
  const timed = buildHarness(artifact, path.join(dir, 'bench_kernels'), wrap);
  const procs = {};
  for (const t of [1, 2]) {
    procs[`whole${t}`] = new ChildContender(`${key} ${t}t`, plain, ['--threads', String(t)]);
    procs[`kern${t}`] = new ChildContender(`${key} ${t}t kernels`, timed, ['--threads', String(t)]);
  }
  for (const p of Object.values(procs)) {
    await p.start();
    await p.run(5);
  }
  const whole = { 1: [], 2: [] };
  const calls = { 1: [], 2: [] };
  for (let r = 0; r < rounds; ++r) {
    const order = r % 2 ? [2, 1] : [1, 2];
    for (const t of order) whole[t].push(...(await procs[`whole${t}`].run(runs)));
    for (const t of order) calls[t].push(await procs[`kern${t}`].kernels(runs));
  }
  for (const p of Object.values(procs)) await p.close();
  const w1 = median(whole[1]), w2 = median(whole[2]);
  console.log(`\n${model.title}: 1t ${w1.toFixed(3)} ms, 2t ${w2.toFixed(3)} ms (2t/1t ${(w2 / w1).toFixed(2)}), ` +
    `load ${os.loadavg()[0].toFixed(2)}`);
  const n = calls[1][0].length;
  const rows = [];
  for (let i = 0; i < n; ++i) {
    const a = median(calls[1].map((c) => c[i].us)), b = median(calls[2].map((c) => c[i].us));
    rows.push({ i, fn: calls[1][0][i].fn, a, b });
  }
  const sum1 = rows.reduce((s, r) => s + r.a, 0), sum2 = rows.reduce((s, r) => s + r.b, 0);
  const lost = rows.filter((r) => r.b > r.a).reduce((s, r) => s + r.b - r.a, 0);
  console.log(`  kernel sums: 1t ${(sum1 / 1e3).toFixed(3)} ms, 2t ${(sum2 / 1e3).toFixed(3)} ms; ` +
    `${rows.filter((r) => r.b > r.a * 1.05).length} of ${n} calls slower on 2t, losing ${(lost / 1e3).toFixed(3)} ms`);
  rows.sort((x, y) => (y.b - y.a) - (x.b - x.a));
  for (const r of rows.slice(0, Number(opt('top', 8))))
    console.log(`  call ${r.i} (k${r.fn}): 1t ${r.a.toFixed(1)} us, 2t ${r.b.toFixed(1)} us`);
  fs.writeFileSync(path.join(dir, 'calls.json'), JSON.stringify({ whole, rows }, null, 1));
}
