// TensorFlow.js for the benchmark: loading it in Node with the WASM backend
// (SIMD on, one thread: Node has no cross-origin isolation, so TF.js picks
// tfjs-backend-wasm-simd.wasm), reading a graph model from disk, and the
// files TF.js ships to a browser.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { UsageError, depsDir } from '../../test/e2e/common.mjs';

export const tfjsPackages = path.join(depsDir, 'node_modules/@tensorflow');

// What a page loads for TF.js graph models on WASM: core, the WASM backend,
// the converter (minified UMD bundles), and the SIMD module TF.js fetches
// when threads are unavailable.
export const TFJS_BROWSER_FILES = {
  js: [
    'tfjs-core/dist/tf-core.min.js',
    'tfjs-backend-wasm/dist/tf-backend-wasm.min.js',
    'tfjs-converter/dist/tf-converter.min.js',
  ],
  wasm: ['tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'],
};

/** {tf, converter} with `backend` ('wasm' or 'cpu') set. */
export async function loadTfjsNode(backend) {
  const require = createRequire(path.join(depsDir, 'package.json'));
  let tf, converter;
  try {
    tf = require('@tensorflow/tfjs-core');
    converter = require('@tensorflow/tfjs-converter');
    if (backend === 'wasm') {
      const wasm = require('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(`${path.join(tfjsPackages, 'tfjs-backend-wasm/dist')}/`);
    } else require('@tensorflow/tfjs-backend-cpu');
  } catch (e) {
    throw new UsageError(`cannot load TensorFlow.js from ${depsDir} (run scripts/setup.sh): ${e.message}`);
  }
  if (!(await tf.setBackend(backend))) throw new UsageError(`TensorFlow.js backend '${backend}' failed to start`);
  await tf.ready();
  return { tf, converter };
}

/** model.json and its shards as the ModelArtifacts tf.io.fromMemory takes. */
export function readGraphModel(modelPath) {
  if (!fs.existsSync(modelPath)) throw new UsageError(`${modelPath}: no such file`);
  const json = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const weightSpecs = [];
  const buffers = [];
  for (const group of json.weightsManifest ?? []) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) buffers.push(fs.readFileSync(path.join(path.dirname(modelPath), p)));
  }
  const all = Buffer.concat(buffers);
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    signature: json.signature,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs,
    weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
  };
}

/** The model's own files: model.json and its weight shards. */
export function graphModelFiles(modelPath) {
  const json = JSON.parse(fs.readFileSync(modelPath, 'utf8'));
  const shards = (json.weightsManifest ?? []).flatMap((g) => g.paths.map((p) => path.join(path.dirname(modelPath), p)));
  return { topology: modelPath, shards };
}
