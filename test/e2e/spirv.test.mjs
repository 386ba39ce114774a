// The SPIR-V target end to end on lavapipe (Mesa's Vulkan on the CPU):
// kilnc --target=spirv compiles real models, every module it writes passes
// spirv-val for Vulkan 1.0, a C program links the model with
// libkiln_runtime_vulkan.a, and its outputs match the oracle on the same
// fixed-seed inputs: onnxruntime-node for ONNX models, TensorFlow.js
// (tfjs_run.mjs) for TF.js graph models.
//
// Tolerance: max abs error <= 1e-4 x (max - min) of the oracle's output, per
// output (compare.mjs), as for the CPU target; 5e-3 with --fp16-storage
// (below, with why).
//
// lavapipe runs its own worker threads; on this 2-core machine shared by
// other jobs they make a run many times slower, so the tests run it on the
// calling thread (LP_NUM_THREADS=0). The ICD is lavapipe's unless
// VK_ICD_FILENAMES says otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { depsDir, models, repoRoot } from './common.mjs';

const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const native = path.join(repoRoot, 'test/e2e/native');
const human = path.join(depsDir, 'models/human-models/package/models');
const ATOL_FRAC = '1e-4';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-spirv-e2e-'));
const lavapipe = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';
const env = {
  ...process.env,
  LP_NUM_THREADS: process.env.LP_NUM_THREADS ?? '0',
  VK_ICD_FILENAMES: process.env.VK_ICD_FILENAMES ?? lavapipe,
};

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    assert.fail(`${path.basename(cmd)} ${args.join(' ')} failed:\n${e.stdout || ''}${e.stderr || ''}`);
  }
}

const node = (script, args) => run(process.execPath, [path.join(repoRoot, 'test/e2e', script), ...args]);

// Compiles `model` (with `flags`), validates every module for `env`, links
// spirv_runner.
function compileRunner(model, name, flags = [], env = 'vulkan1.0') {
  const out = path.join(work, name);
  run(kilnc, [model, '--target=spirv', '-o', `${out}/lib`, `--name=${name}`, ...flags]);
  for (const f of [`lib${name}.a`, `${name}.h`, 'libkiln_runtime_vulkan.a', 'kiln_runtime_vulkan.h', `${name}.size.txt`])
    assert.ok(fs.existsSync(`${out}/lib/${f}`), `kilnc did not write ${f}`);
  const modules = fs.readdirSync(`${out}/lib`).filter((f) => f.endsWith('.spv'));
  assert.ok(modules.length > 0, 'kilnc wrote no .spv module');
  for (const m of modules) run('spirv-val', ['--target-env', env, `${out}/lib/${m}`]);
  run('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', `-DKILN_MODEL=${name}`, `-DKILN_MODEL_UPPER=${name.toUpperCase()}`, '-include', `${out}/lib/${name}.h`,
    '-I', `${out}/lib`, path.join(native, 'spirv_runner.c'), `${out}/lib/lib${name}.a`,
    `${out}/lib/libkiln_runtime_vulkan.a`, '-lm', '-lpthread', '-ldl', '-o', `${out}/runner`]);
  return out;
}

function runAndCompare(out, oracleDir, inputs, runs, atolFrac = ATOL_FRAC) {
  fs.mkdirSync(`${out}/kiln`, { recursive: true });
  const log = run(`${out}/runner`, [inputs, `${out}/kiln`, '--runs', String(runs), '--time']);
  const errors = node('compare.mjs', [oracleDir, `${out}/kiln`, '--atol-frac', atolFrac]);
  return `${log}${errors}`;
}

// The oracle's outputs on fixed-seed inputs, made once per model (the
// float16 cases below reuse them): onnxruntime-node for ONNX models,
// TensorFlow.js itself for TF.js graph models (tfjs_run.mjs, on the inputs
// it makes), as in tfjs.test.mjs.
const oracles = new Map();
function oracle(kind, model, name) {
  if (!oracles.has(name)) {
    assert.ok(fs.existsSync(model), `${model} is missing (run scripts/setup.sh and the build)`);
    const dir = path.join(work, `${name}_oracle`);
    if (kind === 'onnx') {
      node('make_inputs.mjs', [model, '--out-dir', `${dir}/in`, '--seed', '7']);
      node('ort_run.mjs', [model, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/out`]);
    } else {
      node('tfjs_run.mjs', [model, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/out`, '--make-inputs', '3']);
    }
    oracles.set(name, { inputs: `${dir}/in`, outputs: `${dir}/out` });
  }
  return oracles.get(name);
}

// Runs per model: more than one checks that a second run (the recorded
// command buffer submitted again) gives the same outputs; BlazeFace back
// and MobileNetV2 take seconds per run on lavapipe, so they run once.
// MoveNet lightning's argmax (a reduction over a middle axis) runs with its
// parallel loop outermost, one invocation per keypoint.
const cases = [
  ['blazeface front', 'onnx', models.blazefaceFront, 'sp_bf_front', 3],
  ['blazeface back', 'onnx', models.blazefaceBack, 'sp_bf_back', 1],
  ['mobilenetv2', 'onnx', models.mobilenetv2, 'sp_mnv2', 1],
  ['facemesh (TF.js)', 'tfjs', path.join(human, 'facemesh.json'), 'sp_tf_facemesh', 1],
  ['movenet lightning (TF.js)', 'tfjs', path.join(human, 'movenet-lightning.json'), 'sp_tf_movenet', 1],
];
const oracleName = { onnx: 'onnxruntime-node', tfjs: 'TensorFlow.js' };

for (const [label, kind, model, name, runs] of cases) {
  test(`${label}: SPIR-V on lavapipe matches ${oracleName[kind]}`, (t) => {
    const { inputs, outputs } = oracle(kind, model, name);
    const out = compileRunner(model, name);
    const log = runAndCompare(out, outputs, inputs, runs);
    assert.match(log, /device: /);
    t.diagnostic(log.trim().replace(/\n/g, '; '));
  });
}

// --fp16-storage: every float32 weight, activation, input and output is
// float16 on the device, arithmetic float32. Tolerance 5e-3 of each output's
// range instead of 1e-4: each stored activation is rounded to 11
// significant bits (relative error up to 2^-11 = 4.9e-4, on the output too),
// and the roundings compound through the layers. Measured on lavapipe
// (max abs error / range, worst output): BlazeFace front 1.1e-3, back
// 2.8e-3, MobileNetV2 4.1e-4, FaceMesh 6.2e-4, MoveNet lightning 7.7e-4.
// The modules must pass spirv-val for Vulkan 1.0 (SPV_KHR_16bit_storage)
// and the runs need storageBuffer16BitAccess, which lavapipe reports; a
// driver without it (SwiftShader) is refused at create, tested in
// test/unit/vulkan. CI runs two models (an ONNX CNN, a TF.js model with an
// argmax); KILN_SPIRV_FP16=all runs all five.
const FP16_ATOL_FRAC = '5e-3';
const fp16Names = process.env.KILN_SPIRV_FP16 === 'all' ? cases.map((c) => c[3]) : ['sp_bf_front', 'sp_tf_movenet'];
for (const [label, kind, model, name] of cases.filter((c) => fp16Names.includes(c[3]))) {
  test(`${label} --fp16-storage: SPIR-V on lavapipe matches ${oracleName[kind]} within 5e-3 of range`, (t) => {
    const { inputs, outputs } = oracle(kind, model, name);
    const out = compileRunner(model, `${name}_f16`, ['--fp16-storage']);
    // The weights are stored as halves: half the float32 build's bytes (plus
    // each weight's 256-byte alignment).
    const weights = (dir, n) => Number(/weights_bytes (\d+)/.exec(fs.readFileSync(`${dir}/lib/${n}.size.txt`, 'utf8'))[1]);
    if (fs.existsSync(path.join(work, name, 'lib')))
      assert.ok(weights(out, `${name}_f16`) < 0.6 * weights(path.join(work, name), name), 'the weights are not halved');
    const log = runAndCompare(out, outputs, inputs, 1, FP16_ATOL_FRAC);
    t.diagnostic(log.trim().replace(/\n/g, '; '));
  });
}

test.after(() => fs.rmSync(work, { recursive: true, force: true }));
