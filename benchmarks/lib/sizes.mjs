// What each runtime ships for a model, in bytes, raw and gzip (deflate level
// 9 with gzip framing, each file on its own, as a server sends them), with
// the weights (or the model file) apart from the code and JS.

import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

import { depsDir } from '../../test/e2e/common.mjs';
import { run } from './artifacts.mjs';
import { graphModelFiles, tfjsPackages, TFJS_BROWSER_FILES } from './tfjs.mjs';

const gzip = (bytes) => zlib.gzipSync(bytes, { level: 9 }).length;

/** {raw, gzip} of some files, summed. */
export function filesSize(files) {
  let raw = 0;
  let gz = 0;
  for (const f of files) {
    const bytes = fs.readFileSync(f);
    raw += bytes.length;
    gz += gzip(bytes);
  }
  return { raw, gzip: gz };
}

const add = (a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip });

/**
 * Kiln's WASM artifact: code from the target's own NAME.size.json (the
 * module without its weights' data segment), JS measured here (and checked
 * against the report), weights apart.
 */
export function kilnWasmSize(dir, name) {
  const report = JSON.parse(fs.readFileSync(path.join(dir, `${name}.size.json`), 'utf8'));
  const js = filesSize([path.join(dir, `${name}.mjs`)]);
  if (js.raw !== report.js.raw) throw new Error(`${name}.size.json says ${report.js.raw} bytes of JS, the file has ${js.raw}`);
  const wasmRaw = fs.statSync(path.join(dir, `${name}.wasm`)).size;
  // The module is its code plus the weights' segment (and a few bytes of
  // section framing): a report that does not add up is a bug to surface.
  if (report.weightsEmbedded && Math.abs(wasmRaw - report.code.raw - report.weights.raw) > 4096)
    throw new Error(`${name}.wasm is ${wasmRaw} bytes, not code ${report.code.raw} + weights ${report.weights.raw}`);
  return { wasm: report.code, js, codeAndJs: add(report.code, js), weights: report.weights };
}

/** TF.js: core + WASM backend + converter JS, the SIMD module, and the model's files. */
export function tfjsSize(modelJson) {
  const js = filesSize(TFJS_BROWSER_FILES.js.map((f) => path.join(tfjsPackages, f)));
  const wasm = filesSize(TFJS_BROWSER_FILES.wasm.map((f) => path.join(tfjsPackages, f)));
  const model = graphModelFiles(modelJson);
  return { wasm, js, codeAndJs: add(wasm, js), weights: filesSize([model.topology, ...model.shards]) };
}

/** ONNX Runtime Web, WASM only: its ES module, the Emscripten glue, the SIMD module, and the .onnx. */
export function ortWebSize(model) {
  const dist = path.join(depsDir, 'node_modules/onnxruntime-web/dist');
  const js = filesSize(['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs'].map((f) => path.join(dist, f)));
  const wasm = filesSize([path.join(dist, 'ort-wasm-simd-threaded.wasm')]);
  return { wasm, js, codeAndJs: add(wasm, js), weights: filesSize([model]) };
}

// text + data of an archive's members (llvm-size's Berkeley format), minus `skip`.
function archiveCode(archive, skip = () => false) {
  let bytes = 0;
  for (const line of run('llvm-size-19', [archive]).split('\n').slice(1)) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+\s+[0-9a-f]+\s+(\S+)/.exec(line);
    if (m && !skip(m[4])) bytes += Number(m[1]) + Number(m[2]);
  }
  return bytes;
}

/** Native: Kiln's kernels, host code and runtime (text + data, weights apart) vs ONNX Runtime's shared libraries. */
export function nativeSizes(artifact) {
  const { dir, name } = artifact;
  const lib = path.join(dir, `lib${name}.a`);
  const code = archiveCode(lib, (member) => member.startsWith(`${name}_weights.o`)) +
    archiveCode(path.join(dir, 'libkiln_runtime.a'));
  const header = fs.readFileSync(path.join(dir, `${name}.h`), 'utf8');
  const weights = Number(new RegExp(`#define ${name.toUpperCase()}_WEIGHTS_SIZE (\\d+)u`).exec(header)?.[1]);
  const arena = Number(new RegExp(`#define ${name.toUpperCase()}_ARENA_SIZE (\\d+)u`).exec(header)?.[1]);
  const ortBin = path.join(depsDir, 'node_modules/onnxruntime-node/bin/napi-v6/linux/x64');
  const ort = fs.existsSync(ortBin)
    ? fs.readdirSync(ortBin).reduce((sum, f) => sum + fs.statSync(path.join(ortBin, f)).size, 0)
    : null;
  return { kilnCode: code, kilnWeights: weights, kilnArena: arena, ortLibraries: ort };
}
