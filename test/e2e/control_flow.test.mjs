// Control flow and empty tensors in the generated host code end to end
// (issue 15, docs/CONTROL_FLOW.md, docs/BOUNDED.md "Empty tensors"): a model
// with an If on a run-time condition (a MatMul branch and a Softmax branch,
// too big to select) and a Loop on a run-time trip count (MatMul, Add of the
// iteration number, Tanh; carried), compiled by kilnc for the CPU (static
// library, run by native/model_runner.c) and for WASM (through the
// generated loader in Node), each run on three input sets in one build: the
// condition true then false, and trip counts 2, 5 and 0. Against
// onnxruntime-node, within 1e-5 + 1e-4 |expected| (float32 matmuls and tanh
// in a different order). The same model (one build for both subjects) takes
// an empty input `empty` [0, 3], passed as a zero-byte buffer: a Concat that
// drops it, its Transpose and an empty Slice of x (empty outputs, no kernel)
// and its Shape, each equal to ONNX Runtime's, shapes included; a wrong size
// for it gets the loader's precise error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import { repoRoot, workDir } from './common.mjs';
import { onnxSchema } from './lib/onnx_proto.mjs';
import { fileNameFor, readRaw, writeTensorDir } from './tensor_dir.mjs';

const require = createRequire(import.meta.url);
const deps = process.env.KILN_DEPS_DIR || path.join(repoRoot, '.deps');
const ort = require(path.join(deps, 'node_modules/onnxruntime-node'));
const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const work = workDir('kiln-control-flow-e2e-');

const FLOAT = 1, BOOL = 9, INT64 = 7, GRAPH = 5, INT = 2;
const info = (name, elemType, dims) => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
});
const w = [0.5, -0.25, 1, 0.75, 0.1, -0.5, -1, 0.3, 0.2];
const w2 = [0.9, -0.4, 0.2, 0.1, 0.6, -0.3, -0.2, 0.5, 0.7];

// The model, written with ONNX's own schema (libonnx-dev's onnx.proto).
function writeModel(file) {
  const root = onnxSchema();
  const Model = root.lookupType('onnx.ModelProto');
  const thenBranch = {
    name: 'then_body',
    node: [{ opType: 'MatMul', input: ['x', 'w'], output: ['t'], name: 'then_matmul' }],
    output: [info('t', FLOAT, [2, 3])],
  };
  const elseBranch = {
    name: 'else_body',
    node: [{ opType: 'Softmax', input: ['x'], output: ['e'], name: 'else_softmax' }],
    output: [info('e', FLOAT, [2, 3])],
  };
  const body = {
    name: 'loop_body',
    node: [
      { opType: 'Identity', input: ['c_in'], output: ['c_out'] },
      { opType: 'MatMul', input: ['acc', 'w2'], output: ['m'], name: 'body_matmul' },
      { opType: 'Cast', input: ['i'], output: ['fi'], attribute: [{ name: 'to', type: INT, i: FLOAT }] },
      { opType: 'Add', input: ['m', 'fi'], output: ['s'] },
      { opType: 'Tanh', input: ['s'], output: ['acc_out'] },
    ],
    input: [info('i', INT64, []), info('c_in', BOOL, []), info('acc', FLOAT, [2, 3])],
    output: [info('c_out', BOOL, []), info('acc_out', FLOAT, [2, 3])],
  };
  const model = Model.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'control_flow',
      node: [
        { opType: 'If', input: ['c'], output: ['y'], name: 'choose',
          attribute: [{ name: 'then_branch', type: GRAPH, g: thenBranch }, { name: 'else_branch', type: GRAPH, g: elseBranch }] },
        { opType: 'Loop', input: ['n', '', 'y'], output: ['z'], name: 'repeat',
          attribute: [{ name: 'body', type: GRAPH, g: body }] },
        // The empty tensors: `empty` [0, 3] is all but ignored by the Concat, and
        // the nodes whose outputs are all empty compute nothing.
        { opType: 'Relu', input: ['x'], output: ['r'], name: 'relu' },
        { opType: 'Concat', input: ['empty', 'r'], output: ['ec'], name: 'concat', attribute: [{ name: 'axis', type: INT, i: 0 }] },
        { opType: 'Transpose', input: ['empty'], output: ['et'], name: 'transpose' },
        { opType: 'Slice', input: ['x', 'starts', 'ends', 'axes'], output: ['es'], name: 'slice' },
        { opType: 'Shape', input: ['empty'], output: ['esh'], name: 'shape' },
      ],
      initializer: [
        { name: 'w', dims: [3, 3], dataType: FLOAT, floatData: w },
        { name: 'w2', dims: [3, 3], dataType: FLOAT, floatData: w2 },
        // Slice rows 5..9 of a 2-row x: empty.
        ...[['starts', 5], ['ends', 9], ['axes', 0]].map(([name, v]) => ({ name, dims: [1], dataType: INT64, int64Data: [v] })),
      ],
      input: [info('c', BOOL, [1]), info('n', INT64, []), info('x', FLOAT, [2, 3]), info('empty', FLOAT, [0, 3])],
      output: [info('y', FLOAT, [2, 3]), info('z', FLOAT, [2, 3]), ...empties.map(([name, type, shape]) => info(name, type, shape))],
    },
  });
  fs.writeFileSync(file, Model.encode(model).finish());
}

const x = [0.3, -1.2, 2, 0.7, 0.1, -0.4];
// The outputs on the empty input: name, ONNX type, shape.
const empties = [['ec', FLOAT, [2, 3]], ['et', FLOAT, [3, 0]], ['es', FLOAT, [0, 3]], ['esh', INT64, [2]]];
const emptyNames = empties.map(([name]) => name);
const runs = [{ c: 1, n: 2n }, { c: 0, n: 5n }, { c: 0, n: 0n }];
const model = path.join(work, 'control_flow.onnx');
writeModel(model);
const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const inputsOf = ({ c, n }) => [
  { name: 'c', dtype: 'bool', shape: [1], data: Uint8Array.from([c]) },
  { name: 'n', dtype: 'int64', shape: [], data: BigInt64Array.from([n]) },
  { name: 'x', dtype: 'float32', shape: [2, 3], data: Float32Array.from(x) },
  { name: 'empty', dtype: 'float32', shape: [0, 3], data: new Float32Array(0) },
];

async function ortOutputs() {
  const session = await ort.InferenceSession.create(model);
  const results = [];
  for (const r of runs) {
    const feeds = Object.fromEntries(inputsOf(r).map((t) => [t.name, new ort.Tensor(t.dtype, t.data, t.shape)]));
    const out = await session.run(feeds);
    results.push({ y: Array.from(out.y.data), z: Array.from(out.z.data),
      ...Object.fromEntries(emptyNames.map((n) => [n, { shape: out[n].dims.map(Number), values: Array.from(out[n].data, Number) }])) });
  }
  return results;
}

function assertClose(got, want, target) {
  for (const [r, outputs] of want.entries())
    for (const name of ['y', 'z'])
      for (const [i, v] of outputs[name].entries())
        assert.ok(Math.abs(got[r][name][i] - v) <= 1e-5 + 1e-4 * Math.abs(v),
          `${target}, run ${r} (c=${runs[r].c}, n=${runs[r].n}): ${name}[${i}] is ${got[r][name][i]}, ONNX Runtime gives ${v}`);
  // Worth something only if the branches and the counts give different numbers.
  assert.notDeepEqual(want[0].y, want[1].y, 'the branches differ');
  assert.notDeepEqual(want[1].z, want[2].z, 'the trip counts differ');
  // Exact: a copy of Relu(x) and empty tensors, shapes as ONNX Runtime's.
  for (const [r, outputs] of want.entries())
    for (const name of emptyNames) assert.deepEqual(got[r][name], outputs[name], `${target}, run ${r}: ${name}`);
  assert.deepEqual(want[0].et.shape, [3, 0], 'ONNX Runtime gives an empty et');
}

test('If and Loop on run-time values and an empty input, CPU target, equal onnxruntime-node', async () => {
  const want = await ortOutputs();
  const lib = path.join(work, 'cpu');
  run(kilnc, [model, '--target=cpu', '-o', lib, '--name=cf']);
  const runner = path.join(work, 'runner');
  run('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', '-DKILN_MODEL=cf', '-DKILN_MODEL_UPPER=CF',
    '-include', path.join(lib, 'cf.h'), '-I', lib, path.join(repoRoot, 'test/e2e/native/model_runner.c'),
    path.join(lib, 'libcf.a'), path.join(lib, 'libkiln_runtime.a'), '-lm', '-lpthread', '-ldl', '-o', runner]);
  const got = runs.map((r, i) => {
    const dir = path.join(work, `run${i}`);
    writeTensorDir(path.join(dir, 'in'), inputsOf(r));
    fs.mkdirSync(path.join(dir, 'out'), { recursive: true });
    run(runner, [path.join(dir, 'in'), path.join(dir, 'out')]);
    const read = (name, dtype = 'float32', shape = [2, 3]) =>
      Array.from(readRaw(path.join(dir, 'out', fileNameFor(name)), dtype, shape), Number);
    return { y: read('y'), z: read('z'), ...Object.fromEntries(empties.map(([name, type, shape]) =>
      [name, { shape, values: read(name, type === INT64 ? 'int64' : 'float32', shape) }])) };
  });
  assertClose(got, want, 'cpu');
});

test('If and Loop on run-time values and an empty input, WASM target, equal onnxruntime-node', async () => {
  const want = await ortOutputs();
  const dir = path.join(work, 'wasm');
  // The SIMD module only: the fallback runs the same host code.
  run(kilnc, [model, '--target=wasm', '--no-fallback', '-o', dir, '--name=cf']);
  const lib = await import(pathToFileURL(path.join(dir, 'cf.mjs')).href);
  const m = await lib.load();
  const got = runs.map((r) => {
    const out = m.run(Object.fromEntries(inputsOf(r).map((t) => [t.name, t.data])));
    return { y: Array.from(out.y), z: Array.from(out.z), ...Object.fromEntries(emptyNames.map((n) =>
      [n, { shape: [...m.shapeOf(n)], values: Array.from(out[n], Number) }])) };
  });
  // A wrong size for the empty input is refused before the run, by name.
  const feeds = Object.fromEntries(inputsOf(runs[0]).map((t) => [t.name, t.data]));
  assert.throws(() => m.run({ ...feeds, empty: new Float32Array(3) }), /input 'empty' has 3 elements, expected 0 \(shape \[0,3\]\)/);
  m.dispose();
  assertClose(got, want, 'wasm');
});
