// Outputs of data-dependent length end to end (issue 15, docs/BOUNDED.md):
// a model with NonZero, Compress (along an axis) and Unique (all four
// outputs; Y, indices and counts bounded, inverse_indices static) on
// run-time inputs (Compress without an axis, a reshape before the same
// compaction, is left to test_compress_default_axis in test/conformance, on
// both targets), compiled by kilnc for the CPU (static library, run by
// native/bounded_runner.c) and for WASM (run through the generated loader in
// Node), each run twice in one context on inputs that select different
// numbers of elements, against onnxruntime-node. The outputs are copies of
// input values or coordinates, so they must be equal exactly, shapes
// included: a run-time length that is stale, a bound instead of a count or a
// packing error shows as a shape or a value that differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import { repoRoot, workDir } from './common.mjs';
import { onnxSchema } from './lib/onnx_proto.mjs';

const require = createRequire(import.meta.url);
const deps = process.env.KILN_DEPS_DIR || path.join(repoRoot, '.deps');
const ort = require(path.join(deps, 'node_modules/onnxruntime-node'));
const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const work = workDir('kiln-bounded-e2e-');

// The model, written with ONNX's own schema (libonnx-dev's onnx.proto).
function writeModel(file) {
  const root = onnxSchema();
  const Model = root.lookupType('onnx.ModelProto');
  const FLOAT = 1, BOOL = 9, INT64 = 7;
  const info = (name, elemType, dims) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model = Model.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'bounded',
      node: [
        { opType: 'NonZero', input: ['x'], output: ['nz'], name: 'nz' },
        { opType: 'Compress', input: ['x', 'c'], output: ['y'], name: 'y', attribute: [{ name: 'axis', type: 2, i: 1 }] },
        { opType: 'Unique', input: ['x'], output: ['u', 'u_indices', 'u_inverse', 'u_counts'], name: 'u' },
      ],
      input: [info('x', FLOAT, [3, 4]), info('c', BOOL, [4])],
      output: [info('nz', INT64, [2, 'N']), info('y', FLOAT, [3, 'M']), 
        info('u', FLOAT, ['U']), info('u_indices', INT64, ['U']), info('u_inverse', INT64, [12]), info('u_counts', INT64, ['U'])],
    },
  });
  fs.writeFileSync(file, Model.encode(model).finish());
}

// Two input sets: different zeros in x and a different condition, so every
// output's length differs between the runs.
const runs = [
  { x: [0, 1.5, 0, -2, 3, 0, 0, 4, 0, 0, 5.25, 0], c: [1, 0, 1, 1] },
  { x: [7, 0, 0, 0, 0, 0, -1, 0, 2, 0, 0, 0.5], c: [0, 1, 0, 0] },
];
const model = path.join(work, 'bounded.onnx');
writeModel(model);

const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const names = ['nz', 'y', 'u', 'u_indices', 'u_inverse', 'u_counts'];
const bounded = names.filter((n) => n !== 'u_inverse');

async function ortOutputs() {
  const session = await ort.InferenceSession.create(model);
  const results = [];
  for (const { x, c } of runs) {
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from(x), [3, 4]),
      c: new ort.Tensor('bool', Uint8Array.from(c), [4]),
    });
    results.push(Object.fromEntries(names.map((n) => [n, { shape: out[n].dims.map(Number), values: Array.from(out[n].data, Number) }])));
  }
  return results;
}

function assertSame(got, want, target) {
  for (const [r, outputs] of want.entries())
    for (const n of names) {
      assert.deepEqual(got[r][n].shape, outputs[n].shape, `${target}, run ${r}: shape of ${n}`);
      assert.deepEqual(got[r][n].values, outputs[n].values, `${target}, run ${r}: values of ${n}`);
    }
  // The test is only worth something if the counts change between runs.
  for (const n of bounded) assert.notDeepEqual(want[0][n].shape, want[1][n].shape, `${n}'s length changes`);
}

test('NonZero, Compress and Unique on the CPU target equal onnxruntime-node, with run-time lengths', async () => {
  const want = await ortOutputs();
  const lib = path.join(work, 'cpu');
  run(kilnc, [model, '--target=cpu', '-o', lib, '--name=bounded']);
  const header = fs.readFileSync(path.join(lib, 'bounded.h'), 'utf8');
  assert.match(header, /#define BOUNDED_OUTPUT_NZ_BOUNDED_DIM 1/);
  const runner = path.join(work, 'bounded_runner');
  run('clang-19', ['-O2', '-std=c11', '-Wall', '-Werror', '-I', lib, path.join(repoRoot, 'test/e2e/native/bounded_runner.c'),
    path.join(lib, 'libbounded.a'), path.join(lib, 'libkiln_runtime.a'), '-lm', '-lpthread', '-ldl', '-o', runner]);
  const files = runs.flatMap(({ x, c }, r) => {
    const xf = path.join(work, `x${r}.bin`), cf = path.join(work, `c${r}.bin`);
    fs.writeFileSync(xf, new Uint8Array(Float32Array.from(x).buffer));
    fs.writeFileSync(cf, Uint8Array.from(c));
    return [xf, cf];
  });
  const lines = run(runner, files).trim().split('\n');
  assert.equal(lines.length, 2 * names.length);
  const per = names.length;
  const got = runs.map((_, r) => Object.fromEntries(lines.slice(per * r, per * (r + 1)).map((line) => {
    const [name, shape, ...values] = line.split(' ');
    return [name, { shape: shape.split('x').map(Number), values: values.map(Number) }];
  })));
  assertSame(got, want, 'cpu');
});

test('NonZero, Compress and Unique on the WASM target equal onnxruntime-node, with run-time lengths', async () => {
  const want = await ortOutputs();
  const dir = path.join(work, 'wasm');
  run(kilnc, [model, '--target=wasm', '-o', dir, '--name=bounded']);
  const lib = await import(pathToFileURL(path.join(dir, 'bounded.mjs')).href);
  assert.deepEqual(lib.outputs.map((o) => [o.name, o.boundedDim]), 
    [['nz', 1], ['y', 1], ['u', 0], ['u_indices', 0], ['u_inverse', undefined], ['u_counts', 0]]);
  const m = await lib.load();
  const got = runs.map(({ x, c }) => {
    const out = m.run({ x: Float32Array.from(x), c: Uint8Array.from(c) });
    assert.deepEqual(Object.keys(out).sort(), [...names].sort(), 'the counts are not returned');
    return Object.fromEntries(names.map((n) => [n, { shape: [...m.shapeOf(n)], values: Array.from(out[n], Number) }]));
  });
  m.dispose();
  assertSame(got, want, 'wasm');
});
