// The WASM target in headless Chromium (chromium.mjs: Debian's Chromium,
// playwright-core, pages served from 127.0.0.1): a page imports each model's
// generated loader, loads the module (streaming compile, as served with
// application/wasm), runs the oracle's inputs and hands the outputs back;
// they must match onnxruntime-node's within 1e-4 of each output's range,
// SIMD and fallback modules both. Every page runs under a strict
// Content-Security-Policy (chromium.mjs, STRICT_CSP: no eval, no inline
// script, WebAssembly by 'wasm-unsafe-eval' only) and must report no
// violation; without 'wasm-unsafe-eval' the loader must say why it fails.
// Bad input throws TypeError/RangeError there too, and 1,000 runs leave the
// module's memory where it was (test/web/soak.mjs runs 10,000). Threaded
// modules (--threads) run on 2 threads on a cross-origin isolated page
// (/isolated) and match too; elsewhere the loader falls back and says why.
// With no thread count the loader sizes the pool by
// navigator.hardwareConcurrency (overridden by the page), at most 4.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { DTYPES } from '../e2e/tensor_dir.mjs';
import { chromiumSkip, openPage, serve } from './chromium.mjs';
import { MODELS, compare, compileWasm, modelAvailable, oracle, tempDir, writeOutputs } from './common.mjs';
import { modelSkip } from '../e2e/setup_skip.mjs';

describe('Chromium', { skip: chromiumSkip() }, () => {
  const available = MODELS.filter((m) => modelAvailable(m.model));
  const routes = { m: {}, e: {}, in: {}, t: {} };
  const truths = {};
  let server, origin, requests, browser, page;
  const tmp = tempDir('kiln-web-browser-');

  before(async () => {
    for (const { name, model } of available) {
      routes.m[name] = compileWasm(model, name).dir;
      truths[name] = oracle(model);
      routes.in[name] = truths[name].inputs;
      routes.t[name] = compileWasm(model, name, { threads: true, fallback: false }).dir;
    }
    // One model with --weights=external as well, served at /e/NAME/.
    if (available.length) routes.e[available[0].name] = compileWasm(available[0].model, available[0].name, { external: true }).dir;
    ({ server, origin, requests } = await serve(routes));
    browser = await openPage(`${origin}/`);
    page = browser.page;
    assert.deepEqual(browser.errors, []);
  });

  after(async () => {
    await browser?.close();
    server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  for (const { name, model } of MODELS) {
    for (const simd of [true, false]) {
      test(`${name}: the ${simd ? 'SIMD' : 'fallback'} module matches ONNX Runtime`, { skip: modelSkip(model) }, async () => {
        const result = await page.evaluate(([n, s]) => window.runModel(n, s), [name, simd]);
        assert.equal(result.simdSupported, true, 'headless Chromium has WebAssembly SIMD');
        assert.equal(result.simd, simd);
        assert.ok(result.streamed > 0, 'the module was not compiled while streaming');
        if (simd) assert.equal(result.sameWhenGivenOrViewed, true, 'run(feeds, {outputs}) or run(feeds, {views: true}) differs from run(feeds)');
        const manifest = JSON.parse(fs.readFileSync(path.join(truths[name].expected, 'manifest.json'), 'utf8'));
        const infos = manifest.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
        const outputs = Object.fromEntries(infos.map((t) => [t.name, DTYPES[t.dtype].from(result.outputs[t.name] ?? [])]));
        const actual = path.join(tmp, `${name}-${simd}`);
        writeOutputs(actual, outputs, infos);
        const r = compare(truths[name].expected, actual);
        assert.equal(r.status, 0, `Chromium's outputs differ from ONNX Runtime's:\n${r.out}`);
      });
    }
  }

  const compareTo = (name, result, label) => {
    const manifest = JSON.parse(fs.readFileSync(path.join(truths[name].expected, 'manifest.json'), 'utf8'));
    const outputs = Object.fromEntries(manifest.tensors.map((t) => [t.name, DTYPES[t.dtype].from(result.outputs[t.name] ?? [])]));
    const actual = path.join(tmp, `${name}-${label}`);
    writeOutputs(actual, outputs, manifest.tensors);
    const r = compare(truths[name].expected, actual);
    assert.equal(r.status, 0, `Chromium's outputs (${label}) differ from ONNX Runtime's:\n${r.out}`);
  };

  describe('threads on a cross-origin isolated page', () => {
    let isolated;
    before(async () => {
      isolated = await browser.context.newPage();
      await isolated.goto(`${origin}/isolated`);
      await isolated.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
    });
    after(() => isolated?.close());

    // MobileNetV2 runs 30 times, not 100 (its runs were 9 of this file's
    // 16 s on threads at load 20): the same loader and shim leak nothing in
    // 50 runs of each model by the heap's exact count (threads.test.mjs).
    for (const { name, model } of MODELS) {
      const runs = name === 'mobilenetv2' ? 30 : 100;
      test(`${name}: 2 threads match ONNX Runtime, and ${runs} runs leave the memory where it was`, { skip: modelSkip(model) }, async () => {
        const result = await isolated.evaluate(([n, r]) => window.runThreaded(n, 2, r), [name, runs]);
        assert.equal(result.isolated, true, 'the page is not cross-origin isolated');
        assert.deepEqual(result.backend, { name: 'threads', threads: 2, reason: '2 threads' });
        assert.equal(result.memoryAfter, result.memory, `the memory grew over ${runs} runs`);
        assert.equal(result.sameWhenGivenOrViewed, true, 'run(feeds, {outputs}) or run(feeds, {views: true}) differs from run(feeds)');
        compareTo(name, result, 'threads');
      });
    }

    // The default thread count (issue 18): navigator.hardwareConcurrency,
    // at most 4, one of them the caller; one core: the single-threaded module.
    // The workers are created in load, none in the 5 runs after it.
    test('with no thread count the pool is navigator.hardwareConcurrency threads, at most 4, and runs create no worker', { skip: available.length ? false : 'no model' }, async () => {
      const { name } = available[0];
      for (const [cores, backend, workers] of [
        [8, { name: 'threads', threads: 4, reason: '4 threads' }, 3],
        [2, { name: 'threads', threads: 2, reason: '2 threads' }, 1],
        [1, { name: 'simd', threads: 1, reason: 'one core' }, 0],
      ]) {
        const result = await isolated.evaluate(([n, c]) => window.defaultThreads(n, c), [name, cores]);
        assert.deepEqual(result.backend, backend, `hardwareConcurrency ${cores}`);
        assert.equal(result.workers, workers, `hardwareConcurrency ${cores}: workers created`);
        assert.equal(result.pool, workers > 0, `hardwareConcurrency ${cores}: poolStats`);
        assert.equal(result.workersInRuns, 0, `hardwareConcurrency ${cores}: runs created workers`);
      }
    });

    test('the isolated page violates no Content-Security-Policy either', async () => {
      assert.deepEqual(await isolated.evaluate(() => window.violations), []);
    });
  });

  test('without isolation the threaded artifact runs the SIMD module and says why', { skip: available.length ? false : 'no model' }, async () => {
    const { name } = available[0];
    const before = requests.length;
    const result = await page.evaluate(([n]) => window.runThreaded(n, 2), [name]);
    assert.equal(result.isolated, false);
    assert.equal(result.backend.name, 'simd');
    assert.match(result.backend.reason, /not cross-origin isolated .*Cross-Origin-Opener-Policy: same-origin/);
    assert.ok(!requests.slice(before).includes(`/t/${name}/${name}.threads.wasm`), 'the threaded module was fetched although it cannot run');
    compareTo(name, result, 'threads-fallback');
  });

  test('external weights are fetched beside the module and give the same outputs', { skip: available.length ? false : 'no model' }, async () => {
    const { name } = available[0];
    const result = await page.evaluate((n) => window.runModel(n, undefined, 'e'), name);
    assert.equal(result.simd, true, 'feature detection did not pick the SIMD module');
    assert.ok(requests.includes(`/e/${name}/${name}.weights.bin`), 'the weights were not fetched');
    assert.ok(!requests.includes(`/e/${name}/${name}.nosimd.wasm`), 'the fallback was fetched although SIMD works');
    const manifest = JSON.parse(fs.readFileSync(path.join(truths[name].expected, 'manifest.json'), 'utf8'));
    const outputs = Object.fromEntries(manifest.tensors.map((t) => [t.name, DTYPES[t.dtype].from(result.outputs[t.name] ?? [])]));
    const actual = path.join(tmp, `${name}-external`);
    writeOutputs(actual, outputs, manifest.tensors);
    const r = compare(truths[name].expected, actual);
    assert.equal(r.status, 0, `Chromium's outputs differ from ONNX Runtime's:\n${r.out}`);
  });

  test('bad input throws a RangeError or TypeError naming the input in the page too', { skip: available.length ? false : 'no model' }, async () => {
    const errors = await page.evaluate((n) => window.badInput(n), available[0].name);
    assert.equal(errors[0][0], 'RangeError');
    assert.match(errors[0][1], /^\w+: input '.+' has 3 elements, expected \d+ \(shape \[[\d,]+\]\)$/);
    assert.equal(errors[1][0], 'TypeError');
    assert.match(errors[1][1], /^\w+: input '.+' must be a Float32Array \(float32\), got Int32Array$/);
    assert.equal(errors[2][0], 'TypeError');
    assert.match(errors[2][1], /^\w+: unknown input 'nope' \(the inputs are '.+'\)$/);
    assert.equal(errors[3][0], 'Error');
    assert.match(errors[3][1], /^\w+: run\(\) after dispose\(\)$/);
  });

  test('the page runs under a strict Content-Security-Policy, and no WebAssembly without wasm-unsafe-eval', { skip: available.length ? false : 'no model' }, async () => {
    const { name } = available[0];
    // Every test above ran on this page: none of them violated the policy.
    assert.deepEqual(await page.evaluate(() => window.violations), []);
    const strict = await page.evaluate((n) => window.policyCheck(n), name);
    assert.equal(strict.evalRefused, true, 'eval ran: the policy is not in force');
    assert.equal(strict.reported.length, 1, `the page did not report the refused eval: ${strict.reported}`);
    assert.equal(strict.load, 'ok');
    assert.deepEqual(strict.violations, [], 'loading and running the model violated the policy');

    const other = await browser.context.newPage();
    try {
      await other.goto(`${origin}/nowasm`);
      await other.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
      const refused = await other.evaluate((n) => window.policyCheck(n), name);
      assert.match(refused.load, new RegExp(`^${name}: the page's Content-Security-Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to its script-src`));
    } finally {
      await other.close();
    }
  });

  test('1,000 runs leave the module\'s memory where it was after the first', { skip: available.length ? false : 'no model' }, async (t) => {
    const { name } = available[0];
    const { points, msPerRun, same } = await page.evaluate(([n, runs]) => window.soak(n, runs, 250), [name, 1000]);
    t.diagnostic(`${name} in Chromium: ${points.map((p) => `run ${p.run}: memory ${p.memory} B, heap in use ${p.heap} B`).join('; ')}; ${msPerRun.toFixed(2)} ms/run`);
    for (const p of points) {
      assert.equal(p.memory, points[0].memory, `the module's memory grew by run ${p.run}`);
      assert.equal(p.heap, points[0].heap, `the module's heap in use changed by run ${p.run}`);
    }
    assert.equal(same, true, 'the last run\'s outputs differ from the first\'s');
  });
});
