// The SPIR-V target end to end on lavapipe (Mesa's Vulkan on the CPU):
// kilnc --target=spirv compiles real models, every module it writes passes
// spirv-val for Vulkan 1.0, a C program links the model with
// libkiln_runtime_vulkan.a, and its outputs match the oracle on the same
// fixed-seed inputs: onnxruntime-node for ONNX models, TensorFlow.js
// (tfjs_run.mjs) for TF.js graph models.
//
// Tolerance: max abs error <= 1e-4 x (max - min) of the oracle's output, per
// output (compare.mjs), as for the CPU target.
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

// Compiles `model`, validates every module, links spirv_runner.
function compileRunner(model, name) {
  const out = path.join(work, name);
  run(kilnc, [model, '--target=spirv', '-o', `${out}/lib`, `--name=${name}`]);
  for (const f of [`lib${name}.a`, `${name}.h`, 'libkiln_runtime_vulkan.a', 'kiln_runtime_vulkan.h', `${name}.size.txt`])
    assert.ok(fs.existsSync(`${out}/lib/${f}`), `kilnc did not write ${f}`);
  const modules = fs.readdirSync(`${out}/lib`).filter((f) => f.endsWith('.spv'));
  assert.ok(modules.length > 0, 'kilnc wrote no .spv module');
  for (const m of modules) run('spirv-val', ['--target-env', 'vulkan1.0', `${out}/lib/${m}`]);
  run('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', `-DKILN_MODEL=${name}`, `-DKILN_MODEL_UPPER=${name.toUpperCase()}`, '-include', `${out}/lib/${name}.h`,
    '-I', `${out}/lib`, path.join(native, 'spirv_runner.c'), `${out}/lib/lib${name}.a`,
    `${out}/lib/libkiln_runtime_vulkan.a`, '-lm', '-lpthread', '-ldl', '-o', `${out}/runner`]);
  return out;
}

function runAndCompare(out, oracleDir, inputs, runs) {
  fs.mkdirSync(`${out}/kiln`, { recursive: true });
  const log = run(`${out}/runner`, [inputs, `${out}/kiln`, '--runs', String(runs), '--time']);
  node('compare.mjs', [oracleDir, `${out}/kiln`, '--atol-frac', ATOL_FRAC]);
  return log;
}

// Runs per model: more than one checks that a second run (the recorded
// command buffer submitted again) gives the same outputs; BlazeFace back
// and MobileNetV2 take seconds per run on lavapipe, so they run once.
const onnxCases = [
  ['blazeface front', models.blazefaceFront, 'sp_bf_front', 3],
  ['blazeface back', models.blazefaceBack, 'sp_bf_back', 1],
  ['mobilenetv2', models.mobilenetv2, 'sp_mnv2', 1],
];

for (const [label, model, name, runs] of onnxCases) {
  test(`${label}: SPIR-V on lavapipe matches onnxruntime-node`, (t) => {
    assert.ok(fs.existsSync(model), `${model} is missing (run scripts/setup.sh and the build)`);
    const dir = path.join(work, `${name}_oracle`);
    node('make_inputs.mjs', [model, '--out-dir', `${dir}/in`, '--seed', '7']);
    node('ort_run.mjs', [model, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/ort`]);
    const out = compileRunner(model, name);
    const log = runAndCompare(out, `${dir}/ort`, `${dir}/in`, runs);
    assert.match(log, /device: /);
    t.diagnostic(log.trim().replace(/\n/g, '; '));
  });
}

// TF.js graph models: TensorFlow.js itself is the oracle (tfjs_run.mjs, on
// the same fixed-seed inputs it makes), as in tfjs.test.mjs. MoveNet
// lightning's argmax (a reduction over a middle axis) runs with its
// parallel loop outermost, one invocation per keypoint.
const tfjsCases = [
  ['facemesh', 'facemesh.json', 'sp_tf_facemesh'],
  ['movenet lightning', 'movenet-lightning.json', 'sp_tf_movenet'],
];

for (const [label, file, name] of tfjsCases) {
  test(`${label} (TF.js): SPIR-V on lavapipe matches TensorFlow.js`, (t) => {
    const model = path.join(human, file);
    assert.ok(fs.existsSync(model), `${model} is missing (run scripts/setup.sh)`);
    const dir = path.join(work, `${name}_oracle`);
    node('tfjs_run.mjs', [model, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/tfjs`, '--make-inputs', '3']);
    const out = compileRunner(model, name);
    const log = runAndCompare(out, `${dir}/tfjs`, `${dir}/in`, 1);
    t.diagnostic(log.trim().replace(/\n/g, '; '));
  });
}

test.after(() => fs.rmSync(work, { recursive: true, force: true }));
