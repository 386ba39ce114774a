#!/usr/bin/env node
// Kiln's SPIR-V target against the WebGPU runtimes on one Vulkan driver
// (issue 21, "Measured"): Kiln's Vulkan modules on SwiftShader (Chromium's
// bundled Vulkan driver, loaded with VK_ICD_FILENAMES), TensorFlow.js's
// WebGPU backend and ONNX Runtime Web's WebGPU provider in headless Chromium
// on the same SwiftShader, plus Kiln on lavapipe and Kiln's own native CPU
// code (1 and 2 threads) as the cost of the route.
//
//   node benchmarks/vulkan/run.mjs [--smoke] [--models a,b] [--rounds N]
//        [--round-ms MS] [--out DIR] [--no-browser]
//
// Per model: compiles Kiln's SPIR-V and CPU artifacts, links
// benchmarks/native/bench_model.c to each (the spirv target's NAME.h has the
// CPU API's shape), starts every contender (own process, or the one page),
// warms each up (pipelines are compiled by the driver on the first run),
// then runs them in rounds whose order rotates. Reports medians. Writes
// DIR/vulkan.json and DIR/vulkan.md. --smoke: BlazeFace front, one run each
// (the first); checks only that every part works.
//
// Exit status: 0 all measured (skips are fine), 1 a contender failed, 2 bad usage.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { UsageError, repoRoot, runMain, parseArgs } from '../../test/e2e/common.mjs';
import { BuildError, buildHarness, compileCpu, kilnc, run } from '../lib/artifacts.mjs';
import { chromiumMissing } from '../lib/browser.mjs';
import { ChildContender } from '../lib/contender.mjs';
import { MODELS } from '../lib/models.mjs';
import { provenance } from '../lib/provenance.mjs';
import { summarize } from '../lib/stats.mjs';
import { WebGpuBrowser, webgpuMissing } from './webgpu.mjs';

const USAGE = `usage: node benchmarks/vulkan/run.mjs [--smoke] [--models ${MODELS.map((m) => m.key).join(',')}]
       [--rounds N] [--round-ms MS] [--out DIR] [--no-browser]
  --smoke       BlazeFace front, one run of each contender (its first: pipelines compile in it)
  --rounds      rotating rounds (default 5)
  --round-ms    time per contender per round (default 1000)
  --out         where vulkan.{json,md} go (default benchmarks/results; smoke: build/bench-smoke)
  --no-browser  skip the WebGPU contenders`;

export const SWIFTSHADER = process.env.KILN_SWIFTSHADER_ICD || '/usr/lib/chromium/vk_swiftshader_icd.json';
export const LAVAPIPE = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';

export const VK_CONTENDERS = {
  'kiln-vk-swiftshader': { label: 'Kiln SPIR-V, SwiftShader (Vulkan)' },
  'tfjs-webgpu': { label: 'TF.js WebGPU, Chromium (SwiftShader)', kiln: 'kiln-vk-swiftshader' },
  'ort-webgpu': { label: 'ORT Web WebGPU, Chromium (SwiftShader)', kiln: 'kiln-vk-swiftshader' },
  'kiln-vk-lavapipe': { label: 'Kiln SPIR-V, lavapipe (Vulkan)', kiln: 'kiln-vk-swiftshader' },
  // Only where tuning/MODEL.vulkan-1t.jsonl is shipped (issue 20's tuned
  // columns for the Vulkan device): the same model built with it.
  'kiln-vk-lavapipe-tuned': { label: 'Kiln SPIR-V tuned (tuning/), lavapipe', kiln: 'kiln-vk-swiftshader' },
  'kiln-native-1t': { label: 'Kiln native CPU, 1 thread', kiln: 'kiln-vk-swiftshader' },
  'kiln-native-2t': { label: 'Kiln native CPU, 2 threads', kiln: 'kiln-vk-swiftshader' },
};

/** libNAME.a for Vulkan and bench_model.c linked to it. */
function buildVulkanHarness(source, dir, name, extra = []) {
  run(kilnc, [source, '--target=spirv', `--name=${name}`, '-o', dir, ...extra], { label: 'kilnc --target=spirv' });
  const out = path.join(dir, 'bench_vk');
  run('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', `-DKILN_MODEL=${name}`, `-DKILN_MODEL_UPPER=${name.toUpperCase()}`,
    // The Vulkan runtime names statuses with its own function (it knows the
    // KILN_VK_* ones too).
    '-Dkiln_status_string=kiln_vk_status_string',
    '-include', path.join(dir, `${name}.h`), '-I', dir, '-I', repoRoot,
    path.join(repoRoot, 'benchmarks/native/bench_model.c'), path.join(dir, `lib${name}.a`),
    path.join(dir, 'libkiln_runtime_vulkan.a'), '-lm', '-lpthread', '-ldl', '-o', out]);
  return out;
}

async function startContenders(model, workDir, browser, log) {
  const started = {};
  const errors = [];
  const source = model.onnx ?? model.tfjs;
  const dir = path.join(workDir, model.key);
  fs.mkdirSync(dir, { recursive: true });
  const name = model.key.replace(/[^a-z0-9_]/g, '_');
  let vk;
  try {
    vk = buildVulkanHarness(source, path.join(dir, 'spirv'), name);
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    return { skipped: `Kiln's SPIR-V target cannot compile it: ${e.message}`, started, errors };
  }
  const db = path.join(repoRoot, 'tuning', `${model.key}.vulkan-1t.jsonl`);
  const tuned = fs.existsSync(db) ? buildVulkanHarness(source, path.join(dir, 'spirv-tuned'), name, [`--tuning-db=${db}`]) : null;
  const cpu = compileCpu(source, path.join(dir, 'cpu'), name);
  const native = buildHarness(cpu, path.join(dir, 'bench_cpu'));
  const children = [
    ['kiln-vk-swiftshader', vk, ['--threads', '1'], { VK_ICD_FILENAMES: SWIFTSHADER }],
    ['kiln-vk-lavapipe', vk, ['--threads', '1'], { VK_ICD_FILENAMES: LAVAPIPE }],
    ['kiln-native-1t', native, ['--threads', '1'], {}],
    ['kiln-native-2t', native, ['--threads', '2'], {}],
    ...(tuned ? [['kiln-vk-lavapipe-tuned', tuned, ['--threads', '1'], { VK_ICD_FILENAMES: LAVAPIPE }]] : []),
  ];
  for (const [id, command, args, env] of children) {
    const c = new ChildContender(id, command, args, { env, timeoutMs: 600000 });
    try {
      await c.start();
      started[id] = c;
    } catch (e) {
      errors.push(e.message);
      await c.close();
    }
  }
  if (browser) {
    const peers = [['tfjs-webgpu', model.tfjs, (f) => browser.addTfjs('tfjs-webgpu', f)],
      ['ort-webgpu', model.onnx, (f) => browser.addOrt('ort-webgpu', f)]];
    for (const [id, file, add] of peers) {
      if (!file) continue;
      try {
        started[id] = await add(file);
      } catch (e) {
        errors.push(`${id}: ${e.message.split('\n')[0]}`);
      }
    }
  }
  log(`  started: ${Object.keys(started).join(', ')}`);
  return { started, errors };
}

async function benchmarkModel(model, { workDir, browser, options, log }) {
  const result = { key: model.key, title: model.title, source: path.basename(model.onnx ?? model.tfjs), contenders: {}, errors: [] };
  const { skipped, started, errors } = await startContenders(model, workDir, browser, log);
  result.errors.push(...errors);
  if (skipped) return { ...result, skipped };
  const samples = Object.fromEntries(Object.keys(started).map((id) => [id, []]));
  const perRound = {};
  try {
    // Warm-up: the first run builds the drivers' pipelines (seconds on lavapipe).
    for (const [id, c] of Object.entries(started)) {
      const t = await c.run(Math.max(1, options.warmup));
      if (!options.warmup) samples[id].push(...t); // smoke: the one run is the first
      perRound[id] = options.smoke ? 1 : Math.max(1, Math.round(options.roundMs / Math.max(1e-3, Math.min(...t))));
      log(`  ${id}: warm-up ${t.map((x) => x.toFixed(1)).join(' ')} ms`);
    }
    const ids = Object.keys(started);
    for (let r = 0; r < (options.smoke ? 0 : options.rounds); r++)
      for (let k = 0; k < ids.length; k++) {
        const id = ids[(k + r) % ids.length];
        samples[id].push(...(await started[id].run(perRound[id])));
      }
  } catch (e) {
    result.errors.push(e.message.split('\n')[0]);
  } finally {
    for (const c of Object.values(started)) await c.close();
  }
  for (const [id, s] of Object.entries(samples)) if (s.length) result.contenders[id] = summarize(s);
  const kiln = result.contenders['kiln-vk-swiftshader'];
  result.ratios = {};
  for (const [id, stats] of Object.entries(result.contenders))
    if (kiln && id !== 'kiln-vk-swiftshader') result.ratios[id] = stats.median / kiln.median;
  for (const [id, stats] of Object.entries(result.contenders))
    log(`  ${id}: median ${stats.median.toFixed(2)} ms (p25-p75 ${stats.p25.toFixed(2)}-${stats.p75.toFixed(2)}, n ${stats.n})`);
  return result;
}

const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function writeVulkanMarkdown(results) {
  const lines = ['# Kiln SPIR-V against WebGPU on one Vulkan driver (benchmarks/vulkan)', '',
    `${results.date}, ${results.mode} run, commit ${results.machine.commit}; ${results.machine.cpu}, ${results.machine.cores} cores; ` +
    `load average ${results.machine.loadAverageStart.map((l) => l.toFixed(1)).join('/')} at the start, ` +
    `${results.machine.loadAverageEnd.map((l) => l.toFixed(1)).join('/')} at the end.`,
    `Chromium: ${results.browser.version ?? results.browser.skipped ?? results.browser.error}` +
    (results.browser.adapter ? `, WebGPU adapter ${JSON.stringify(results.browser.adapter)}` : '') + '.',
    '', 'Median ms per inference (inputs in, outputs read back), p25-p75 in brackets; ' +
    'ratio = contender / Kiln SPIR-V on SwiftShader (above 1: Kiln on SwiftShader is faster).', ''];
  const ids = Object.keys(VK_CONTENDERS);
  lines.push(`| model | ${ids.map((id) => VK_CONTENDERS[id].label).join(' | ')} |`, `|---|${ids.map(() => '---').join('|')}|`);
  for (const m of results.models) {
    if (m.skipped) {
      lines.push(`| ${m.title} | ${ids.map(() => '-').join(' | ')} |`);
      continue;
    }
    const cells = ids.map((id) => {
      const s = m.contenders[id];
      if (!s) return '-';
      const r = m.ratios[id];
      return `${ms(s.median)} (${ms(s.p25)}-${ms(s.p75)})${r ? ` ${r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}x` : ''}`;
    });
    lines.push(`| ${m.title} | ${cells.join(' | ')} |`);
  }
  const notes = results.models.flatMap((m) => [...(m.skipped ? [`${m.title}: skipped: ${m.skipped}`] : []),
    ...m.errors.map((e) => `${m.title}: error: ${e}`)]);
  for (const m of results.models) {
    const [a, b] = [m.contenders?.['kiln-vk-lavapipe'], m.contenders?.['kiln-vk-lavapipe-tuned']];
    if (a && b) notes.push(`${m.title}: on lavapipe, tuned (tuning/${m.key}.vulkan-1t.jsonl) / untuned ` +
      `${(a.median / b.median).toFixed(2)}x (untuned ${ms(a.median)} ms, tuned ${ms(b.median)} ms, same rounds)`);
  }
  if (notes.length) lines.push('', ...notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

async function main(argv) {
  const bools = new Set(argv.filter((a) => a === '--smoke' || a === '--no-browser'));
  const args = parseArgs(argv.filter((a) => !bools.has(a)), { '--models': 'string', '--rounds': 'int', '--round-ms': 'float', '--out': 'string' }, []);
  const smoke = bools.has('--smoke');
  const known = new Set(MODELS.map((m) => m.key));
  const selected = args.models ? args.models.split(',') : smoke ? ['blazeface_front'] : ['blazeface_front', 'blazeface_back', 'mobilenetv2', 'facemesh', 'movenet_lightning'];
  for (const k of selected) if (!known.has(k)) throw new UsageError(`unknown model '${k}' (known: ${[...known].join(', ')})`);
  const options = { smoke, rounds: args.rounds ?? (smoke ? 1 : 5), roundMs: args['round-ms'] ?? 1000, warmup: smoke ? 0 : 2 };
  if (options.rounds < 1 || !(options.roundMs > 0)) throw new UsageError('--rounds and --round-ms must be positive');
  if (!fs.existsSync(kilnc)) throw new UsageError(`${kilnc} is missing: build first`);
  if (!fs.existsSync(SWIFTSHADER)) throw new UsageError(`${SWIFTSHADER} is missing (Debian's chromium ships it; KILN_SWIFTSHADER_ICD overrides)`);
  const out = path.resolve(args.out ?? (smoke ? path.join(repoRoot, 'build/bench-smoke') : path.join(repoRoot, 'benchmarks/results')));
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-bench-vk-'));
  const log = (text) => console.log(text);
  const started = Date.now();
  const results = { format: 'kiln-bench-vulkan-v1', date: new Date().toISOString(), mode: smoke ? 'smoke' : 'full', options,
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, ...provenance(kilnc), loadAverageStart: os.loadavg() },
    drivers: { swiftshader: SWIFTSHADER, lavapipe: LAVAPIPE }, browser: {}, models: [] };
  let browser = null;
  try {
    const missing = bools.has('--no-browser') ? 'not run (--no-browser)' : chromiumMissing() ?? webgpuMissing();
    if (missing) results.browser.skipped = missing;
    else {
      try {
        browser = await WebGpuBrowser.launch();
        results.browser = { version: await browser.version(), adapter: browser.adapter };
      } catch (e) {
        results.browser.error = `Chromium with WebGPU did not start: ${e.message.split('\n')[0]}`;
      }
    }
    log(`Chromium: ${results.browser.version ?? results.browser.skipped ?? results.browser.error}` +
      (browser ? `, WebGPU adapter ${JSON.stringify(browser.adapter)}` : ''));
    for (const key of selected) {
      const model = MODELS.find((m) => m.key === key);
      log(`${model.title}:`);
      const r = await benchmarkModel(model, { workDir, browser, options, log });
      if (r.skipped) log(`  skipped: ${r.skipped}`);
      for (const e of r.errors) log(`  error: ${e}`);
      results.models.push(r);
    }
  } finally {
    await browser?.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  results.machine.loadAverageEnd = os.loadavg();
  results.seconds = (Date.now() - started) / 1e3;
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'vulkan.json'), `${JSON.stringify(results, null, 1)}\n`);
  fs.writeFileSync(path.join(out, 'vulkan.md'), writeVulkanMarkdown(results));
  log(`wrote ${path.join(out, 'vulkan.{json,md}')} in ${results.seconds.toFixed(0)} s`);
  const failures = results.models.flatMap((m) => m.errors.map((e) => `${m.key}: ${e}`));
  if (results.browser.error) failures.push(results.browser.error);
  if (smoke) {
    for (const m of results.models) {
      if (m.skipped) failures.push(`${m.key}: skipped in smoke mode: ${m.skipped}`);
      else if (!m.contenders['kiln-vk-swiftshader'] || !m.contenders['kiln-vk-lavapipe']) failures.push(`${m.key}: Kiln on Vulkan did not run`);
      else if (browser && !m.contenders['ort-webgpu'] && !m.contenders['tfjs-webgpu']) failures.push(`${m.key}: no WebGPU peer ran`);
    }
  }
  if (failures.length) {
    for (const f of failures) console.error(`bench-vulkan: error: ${f}`);
    process.exit(1);
  }
}

runMain('bench-vulkan', USAGE, main);
