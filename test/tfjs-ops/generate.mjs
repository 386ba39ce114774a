#!/usr/bin/env node
// Writes every case of cases.mjs into OUT/<case>/: model.json and
// weights.bin (graph.mjs), in/ (the inputs, a tensor directory of
// test/e2e/tensor_dir.mjs) and tfjs/ (TensorFlow.js's outputs on them: the
// expected outputs). Also OUT/index.json: [{name, op, inputs, outputs}].
//
//   node test/tfjs-ops/generate.mjs --out DIR [--filter REGEX]
//
// The oracle is TensorFlow.js itself from <repo>/.deps (tfjs-core, the cpu
// backend, tfjs-converter): tf.loadGraphModel on an in-memory IO handler
// and executeAsync, as an application runs a converted model. Inputs come
// from a fixed-seed stream per case and input (mulberry32 over the names'
// FNV-1a hash), so two runs write the same bytes. A case that TensorFlow.js
// itself cannot run is a bug in the case, and stops the generator.

import fs from 'node:fs';
import path from 'node:path';

import { UsageError, loadTf, mulberry32, parseArgs, runMain, streamSeed } from '../e2e/common.mjs';
import { DTYPES, writeTensorDir } from '../e2e/tensor_dir.mjs';
import cases from './cases.mjs';
import { Graph } from './graph.mjs';

// Floats uniform in [lo, hi) (default [-2, 2)), rounded to 1/1024 so that
// ops with a discontinuity (Floor, Round, comparisons) see no value within
// float32 rounding of one; ints uniform in [lo, hi) (default [0, 10)).
function makeInput(caseName, spec) {
  const count = spec.shape.reduce((a, b) => a * b, 1);
  const data = new DTYPES[spec.dtype](count);
  if (spec.values) {
    if (spec.values.length !== count) throw new Error(`${caseName}: input ${spec.name} has ${spec.values.length} values`);
    data.set(spec.values.map(Number));
    return { name: spec.name, dtype: spec.dtype, shape: spec.shape, data };
  }
  const next = mulberry32(streamSeed(0, `${caseName}/${spec.name}`));
  const [lo, hi] = spec.range ?? (spec.dtype === 'float32' ? [-2, 2] : [0, 10]);
  for (let i = 0; i < count; i++) {
    const u = next() / 4294967296;
    if (spec.dtype === 'float32') data[i] = Math.round((lo + (hi - lo) * u) * 1024) / 1024;
    else if (spec.dtype === 'bool') data[i] = next() >>> 31;
    else data[i] = lo + Math.floor(u * (hi - lo));
  }
  return { name: spec.name, dtype: spec.dtype, shape: spec.shape, data };
}

// executeAsync runs every case, dynamic ops or not; its advice to use
// execute() when none are dynamic is noise here.
const warn = console.warn;
console.warn = (...a) => (String(a[0]).includes('You can use model.execute() instead') ? undefined : warn(...a));


async function runOracle(tf, converter, g, inputs) {
  const json = g.modelJson();
  const weightData = Buffer.concat(g.weights.map((w) => Buffer.from(w.data.buffer, w.data.byteOffset, w.data.byteLength)));
  const model = await converter.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      format: json.format,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength),
    }),
  );
  const feeds = Object.fromEntries(inputs.map((t) => [t.name, tf.tensor(t.data, t.shape, t.dtype)]));
  const log = console.log; // Print's output is not the generator's
  console.log = () => {};
  let results;
  try {
    results = await model.executeAsync(feeds, g.outputs);
  } finally {
    console.log = log;
  }
  if (!Array.isArray(results)) results = [results];
  // The typed array of the dtype TF.js reports (a bool-to-float Cast's data
  // comes back as bytes).
  const outputs = results.map((t, i) => ({ name: g.outputs[i], dtype: t.dtype, shape: [...t.shape], data: DTYPES[t.dtype].from(t.dataSync()) }));
  tf.dispose([...results, ...Object.values(feeds)]);
  model.dispose();
  return outputs;
}

// A case whose op TF.js's converter lists but its executor cannot run
// (cases.mjs: BitwiseAnd, whose executor reads inputs the op list does not
// name) gives `kernelOracle(tf, feeds)`: the same op called through
// tfjs-core, so the expected outputs still come from TF.js's cpu kernel.
function runKernelOracle(tf, c, g, inputs) {
  const feeds = Object.fromEntries(inputs.map((t) => [t.name, tf.tensor(t.data, t.shape, t.dtype)]));
  let results = c.kernelOracle(tf, feeds);
  if (!Array.isArray(results)) results = [results];
  if (results.length !== g.outputs.length) throw new Error(`${c.name}: its kernelOracle gives ${results.length} outputs, the graph ${g.outputs.length}`);
  const outputs = results.map((t, i) => ({ name: g.outputs[i], dtype: t.dtype, shape: [...t.shape], data: DTYPES[t.dtype].from(t.dataSync()) }));
  tf.dispose([...results, ...Object.values(feeds)]);
  return outputs;
}

async function main(argv) {
  const args = parseArgs(argv, { '--out': 'string', '--filter': 'string' }, []);
  if (!args.out) throw new UsageError('--out DIR is required');
  const filter = args.filter ? new RegExp(args.filter) : null;
  const { tf, converter } = await loadTf();
  const names = new Set();
  const index = [];
  const broken = [];
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`two cases are named ${c.name}`);
    names.add(c.name);
    if (filter && !filter.test(c.name)) continue;
    const g = new Graph(c.name);
    c.build(g);
    const dir = path.join(args.out, c.name);
    fs.rmSync(dir, { recursive: true, force: true });
    g.write(dir);
    const inputs = g.inputs.map((spec) => makeInput(c.name, spec));
    writeTensorDir(path.join(dir, 'in'), inputs);
    // A case with an `oracle` graph (cases.mjs: where TF.js runs the case's
    // own graph other than TF defines it) is checked against TF.js on that
    // graph, which must take the same inputs.
    let oracle = g;
    if (c.oracle) {
      oracle = new Graph(c.name);
      c.oracle(oracle);
      const sig = (gr) => JSON.stringify(gr.inputs.map((t) => [t.name, t.dtype, t.shape]));
      if (sig(oracle) !== sig(g) || oracle.outputs.length !== g.outputs.length)
        throw new Error(`${c.name}: its oracle graph takes other inputs or outputs than the case`);
    }
    try {
      const outputs = c.kernelOracle ? runKernelOracle(tf, c, g, inputs) : await runOracle(tf, converter, oracle, inputs);
      writeTensorDir(path.join(dir, 'tfjs'), outputs);
      index.push({ name: c.name, op: c.op, inputs: inputs.map((t) => t.name), outputs: g.outputs, ...(c.stat ? { stat: c.stat } : {}) });
    } catch (e) {
      broken.push(`${c.name}: ${e.message.split('\n')[0]}`);
    }
  }
  fs.writeFileSync(path.join(args.out, 'index.json'), JSON.stringify(index, null, 1) + '\n');
  if (broken.length) {
    console.error(`TensorFlow.js cannot run ${broken.length} case(s), a bug in cases.mjs:\n  ${broken.join('\n  ')}`);
    process.exitCode = 1;
    return;
  }
  console.log(`tfjs-ops: ${index.length} cases written to ${args.out}`);
}

runMain('generate.mjs', 'usage: node test/tfjs-ops/generate.mjs --out DIR [--filter REGEX]', main);
