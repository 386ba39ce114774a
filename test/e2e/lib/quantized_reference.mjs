// An exact reference for ONNX's quantized ops, written from the operator
// definitions (onnx/docs/Operators.md; where they leave a precision open,
// ONNX's reference evaluator onnx/reference/ops), for the quantized
// end-to-end tests: ONNX Runtime's own kernels are no exact oracle on every
// CPU (quantized.test.mjs says why), so Kiln is held to this instead.
//
//   evaluate(model, feeds) -> { outputs: {name: tensor}, ties: [...] }
//
// Tensors are { dtype, shape, data } as tensor_dir.mjs has them. Ops:
// QuantizeLinear, DequantizeLinear, QLinearConv, ConvInteger, QLinearMatMul,
// MatMulInteger, GlobalAveragePool, Flatten: what the quantized models of
// the tests use, checked against the ONNX node tests
// (quantized_reference.test.mjs). Anything else is an error, not a guess.
//
// The arithmetic:
// - Integer products: (x - x_zero_point) * (w - w_zero_point) summed in
//   exact integers (JS numbers hold them exactly), checked to fit int32.
// - Requantization (QLinearConv, QLinearMatMul): the multiplier
//   a_scale * b_scale / y_scale in float32 operations, as ONNX's reference
//   and ONNX Runtime compute it; acc * multiplier rounded half to even, plus
//   y_zero_point, saturated to y's type. ONNX's reference forms that
//   product in float64, ONNX Runtime and Kiln in float32; where the two
//   round to different integers the spec does not decide, and the element
//   is reported in `ties` (the value returned is the float64 one).
// - QuantizeLinear: saturate(round_half_even(x / y_scale) + y_zero_point),
//   the division in float32 (a JS division of float32 values rounded by
//   Math.fround is the correctly rounded float32 quotient).
// - DequantizeLinear: (x - x_zero_point) * x_scale in float32.
// - GlobalAveragePool: the mean of float32 values, with no summation order
//   in the spec: computed in float64 and rounded to float32 once, with the
//   bound on what any float32 summation order may add
//   ((n - 1) 2^-24 sum |x| / n, Higham's gamma bound). A QuantizeLinear
//   that reads it reports in `ties` every element whose quotient lies
//   within that bound of a rounding tie: there, implementations may differ.

import { attributesOf, tensorOf } from './onnx_proto.mjs';

// Integer types: [min, max].
const RANGE = {
  uint8: [0, 255], int8: [-128, 127], uint16: [0, 65535], int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};
const TYPED = {
  uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array, int32: Int32Array,
  float32: Float32Array,
};
const f32 = Math.fround;

// Round half to even, the rounding of every ONNX quantizing op.
export function roundHalfEven(x) {
  const r = Math.round(x); // half up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function saturate(v, dtype) {
  const [lo, hi] = RANGE[dtype];
  return v < lo ? lo : v > hi ? hi : v;
}

const count = (shape) => shape.reduce((n, d) => n * d, 1);
const tensor = (dtype, shape, data) => ({ dtype, shape, data: data ?? new TYPED[dtype](count(shape)) });

class ReferenceError extends Error {}
function fail(node, message) {
  throw new ReferenceError(`node '${node.name}' (${node.opType}): ${message}`);
}

function needInteger(node, t, what, types = ['uint8', 'int8']) {
  if (!types.includes(t.dtype)) fail(node, `${what} is ${t.dtype}, not ${types.join(' or ')}`);
}

// A per-tensor value (scale or zero point): its one element.
function scalarOf(node, t, what) {
  if (t.data.length !== 1) fail(node, `${what} must hold one value, not ${t.data.length}`);
  return Number(t.data[0]);
}

// A scale or zero point per tensor (one value) or per slice of `axis`:
// returns index -> value over x's elements.
function perAxis(node, t, x, axis, what) {
  if (t.data.length === 1) return () => Number(t.data[0]);
  const rank = x.shape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (t.shape.length !== 1 || t.data.length !== x.shape[a])
    fail(node, `${what} has shape [${t.shape}]: one value, or ${x.shape[a]} along axis ${axis}`);
  const inner = count(x.shape.slice(a + 1));
  return (i) => Number(t.data[Math.floor(i / inner) % x.shape[a]]);
}

// --- QuantizeLinear, DequantizeLinear ---------------------------------------

function quantizeLinear(node, [x, scale, zp], attrs, { ties }) {
  if (x.dtype !== 'float32') fail(node, `x is ${x.dtype}; only float32 is taken here`);
  const outType = zp ? zp.dtype : 'uint8';
  needInteger(node, { dtype: outType }, 'y_zero_point', ['uint8', 'int8', 'uint16', 'int16']);
  const s = perAxis(node, scale, x, attrs.axis ?? 1, 'y_scale');
  const z = zp ? perAxis(node, zp, x, attrs.axis ?? 1, 'y_zero_point') : () => 0;
  const y = tensor(outType, x.shape);
  for (let i = 0; i < x.data.length; i++) {
    const q = f32(x.data[i] / s(i));
    y.data[i] = saturate(roundHalfEven(q) + z(i), outType);
    // How far the input may be from the exact value (GlobalAveragePool's
    // summation order): a tie within reach is reported.
    const err = x.err ? x.err[i] / s(i) : 0;
    if (err && Math.abs(Math.abs(q - Math.floor(q)) - 0.5) <= err)
      ties.push({ node: node.name, index: i, value: q, bound: err });
  }
  return [y];
}

function dequantizeLinear(node, [x, scale, zp], attrs) {
  needInteger(node, x, 'x', ['uint8', 'int8', 'uint16', 'int16', 'int32']);
  const s = perAxis(node, scale, x, attrs.axis ?? 1, 'x_scale');
  const z = zp ? perAxis(node, zp, x, attrs.axis ?? 1, 'x_zero_point') : () => 0;
  const y = tensor('float32', x.shape);
  // ONNX's reference casts x and the zero point to float32 first.
  for (let i = 0; i < x.data.length; i++) y.data[i] = f32((f32(x.data[i]) - f32(z(i))) * s(i));
  return [y];
}

// --- Integer products ---------------------------------------------------------

// 2-D convolution of (x - xz) and (w - wz[m]) over NCHW x and MCKhKw w,
// group 1, in exact integers: Float64Array [N, M, OH, OW] of int32 values.
function convAccumulate(node, x, xz, w, wz, attrs) {
  if (x.shape.length !== 4 || w.shape.length !== 4) fail(node, 'only 2-D convolutions (NCHW) are taken here');
  if ((attrs.group ?? 1) !== 1) fail(node, `group ${attrs.group} is not taken here`);
  const [N, C, H, W] = x.shape;
  const [M, CW, KH, KW] = w.shape;
  if (CW !== C) fail(node, `weights have ${CW} input channels, x ${C}`);
  if (attrs.kernel_shape && (attrs.kernel_shape[0] !== KH || attrs.kernel_shape[1] !== KW))
    fail(node, `kernel_shape [${attrs.kernel_shape}] is not the weights' [${KH},${KW}]`);
  const [sh, sw] = attrs.strides ?? [1, 1];
  const [dh, dw] = attrs.dilations ?? [1, 1];
  let [pt, pl, pb, pr] = attrs.pads ?? [0, 0, 0, 0];
  const autoPad = attrs.auto_pad ?? 'NOTSET';
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const pad = (size, k, s, d) => Math.max(0, (Math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size);
    const [ph, pw] = [pad(H, KH, sh, dh), pad(W, KW, sw, dw)];
    const early = (p) => (autoPad === 'SAME_UPPER' ? Math.floor(p / 2) : Math.ceil(p / 2));
    [pt, pl, pb, pr] = [early(ph), early(pw), ph - early(ph), pw - early(pw)];
  } else if (autoPad === 'VALID') {
    [pt, pl, pb, pr] = [0, 0, 0, 0];
  } else if (autoPad !== 'NOTSET') fail(node, `auto_pad ${autoPad}`);
  const OH = Math.floor((H + pt + pb - ((KH - 1) * dh + 1)) / sh) + 1;
  const OW = Math.floor((W + pl + pr - ((KW - 1) * dw + 1)) / sw) + 1;
  const acc = new Float64Array(N * M * OH * OW);
  for (let n = 0; n < N; n++)
    for (let m = 0; m < M; m++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let sum = 0;
          for (let c = 0; c < C; c++)
            for (let ky = 0; ky < KH; ky++) {
              const iy = oy * sh + ky * dh - pt;
              if (iy < 0 || iy >= H) continue; // padding holds xz: adds 0
              for (let kx = 0; kx < KW; kx++) {
                const ix = ox * sw + kx * dw - pl;
                if (ix < 0 || ix >= W) continue;
                const xv = x.data[((n * C + c) * H + iy) * W + ix] - xz;
                sum += xv * (w.data[((m * C + c) * KH + ky) * KW + kx] - wz(m));
              }
            }
          acc[((n * M + m) * OH + oy) * OW + ox] = sum;
        }
  return { acc, shape: [N, M, OH, OW], channel: (i) => Math.floor(i / (OH * OW)) % M };
}

// Matrix product of (a - az) and (b - bz[n]) with numpy's batch broadcasting
// (b may be 2-D): { acc, shape, channel: output index -> n }.
function matmulAccumulate(node, a, az, b, bz) {
  if (a.shape.length < 2 || b.shape.length < 2) fail(node, '1-D operands are not taken here');
  const [M, K] = a.shape.slice(-2);
  const [KB, N] = b.shape.slice(-2);
  if (K !== KB) fail(node, `inner dimensions differ: [${a.shape}] x [${b.shape}]`);
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  if (batchB.length && batchB.join() !== batchA.join())
    fail(node, `batch dimensions [${batchA}] and [${batchB}] are not taken here`);
  const batches = count(batchA);
  const acc = new Float64Array(batches * M * N);
  for (let t = 0; t < batches; t++) {
    const bOff = batchB.length ? t * K * N : 0;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let sum = 0;
        for (let k = 0; k < K; k++)
          sum += (a.data[(t * M + i) * K + k] - az) * (b.data[bOff + k * N + j] - bz(j));
        acc[(t * M + i) * N + j] = sum;
      }
  }
  return { acc, shape: [...batchA, M, N], channel: (i) => i % N };
}

function checkInt32(node, acc) {
  for (const v of acc)
    if (v < RANGE.int32[0] || v > RANGE.int32[1]) fail(node, `the int32 accumulator overflows (${v})`);
}

// Weight zero point per output channel (1-D) or per tensor.
function channelZeroPoint(node, zp, channels, what) {
  if (!zp) return () => 0;
  if (zp.data.length === 1) return () => Number(zp.data[0]);
  if (zp.data.length !== channels) fail(node, `${what} has ${zp.data.length} values for ${channels} channels`);
  return (c) => Number(zp.data[c]);
}

// acc requantized to y's type (see the header): the float64 product of
// ONNX's reference, with elements where float32's rounds differently
// reported.
function requantize(node, { acc, shape, channel }, aScale, bScale, yScale, yzp, outType, { ties }) {
  const as = scalarOf(node, aScale, 'the input scale');
  const ys = scalarOf(node, yScale, 'y_scale');
  const multiplier = (c) => f32(f32(as * Number(bScale.data[bScale.data.length === 1 ? 0 : c])) / ys);
  const y = tensor(outType, shape);
  for (let i = 0; i < acc.length; i++) {
    const m = multiplier(channel(i));
    const wide = roundHalfEven(acc[i] * m);
    y.data[i] = saturate(wide + yzp, outType);
    const narrow = roundHalfEven(f32(f32(acc[i]) * m));
    if (narrow !== wide && saturate(narrow + yzp, outType) !== y.data[i])
      ties.push({ node: node.name, index: i, value: acc[i] * m, float32: narrow, float64: wide });
  }
  return y;
}

function qlinearConv(node, [x, xs, xzp, w, ws, wzp, ys, yzp, bias], attrs, ctx) {
  needInteger(node, x, 'x');
  needInteger(node, w, 'w');
  const M = w.shape[0];
  if (ws.data.length !== 1 && ws.data.length !== M) fail(node, `w_scale has ${ws.data.length} values for ${M} channels`);
  const r = convAccumulate(node, x, scalarOf(node, xzp, 'x_zero_point'), w,
    channelZeroPoint(node, wzp, M, 'w_zero_point'), attrs);
  if (bias) {
    needInteger(node, bias, 'B', ['int32']);
    for (let i = 0; i < r.acc.length; i++) r.acc[i] += bias.data[r.channel(i)];
  }
  checkInt32(node, r.acc);
  return [requantize(node, r, xs, ws, ys, yzp ? scalarOf(node, yzp, 'y_zero_point') : 0, yzp?.dtype ?? x.dtype, ctx)];
}

function convInteger(node, [x, w, xzp, wzp], attrs) {
  needInteger(node, x, 'x');
  needInteger(node, w, 'w');
  const r = convAccumulate(node, x, xzp ? scalarOf(node, xzp, 'x_zero_point') : 0, w,
    channelZeroPoint(node, wzp, w.shape[0], 'w_zero_point'), attrs);
  checkInt32(node, r.acc);
  return [tensor('int32', r.shape, Int32Array.from(r.acc))];
}

function qlinearMatMul(node, [a, as, azp, b, bs, bzp, ys, yzp], attrs, ctx) {
  needInteger(node, a, 'a');
  needInteger(node, b, 'b');
  const N = b.shape.at(-1);
  if (bs.data.length !== 1 && bs.data.length !== N) fail(node, `b_scale has ${bs.data.length} values for ${N} columns`);
  const r = matmulAccumulate(node, a, scalarOf(node, azp, 'a_zero_point'), b, channelZeroPoint(node, bzp, N, 'b_zero_point'));
  checkInt32(node, r.acc);
  return [requantize(node, r, as, bs, ys, scalarOf(node, yzp, 'y_zero_point'), yzp.dtype, ctx)];
}

function matMulInteger(node, [a, b, azp, bzp]) {
  needInteger(node, a, 'A');
  needInteger(node, b, 'B');
  const r = matmulAccumulate(node, a, azp ? scalarOf(node, azp, 'a_zero_point') : 0, b,
    channelZeroPoint(node, bzp, b.shape.at(-1), 'b_zero_point'));
  checkInt32(node, r.acc);
  return [tensor('int32', r.shape, Int32Array.from(r.acc))];
}

// --- Float glue -----------------------------------------------------------

function globalAveragePool(node, [x]) {
  if (x.dtype !== 'float32' || x.shape.length < 3) fail(node, 'float32 [N, C, spatial...] only');
  const [N, C] = x.shape;
  const n = count(x.shape.slice(2));
  const y = tensor('float32', [N, C, ...x.shape.slice(2).map(() => 1)]);
  y.err = new Float64Array(N * C);
  for (let p = 0; p < N * C; p++) {
    let sum = 0, abs = 0;
    for (let i = 0; i < n; i++) {
      sum += x.data[p * n + i];
      abs += Math.abs(x.data[p * n + i]);
    }
    y.data[p] = f32(sum / n);
    // Any float32 order: within (n - 1) 2^-24 sum|x| of the sum; plus the
    // final rounding of the mean (half an ulp, bounded by 2^-24 |mean|).
    y.err[p] = ((n - 1) * 2 ** -24 * abs) / n + 2 ** -24 * Math.abs(sum / n);
  }
  return [y];
}

function flatten(node, [x], attrs) {
  const axis = attrs.axis ?? 1;
  const a = axis < 0 ? axis + x.shape.length : axis;
  return [{ ...x, shape: [count(x.shape.slice(0, a)), count(x.shape.slice(a))] }];
}

const OPS = {
  QuantizeLinear: quantizeLinear,
  DequantizeLinear: dequantizeLinear,
  QLinearConv: qlinearConv,
  ConvInteger: convInteger,
  QLinearMatMul: qlinearMatMul,
  MatMulInteger: matMulInteger,
  GlobalAveragePool: globalAveragePool,
  Flatten: flatten,
};
export const supportedOps = Object.keys(OPS);

// One op on tensors outside a model (single-op test cases): its outputs.
export function runOp(opType, inputs, attrs = {}) {
  const op = OPS[opType];
  if (!op) throw new ReferenceError(`${opType} is not one of the reference's ops`);
  return op({ name: opType, opType }, inputs, attrs, { ties: [] });
}

// Runs a decoded ModelProto (onnx_proto.mjs readModel) on feeds
// ({name: tensor}). Nodes run in the graph's order (ONNX graphs are
// topologically sorted). `want` lists extra values to return beside the
// graph's outputs.
export function evaluate(model, feeds, { want = [] } = {}) {
  const graph = model.graph;
  const values = new Map();
  for (const init of graph.initializer || []) values.set(init.name, tensorOf(init));
  for (const [name, t] of Object.entries(feeds)) values.set(name, t);
  const ties = [];
  for (const node of graph.node) {
    if (node.domain && node.domain !== 'ai.onnx') fail(node, `domain ${node.domain}`);
    const op = OPS[node.opType];
    if (!op) fail(node, `not one of the reference's ops (${supportedOps.join(', ')})`);
    const inputs = node.input.map((name) => {
      if (name === '') return undefined;
      if (!values.has(name)) fail(node, `input '${name}' has no value`);
      return values.get(name);
    });
    const outputs = op(node, inputs, attributesOf(node), { ties });
    node.output.forEach((name, i) => name && values.set(name, outputs[i]));
  }
  const pick = (name) => {
    if (!values.has(name)) throw new ReferenceError(`no value '${name}'`);
    return values.get(name);
  };
  const outputs = Object.fromEntries([...graph.output.map((o) => o.name), ...want].map((n) => [n, pick(n)]));
  return { outputs, ties };
}
