// The quantized tests' reference (lib/quantized_reference.mjs) checked
// against the ONNX node tests of its ops (libonnx-testdata's model.onnx and
// test_data_set_0): integer outputs equal, DequantizeLinear's float32
// outputs equal bit for bit, GlobalAveragePool's within the summation bound
// the reference states (any float32 order of the sum). Also: ties round to
// even (which these data do not decide), a changed expected value is
// caught, and an op the reference does not define is an error, not a
// guess. Under a second.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { readModel, readTensorProto } from './lib/onnx_proto.mjs';
import { evaluate, roundHalfEven, runOp } from './lib/quantized_reference.mjs';

const nodeTests = process.env.KILN_ONNX_NODE_TESTS || '/usr/share/libonnx-testdata/data/node';

// Feeds and expected outputs of one node test, by the graph's names.
function nodeTest(name) {
  const dir = path.join(nodeTests, name);
  const model = readModel(path.join(dir, 'model.onnx'));
  const data = path.join(dir, 'test_data_set_0');
  const initialized = new Set((model.graph.initializer || []).map((t) => t.name));
  const inputs = model.graph.input.filter((i) => !initialized.has(i.name));
  const feeds = Object.fromEntries(inputs.map((inp, i) => [inp.name, readTensorProto(path.join(data, `input_${i}.pb`))]));
  const expected = model.graph.output.map((out, i) => ({ name: out.name, ...readTensorProto(path.join(data, `output_${i}.pb`)) }));
  return { model, feeds, expected };
}

// Elements that differ beyond `tolerance(i)`; bit-equal for 0.
function mismatches(got, want, tolerance = () => 0) {
  const bad = [];
  for (let i = 0; i < want.data.length; i++) {
    const [g, w] = [got.data[i], want.data[i]];
    if (!(Object.is(g, w) || Math.abs(g - w) <= tolerance(i))) bad.push(`[${i}] ${g} vs ${w}`);
  }
  return bad;
}

const exact = [
  'test_quantizelinear', 'test_quantizelinear_axis', 'test_dequantizelinear', 'test_dequantizelinear_axis',
  'test_qlinearconv', 'test_qlinearmatmul_2D', 'test_qlinearmatmul_3D', 'test_basic_convinteger',
  'test_convinteger_with_padding', 'test_convinteger_without_padding', 'test_matmulinteger',
  'test_flatten_axis0', 'test_flatten_axis3', 'test_flatten_negative_axis1',
];

for (const name of exact)
  test(`reference equals ONNX's ${name}`, () => {
    const { model, feeds, expected } = nodeTest(name);
    const { outputs, ties } = evaluate(model, feeds);
    assert.deepEqual(ties, [], 'no element of these data is left undecided by the spec');
    for (const want of expected) {
      const got = outputs[want.name];
      assert.equal(got.dtype, want.dtype, `${want.name}: dtype`);
      assert.deepEqual(got.shape, want.shape, `${want.name}: shape`);
      const bad = mismatches(got, want);
      assert.deepEqual(bad, [], `${want.name}: ${bad.length} of ${want.data.length} elements differ`);
    }
  });

for (const name of ['test_globalaveragepool', 'test_globalaveragepool_precomputed'])
  test(`reference equals ONNX's ${name} within its stated summation bound`, () => {
    const { model, feeds, expected } = nodeTest(name);
    const { outputs } = evaluate(model, feeds);
    const [want] = expected;
    const got = outputs[want.name];
    assert.deepEqual(got.shape, want.shape);
    const bad = mismatches(got, want, (i) => got.err[i]);
    assert.deepEqual(bad, [], `${bad.length} of ${want.data.length} means differ beyond the bound`);
  });

// Rounding: the node tests' data do not decide it (their one tie, 3 / 2 in
// test_quantizelinear, is 2 whether ties go to even or away from zero), so
// it is checked on the spec's words, "rounding to the nearest even", with
// ties of both parities and signs, through QuantizeLinear and QLinearMatMul.
test('ties round to even (QuantizeLinear, QLinearMatMul\'s requantization)', () => {
  const t = (dtype, shape, data) => ({ dtype, shape, data });
  const x = Float32Array.from([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999998, 126.5, 127.5, -128.5]);
  const [q] = runOp('QuantizeLinear', [t('float32', [10], x), t('float32', [], [1]), t('int8', [], [0])]);
  assert.deepEqual([...q.data], [0, 2, 2, 0, -2, -2, 2, 126, 127, -128]);
  // acc 1, 3, 5, -1, -3 times a multiplier of 0.5 (a 1 x 5 product).
  const [y] = runOp('QLinearMatMul', [t('int8', [1, 1], [1]), t('float32', [], [1]), t('int8', [], [0]),
    t('int8', [1, 5], [1, 3, 5, -1, -3]), t('float32', [], [0.5]), t('int8', [], [0]), t('float32', [], [1]), t('int8', [], [0])]);
  assert.deepEqual([...y.data], [0, 2, 2, 0, -2]);
  assert.equal(roundHalfEven(-3.5), -4);
  assert.equal(roundHalfEven(4.5), 4);
});

// A changed expected value is caught (the comparison is not vacuous).
test('a node test whose expected output is changed by one fails', () => {
  const { model, feeds, expected } = nodeTest('test_qlinearconv');
  const { outputs } = evaluate(model, feeds);
  const want = { ...expected[0], data: expected[0].data.slice() };
  want.data[3] += 1;
  assert.deepEqual(mismatches(outputs[want.name], want), [`[3] ${outputs[want.name].data[3]} vs ${want.data[3]}`]);
});

test('an op the reference does not define is an error naming the node', () => {
  const { model, feeds } = nodeTest('test_qlinearconv');
  const changed = { ...model, graph: { ...model.graph, node: [{ ...model.graph.node[0], opType: 'Conv', name: 'c0' }] } };
  assert.throws(() => evaluate(changed, feeds), /node 'c0' \(Conv\): not one of the reference's ops/);
});

test('the node tests are there', () => {
  assert.ok(fs.existsSync(path.join(nodeTests, 'test_qlinearconv/model.onnx')),
    `${nodeTests} has no ONNX node tests (libonnx-testdata; KILN_ONNX_NODE_TESTS points elsewhere)`);
});
