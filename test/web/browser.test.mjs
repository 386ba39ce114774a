// The WASM target in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core from .deps; never a downloaded browser): each model's
// generated files are served from 127.0.0.1 by a tiny node http server, a
// page imports NAME.mjs, loads the module (streaming compile, as served with
// application/wasm), runs the oracle's inputs and hands the outputs back;
// they must match onnxruntime-node's within 1e-4 of each output's range,
// SIMD and fallback modules both. Browser flags: docs/TRAPS.md W1.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { depsDir } from '../e2e/common.mjs';
import { DTYPES } from '../e2e/tensor_dir.mjs';
import { MODELS, compare, compileWasm, modelAvailable, oracle, tempDir, writeOutputs } from './common.mjs';

const CHROMIUM = process.env.KILN_CHROMIUM || '/usr/bin/chromium';
// Without the networking flags Chromium floods a closed network with retries.
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function loadPlaywright() {
  try {
    return createRequire(path.join(depsDir, 'package.json'))('playwright-core');
  } catch {
    return null;
  }
}
const playwright = loadPlaywright();
const skip = !fs.existsSync(CHROMIUM) ? `${CHROMIUM} is missing (apt-get install chromium)`
  : !playwright ? `playwright-core is missing from ${depsDir} (scripts/setup.sh)` : false;

// The page: imports a model's loader and runs it on the inputs served beside
// it. Outputs travel back as plain arrays (exact for float32 values).
const PAGE = `<!doctype html><meta charset="utf-8"><title>kiln wasm test</title>
<script type="module">
// Counts streaming compiles: the loader must use them when served application/wasm.
const compileStreaming = WebAssembly.compileStreaming;
window.streamed = 0;
WebAssembly.compileStreaming = (...args) => (window.streamed++, compileStreaming.apply(WebAssembly, args));
const ARRAYS = { float32: Float32Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array, int8: Int8Array, bool: Uint8Array };
window.runModel = async (name, simd, kind = 'm') => {
  const model = await import('/' + kind + '/' + name + '/' + name + '.mjs');
  const m = await model.load(undefined, { simd });
  const manifest = await (await fetch('/in/' + name + '/manifest.json')).json();
  const feeds = {};
  for (const t of manifest.tensors) {
    const bytes = await (await fetch('/in/' + name + '/' + encodeURIComponent(t.file))).arrayBuffer();
    feeds[t.name] = new ARRAYS[t.dtype](bytes);
  }
  const outputs = m.run(feeds);
  const result = { simd: m.simd, simdSupported: model.simdSupported(), streamed: window.streamed, outputs: {} };
  for (const [k, v] of Object.entries(outputs)) result.outputs[k] = Array.from(v);
  m.dispose();
  return result;
};
window.badInput = async (name) => {
  const model = await import('/m/' + name + '/' + name + '.mjs');
  const m = await model.load();
  try { m.run({ [model.inputs[0].name]: new Float32Array(3) }); return 'no error'; }
  catch (e) { return e instanceof Error ? e.message : 'not an Error'; }
  finally { m.dispose(); }
};
window.ready = true;
</script>`;

// Serves the page at /, each model's artifact at /m/NAME/ (with external
// weights at /e/NAME/) and its inputs at /in/NAME/, on an ephemeral port of
// 127.0.0.1. Counts requests by path.
const requests = [];
function serve(routes) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push(url.pathname);
    if (url.pathname === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    const [, kind, name, ...rest] = decodeURIComponent(url.pathname).split('/');
    const root = routes[kind]?.[name];
    const file = root && path.join(root, ...rest);
    if (!file || !file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile())
      return res.writeHead(404).end('not found');
    const type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.mjs') ? 'text/javascript'
      : file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('Chromium', { skip }, () => {
  const available = MODELS.filter((m) => modelAvailable(m.model));
  const routes = { m: {}, e: {}, in: {} };
  const truths = {};
  let server, context, page, profile;
  const tmp = tempDir('kiln-web-browser-');

  before(async () => {
    for (const { name, model } of available) {
      routes.m[name] = compileWasm(model, name).dir;
      truths[name] = oracle(model);
      routes.in[name] = truths[name].inputs;
    }
    // One model with --weights=external as well, served at /e/NAME/.
    if (available.length) routes.e[available[0].name] = compileWasm(available[0].model, available[0].name, { external: true }).dir;
    server = await serve(routes);
    profile = tempDir('kiln-chromium-profile-');
    context = await playwright.chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
    });
    page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
    assert.deepEqual(errors, []);
  });

  after(async () => {
    await context?.close();
    server?.close();
    for (const dir of [tmp, profile]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const { name, model } of MODELS) {
    for (const simd of [true, false]) {
      test(`${name}: the ${simd ? 'SIMD' : 'fallback'} module matches ONNX Runtime`, { skip: modelAvailable(model) ? false : `${model} is missing` }, async () => {
        const result = await page.evaluate(([n, s]) => window.runModel(n, s), [name, simd]);
        assert.equal(result.simdSupported, true, 'headless Chromium has WebAssembly SIMD');
        assert.equal(result.simd, simd);
        assert.ok(result.streamed > 0, 'the module was not compiled while streaming');
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

  test('bad input throws an Error in the page too', { skip: available.length ? false : 'no model' }, async () => {
    const message = await page.evaluate((n) => window.badInput(n), available[0].name);
    assert.match(message, /^\w+: input '.+' has 3 elements, expected \d+ \(shape \[[\d,]+\]\)$/);
  });
});
