// Shared by the CPU target's end-to-end files (cpu.test.mjs,
// autoschedule.test.mjs): kilnc to a static library, model_runner.c linked
// against it, fixed-seed inputs and onnxruntime-node's outputs, compare.mjs.
// Two files so that node --test runs them side by side (test/e2e/README.md).
//
// Tolerance: max abs error <= 1e-4 x (max - min) of ONNX Runtime's output,
// per output (compare.mjs). Both sides compute in fp32 with different
// summation orders; 1e-4 of the range is far below any real error (a wrong
// tap or channel moves outputs by percents) and far above reordering noise.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { models, repoRoot } from './common.mjs';

export { models };
const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
export const kilnc = path.join(build, 'bin/kilnc');
export const native = path.join(repoRoot, 'test/e2e/native');
export const ATOL_FRAC = '1e-4';

export function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    assert.fail(`${path.basename(cmd)} ${args.join(' ')} failed:\n${e.stdout || ''}${e.stderr || ''}`);
  }
}

export const node = (script, args) => run(process.execPath, [path.join(repoRoot, 'test/e2e', script), ...args]);

// The CI models: [label, model, short name].
export const cases = [
  ['blazeface front', models.blazefaceFront, 'bf_front'],
  ['blazeface back', models.blazefaceBack, 'bf_back'],
  ['mobilenetv2', models.mobilenetv2, 'mnv2'],
];

// A work folder (removed by the caller's test.after) and the steps in it.
export function harness(prefix) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));

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
  // `env`: variables added to kilnc's environment. Returns kilnc's stderr
  // (warnings).
  function compileRunner(model, name, extra = [], env = {}) {
    const out = path.join(work, name);
    const compiled = spawnSync(kilnc, [model, '--target=cpu', '-o', `${out}/lib`, `--name=${name}`, ...extra],
      { encoding: 'utf8', env: { ...process.env, ...env } });
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

  return { work, oracle, compileRunner, runAndCompare };
}
