#!/usr/bin/env node
// Writes deterministic inputs for a model, as a tensor directory (see
// tensor_dir.mjs): one fixed-seed stream per input, so the same seed gives
// the same bytes on every run and machine, and adding an input to a model
// does not change the others.
//
//   node test/e2e/make_inputs.mjs model.onnx --out-dir D [--seed N]
//        [--input-shape name=1x3x224x224]... [--range lo,hi] [--int-range lo,hi]
//
// Floats are uniform in [lo, hi) (default [-1, 1): the range the generated
// MobileNetV2 was scaled for); integers uniform in [lo, hi) (default [0, 256):
// pixel-like); bools 0 or 1. Input names, dtypes and shapes come from the
// model (read through ONNX Runtime); --input-shape pins dynamic dimensions.

import {
  UsageError,
  loadOrt,
  mulberry32,
  openSession,
  parseArgs,
  parseShapeFlag,
  runMain,
  streamSeed,
} from './common.mjs';
import { DTYPES, elementCount, isFloat, writeTensorDir } from './tensor_dir.mjs';

const USAGE =
  'usage: node test/e2e/make_inputs.mjs model.onnx --out-dir D [--seed N] ' +
  '[--input-shape name=DxDx...]... [--range lo,hi] [--int-range lo,hi]';

function parseRange(flag, text, integer) {
  const parts = text.split(',').map(Number);
  if (parts.length !== 2 || !parts.every(Number.isFinite) || !(parts[0] < parts[1]))
    throw new UsageError(`${flag} expects lo,hi with lo < hi, got '${text}'`);
  if (integer && !parts.every(Number.isInteger))
    throw new UsageError(`${flag} expects integers, got '${text}'`);
  return parts;
}

// Integer ranges the narrow types can hold, so that values never wrap.
const INT_LIMITS = { int8: [-128, 128], uint8: [0, 256], int16: [-32768, 32768], uint16: [0, 65536] };

// Fills one tensor from a generator of uniform 32-bit words.
function fillTensor(name, dtype, count, next, floatRange, intRange) {
  if (dtype === 'float16') throw new UsageError(`input '${name}': float16 inputs are not supported yet`);
  const limits = INT_LIMITS[dtype];
  if (limits && (intRange[0] < limits[0] || intRange[1] > limits[1]))
    throw new UsageError(`input '${name}' is ${dtype}: --int-range must lie within [${limits})`);
  const data = new DTYPES[dtype](count);
  if (isFloat(dtype)) {
    const [lo, hi] = floatRange;
    // 24 bits, as many as a float32 mantissa holds exactly.
    for (let i = 0; i < count; i++) data[i] = lo + (hi - lo) * ((next() >>> 8) / 16777216);
  } else if (dtype === 'bool') {
    for (let i = 0; i < count; i++) data[i] = next() >>> 31;
  } else {
    const [lo, hi] = intRange;
    const wide = dtype.endsWith('64');
    for (let i = 0; i < count; i++) {
      const v = lo + Math.floor((next() / 4294967296) * (hi - lo));
      data[i] = wide ? BigInt(v) : v;
    }
  }
  return data;
}

async function main(argv) {
  const args = parseArgs(
    argv,
    {
      '--out-dir': 'string',
      '--seed': 'int',
      '--input-shape': 'list',
      '--range': 'string',
      '--int-range': 'string',
    },
    ['model'],
  );
  if (!args['out-dir']) throw new UsageError('--out-dir D is required');
  const seed = args.seed ?? 0;
  if (seed < 0 || seed > 0xffffffff) throw new UsageError(`--seed must be in 0..2^32-1, got ${seed}`);
  const floatRange = parseRange('--range', args.range ?? '-1,1', false);
  const intRange = parseRange('--int-range', args['int-range'] ?? '0,256', true);
  const pinned = new Map((args['input-shape'] ?? []).map(parseShapeFlag));

  const session = await openSession(loadOrt(), args.model);
  const tensors = [];
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor) throw new UsageError(`input '${meta.name}' is not a tensor`);
    const shape = resolveShape(meta, pinned.get(meta.name));
    pinned.delete(meta.name);
    const next = mulberry32(streamSeed(seed, meta.name));
    const data = fillTensor(meta.name, meta.type, elementCount(shape), next, floatRange, intRange);
    tensors.push({ name: meta.name, dtype: meta.type, shape, data });
  }
  if (pinned.size)
    throw new UsageError(`--input-shape names no input of the model: ${[...pinned.keys()].join(', ')}`);
  await session.release();
  writeTensorDir(args['out-dir'], tensors);
}

// The model's shape with dynamic dimensions pinned; every dynamic dimension
// left is named in one error.
function resolveShape(meta, pin) {
  const dims = meta.shape;
  if (pin) {
    const fits =
      pin.length === dims.length && dims.every((d, i) => typeof d !== 'number' || d === pin[i]);
    if (!fits)
      throw new UsageError(`--input-shape ${meta.name}=${pin.join('x')} does not fit [${dims}]`);
    return pin;
  }
  const dynamic = dims.map((d, i) => (typeof d === 'number' && d >= 0 ? null : `${i} (${d})`));
  if (dynamic.some((d) => d !== null))
    throw new UsageError(
      `input '${meta.name}' has dynamic dimensions ${dynamic.filter(Boolean).join(', ')}: ` +
        `pin them with --input-shape ${meta.name}=DxDx...`,
    );
  return [...dims];
}

runMain('make_inputs', USAGE, main);
