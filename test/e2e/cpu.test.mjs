// The CPU target end to end: kilnc compiles real models to static libraries,
// C programs link them, and their outputs are compared with onnxruntime-node
// on the same fixed-seed inputs (cpu_harness.mjs: the steps and the
// tolerance). Halide's autoschedulers on the same models:
// autoschedule.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ATOL_FRAC, cases, harness, kilnc, models, native, node, run } from './cpu_harness.mjs';

const { work, oracle, compileRunner, runAndCompare } = harness('kiln-cpu-e2e-');

// Whether kilnc formed block kernels by default (its --progress names them),
// per model: the unfused tests below check it, on these same compiles.
const formedBlocks = new Map();

for (const [label, model, name] of cases) {
  test(`${label}: static library matches onnxruntime-node, no allocation in run`, () => {
    assert.ok(fs.existsSync(model), `${model} is missing (run scripts/setup.sh and the build)`);
    formedBlocks.set(name, compileRunner(model, name, ['--progress']).stderr.includes('block_'));
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
    // The default compile of the test above (one of its own when that test
    // was filtered out).
    const formed = formedBlocks.get(short) ??
      compileRunner(model, `${short}_probe`, ['--progress']).stderr.includes('block_');
    assert.ok(formed, `kilnc formed no block kernel for ${label} by default`);
    assert.ok(!compileRunner(model, name, ['--fuse-blocks=false', '--progress']).stderr.includes('block_'),
      `kilnc --fuse-blocks=false still formed a block kernel for ${label}`);
    const { log } = runAndCompare(model, name, ['--runs', '5', '--threads', '2', '--check-no-alloc']);
    assert.match(log, /no allocations during 4 runs after warm-up/);
  });
}

test('two models in one C program, one runtime library', () => {
  const front = oracle(models.blazefaceFront), back = oracle(models.blazefaceBack);
  const out = path.join(work, 'two');
  // The libraries the first tests compiled (the same names and flags), else
  // compiled here.
  const lib = (model, name) => {
    const dir = path.join(work, name, 'lib');
    if (!fs.existsSync(`${dir}/lib${name}.a`)) run(kilnc, [model, '-o', dir, `--name=${name}`]);
    return dir;
  };
  const frontLib = lib(models.blazefaceFront, 'bf_front'), backLib = lib(models.blazefaceBack, 'bf_back');
  fs.mkdirSync(out, { recursive: true });
  run('clang-19', ['-O2', '-std=c11', '-I', frontLib, '-I', backLib, path.join(native, 'two_models.c'),
    `${frontLib}/libbf_front.a`, `${backLib}/libbf_back.a`, `${frontLib}/libkiln_runtime.a`,
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
