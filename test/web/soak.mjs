// Memory over many runs of BlazeFace front (issue 17): native (the static
// library, resident set size), WASM in Node and in headless Chromium (the
// module's memory and the bytes its allocator holds). Prints the figures;
// exits 1 if any of them grows after warm-up.
//
//   node test/web/soak.mjs [--runs 10000] [--only native,node,chromium]
//
// Not part of `node --test test/web/` (10,000 runs take minutes): the test
// suite runs 10,000 natively (test/e2e/runtime.test.mjs) and 1,000 in Node
// and in Chromium (models.test.mjs, browser.test.mjs).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

import { missing, openPage, serve } from './chromium.mjs';
import { MODELS, buildDir, compileWasm, importLoader, loadCatchingExports, oracle, readFeeds, repoRoot, tempDir } from './common.mjs';

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 && at + 1 < args.length ? args[at + 1] : fallback;
};
const runs = Number(flag('--runs', '10000'));
const only = flag('--only', 'native,node,chromium').split(',');
const every = Math.max(1, Math.round(runs / 10));
const { name, model } = MODELS[0];
let grew = false;

const kb = (bytes) => `${Math.round(bytes / 1024)} KB`;
function report(label, points, extra) {
  console.log(`${label}:`);
  for (const p of points) console.log(`  after run ${String(p.run).padStart(6)}: ${p.text}`);
  if (extra) console.log(`  ${extra}`);
}

async function native() {
  const tmp = tempDir('kiln-soak-native-');
  try {
    const kilnc = path.join(buildDir, 'bin/kilnc');
    execFileSync(kilnc, [model, '-o', tmp, '--name=soak'], { stdio: 'inherit' });
    const runner = path.join(tmp, 'runner');
    execFileSync('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', '-DKILN_MODEL=soak', '-DKILN_MODEL_UPPER=SOAK',
      '-include', `${tmp}/soak.h`, '-I', tmp, path.join(repoRoot, 'test/e2e/native/model_runner.c'),
      `${tmp}/libsoak.a`, `${tmp}/libkiln_runtime.a`, '-lm', '-lpthread', '-ldl', '-o', runner]);
    fs.mkdirSync(path.join(tmp, 'out'));
    const log = execFileSync(runner, [oracle(model).inputs, path.join(tmp, 'out'), '--runs', String(runs), '--threads', '1',
      '--check-no-alloc', '--rss', '--time'], { encoding: 'utf8' });
    const points = [...log.matchAll(/rss after run (\d+): (\d+) KB/g)].map((m) => ({ run: Number(m[1]), kb: Number(m[2]) }));
    report(`native (static library, 1 thread)`, points.map((p) => ({ run: p.run, text: `RSS ${p.kb} KB` })),
      `${log.match(/no allocations.*/)[0]}; ${log.match(/median.*/)[0]}`);
    const warm = points.find((p) => p.run >= 100) ?? points[0];
    if (points.at(-1).kb - warm.kb > 4) grew = true;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function node() {
  const loader = await importLoader(compileWasm(model, name));
  const feeds = readFeeds(oracle(model).inputs);
  const { m, exports: ex } = await loadCatchingExports(loader);
  const point = (run) => ({ run, memory: m.memoryBytes, heap: ex.kiln_heap_in_use(), rss: process.memoryUsage().rss });
  m.run(feeds);
  const points = [point(1)];
  const start = performance.now();
  for (let i = 2; i <= runs; i++) {
    m.run(feeds);
    if (i % every === 0 || i === runs) points.push(point(i));
  }
  const ms = (performance.now() - start) / Math.max(runs - 1, 1);
  m.dispose();
  report(`WASM in Node ${process.version} (SIMD)`, points.map((p) => ({ run: p.run, text: `memory ${kb(p.memory)}, heap in use ${p.heap} B, process RSS ${kb(p.rss)}` })),
    `${ms.toFixed(2)} ms/run`);
  if (points.some((p) => p.memory !== points[0].memory || p.heap !== points[0].heap)) grew = true;
}

async function chromium() {
  if (missing) {
    console.log(`chromium: skipped (${missing})`);
    return;
  }
  const { server, origin } = await serve({ m: { [name]: compileWasm(model, name).dir }, in: { [name]: oracle(model).inputs } });
  const browser = await openPage(`${origin}/`);
  try {
    const { points, msPerRun, same } = await browser.page.evaluate(([n, r, e]) => window.soak(n, r, e), [name, runs, every]);
    report('WASM in headless Chromium (SIMD, strict CSP)', points.map((p) => ({ run: p.run,
      text: `memory ${kb(p.memory)}, heap in use ${p.heap} B${p.jsHeap === null ? '' : `, JS heap ${kb(p.jsHeap)}`}` })),
    `${msPerRun.toFixed(2)} ms/run; last outputs ${same ? 'bit-identical to the first' : 'DIFFER from the first'}`);
    if (!same || points.some((p) => p.memory !== points[0].memory || p.heap !== points[0].heap)) grew = true;
  } finally {
    await browser.close();
    server.close();
  }
}

console.log(`BlazeFace front, ${runs} runs:`);
for (const [label, fn] of [['native', native], ['node', node], ['chromium', chromium]]) if (only.includes(label)) await fn();
if (grew) {
  console.log('memory grew: see above');
  process.exit(1);
}
