// FLOP counts for the GFLOP/s columns: multiply-accumulates of convolutions
// and matrix products, times two (elementwise ops, pools and activations are
// left out: in these models they are under 2% of the arithmetic and are
// memory-bound anyway). Two independent counters:
//  - countOnnx: from the ONNX graph, with its own shape propagation over the
//    ops these models use (Kiln's importer is not involved);
//  - countKernels: from Kiln's kernel-phase IR (`kilnc --compile-to=schedules`),
//    per kiln.kernel, for the per-kernel table and for TF.js models.
// The benchmark checks that both agree on ONNX models.

import { readOnnx } from './onnx_graph.mjs';

const prod = (a) => a.reduce((x, y) => x * y, 1);

// Output size of a sliding window along one axis (Conv and pools).
function windowOut(size, kernel, stride, dilation, padBegin, padEnd, autoPad, ceil) {
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return Math.ceil(size / stride);
  const span = dilation * (kernel - 1) + 1;
  if (autoPad === 'VALID') return Math.floor((size - span) / stride) + 1;
  const q = (size + padBegin + padEnd - span) / stride;
  return (ceil ? Math.ceil(q) : Math.floor(q)) + 1;
}

function broadcast(a, b) {
  const n = Math.max(a.length, b.length);
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    out.push(x === 1 ? y : x);
  }
  return out;
}

const UNARY = new Set(['Relu', 'Clip', 'Sigmoid', 'Tanh', 'LeakyRelu', 'HardSigmoid', 'HardSwish',
  'Exp', 'Log', 'Identity', 'BatchNormalization', 'Dropout', 'Cast', 'Softmax', 'LRN', 'Erf', 'Sqrt',
  'Neg', 'Abs', 'Elu', 'Selu', 'Softplus', 'InstanceNormalization', 'Floor', 'Ceil', 'Round',
  'QuantizeLinear', 'DequantizeLinear']);
// The quantized products count as their float forms: [op, index of x, index of w].
const QUANTIZED = { QLinearConv: ['Conv', 0, 3], ConvInteger: ['Conv', 0, 1],
  QLinearMatMul: ['MatMul', 0, 3], MatMulInteger: ['MatMul', 0, 1] };
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Max', 'Min', 'PRelu', 'Where', 'Equal',
  'Greater', 'Less', 'And', 'Or', 'Sum', 'Mean']);

/**
 * Counts an ONNX model's conv/gemm MACs. Returns {macs, flops, byOp, missing}
 * where `missing` lists the ops whose MACs could not be counted (an input
 * shape the propagation did not reach), so that a partial count is never
 * passed off as a total.
 */
export function countOnnx(file) {
  const g = readOnnx(file);
  const shapes = new Map(); // name -> number[]
  const values = new Map(); // name -> small integer tensors' values
  for (const [name, shape] of [...g.inputs, ...g.valueInfo])
    if (shape && shape.every((d) => d !== null && d >= 0)) shapes.set(name, shape.map((d) => d || 1));
  for (const [name, t] of g.initializers) {
    shapes.set(name, t.dims);
    if (t.values) values.set(name, t.values);
  }
  const byOp = {};
  const missing = [];
  const add = (op, macs) => (byOp[op] = (byOp[op] ?? 0) + macs);

  for (const n of g.nodes) {
    const q = QUANTIZED[n.opType];
    const inputs = q ? [n.inputs[q[1]], n.inputs[q[2]]] : n.inputs;
    const s = inputs.map((i) => (i ? shapes.get(i) : undefined));
    const v = inputs.map((i) => values.get(i));
    const attr = (name, dflt) => {
      const a = n.attrs[name];
      if (!a) return dflt;
      if (a.ints.length) return a.ints;
      return a.i ?? a.f ?? a.s ?? a.t ?? dflt;
    };
    let out = null; // the first output's shape
    let outValues = null;
    const op = q ? q[0] : n.opType;
    if (op === 'Conv' || op === 'MaxPool' || op === 'AveragePool') {
      const x = s[0];
      const w = op === 'Conv' ? s[1] : null;
      if (x && (w || op !== 'Conv')) {
        const spatial = x.length - 2;
        const kernel = attr('kernel_shape', w ? w.slice(2) : null);
        const strides = attr('strides', Array(spatial).fill(1));
        const dil = attr('dilations', Array(spatial).fill(1));
        const pads = attr('pads', Array(2 * spatial).fill(0));
        const autoPad = attr('auto_pad', 'NOTSET');
        const ceil = attr('ceil_mode', 0) === 1;
        const dims = x.slice(2).map((d, i) =>
          windowOut(d, kernel[i], strides[i], dil[i], pads[i], pads[i + spatial], autoPad, ceil));
        out = [x[0], w ? w[0] : x[1], ...dims];
        if (w) add('Conv', prod(out) * prod(w.slice(1)));
      } else if (op === 'Conv') missing.push(`${n.name || op}: input shape unknown`);
    } else if (op === 'Gemm') {
      if (s[0] && s[1]) {
        const [m, k] = attr('transA', 0) ? [s[0][1], s[0][0]] : s[0];
        const nn = attr('transB', 0) ? s[1][0] : s[1][1];
        out = [m, nn];
        add('Gemm', m * nn * k);
      } else missing.push(`${n.name || op}: input shape unknown`);
    } else if (op === 'MatMul') {
      if (s[0] && s[1]) {
        const a = s[0].length === 1 ? [1, s[0][0]] : s[0];
        const b = s[1].length === 1 ? [s[1][0], 1] : s[1];
        const batch = broadcast(a.slice(0, -2), b.slice(0, -2));
        out = [...batch, a[a.length - 2], b[b.length - 1]];
        add('MatMul', prod(batch) * a[a.length - 2] * a[a.length - 1] * b[b.length - 1]);
      } else missing.push(`${n.name || op}: input shape unknown`);
    } else if (op === 'GlobalAveragePool' || op === 'GlobalMaxPool') {
      if (s[0]) out = [s[0][0], s[0][1], ...s[0].slice(2).map(() => 1)];
    } else if (UNARY.has(op)) {
      out = s[0];
    } else if (BINARY.has(op)) {
      if (s.every(Boolean)) out = s.reduce(broadcast);
    } else if (op === 'Concat') {
      if (s.every(Boolean)) {
        const axis = (attr('axis', 0) + s[0].length) % s[0].length;
        out = [...s[0]];
        out[axis] = s.reduce((acc, x) => acc + x[axis], 0);
        if (v.every(Boolean)) outValues = v.flat();
      }
    } else if (op === 'Reshape') {
      const target = v[1] ?? attr('shape', null);
      if (s[0] && target) {
        out = target.map((d, i) => (d === 0 ? s[0][i] : d));
        const known = prod(out.filter((d) => d !== -1));
        out = out.map((d) => (d === -1 ? prod(s[0]) / known : d));
      }
    } else if (op === 'Flatten') {
      if (s[0]) {
        const axis = (attr('axis', 1) + s[0].length) % s[0].length;
        out = [prod(s[0].slice(0, axis)), prod(s[0].slice(axis))];
      }
    } else if (op === 'Transpose') {
      if (s[0]) {
        const perm = attr('perm', s[0].map((_, i) => s[0].length - 1 - i));
        out = perm.map((p) => s[0][p]);
      }
    } else if (op === 'Pad') {
      const pads = v[1] ?? attr('pads', null);
      if (s[0] && pads) out = s[0].map((d, i) => d + pads[i] + pads[i + s[0].length]);
    } else if (op === 'Constant') {
      const t = attr('value', null);
      if (t && typeof t === 'object') {
        out = t.dims;
        outValues = t.values;
      }
    } else if (op === 'ConstantOfShape') {
      if (v[0]) out = v[0];
    } else if (op === 'Shape') {
      if (s[0]) {
        out = [s[0].length];
        outValues = s[0];
      }
    } else if (op === 'Squeeze' || op === 'Unsqueeze') {
      const axes = v[1] ?? attr('axes', null);
      if (s[0] && axes) {
        if (op === 'Squeeze') {
          const drop = new Set(axes.map((a) => (a + s[0].length) % s[0].length));
          out = s[0].filter((_, i) => !drop.has(i));
        } else {
          const rank = s[0].length + axes.length;
          const put = new Set(axes.map((a) => (a + rank) % rank));
          const rest = [...s[0]];
          out = Array.from({ length: rank }, (_, i) => (put.has(i) ? 1 : rest.shift()));
        }
      } else if (s[0] && op === 'Squeeze') out = s[0].filter((d) => d !== 1);
    } else if (op === 'ConvTranspose') {
      missing.push(`${n.name || op}: ConvTranspose is not counted`);
    }
    if (out) shapes.set(n.outputs[0], out);
    if (outValues) values.set(n.outputs[0], outValues);
  }
  const macs = Object.values(byOp).reduce((a, b) => a + b, 0);
  return { macs, flops: 2 * macs, byOp, missing };
}

// "tensor<1x112x112x32xf32>" -> [1, 112, 112, 32] (scalars: []).
function tensorShape(type) {
  const m = /^tensor<((?:\d+x)*)[a-z]\w*>$/.exec(type.trim());
  if (!m) return null;
  return m[1] ? m[1].slice(0, -1).split('x').map(Number) : [];
}

// The operand and result types of a line ending in ": (T, T) -> T".
function signature(line) {
  const m = /:\s*\(([^()]*)\)\s*->\s*(.+?)\s*(?:\{\s*)?$/.exec(line);
  if (!m) return null;
  const types = m[1].match(/tensor<[^>]*>/g) ?? [];
  const results = m[2].match(/tensor<[^>]*>/g) ?? [];
  return { operands: types.map(tensorShape), results: results.map(tensorShape) };
}

// MACs of one TOSA op line (0 for ops that are not convolutions or products).
function tosaMacs(op, line) {
  const sig = signature(line);
  if (!sig) return 0;
  const [x, w] = sig.operands;
  const out = sig.results[0];
  if (!out) return 0;
  switch (op) {
    case 'conv2d': // w [OC, KH, KW, IC], out [N, OH, OW, OC]
      return prod(out) * w[1] * w[2] * w[3];
    case 'conv3d':
      return prod(out) * prod(w.slice(1));
    case 'depthwise_conv2d': // w [KH, KW, C, M], out [N, OH, OW, C*M]
      return prod(out) * w[0] * w[1];
    case 'transpose_conv2d': // every input pixel meets every tap and output channel
      return prod(x) * w[0] * w[1] * w[2];
    case 'matmul': // a [B, M, K], out [B, M, N]
      return prod(out) * x[2];
    case 'fully_connected': // x [N, IC], out [N, OC]
      return prod(out) * x[1];
    default:
      return 0;
  }
}

/**
 * Parses kiln.kernel ops out of kernel-phase (or schedules-phase) IR text, in
 * the order of `main`, which is the order the generated host calls them.
 * Each: {index, label, hash, pattern, ops: [tosa op names], macs, flops,
 * outputShapes}.
 */
export function countKernels(irText) {
  const kernels = [];
  let current = null;
  let indent = '';
  for (const line of irText.split('\n')) {
    if (line.length > 20000) continue; // resource blobs
    if (!current) {
      const m = /^(\s*)%[\w#:]+ = kiln\.kernel "([^"]+)"/.exec(line);
      if (!m) continue;
      indent = m[1];
      const sig = signature(line.replace(/\s*attributes\s*\{.*$/, ''));
      current = {
        index: kernels.length,
        label: m[2],
        hash: /hash = "([^"]+)"/.exec(line)?.[1] ?? null,
        pattern: /pattern = "?(\w+)/.exec(line)?.[1] ?? null,
        operands: sig ? sig.operands.length : null,
        outputShapes: sig ? sig.results : [],
        ops: [],
        macs: 0,
      };
      continue;
    }
    if (line.startsWith(`${indent}}`)) {
      current.flops = 2 * current.macs;
      kernels.push(current);
      current = null;
      continue;
    }
    const op = /=\s*"?tosa\.(\w+)/.exec(line);
    if (op && op[1] !== 'const') {
      current.ops.push(op[1]);
      current.macs += tosaMacs(op[1], line);
    }
  }
  return kernels;
}
