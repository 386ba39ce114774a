// A small builder for TF.js graph models (model.json + one weight shard),
// written directly as TensorFlow's GraphDef in protobuf's JSON mapping, the
// way tensorflowjs_converter writes it: no Python TensorFlow is needed.
//
//   const g = new Graph('Add_broadcast');
//   const a = g.input('a', [2, 3]);
//   const b = g.constant('b', 'float32', [3], [1, 2, 3]);
//   g.output(g.node('Add', [a, b]));
//   g.write(dir);          // dir/model.json, dir/weights.bin
//
// Inputs are Placeholders (their values come from the suite's generator);
// constants are weights, as the converter stores every Const. Every output
// is an Identity named out0, out1, ... so that a multi-output op's second
// output is a graph output too (TF.js makes outputs of unconsumed nodes).

import fs from 'node:fs';
import path from 'node:path';

const DT = { float32: 'DT_FLOAT', int32: 'DT_INT32', bool: 'DT_BOOL' };

// TF AttrValues in the JSON mapping.
export const attr = {
  i: (v) => ({ i: String(v) }),
  f: (v) => ({ f: v }),
  b: (v) => ({ b: v }),
  s: (v) => ({ s: Buffer.from(v, 'utf8').toString('base64') }),
  type: (dtype) => ({ type: DT[dtype] }),
  ints: (vs) => ({ list: { i: vs.map(String) } }),
  floats: (vs) => ({ list: { f: vs } }),
  strings: (vs) => ({ list: { s: vs.map((v) => Buffer.from(v, 'utf8').toString('base64')) } }),
  shape: (dims) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};

const ELEMENT = { float32: Float32Array, int32: Int32Array, bool: Uint8Array };

export class Graph {
  constructor(name) {
    this.name = name;
    this.nodes = [];
    this.weights = []; // {name, dtype, shape, data}
    this.inputs = []; // {name, dtype, shape, range}
    this.outputs = [];
    this.dtypes = new Map(); // tensor name -> dtype (for T attributes)
    this.functions = []; // the library's functions (TF2 control flow bodies)
  }

  // A function of the model's library, for TF2 If and While: `args` are
  // [name, dtype] pairs; build(f) adds the body's nodes to `f` and returns
  // the tensors the function returns. Returns the function's name.
  func(name, args, build) {
    const f = new Graph(name);
    for (const [arg, dtype] of args) f.dtypes.set(arg, dtype);
    const rets = build(f);
    // A function's constants are the model's weights: TF.js looks a
    // function's Const up in the model's weight map by its node name.
    this.weights.push(...f.weights);
    const dtypeOf = (t) => f.dtypes.get(t.split(':')[0]) ?? 'float32';
    this.functions.push({
      signature: {
        name,
        inputArg: args.map(([arg, dtype]) => ({ name: arg, type: DT[dtype] })),
        outputArg: rets.map((t, i) => ({ name: `output${i}`, type: DT[dtypeOf(t)] })),
      },
      nodeDef: f.nodes,
      ret: Object.fromEntries(rets.map((t, i) => [`output${i}`, t])),
    });
    return name;
  }

  // A Placeholder. `range`: [lo, hi) of its generated values (ints and
  // floats); `values`: the exact values instead.
  input(name, shape, dtype = 'float32', opts = {}) {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: attr.type(dtype), shape: attr.shape(shape) } });
    this.inputs.push({ name, dtype, shape, range: opts.range, values: opts.values });
    this.dtypes.set(name, dtype);
    return name;
  }

  constant(name, dtype, shape, values) {
    const count = shape.reduce((a, b) => a * b, 1);
    if (values.length !== count) throw new Error(`${this.name}: constant ${name} has ${values.length} values for [${shape}]`);
    const tensor = { dtype: DT[dtype], tensorShape: shape.length ? { dim: shape.map((d) => ({ size: String(d) })) } : {} };
    this.nodes.push({ name, op: 'Const', attr: { dtype: attr.type(dtype), value: { tensor } } });
    this.weights.push({ name, dtype, shape, data: ELEMENT[dtype].from(values.map((v) => (dtype === 'bool' ? Number(v) : v))) });
    this.dtypes.set(name, dtype);
    return name;
  }

  // Shorthands for constants.
  ints(name, values, shape = [values.length]) { return this.constant(name, 'int32', shape, values); }
  int(name, value) { return this.constant(name, 'int32', [], [value]); }
  floats(name, values, shape = [values.length]) { return this.constant(name, 'float32', shape, values); }

  // A node; returns its name (its first output). `T` is set to the first
  // input's dtype unless given, as the converter's graphs have it.
  node(op, inputs, attrs = {}, { name, dtype } = {}) {
    name ??= `${op.toLowerCase()}_${this.nodes.length}`;
    const a = { ...attrs };
    const first = inputs.length ? this.dtypes.get(inputs[0].split(':')[0]) : undefined;
    if (!('T' in a) && first) a.T = attr.type(first);
    this.nodes.push({ name, op, input: inputs, attr: a });
    this.dtypes.set(name, dtype ?? first ?? 'float32');
    return name;
  }

  // Marks a tensor ("node" or "node:1") as an output, through an Identity.
  output(tensor) {
    const name = `out${this.outputs.length}`;
    this.nodes.push({ name, op: 'Identity', input: [tensor], attr: {} });
    this.outputs.push(name);
    return name;
  }

  modelJson() {
    return {
      format: 'graph-model',
      generatedBy: 'kiln test/tfjs-ops',
      convertedBy: 'kiln test/tfjs-ops/graph.mjs',
      modelTopology: {
        node: this.nodes,
        ...(this.functions.length ? { library: { function: this.functions } } : {}),
        versions: { producer: 1395 },
      },
      weightsManifest: [
        { paths: ['weights.bin'], weights: this.weights.map(({ name, dtype, shape }) => ({ name, shape, dtype })) },
      ],
    };
  }

  write(dir) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(this.modelJson(), null, 1) + '\n');
    const bytes = this.weights.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength));
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(bytes));
  }
}
