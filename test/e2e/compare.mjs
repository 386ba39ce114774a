#!/usr/bin/env node
// Compares the outputs of a model run (actual) with the oracle's (expected),
// both tensor directories (see tensor_dir.mjs).
//
//   node test/e2e/compare.mjs expected_dir actual_dir [--atol-frac 1e-4]
//
// The tolerance is relative to each output's range: an output matches when
//   max |actual - expected| <= atol_frac * (max(expected) - min(expected)),
// over its finite expected values (a constant output uses max(1, |value|) for
// the range). Integer and bool outputs must match exactly. NaN matches only
// NaN, and +-Inf only itself. Why the range: logits, boxes and activations
// differ in scale by orders of magnitude, and a per-element relative error
// explodes near zero; the range is the scale a reader of the output sees.
// Default 1e-4, the bar set for Kiln's end-to-end tests (issue 4).
//
// Prints one line per output (error, range, the worst element's index and
// values) and exits 0 when all match, 1 on any mismatch (including a missing
// output or a shape or dtype that differs), 2 for bad usage. The actual
// directory needs no manifest: its files are then read with the expected
// dtypes and shapes, so a C test can just write the raw .bin files.

import path from 'node:path';

import { UsageError, parseArgs, runMain } from './common.mjs';
import { isFloat, readManifest, readRaw, readTensorDir } from './tensor_dir.mjs';

const USAGE = 'usage: node test/e2e/compare.mjs expected_dir actual_dir [--atol-frac F]';

function fmt(x) {
  const m = Math.abs(x);
  return x === 0 || !Number.isFinite(x) ? String(x) : m < 1e-3 || m >= 1e6 ? x.toExponential(3) : x.toPrecision(6);
}

// Row-major multi-index of a flat index.
function unflatten(index, shape) {
  const idx = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = index % shape[d];
    index = Math.floor(index / shape[d]);
  }
  return idx;
}

// Error of one element: 0 when equal (NaN == NaN), Infinity when only one side
// is finite or they are different infinities.
function elementError(e, a) {
  if (Number.isNaN(e) || Number.isNaN(a)) return Number.isNaN(e) && Number.isNaN(a) ? 0 : Infinity;
  if (!Number.isFinite(e) || !Number.isFinite(a)) return e === a ? 0 : Infinity;
  return Math.abs(a - e);
}

// Compares one output; returns { ok, line }.
function compareTensor(expected, actual, atolFrac) {
  const head = `${expected.name} ${expected.dtype}[${expected.shape}]`;
  if (actual.dtype !== expected.dtype)
    return { ok: false, line: `${head}: dtype differs, actual is ${actual.dtype}` };
  if (actual.shape.join() !== expected.shape.join())
    return { ok: false, line: `${head}: shape differs, actual is [${actual.shape}]` };
  const e = expected.data;
  const a = actual.data;
  const n = e.length;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = Number(e[i]);
    if (Number.isFinite(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  }
  let worst = 0;
  let worstAt = 0;
  for (let i = 0; i < n; i++) {
    const err = elementError(Number(e[i]), Number(a[i]));
    if (err > worst) [worst, worstAt] = [err, i];
  }
  const range = hi > lo ? hi - lo : Math.max(1, Number.isFinite(lo) ? Math.abs(lo) : 1);
  const tol = isFloat(expected.dtype) ? atolFrac * range : 0;
  const ok = worst <= tol;
  const where =
    n === 0
      ? 'empty'
      : `worst at ${worstAt} [${unflatten(worstAt, expected.shape)}]: ` +
        `expected ${fmt(Number(e[worstAt]))}, actual ${fmt(Number(a[worstAt]))}`;
  const line =
    `${head}: max_abs_err ${fmt(worst)} ${ok ? '<=' : '>'} tol ${fmt(tol)} ` +
    `(range ${fmt(range)} over [${fmt(lo)}, ${fmt(hi)}]); ${where}`;
  return { ok, line };
}

async function main(argv) {
  const args = parseArgs(argv, { '--atol-frac': 'float' }, ['expected_dir', 'actual_dir']);
  const atolFrac = args['atol-frac'] ?? 1e-4;
  if (!(atolFrac >= 0)) throw new UsageError(`--atol-frac must be >= 0, got ${atolFrac}`);
  const expected = readTensorDir(args.expected_dir);
  const actualManifest = readManifest(args.actual_dir);
  const actualByName = new Map((actualManifest?.tensors ?? []).map((t) => [t.name, t]));

  let failures = 0;
  for (const exp of expected) {
    let result;
    try {
      // With no manifest, read the same file name with the expected dtype and shape.
      const spec = actualManifest ? actualByName.get(exp.name) : exp;
      if (!spec) throw new Error(`missing from ${args.actual_dir}/manifest.json`);
      const data = readRaw(path.join(args.actual_dir, spec.file), spec.dtype, spec.shape);
      result = compareTensor(exp, { ...spec, data }, atolFrac);
    } catch (e) {
      result = { ok: false, line: `${exp.name}: cannot read the actual output: ${e.message}` };
    }
    console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${result.line}`);
    if (!result.ok) failures++;
  }
  const rule = `tolerance ${atolFrac} x output range`;
  if (failures) {
    console.error(
      `compare: MISMATCH: ${failures} of ${expected.length} outputs of ${args.actual_dir} ` +
        `differ from ${args.expected_dir} (${rule})`,
    );
    process.exit(1);
  }
  console.log(`compare: all ${expected.length} outputs match (${rule})`);
}

runMain('compare', USAGE, main);
