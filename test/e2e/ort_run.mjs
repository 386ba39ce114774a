#!/usr/bin/env node
// The correctness oracle: runs an ONNX model with onnxruntime-node (from
// <repo>/.deps) on the inputs in a tensor directory and writes its outputs as
// another (see tensor_dir.mjs).
//
//   node test/e2e/ort_run.mjs model.onnx --inputs-dir D --outputs-dir O [--threads 1]
//
// Each model input is read from D/<name>.bin. Its dtype and shape come from
// D/manifest.json when there is one (it pins dynamic dimensions), else from
// the model, which must then be static; the two must agree where both say.
// Writes O/<output name>.bin and O/manifest.json.

import path from 'node:path';

import { UsageError, loadOrt, openSession, parseArgs, runMain } from './common.mjs';
import { fileNameFor, readManifest, readRaw, writeTensorDir } from './tensor_dir.mjs';

const USAGE =
  'usage: node test/e2e/ort_run.mjs model.onnx --inputs-dir D --outputs-dir O [--threads N]';

// The shape and dtype to read each input with.
function inputSpec(meta, fromManifest) {
  if (!meta.isTensor) throw new UsageError(`input '${meta.name}' is not a tensor`);
  if (fromManifest) {
    if (fromManifest.dtype !== meta.type)
      throw new UsageError(
        `input '${meta.name}': manifest says ${fromManifest.dtype}, the model ${meta.type}`,
      );
    const shape = fromManifest.shape;
    const fits =
      shape.length === meta.shape.length &&
      meta.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === shape[i]);
    if (!fits)
      throw new UsageError(
        `input '${meta.name}': manifest shape [${shape}] does not fit the model's [${meta.shape}]`,
      );
    return { dtype: meta.type, shape, file: fromManifest.file };
  }
  if (!meta.shape.every((d) => typeof d === 'number' && d >= 0))
    throw new UsageError(
      `input '${meta.name}' has dynamic dimensions [${meta.shape}]: give the inputs directory ` +
        'a manifest.json (make_inputs.mjs writes one)',
    );
  return { dtype: meta.type, shape: [...meta.shape], file: fileNameFor(meta.name) };
}

async function main(argv) {
  const args = parseArgs(
    argv,
    { '--inputs-dir': 'string', '--outputs-dir': 'string', '--threads': 'int' },
    ['model'],
  );
  if (!args['inputs-dir']) throw new UsageError('--inputs-dir D is required');
  if (!args['outputs-dir']) throw new UsageError('--outputs-dir O is required');
  const threads = args.threads ?? 1;
  if (threads < 1 || threads > 256) throw new UsageError(`--threads must be 1..256, got ${threads}`);

  const ort = loadOrt();
  const session = await openSession(ort, args.model, threads);
  const manifest = readManifest(args['inputs-dir']);
  const listed = new Map((manifest?.tensors ?? []).map((t) => [t.name, t]));

  const feeds = {};
  for (const meta of session.inputMetadata) {
    if (manifest && !listed.has(meta.name))
      throw new UsageError(`input '${meta.name}' is missing from ${args['inputs-dir']}/manifest.json`);
    const { dtype, shape, file } = inputSpec(meta, listed.get(meta.name));
    const data = readRaw(path.join(args['inputs-dir'], file), dtype, shape);
    feeds[meta.name] = new ort.Tensor(dtype, data, shape);
  }

  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    throw new UsageError(`ONNX Runtime failed to run ${args.model}: ${e.message.split('\n')[0]}`);
  }
  const outputs = session.outputNames.map((name) => {
    const t = results[name];
    // Copy out of ORT's buffer before the session is released.
    return { name, dtype: t.type, shape: [...t.dims], data: t.data.slice() };
  });
  await session.release();
  writeTensorDir(args['outputs-dir'], outputs);
}

runMain('ort_run', USAGE, main);
