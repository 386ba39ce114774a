#!/usr/bin/env node
// The correctness oracle for TF.js graph models: runs model.json with
// TensorFlow.js (tfjs-core + tfjs-backend-cpu + tfjs-converter 4.22, from
// <repo>/.deps) on the inputs in a tensor directory and writes its outputs as
// another (see tensor_dir.mjs). The same command shape as ort_run.mjs.
//
//   node test/e2e/tfjs_run.mjs model.json --inputs-dir D --outputs-dir O
//        [--make-inputs SEED [--range lo,hi] [--int-range lo,hi]]
//        [--input-shape name=AxB,...] [--input-value name=V,V...]...
//
// Inputs and outputs are named as TF.js names them (model.inputNodes and
// model.outputNodes: the signature's keys, else the node names), which is
// also the `kiln.name` Kiln's importer gives them. Each input is read from
// D/<name>.bin; its shape comes from D/manifest.json when there is one, else
// from the model with an unknown batch taken as 1 (as Kiln pins it). With
// --make-inputs SEED the inputs are first written to D: one fixed-seed
// stream per input (mulberry32, seeded like make_inputs.mjs, which reads
// ONNX models only), floats uniform in --range (default -1,1), integers in
// --int-range (default 0,256). An input of --input-value (kilnc's: the
// value fixed at import, the input gone from Kiln's interface) is fed those
// values, neither read from D nor written there; its shape is --input-shape's,
// else the model's (one unknown dimension taking what the count leaves), else
// [count], as kilnc settles it.
//
// The model is read by hand and given to tf.io.fromMemory: every group's
// shards concatenated in manifest order, as TF.js's own loaders do.

import fs from 'node:fs';
import path from 'node:path';

import { UsageError, loadTf, mulberry32, parseArgs, runMain, streamSeed } from './common.mjs';
import { DTYPES, elementCount, fileNameFor, readManifest, readRaw, writeTensorDir } from './tensor_dir.mjs';

const USAGE =
  'usage: node test/e2e/tfjs_run.mjs model.json --inputs-dir D --outputs-dir O ' +
  '[--make-inputs SEED [--range lo,hi] [--int-range lo,hi]] [--input-shape name=AxBxC,...] ' +
  '[--input-value name=V,V...]...';

// model.json and its shards as the ModelArtifacts tf.io.fromMemory takes.
function readArtifacts(modelPath) {
  if (!fs.existsSync(modelPath)) throw new UsageError(`${modelPath}: no such file`);
  let json;
  try {
    json = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  } catch (e) {
    throw new UsageError(`${modelPath}: bad JSON: ${e.message}`);
  }
  if (json.format && json.format !== 'graph-model')
    throw new UsageError(`${modelPath}: format is '${json.format}', not a graph model`);
  const dir = path.dirname(modelPath);
  const weightSpecs = [];
  const buffers = [];
  for (const group of json.weightsManifest ?? []) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const file = path.join(dir, p);
      if (!fs.existsSync(file)) throw new UsageError(`${modelPath}: weight shard ${file} is missing`);
      buffers.push(fs.readFileSync(file));
    }
  }
  const all = Buffer.concat(buffers);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

function parseRange(flag, text) {
  const parts = text.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] < parts[1]))
    throw new UsageError(`${flag} expects lo,hi with lo < hi, got '${text}'`);
  return parts;
}

function makeInput(spec, seed, floatRange, intRange) {
  const next = mulberry32(streamSeed(seed, spec.name));
  const count = elementCount(spec.shape);
  const data = new DTYPES[spec.dtype](count);
  for (let i = 0; i < count; i++) {
    if (spec.dtype === 'float32')
      data[i] = floatRange[0] + (floatRange[1] - floatRange[0]) * ((next() >>> 8) / 16777216);
    else if (spec.dtype === 'bool') data[i] = next() >>> 31;
    else data[i] = intRange[0] + Math.floor((next() / 4294967296) * (intRange[1] - intRange[0]));
  }
  return { ...spec, data };
}

// Name, dtype and shape of each model input: unknown batch as 1, other
// unknown dimensions from --input-shape (as kilnc's: name=1x320x320x3).
function inputSpecs(model, given) {
  return model.inputNodes.map((name, i) => {
    const meta = model.inputs[i];
    const dtype = meta.dtype ?? 'float32';
    if (!(dtype in DTYPES)) throw new UsageError(`input '${name}' has dtype ${dtype}`);
    const shape = given.get(name) ?? (meta.shape ?? []).map((d, k) => (k === 0 && d < 0 ? 1 : d));
    return { name, dtype, shape, declared: meta.shape };
  });
}

// --input-value name=V[,V...] entries: name -> numbers (true/false as 1/0).
function parseInputValues(list) {
  const values = new Map();
  for (const item of list ?? []) {
    const at = item.lastIndexOf('=');
    const parts = item.slice(at + 1).split(',');
    const numbers = parts.map((p) => (p === 'true' ? 1 : p === 'false' ? 0 : p.trim() === '' ? NaN : Number(p)));
    if (at < 1 || numbers.some((n) => Number.isNaN(n)))
      throw new UsageError(`--input-value expects name=V[,V...], got '${item}'`);
    values.set(item.slice(0, at), numbers);
  }
  return values;
}

// The shape of a fixed input, as kilnc settles it (see the top).
function fixedShape(spec, given, count) {
  if (given) return given;
  if (spec.declared === undefined) return [count];
  const known = spec.declared.filter((d) => d >= 0).reduce((a, b) => a * b, 1);
  const unknown = spec.declared.filter((d) => d < 0).length;
  if (unknown > 1 || (unknown === 1 && count % known !== 0))
    throw new UsageError(`--input-value ${spec.name}: ${count} values do not settle shape [${spec.declared}]`);
  return spec.declared.map((d) => (d < 0 ? count / known : d));
}

function parseInputShapes(text) {
  const shapes = new Map();
  for (const item of (text ?? '').split(',').filter(Boolean)) {
    const at = item.lastIndexOf('=');
    const dims = item.slice(at + 1).split('x').map(Number);
    if (at < 1 || !dims.every((d) => Number.isInteger(d) && d > 0))
      throw new UsageError(`--input-shape expects name=AxBxC, got '${item}'`);
    shapes.set(item.slice(0, at), dims);
  }
  return shapes;
}

async function main(argv) {
  const args = parseArgs(
    argv,
    {
      '--inputs-dir': 'string',
      '--outputs-dir': 'string',
      '--make-inputs': 'int',
      '--range': 'string',
      '--int-range': 'string',
      '--input-shape': 'string',
      '--input-value': 'list',
    },
    ['model'],
  );
  if (!args['inputs-dir']) throw new UsageError('--inputs-dir D is required');
  if (!args['outputs-dir']) throw new UsageError('--outputs-dir O is required');
  const artifacts = readArtifacts(args.model);
  const { tf, converter } = await loadTf();
  const model = await converter.loadGraphModel(tf.io.fromMemory(artifacts));
  const givenShapes = parseInputShapes(args['input-shape']);
  const fixedValues = parseInputValues(args['input-value']);
  for (const name of fixedValues.keys())
    if (!model.inputNodes.includes(name))
      throw new UsageError(`--input-value ${name}: the model has no input '${name}' (its inputs: ${model.inputNodes.join(', ')})`);
  const allSpecs = inputSpecs(model, givenShapes);
  const specs = allSpecs.filter((s) => !fixedValues.has(s.name));
  const feeds = {};
  for (const s of allSpecs.filter((s) => fixedValues.has(s.name))) {
    const values = fixedValues.get(s.name);
    const shape = fixedShape(s, givenShapes.get(s.name), values.length);
    if (elementCount(shape) !== values.length)
      throw new UsageError(`--input-value ${s.name}: ${values.length} values for shape [${shape}]`);
    feeds[s.name] = tf.tensor(DTYPES[s.dtype].from(values), shape, s.dtype);
  }

  if (args['make-inputs'] !== undefined) {
    const floatRange = parseRange('--range', args.range ?? '-1,1');
    const intRange = parseRange('--int-range', args['int-range'] ?? '0,256');
    for (const s of specs)
      if (s.shape.some((d) => d < 0))
        throw new UsageError(`input '${s.name}' has unknown dimensions [${s.shape}]`);
    writeTensorDir(
      args['inputs-dir'],
      specs.map((s) => makeInput(s, args['make-inputs'], floatRange, intRange)),
    );
  }

  const manifest = readManifest(args['inputs-dir']);
  const listed = new Map((manifest?.tensors ?? []).map((t) => [t.name, t]));
  for (const spec of specs) {
    const entry = listed.get(spec.name);
    if (manifest && !entry)
      throw new UsageError(`input '${spec.name}' is missing from ${args['inputs-dir']}/manifest.json`);
    if (entry && entry.dtype !== spec.dtype)
      throw new UsageError(`input '${spec.name}': manifest says ${entry.dtype}, the model ${spec.dtype}`);
    const shape = entry ? entry.shape : spec.shape;
    if (shape.some((d) => d < 0))
      throw new UsageError(`input '${spec.name}' has unknown dimensions [${shape}]: give a manifest`);
    const file = entry ? entry.file : fileNameFor(spec.name);
    const data = readRaw(path.join(args['inputs-dir'], file), spec.dtype, shape);
    feeds[spec.name] = tf.tensor(data, shape, spec.dtype);
  }

  let results;
  try {
    try {
      results = model.execute(feeds, model.outputNodes);
    } catch (e) {
      // Dynamic ops (Where, NonMaxSuppression) run only asynchronously.
      if (!/executeAsync/.test(e.message)) throw e;
      results = await model.executeAsync(feeds, model.outputNodes);
    }
  } catch (e) {
    throw new UsageError(`TensorFlow.js failed to run ${args.model}: ${e.message.split('\n')[0]}`);
  }
  if (!Array.isArray(results)) results = [results];
  // TF.js can label a tensor float32 and hold int32 data (handtrack's
  // num_detections and classes, Cast from int32 in its graph executor):
  // written as the values in the dtype it declares.
  const outputs = results.map((t, i) => {
    let data = t.dataSync().slice();
    if (t.dtype in DTYPES && !(data instanceof DTYPES[t.dtype])) data = DTYPES[t.dtype].from(data);
    return { name: model.outputNodes[i], dtype: t.dtype, shape: [...t.shape], data };
  });
  writeTensorDir(args['outputs-dir'], outputs);
}

runMain('tfjs_run', USAGE, main);
