// The CPU target end to end: kilnc compiles real models to static libraries,
// C programs link them, and their outputs are compared with onnxruntime-node
// on the same fixed-seed inputs.
//
// Tolerance: max abs error <= 1e-4 x (max - min) of ONNX Runtime's output,
// per output (compare.mjs). Both sides compute in fp32 with different
// summation orders; 1e-4 of the range is far below any real error (a wrong
// tap or channel moves outputs by percents) and far above reordering noise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { models, repoRoot } from './common.mjs';

const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const native = path.join(repoRoot, 'test/e2e/native');
const ATOL_FRAC = '1e-4';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-cpu-e2e-'));

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    assert.fail(`${path.basename(cmd)} ${args.join(' ')} failed:\n${e.stdout || ''}${e.stderr || ''}`);
  }
}

const node = (script, args) => run(process.execPath, [path.join(repoRoot, 'test/e2e', script), ...args]);

// Fixed-seed inputs and ONNX Runtime's outputs for a model, once per model.
const oracles = new Map();
function oracle(model) {
  if (!oracles.has(model)) {
    const dir = path.join(work, path.basename(model, '.onnx'));
    node('make_inputs.mjs', [model, '--out-dir', `${dir}/in`, '--seed', '7']);
    node('ort_run.mjs', [model, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/ort`]);
    oracles.set(model, dir);
  }
  return oracles.get(model);
}

// Compiles `model` with kilnc into <work>/<name>/lib and links model_runner.
// Returns kilnc's stderr (warnings).
function compileRunner(model, name, extra = []) {
  const out = path.join(work, name);
  const compiled = spawnSync(kilnc, [model, '--target=cpu', '-o', `${out}/lib`, `--name=${name}`, ...extra],
    { encoding: 'utf8' });
  assert.equal(compiled.status, 0, `kilnc failed on ${name}:\n${compiled.stdout}${compiled.stderr}`);
  for (const f of [`lib${name}.a`, `${name}.h`, 'libkiln_runtime.a', 'kiln_runtime.h'])
    assert.ok(fs.existsSync(`${out}/lib/${f}`), `kilnc did not write ${f}`);
  run('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', `-DKILN_MODEL=${name}`, `-DKILN_MODEL_UPPER=${name.toUpperCase()}`,
    '-include', `${out}/lib/${name}.h`, '-I', `${out}/lib`, path.join(native, 'model_runner.c'),
    `${out}/lib/lib${name}.a`, `${out}/lib/libkiln_runtime.a`, '-lm', '-lpthread', '-ldl', '-o', `${out}/runner`]);
  return { out, stderr: compiled.stderr };
}

function runAndCompare(model, name, runnerArgs = []) {
  const dir = oracle(model);
  const out = path.join(work, name);
  fs.mkdirSync(`${out}/kiln`, { recursive: true });
  const log = run(`${out}/runner`, [`${dir}/in`, `${out}/kiln`, ...runnerArgs]);
  const report = node('compare.mjs', [`${dir}/ort`, `${out}/kiln`, '--atol-frac', ATOL_FRAC]);
  return { log, report };
}

const cases = [
  ['blazeface front', models.blazefaceFront, 'bf_front'],
  ['blazeface back', models.blazefaceBack, 'bf_back'],
  ['mobilenetv2', models.mobilenetv2, 'mnv2'],
];

for (const [label, model, name] of cases) {
  test(`${label}: static library matches onnxruntime-node, no allocation in run`, () => {
    assert.ok(fs.existsSync(model), `${model} is missing (run scripts/setup.sh and the build)`);
    compileRunner(model, name);
    // Two threads, five runs: the runs after the first must not allocate.
    const { log } = runAndCompare(model, name, ['--runs', '5', '--threads', '2', '--check-no-alloc']);
    assert.match(log, /no allocations during 4 runs after warm-up/);
  });
}

// By default the CPU target fuses inverted-residual blocks into one kernel
// each (the block template, its sliding window, its heap scratch reserved
// at create): the tests above run them on BlazeFace back and MobileNetV2
// (BlazeFace front's blocks are below the size worth fusing). Here the same
// models with the blocks' convolutions apart.
for (const [label, model, short] of cases.filter(([, , s]) => s !== 'bf_front')) {
  test(`${label} with --fuse-blocks=false matches onnxruntime-node, no allocation in run`, () => {
    const name = `${short}_unfused`;
    assert.ok(compileRunner(model, `${short}_probe`, ['--progress']).stderr.includes('block_'),
      `kilnc formed no block kernel for ${label} by default`);
    assert.ok(!compileRunner(model, name, ['--fuse-blocks=false', '--progress']).stderr.includes('block_'),
      `kilnc --fuse-blocks=false still formed a block kernel for ${label}`);
    const { log } = runAndCompare(model, name, ['--runs', '5', '--threads', '2', '--check-no-alloc']);
    assert.match(log, /no allocations during 4 runs after warm-up/);
  });
}

// Halide's autoschedulers instead of Kiln's templates. The suite runs each
// autoscheduler on one model, a different one each (Adams2019 on the
// smallest: it takes about 3 minutes per model here);
// KILN_E2E_ALL_MODES=1 runs every model under every autoscheduler, as
// scripts/sweep.sh does for every real model. A kernel whose
// autoschedule Halide cannot compile falls back to its template with a
// warning: the test passes then but reports the warning as a diagnostic.
// Adams2019's schedules used to give wrong outputs (a Halide 14 sliding
// window bug, now avoided in codegen/halide/ApplySchedule.cpp); a mode listed in
// knownWrong is reported as TODO with its reason instead of failing.
const knownWrong = {};
const sampleModes = {
  bf_front: ['auto:adams2019'],
  bf_back: ['auto:li2018'],
  mnv2: ['auto:mullapudi2016'],
};
const allModes = ['auto:mullapudi2016', 'auto:li2018', 'auto:adams2019'];
for (const [label, model, short] of cases) {
  for (const mode of process.env.KILN_E2E_ALL_MODES === '1' ? allModes : sampleModes[short]) {
    test(`${label} with --schedule=${mode} matches onnxruntime-node, no allocation in run`,
      { todo: knownWrong[mode] }, (t) => {
        const name = `${short}_${mode.split(':')[1]}`;
        const { stderr } = compileRunner(model, name, [`--schedule=${mode}`]);
        for (const line of stderr.split('\n').filter((l) => l.startsWith('warning:')))
          t.diagnostic(line);
        const { log } = runAndCompare(model, name, ['--runs', '3', '--threads', '2', '--check-no-alloc']);
        assert.match(log, /no allocations during 2 runs after warm-up/);
      });
  }
}

test('two models in one C program, one runtime library', () => {
  const front = oracle(models.blazefaceFront), back = oracle(models.blazefaceBack);
  const out = path.join(work, 'two');
  run(kilnc, [models.blazefaceFront, '-o', `${out}/front`, '--name=bf_front']);
  run(kilnc, [models.blazefaceBack, '-o', `${out}/back`, '--name=bf_back']);
  run('clang-19', ['-O2', '-std=c11', '-I', `${out}/front`, '-I', `${out}/back`, path.join(native, 'two_models.c'),
    `${out}/front/libbf_front.a`, `${out}/back/libbf_back.a`, `${out}/front/libkiln_runtime.a`,
    '-lm', '-lpthread', '-ldl', '-o', `${out}/two_models`]);
  fs.mkdirSync(`${out}/front_out`);
  fs.mkdirSync(`${out}/back_out`);
  run(`${out}/two_models`, [`${front}/in`, `${out}/front_out`, `${back}/in`, `${out}/back_out`]);
  node('compare.mjs', [`${front}/ort`, `${out}/front_out`, '--atol-frac', ATOL_FRAC]);
  node('compare.mjs', [`${back}/ort`, `${out}/back_out`, '--atol-frac', ATOL_FRAC]);
});

// The C API's contract (bad arguments, external weights, threads, memory
// over many runs): runtime.test.mjs.

test.after(() => fs.rmSync(work, { recursive: true, force: true }));
