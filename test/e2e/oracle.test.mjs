// Tests of the oracle harness itself (make_inputs, ort_run, compare), on the
// real BlazeFace front model and the generated MobileNetV2: before Kiln's
// outputs are judged against ONNX Runtime's, the judge must be shown to work,
// and to fail when it should. Run with `node --test test/e2e/`.
//
// Tolerances: ORT at 1 and 2 threads must agree within 1e-5 of each output's
// range (a tenth of the 1e-4 that Kiln gets); compare.mjs is run at its
// default 1e-4.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { models } from './common.mjs';
import { readTensorDir, writeTensorDir } from './tensor_dir.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-oracle-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Runs one of the harness scripts; returns its status and output.
function script(name, ...args) {
  const r = spawnSync(process.execPath, [path.join(here, name), ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}
function mustRun(name, ...args) {
  const r = script(name, ...args);
  assert.equal(r.status, 0, `${name} ${args.join(' ')} failed:\n${r.out}`);
  return r.out;
}

function stats(data) {
  let min = Infinity, max = -Infinity, sum = 0, sq = 0, argmax = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v > max) [max, argmax] = [v, i];
    min = Math.min(min, v);
    sum += v;
    sq += v * v;
  }
  const mean = sum / data.length;
  return { min, max, mean, std: Math.sqrt(Math.max(0, sq / data.length - mean * mean)), argmax };
}

// Copies a tensor directory with one output changed by `delta` at `index`.
function perturbed(src, dst, outputName, index, delta) {
  const tensors = readTensorDir(src);
  const t = tensors.find((x) => x.name === outputName);
  t.data[index] += delta;
  writeTensorDir(dst, tensors);
}

const cases = [
  {
    name: 'BlazeFace front (real, tf2onnx)',
    model: models.blazefaceFront,
    inputs: { 'input:0': [1, 128, 128, 3] },
    outputs: {
      'Identity:0': [1, 512, 1],
      'Identity_1:0': [1, 384, 1],
      'Identity_2:0': [1, 512, 16],
      'Identity_3:0': [1, 384, 16],
    },
  },
  {
    name: 'MobileNetV2 1.0 224 (generated)',
    model: models.mobilenetv2,
    inputs: { input: [1, 3, 224, 224] },
    outputs: { output: [1, 1000] },
    // The generator scales weights so that logits have a standard deviation
    // near 1 (test/models/gen_mobilenetv2.cpp): check that claim loosely.
    logitStd: [0.2, 5],
  },
];

for (const c of cases) {
  describe(c.name, () => {
    const dir = path.join(tmp, c.name.replace(/\W+/g, '_'));
    const d = (sub) => path.join(dir, sub);
    let ort1;

    before(() => {
      assert.ok(
        fs.existsSync(c.model),
        `${c.model} is missing: run scripts/setup.sh (BlazeFace) or build the kiln-models target`,
      );
      mustRun('make_inputs.mjs', c.model, '--out-dir', d('in'), '--seed', '1');
      mustRun('make_inputs.mjs', c.model, '--out-dir', d('in_again'), '--seed', '1');
      mustRun('make_inputs.mjs', c.model, '--out-dir', d('in_seed2'), '--seed', '2');
      mustRun('ort_run.mjs', c.model, '--inputs-dir', d('in'), '--outputs-dir', d('ort1'));
      mustRun('ort_run.mjs', c.model, '--inputs-dir', d('in'), '--outputs-dir', d('ort2'), '--threads', '2');
      ort1 = readTensorDir(d('ort1'));
    });

    test('inputs have the model shapes and depend only on the seed', () => {
      const inputs = readTensorDir(d('in'));
      assert.deepEqual(Object.fromEntries(inputs.map((t) => [t.name, t.shape])), c.inputs);
      for (const t of inputs) {
        const bytes = (sub) => fs.readFileSync(path.join(d(sub), t.file));
        assert.ok(bytes('in').equals(bytes('in_again')), `${t.name}: same seed, other bytes`);
        assert.ok(!bytes('in').equals(bytes('in_seed2')), `${t.name}: seed ignored`);
        const s = stats(t.data);
        assert.ok(s.min >= -1 && s.max < 1 && s.std > 0.5, `${t.name}: not uniform in [-1, 1)`);
      }
    });

    test('ONNX Runtime gives the expected outputs, finite and not constant', (t) => {
      assert.deepEqual(Object.fromEntries(ort1.map((o) => [o.name, o.shape])), c.outputs);
      for (const o of ort1) {
        assert.ok(o.data.every(Number.isFinite), `${o.name}: non-finite values`);
        const s = stats(o.data);
        assert.ok(s.max > s.min, `${o.name}: all values equal`);
        t.diagnostic(
          `${o.name} [${o.shape}]: min ${s.min.toFixed(4)} max ${s.max.toFixed(4)} ` +
            `mean ${s.mean.toFixed(4)} std ${s.std.toFixed(4)} argmax ${s.argmax}`,
        );
        if (c.logitStd)
          assert.ok(s.std > c.logitStd[0] && s.std < c.logitStd[1], `${o.name}: std ${s.std}`);
      }
    });

    test('outputs depend on the input (so a comparison means something)', () => {
      mustRun('ort_run.mjs', c.model, '--inputs-dir', d('in_seed2'), '--outputs-dir', d('ort_seed2'));
      const other = readTensorDir(d('ort_seed2'));
      const r = script('compare.mjs', d('ort1'), d('ort_seed2'));
      assert.equal(r.status, 1, `other inputs gave the same outputs:\n${r.out}`);
      assert.equal(other.length, ort1.length);
    });

    test('ONNX Runtime at 1 and 2 threads agree within 1e-5 of the range', () => {
      mustRun('compare.mjs', d('ort1'), d('ort2'), '--atol-frac', '1e-5');
    });

    test('compare.mjs fails beyond the tolerance and passes within it', () => {
      const o = ort1[0];
      const s = stats(o.data);
      const tol = 1e-4 * (s.max - s.min);
      const index = Math.floor(o.data.length / 2);
      perturbed(d('ort1'), d('over'), o.name, index, 3 * tol);
      const over = script('compare.mjs', d('ort1'), d('over'));
      assert.equal(over.status, 1, `a 3x tolerance error passed:\n${over.out}`);
      assert.match(over.out, new RegExp(`FAIL ${o.name.replace(/\W/g, '\\$&')} .* worst at ${index} `));
      assert.match(over.out, /MISMATCH/);
      perturbed(d('ort1'), d('under'), o.name, index, 0.3 * tol);
      const under = script('compare.mjs', d('ort1'), d('under'));
      assert.equal(under.status, 0, `a 0.3x tolerance error failed:\n${under.out}`);
      perturbed(d('ort1'), d('nan'), o.name, index, NaN);
      assert.equal(script('compare.mjs', d('ort1'), d('nan')).status, 1, 'a NaN passed');
    });

    test('compare.mjs fails on a missing output and on a wrong shape', () => {
      const tensors = readTensorDir(d('ort1'));
      writeTensorDir(d('missing'), tensors.slice(1));
      const missing = script('compare.mjs', d('ort1'), d('missing'));
      assert.equal(missing.status, 1, missing.out);
      assert.match(missing.out, /missing from/);
      const flat = tensors.map((x) => ({ ...x, shape: [x.data.length] }));
      writeTensorDir(d('flat'), flat);
      const wrong = script('compare.mjs', d('ort1'), d('flat'));
      assert.equal(wrong.status, 1, wrong.out);
      assert.match(wrong.out, /shape differs/);
    });
  });
}

test('the harness rejects bad usage with one-line errors and status 2', () => {
  const missing = path.join(tmp, 'no-such-model.onnx');
  for (const [name, ...args] of [
    ['ort_run.mjs', missing, '--inputs-dir', tmp, '--outputs-dir', tmp],
    ['ort_run.mjs', models.blazefaceFront, '--inputs-dir', path.join(tmp, 'empty'), '--outputs-dir', tmp],
    ['make_inputs.mjs', models.blazefaceFront, '--out-dir', tmp, '--seed', 'x'],
    ['make_inputs.mjs', models.blazefaceFront, '--out-dir', tmp, '--input-shape', 'nope=1x2'],
    ['compare.mjs', tmp],
    ['compare.mjs', path.join(tmp, 'none'), tmp],
  ]) {
    const r = script(name, ...args);
    assert.equal(r.status, 2, `${name} ${args.join(' ')}:\n${r.out}`);
    assert.match(r.out, new RegExp(`^${name.replace('.mjs', '')}: error: [^\\n]+\\n$`));
  }
});
