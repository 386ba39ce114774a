// The generated loader (NAME.mjs) in Node, on BlazeFace front: every way of
// giving it the module and the weights (path, file URL, http URL, Response,
// bytes), --weights=external, and bad input of every kind, each of which
// must throw an Error that says what is wrong: a TypeError for a wrong input
// name or type, a RangeError for a wrong length, naming the input.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import {
  MODELS,
  compare,
  compileWasm,
  importLoader,
  oracle,
  readFeeds,
  repoRoot,
  tempDir,
  writeOutputs,
} from './common.mjs';
import { modelSkip } from '../e2e/setup_skip.mjs';

const { name, model } = MODELS[0]; // BlazeFace front: small and quick
const skip = modelSkip(model);
const tmp = tempDir('kiln-web-loader-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Runs a loaded model and checks its outputs against ONNX Runtime's.
function check(loader, m, label) {
  const truth = oracle(model);
  const actual = path.join(tmp, label);
  writeOutputs(actual, m.run(readFeeds(truth.inputs)), loader.outputs);
  const r = compare(truth.expected, actual);
  assert.equal(r.status, 0, `${label}: outputs differ from ONNX Runtime's:\n${r.out}`);
}

// Serves a directory on 127.0.0.1 (an ephemeral port); counts requests.
function serve(dir) {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url);
    const file = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    if (!file.startsWith(dir) || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = file.endsWith('.wasm') ? 'application/wasm' : 'application/octet-stream';
    res.writeHead(200, { 'content-type': type }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, requests, base: `http://127.0.0.1:${server.address().port}/` })));
}

describe('loading', { skip }, () => {
  let embedded, external, loader, extLoader, wasmPath;
  before(async () => {
    embedded = compileWasm(model, name);
    external = compileWasm(model, name, { external: true });
    loader = await importLoader(embedded);
    extLoader = await importLoader(external);
    wasmPath = path.join(embedded.dir, `${name}.wasm`);
  });

  test('Node has WebAssembly SIMD, and the loader sees it', () => {
    assert.equal(loader.simdSupported(), true);
  });

  test('from a file path, a file URL, bytes and a Response', async () => {
    const bytes = fs.readFileSync(wasmPath);
    const sources = {
      path: wasmPath,
      directory: embedded.dir + path.sep,
      url: pathToFileURL(wasmPath),
      bytes: new Uint8Array(bytes),
      arraybuffer: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length),
      response: new Response(bytes, { headers: { 'content-type': 'application/wasm' } }),
      'untyped response': new Response(bytes),
    };
    for (const [kind, source] of Object.entries(sources)) {
      const m = await loader.load(source, { simd: true });
      check(loader, m, `source-${kind.replace(' ', '-')}`);
      m.dispose();
    }
  });

  test('a path to NAME.wasm picks NAME.nosimd.wasm without SIMD', async () => {
    const m = await loader.load(wasmPath, { simd: false });
    assert.equal(m.simd, false);
    check(loader, m, 'fallback-by-path');
    m.dispose();
  });

  test('over http, with external weights fetched beside the module', async () => {
    const { server, requests, base } = await serve(external.dir);
    try {
      const m = await extLoader.load(`${base}${name}.wasm`);
      check(extLoader, m, 'http-external');
      m.dispose();
      assert.deepEqual(requests.sort(), [`/${name}.wasm`, `/${name}.weights.bin`].sort());
    } finally {
      server.close();
    }
  });

  test('external weights as bytes, and found beside a file path', async () => {
    assert.ok(fs.existsSync(path.join(external.dir, `${name}.weights.bin`)));
    const weights = fs.readFileSync(path.join(external.dir, `${name}.weights.bin`));
    const wasm = fs.readFileSync(path.join(external.dir, `${name}.wasm`));
    const m1 = await extLoader.load(wasm, { weights });
    check(extLoader, m1, 'external-bytes');
    m1.dispose();
    const m2 = await extLoader.load();
    check(extLoader, m2, 'external-default');
    m2.dispose();
  });

  test('--weights=external leaves the weights out of the module', () => {
    const size = (dir, file) => fs.statSync(path.join(dir, file)).size;
    const weights = size(external.dir, `${name}.weights.bin`);
    assert.ok(weights > 100000);
    assert.ok(size(external.dir, `${name}.wasm`) < size(embedded.dir, `${name}.wasm`) - weights + 4096);
    const report = JSON.parse(fs.readFileSync(path.join(external.dir, `${name}.size.json`), 'utf8'));
    assert.equal(report.weightsEmbedded, false);
    assert.equal(report.weights.raw, weights);
    assert.equal(report.code.raw, size(external.dir, `${name}.wasm`));
  });
});

test('the loader template has no string spanning lines (the emitter unindents it)', () => {
  const template = fs.readFileSync(path.join(repoRoot, 'targets/wasm/loader/loader.mjs'), 'utf8');
  template.split('\n').forEach((line, i) => {
    assert.equal((line.match(/`/g) ?? []).length % 2, 0, `loader.mjs:${i + 1} opens a template literal it does not close`);
    assert.ok(!/\\$/.test(line), `loader.mjs:${i + 1} continues a string on the next line`);
  });
});

describe('bad input throws a clear TypeError, RangeError or Error', { skip }, () => {
  let loader, extLoader, m, external, feeds, input;
  before(async () => {
    const embedded = compileWasm(model, name);
    external = compileWasm(model, name, { external: true });
    loader = await importLoader(embedded);
    extLoader = await importLoader(external);
    m = await loader.load();
    feeds = readFeeds(oracle(model).inputs);
    input = loader.inputs[0];
  });
  after(() => m?.dispose());

  // The error's class is exactly `Kind` (TypeError, RangeError or Error).
  const is = (Kind, pattern) => (e) => {
    assert.equal(e.constructor, Kind, `${e.constructor.name}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.ok(e.message.startsWith(`${name}: `), e.message);
    return true;
  };
  const throws = (fn, pattern, Kind = Error) => assert.throws(fn, is(Kind, pattern));
  const rejects = (promise, pattern, Kind = Error) => assert.rejects(promise, is(Kind, pattern));

  test('wrong length', () => {
    throws(() => m.run({ [input.name]: new Float32Array(10) }), /input 'input:0' has 10 elements, expected 49152 \(shape \[1,128,128,3\]\)/, RangeError);
    throws(() => m.run({ [input.name]: new Float32Array(0) }), /input 'input:0' has 0 elements/, RangeError);
  });

  test('wrong dtype', () => {
    throws(() => m.run({ [input.name]: new Int32Array(49152) }), /input 'input:0' must be a Float32Array \(float32\), got Int32Array/, TypeError);
    throws(() => m.run({ [input.name]: new Float64Array(49152) }), /input 'input:0' must be a Float32Array \(float32\), got Float64Array/, TypeError);
    throws(() => m.run({ [input.name]: new DataView(new ArrayBuffer(196608)) }), /input 'input:0' must be a Float32Array \(float32\), got DataView/, TypeError);
    throws(() => m.run({ [input.name]: Array.from({ length: 49152 }, () => 0) }), /input 'input:0' must be a Float32Array \(float32\), got object/, TypeError);
    throws(() => m.run({ [input.name]: null }), /input 'input:0' must be a Float32Array \(float32\), got null/, TypeError);
  });

  test('missing and unknown inputs', () => {
    throws(() => m.run({}), /missing input 'input:0' \(the inputs are 'input:0'\)/, TypeError);
    throws(() => m.run({ ...feeds, image: new Float32Array(1) }), /unknown input 'image' \(the inputs are 'input:0'\)/, TypeError);
    throws(() => m.run({ 'input:1': feeds['input:0'] }), /unknown input 'input:1'/, TypeError);
    throws(() => m.run(new Float32Array(49152)), /run\(\) expects an object \{name: TypedArray\}, got Float32Array/, TypeError);
    throws(() => m.run(null), /expects an object \{name: TypedArray\}, got null/, TypeError);
    throws(() => m.run(), /expects an object \{name: TypedArray\}, got undefined/, TypeError);
    throws(() => m.run('input:0'), /expects an object \{name: TypedArray\}, got string/, TypeError);
  });

  test('the model still runs after refusing bad input', () => {
    check(loader, m, 'after-bad-input');
  });

  // repeat() runs the model on the inputs the last run() left in the module
  // and copies nothing out: its outputs are views of the module's memory
  // that equal run()'s (the tuner's runners time it: tuner/runners/measure.mjs).
  test('repeat() reruns the last run()\'s inputs in place: the same outputs, as views', async () => {
    const fresh = await loader.load();
    try {
      throws(() => fresh.repeat(), /repeat\(\) before run\(\): it repeats the last run\(\)/);
      const zeros = fresh.run({ [input.name]: new Float32Array(feeds[input.name].length) });
      const want = fresh.run(feeds);
      const views = fresh.repeat(3);
      assert.deepEqual(Object.keys(views), Object.keys(want));
      for (const [k, v] of Object.entries(views)) {
        assert.equal(v.buffer.byteLength, fresh.memoryBytes, `output '${k}' of repeat() is not a view of the module's memory`);
        assert.equal(v.constructor, want[k].constructor);
        assert.deepEqual(v.slice(), want[k], `output '${k}' of repeat() differs from run()'s`);
      }
      assert.ok(Object.keys(want).some((k) => want[k].some((x, i) => x !== zeros[k][i])), 'the two inputs gave the same outputs: the check above proves nothing');
      throws(() => fresh.repeat(0), /repeat\(\) expects a whole number of at least 1, got 0/, TypeError);
      throws(() => fresh.repeat(1.5), /got 1\.5/, TypeError);
      throws(() => fresh.repeat('2'), /got string/, TypeError);
    } finally {
      fresh.dispose();
    }
    throws(() => fresh.repeat(), /repeat\(\) after dispose\(\)/);
  });

  // run(feeds, {outputs}) fills the caller's arrays (as onnxruntime-web's
  // preallocated fetches) and run(feeds, {views: true}) returns views of the
  // module's memory: both equal the default run's fresh arrays, bit for bit
  // (models.test.mjs measures that neither allocates).
  test('run() into the caller\'s arrays, or as views: the same outputs as fresh arrays', async () => {
    const zeros = { [input.name]: new Float32Array(feeds[input.name].length) };
    const want = m.run(feeds);
    const names = loader.outputs.map((o) => o.name);
    const outputs = Object.fromEntries(names.map((k) => [k, new want[k].constructor(want[k].length).fill(7)]));
    const arrays = { ...outputs };
    const got = m.run(feeds, { outputs });
    assert.equal(got, outputs, 'run() did not return the object it was given');
    for (const k of names) {
      assert.equal(got[k], arrays[k], `output '${k}' is not the array given`);
      assert.deepEqual(got[k], want[k], `output '${k}' written into the caller's array differs from the fresh one`);
    }
    // Only the outputs named are written (and returned).
    const one = { [names[0]]: new want[names[0]].constructor(want[names[0]].length) };
    m.run(zeros, { outputs: one });
    assert.deepEqual(Object.keys(one), [names[0]]);
    assert.ok(one[names[0]].some((x, i) => x !== want[names[0]][i]), 'the zero input gave the same outputs: the checks prove nothing');
    const views = m.run(feeds, { views: true });
    assert.deepEqual(Object.keys(views).sort(), [...names].sort());
    for (const k of names) {
      assert.equal(views[k].buffer.byteLength, m.memoryBytes, `output '${k}' is not a view of the module's memory`);
      assert.deepEqual(views[k].slice(), want[k], `output '${k}' as a view differs from the fresh one`);
    }
    assert.ok(Object.isFrozen(views));
    assert.equal(m.run(zeros, { views: true }), views, 'views: not the same object each run');
    assert.deepEqual(views[names[0]].slice(), one[names[0]], 'the views do not show the latest run');
    assert.equal(m.repeat(), views, 'repeat() returns other views');
    // The default is still fresh arrays, and { } or {views: false} is the default.
    const fresh = m.run(feeds, {});
    assert.notEqual(fresh[names[0]].buffer, m.run(feeds, { views: false })[names[0]].buffer);
    for (const k of names) assert.notEqual(fresh[k].buffer.byteLength, m.memoryBytes);
  });

  test('wrong output arrays and run() options', () => {
    const out = loader.outputs[0];
    const n = out.shape.reduce((a, d) => a * d, 1);
    throws(() => m.run(feeds, { outputs: { [out.name]: new Float64Array(n) } }), new RegExp(`output '${out.name}' must be a Float32Array \\(float32\\), got Float64Array`), TypeError);
    throws(() => m.run(feeds, { outputs: { [out.name]: Array.from({ length: n }, () => 0) } }), /must be a Float32Array \(float32\), got object/, TypeError);
    throws(() => m.run(feeds, { outputs: { [out.name]: new Float32Array(n + 1) } }), new RegExp(`output '${out.name}' has ${n + 1} elements, expected ${n} \\(shape \\[${out.shape}\\]\\)`), RangeError);
    throws(() => m.run(feeds, { outputs: { nope: new Float32Array(n) } }), new RegExp(`unknown output 'nope' in options.outputs \\(the outputs are '${out.name}'`), TypeError);
    throws(() => m.run(feeds, { outputs: new Float32Array(n) }), /options\.outputs must be an object \{name: TypedArray\}, got Float32Array/, TypeError);
    throws(() => m.run(feeds, { outputs: null }), /options\.outputs must be an object \{name: TypedArray\}, got null/, TypeError);
    throws(() => m.run(feeds, { outputs: {}, views: true }), /give options\.outputs or options\.views, not both/, TypeError);
    throws(() => m.run(feeds, { views: 1 }), /options\.views must be a boolean, got number/, TypeError);
    throws(() => m.run(feeds, null), /run\(\)'s options must be an object \{outputs\} or \{views\}, got null/, TypeError);
    throws(() => m.run(feeds, 'views'), /got string/, TypeError);
    // Refused before the run: the array keeps what it had.
    const kept = new Float32Array(n).fill(3);
    throws(() => m.run({}, { outputs: { [out.name]: kept } }), /missing input/, TypeError);
    assert.ok(kept.every((x) => x === 3), 'a refused run wrote the output array');
    check(loader, m, 'after-bad-outputs');
  });

  test('a truncated or corrupt module', async () => {
    const bytes = fs.readFileSync(path.join(external.dir, `${name}.wasm`));
    await rejects(loader.load(bytes.subarray(0, bytes.length >> 1)), /blazeface_front\.wasm is not a valid WebAssembly module \(truncated or corrupt\?\)/);
    await rejects(loader.load(new Uint8Array([1, 2, 3, 4])), /not a valid WebAssembly module/);
    const truncated = path.join(tmp, `${name}.wasm`);
    fs.writeFileSync(truncated, bytes.subarray(0, 1000));
    await rejects(loader.load(truncated), new RegExp(`${truncated.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a valid WebAssembly module`));
  });

  test('a missing file', async () => {
    await rejects(loader.load(path.join(tmp, 'nowhere.wasm')), /cannot read .*nowhere\.wasm: ENOENT/);
  });

  // The module's create checks the weights file (runtime/kiln_runtime.h has
  // its header); the loader passes its message on.
  test('truncated, corrupt, foreign, another build\'s or missing weights', async () => {
    const wasm = fs.readFileSync(path.join(external.dir, `${name}.wasm`));
    const weights = fs.readFileSync(path.join(external.dir, `${name}.weights.bin`));
    const edit = (change) => {
      const copy = new Uint8Array(weights);
      change(copy, new DataView(copy.buffer));
      return copy;
    };
    const cases = [
      [weights.subarray(0, weights.length - 1), /cannot create the model: the weights file is truncated: \d+ bytes of weights, its header says \d+/],
      [weights.subarray(0, 10), /cannot create the model: options\.weights is not a Kiln weights file \(10 bytes, no KILNWTS header\)/],
      [edit((b) => (b[64 + 12345] ^= 1)), /cannot create the model: the weights are corrupt: their checksum is 0x[0-9a-f]{16}, their header and the model say 0x[0-9a-f]{16}/],
      [edit((b, v) => v.setBigUint64(24, 42n, true)), new RegExp(`cannot create the model: these weights are from another build of '${name}' \\(checksum 0x000000000000002a, the model expects 0x[0-9a-f]{16}\\): use the ${name}\\.weights\\.bin that kilnc wrote with it`)],
      [edit((b) => b.set([0x89, 0x50, 0x4e, 0x47], 0)), /options\.weights is not a Kiln weights file/],
      [weights.subarray(64), /options\.weights is not a Kiln weights file/],
    ];
    for (const [bytes, pattern] of cases) await rejects(extLoader.load(wasm, { weights: bytes }), pattern);
    await rejects(extLoader.load(wasm), /the weights are external: pass options.weights/);
    const dir = tempDir('kiln-web-noweights-');
    fs.copyFileSync(path.join(external.dir, `${name}.wasm`), path.join(dir, `${name}.wasm`));
    await rejects(extLoader.load(path.join(dir, `${name}.wasm`)), /cannot read .*weights\.bin: ENOENT/);
    fs.rmSync(dir, { recursive: true });
  });

  test('a module of another model', { skip: modelSkip(MODELS[1].model) }, async () => {
    const other = MODELS[1];
    const otherWasm = path.join(compileWasm(other.model, other.name).dir, `${other.name}.wasm`);
    await rejects(loader.load(otherWasm), new RegExp(`is not the module of model '${name}' \\(it lacks the export '${name}_create'\\)`));
  });

  test('bad sources', async () => {
    await rejects(loader.load(42), /source must be a URL, a Response, an ArrayBuffer or typed array, or a file path in Node/, TypeError);
    await rejects(loader.load(new Response('nope', { status: 404 })), /cannot fetch .*HTTP 404/);
    await rejects(extLoader.load(fs.readFileSync(path.join(external.dir, `${name}.wasm`)), { weights: {} }), /options.weights must be/, TypeError);
    await rejects(loader.load(undefined, null), /options must be an object, got null/, TypeError);
    await rejects(loader.load(undefined, 'simd'), /options must be an object, got string/, TypeError);
  });

  test('run after dispose, and a second dispose', async () => {
    const m2 = await loader.load();
    m2.dispose();
    m2.dispose();
    throws(() => m2.run(feeds), /run\(\) after dispose\(\)/);
    throws(() => m2.run({}), /run\(\) after dispose\(\)/);
    assert.equal(m2.memoryBytes, 0);
  });
});
