// Every ONNX numeric dtype at a model's boundary (issue 15): uint16, uint32,
// uint64 and float64 inputs and outputs through the CPU static library (the
// generated NAME.h's table, the runtime's kiln_dtype names and sizes, and
// native/model_runner.c) and through the WASM loader (its typed arrays), each
// against onnxruntime-node; bfloat16 (which onnxruntime-node cannot hand to
// JavaScript) by its bits, on values that bfloat16 holds exactly. The model
// is written with ONNX's own schema (libonnx-dev's onnx.proto, protobufjs).
//
// The inputs are chosen so that a wrong width or sign shows: uint16 and
// uint32 above 2^15 and 2^31, uint64 above 2^63 (negative as int64)
// and 2^53 + 1 (not a double), float64 values that float32 cannot hold
// (1e-300, 2.5e150, 1e10 + 0.123456789). Integers must be equal; float64
// within 1e-15 of the value, relative (float32 would be 1e-7 off at best).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

import { repoRoot } from './common.mjs';
import { onnxSchema } from './lib/onnx_proto.mjs';

const require = createRequire(import.meta.url);
const deps = process.env.KILN_DEPS_DIR || path.join(repoRoot, '.deps');
const ort = require(path.join(deps, 'node_modules/onnxruntime-node'));
const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const native = path.join(repoRoot, 'test/e2e/native');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-dtypes-e2e-'));
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// ONNX TensorProto.DataType codes.
const T = { FLOAT: 1, UINT16: 4, DOUBLE: 11, UINT32: 12, UINT64: 13, BFLOAT16: 16 };

function writeModel(file, graph) {
  const Model = onnxSchema().lookupType('onnx.ModelProto');
  const info = ([name, elemType]) => ({ name, type: { tensorType: { elemType, shape: { dim: [{ dimValue: 2 }, { dimValue: 3 }] } } } });
  const model = Model.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: { ...graph, input: graph.input.map(info), output: graph.output.map(info) },
  });
  fs.writeFileSync(file, Model.encode(model).finish());
}

// One model: the integer and float64 nodes, which onnxruntime-node checks,
// and two bfloat16 casts, which it cannot (it has no bfloat16 tensors in
// JavaScript): those are checked by their bits, on values bfloat16 holds
// exactly (float32's upper halves, no rounding). The oracle runs the same
// model without them. One model keeps the compiles to one per target.
const integerNodes = [
  { opType: 'Mod', input: ['a', 's'], output: ['m16'] },
  { opType: 'Cast', input: ['a'], output: ['a32'], attribute: [{ name: 'to', type: 2, i: T.UINT32 }] },
  { opType: 'Max', input: ['a32', 'one'], output: ['divisor'] },
  { opType: 'Mod', input: ['b', 'divisor'], output: ['y32'] },
  { opType: 'Cast', input: ['b'], output: ['b64'], attribute: [{ name: 'to', type: 2, i: T.UINT64 }] },
  { opType: 'Max', input: ['c', 'b64'], output: ['y64'] },
  { opType: 'Mul', input: ['d', 'd'], output: ['dd'] },
  { opType: 'Add', input: ['dd', 'd'], output: ['yd'] },
];
const integerInputs = [['a', T.UINT16], ['s', T.UINT16], ['b', T.UINT32], ['c', T.UINT64], ['d', T.DOUBLE]];
const integerOutputs = [['m16', T.UINT16], ['y32', T.UINT32], ['y64', T.UINT64], ['yd', T.DOUBLE]];
const initializer = [{ name: 'one', dataType: T.UINT32, dims: [], rawData: Buffer.from(Uint32Array.of(1).buffer) }];
const model = path.join(work, 'dtypes.onnx'), ortModel = path.join(work, 'dtypes_ort.onnx');
writeModel(ortModel, { name: 'dtypes', node: integerNodes, initializer, input: integerInputs, output: integerOutputs });
writeModel(model, {
  name: 'dtypes',
  node: [...integerNodes,
    { opType: 'Cast', input: ['h'], output: ['hf'], attribute: [{ name: 'to', type: 2, i: T.FLOAT }] },
    { opType: 'Cast', input: ['g'], output: ['gb'], attribute: [{ name: 'to', type: 2, i: T.BFLOAT16 }] }],
  initializer,
  input: [...integerInputs, ['h', T.BFLOAT16], ['g', T.FLOAT]],
  output: [...integerOutputs, ['hf', T.FLOAT], ['gb', T.BFLOAT16]],
});
const bf16Values = Float32Array.of(1.5, -2, 0.15625, 3.3895313892515355e38, -0, 2 ** -126);
const upperHalves = (f32) => Uint16Array.from(new Uint32Array(f32.slice().buffer), (bits) => bits >>> 16);
const feeds = {
  a: Uint16Array.of(0, 1, 300, 40000, 65535, 12345),
  s: Uint16Array.of(7, 3, 256, 40001, 16, 60000),
  b: Uint32Array.of(7, 4000000000, 123456789, 65536, 4294967295, 0),
  c: BigUint64Array.of(0n, 2n ** 63n + 5n, 2n ** 64n - 1n, 1n, 2n ** 40n, 2n ** 53n + 1n),
  d: Float64Array.of(1e10 + 0.123456789, -3.5, 1e-300, 2.5e150, -0, 1 / 3),
  h: upperHalves(bf16Values),
  g: bf16Values,
};
const ortTypes = { a: 'uint16', s: 'uint16', b: 'uint32', c: 'uint64', d: 'float64' };
const outputs = { m16: Uint16Array, y32: Uint32Array, y64: BigUint64Array, yd: Float64Array, hf: Float32Array, gb: Uint16Array };

// onnxruntime-node's outputs, plus the bfloat16 casts' exact results.
async function oracle() {
  const session = await ort.InferenceSession.create(ortModel);
  const out = await session.run(Object.fromEntries(Object.entries(ortTypes).map(([n, type]) => [n, new ort.Tensor(type, feeds[n], [2, 3])])));
  return { ...Object.fromEntries(integerOutputs.map(([n]) => [n, out[n].data])), hf: bf16Values, gb: upperHalves(bf16Values) };
}

function assertOutputs(got, want, target) {
  for (const [name, Type] of Object.entries(outputs)) {
    assert.ok(got[name] instanceof Type, `${target}: ${name} is a ${got[name]?.constructor.name}, expected ${Type.name}`);
    assert.ok(want[name] instanceof Type, `the oracle's ${name} is a ${want[name]?.constructor.name}`);
    if (Type === Float64Array)
      for (const [i, w] of want[name].entries())
        assert.ok(Math.abs(got[name][i] - w) <= 1e-15 * Math.abs(w), `${target}: ${name}[${i}] = ${got[name][i]}, expected ${w}`);
    else if (Type === Float32Array) // bit for bit: -0 included
      assert.deepEqual(Array.from(new Uint32Array(got[name].slice().buffer)), Array.from(new Uint32Array(want[name].slice().buffer)), `${target}: ${name}`);
    else assert.deepEqual(Array.from(got[name]), Array.from(want[name]), `${target}: ${name}`);
  }
}

// Writes a tensor directory of raw files (model_runner.c reads <name>.bin).
function writeInputs(dir, tensors) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, v] of Object.entries(tensors)) fs.writeFileSync(path.join(dir, `${name}.bin`), new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
}
const readOutput = (dir, name, Type) => new Type(new Uint8Array(fs.readFileSync(path.join(dir, `${name}.bin`))).buffer);

// kilnc --target=cpu, then the header's table and model_runner.c on `inputs`.
function runCpu(file, name, inputs, types) {
  const lib = path.join(work, `${name}-cpu`);
  run(kilnc, [file, '--target=cpu', '-o', lib, `--name=${name}`]);
  const cc = (source, exe) => run('clang-19', ['-O1', '-std=c11', '-Wall', '-Werror', '-D_GNU_SOURCE', `-DKILN_MODEL=${name}`,
    `-DKILN_MODEL_UPPER=${name.toUpperCase()}`, '-include', path.join(lib, `${name}.h`), '-I', lib, path.join(native, source),
    path.join(lib, `lib${name}.a`), path.join(lib, 'libkiln_runtime.a'), '-lm', '-lpthread', '-ldl', '-o', path.join(work, exe)]);
  cc('dtype_info.c', `${name}-info`);
  cc('model_runner.c', `${name}-runner`);
  const table = run(path.join(work, `${name}-info`), []).trim().split('\n');
  const inDir = path.join(work, `${name}-in`), outDir = path.join(work, `${name}-out`);
  writeInputs(inDir, inputs);
  fs.mkdirSync(outDir, { recursive: true });
  run(path.join(work, `${name}-runner`), [inDir, outDir]);
  return { table, got: Object.fromEntries(Object.entries(types).map(([n, Type]) => [n, readOutput(outDir, n, Type)])) };
}

async function loadWasm(file, name) {
  const dir = path.join(work, `${name}-wasm`);
  run(kilnc, [file, '--target=wasm', '-o', dir, `--name=${name}`]);
  const lib = await import(pathToFileURL(path.join(dir, `${name}.mjs`)).href);
  return { lib, m: await lib.load() };
}

test('uint16, uint32, uint64, float64 and bfloat16 through the CPU static library equal onnxruntime-node', async () => {
  const want = await oracle();
  const { table, got } = runCpu(model, 'dtypes', feeds, outputs);
  assert.deepEqual(table, ['in a u16 2 12', 'in s u16 2 12', 'in b u32 4 24', 'in c u64 8 48', 'in d f64 8 48', 'in h bf16 2 12',
    'in g f32 4 24', 'out m16 u16 2 12', 'out y32 u32 4 24', 'out y64 u64 8 48', 'out yd f64 8 48', 'out hf f32 4 24', 'out gb bf16 2 12',
    'past ? 0']);
  assertOutputs(got, want, 'cpu');
});

test('uint16, uint32, uint64, float64 and bfloat16 through the WASM loader equal onnxruntime-node', async () => {
  const want = await oracle();
  const { lib, m } = await loadWasm(model, 'dtypes');
  try {
    assert.deepEqual(lib.inputs.map((t) => t.dtype), ['uint16', 'uint16', 'uint32', 'uint64', 'float64', 'bfloat16', 'float32']);
    assert.deepEqual(lib.outputs.map((t) => t.dtype), ['uint16', 'uint32', 'uint64', 'float64', 'float32', 'bfloat16']);
    assertOutputs(m.run(feeds), want, 'wasm');
    // A typed array of the same width but another type is refused by name.
    assert.throws(() => m.run({ ...feeds, a: Int16Array.from(feeds.a) }), { name: 'TypeError', message: /input 'a' must be a Uint16Array \(uint16\), got Int16Array/ });
    assert.throws(() => m.run({ ...feeds, c: BigInt64Array.from(feeds.c, (v) => BigInt.asIntN(64, v)) }), { name: 'TypeError', message: /input 'c' must be a BigUint64Array/ });
  } finally {
    m.dispose();
  }
});
