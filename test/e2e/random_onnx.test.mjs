// ONNX's random ops in a compiled model (compiler/import/onnx/ops/Random.cpp):
// RandomUniform, RandomNormal, their Like forms, Bernoulli and Multinomial in
// one textual ONNX model, compiled by kilnc to WebAssembly and run through
// the generated loader (the CPU and WASM targets sample the same Philox
// words: test/e2e/random.test.mjs checks that on TF.js's random ops, which
// share the sampler). No oracle can match the numbers (ONNX Runtime and
// numpy use other generators), so, on 2048 samples an output:
//   - each fits its exact distribution (test/tfjs-ops/stats.mjs: KS or
//     chi-square, mean, variance, lag-1 correlation, repeats; alpha 1e-4
//     each, fixed seeds, so a pass or a failure repeats), low/high,
//     mean/scale and Bernoulli's p per element included;
//   - dtypes: float64 outputs (dtype 11, or RandomNormalLike of dtype 11)
//     hold float32 samples widened, Bernoulli's output is its input's type
//     or `dtype`'s (int64), Multinomial's int32 by default or int64;
//   - `seed` fixes an op's sequence as ONNX Runtime's per-session generator
//     does: the same samples under any context seed and in a new instance,
//     two ops with one seed alike, another seed different, successive runs
//     different, and set_seed (which restarts the run counter) replays it;
//     unseeded ops follow the context's seed;
//   - float16 outputs are refused with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { repoRoot } from './common.mjs';
import { checkSamples } from '../tfjs-ops/stats.mjs';

const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-random-onnx-e2e-'));
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

const N = 2048;
const LOGITS = [[0.5, -1, 2, 0], [0, 0, 0, -3]];
// Bernoulli's probabilities: 0.3 in the first half, 0.85 in the second.
const P = Float32Array.from({ length: N }, (_, i) => (i < N / 2 ? 0.3 : 0.85));
const half = (x, h) => x.subarray(h * (N / 2), (h + 1) * (N / 2));
const bernoulli = (p) => ({ dist: 'categorical', logits: [Math.log(1 - p), Math.log(p)] });

const model = path.join(work, 'random.onnxtext');
fs.writeFileSync(model, `<ir_version: 8, opset_import: ["" : 15]>
g (float[${N}] like, float[${N}] p, float[2,4] logits) =>
  (float[${N}] uniform, float[${N}] uniform01, float[${N}] normal, double[${N}] uniform_f64,
   float[${N}] seeded, float[${N}] seeded_again, float[${N}] seeded_6, float[${N}] uniform_like,
   double[${N}] normal_like, float[${N}] bernoulli, int64[${N}] bernoulli_i64,
   int32[2,${N}] multinomial, int64[2,${N}] multinomial_i64)
{
  uniform = RandomUniform <shape = [${N}], low = -2.0, high = 3.0> ()
  uniform01 = RandomUniform <shape = [${N}]> ()
  normal = RandomNormal <shape = [${N}], mean = 1.5, scale = 2.0> ()
  uniform_f64 = RandomUniform <shape = [${N}], dtype = 11> ()
  seeded = RandomNormal <shape = [${N}], seed = 5.0> ()
  seeded_again = RandomNormal <shape = [${N}], seed = 5.0> ()
  seeded_6 = RandomNormal <shape = [${N}], seed = 6.0> ()
  uniform_like = RandomUniformLike <low = 1.0, high = 2.0> (like)
  normal_like = RandomNormalLike <dtype = 11> (like)
  bernoulli = Bernoulli (p)
  bernoulli_i64 = Bernoulli <dtype = 7, seed = 3.0> (p)
  multinomial = Multinomial <sample_size = ${N}> (logits)
  multinomial_i64 = Multinomial <sample_size = ${N}, dtype = 7, seed = 1.0> (logits)
}
`);
// Each output's distribution (stats.mjs), its typed array, and whether its
// op is seeded.
const OUTPUTS = {
  uniform: [{ dist: 'uniform', lo: -2, hi: 3 }, Float32Array],
  uniform01: [{ dist: 'uniform', lo: 0, hi: 1 }, Float32Array],
  normal: [{ dist: 'normal', mean: 1.5, std: 2 }, Float32Array],
  uniform_f64: [{ dist: 'uniform', lo: 0, hi: 1 }, Float64Array],
  seeded: [{ dist: 'normal' }, Float32Array, true],
  seeded_again: [{ dist: 'normal' }, Float32Array, true],
  seeded_6: [{ dist: 'normal' }, Float32Array, true],
  uniform_like: [{ dist: 'uniform', lo: 1, hi: 2 }, Float32Array],
  normal_like: [{ dist: 'normal' }, Float64Array],
  bernoulli: [null, Float32Array],
  bernoulli_i64: [null, BigInt64Array, true],
  multinomial: [{ dist: 'multinomial', rows: LOGITS }, Int32Array],
  multinomial_i64: [{ dist: 'multinomial', rows: LOGITS }, BigInt64Array, true],
};

const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
run(kilnc, [model, '--target=wasm', '-o', path.join(work, 'wasm'), '--name=m', '--no-fallback']);
const loader = await import(pathToFileURL(path.join(work, 'wasm/m.mjs')).href);
const feeds = () => ({ like: new Float32Array(N), p: P.slice(), logits: Float32Array.from(LOGITS.flat()) });
const instances = [];
async function instance(seed) {
  const m = await loader.load();
  instances.push(m);
  if (seed !== undefined) m.seed(seed);
  return m;
}
test.after(() => instances.forEach((m) => m.dispose()));
const equalCount = (a, b) => a.reduce((n, x, i) => n + (x === b[i] ? 1 : 0), 0);

test('each op fits its distribution', async () => {
  const m = await instance(99);
  m.run(feeds());
  const out = m.run(feeds()); // the second run
  for (const [name, [stat, Type]] of Object.entries(OUTPUTS)) {
    const x = out[name];
    assert.ok(x instanceof Type, `${name} is a ${x.constructor.name}, not a ${Type.name}`);
    if (stat) assert.equal(checkSamples(stat, x), null, name);
  }
  for (const name of ['bernoulli', 'bernoulli_i64'])
    for (const h of [0, 1]) {
      const x = Array.from(half(out[name], h), Number);
      assert.equal(checkSamples(bernoulli(P[h * (N / 2)]), x), null, `${name}, p ${P[h * (N / 2)]}`);
    }
  // float64 outputs: float32 samples widened.
  for (const name of ['uniform_f64', 'normal_like'])
    assert.ok(out[name].every((v) => Math.fround(v) === v), `${name} holds float32 values`);
});

test('seed fixes an op\'s sequence; unseeded ops follow the context\'s seed', async () => {
  const a = await instance(1), b = await instance(2), fresh = await instance();
  const a1 = a.run(feeds()), b1 = b.run(feeds()), f1 = fresh.run(feeds());
  const a2 = a.run(feeds());
  a.seed(12345);
  const again = a.run(feeds());
  for (const [name, [, , seeded]] of Object.entries(OUTPUTS)) {
    // Two samples of the discrete ones agree by chance (Bernoulli's about
    // 0.66 of the time, Multinomial's 0.43); of the continuous ones, hardly.
    const chance = /bernoulli|multinomial/.test(name) ? 0.8 * a1[name].length : 4;
    if (seeded) {
      assert.deepEqual(b1[name], a1[name], `${name}: the same under context seeds 1 and 2`);
      assert.deepEqual(f1[name], a1[name], `${name}: the same in a new instance`);
      assert.deepEqual(again[name], a1[name], `${name}: set_seed replays the first run`);
    } else {
      assert.ok(equalCount(a1[name], b1[name]) <= chance, `${name}: context seeds 1 and 2 draw alike`);
    }
    assert.ok(equalCount(a1[name], a2[name]) <= chance, `${name}: the second run repeats the first`);
  }
  assert.deepEqual(a1.seeded_again, a1.seeded, 'two ops with seed 5 draw alike');
  assert.ok(equalCount(a1.seeded, a1.seeded_6) <= 4, 'seeds 5 and 6 draw alike');
  assert.ok(equalCount(a1.uniform01, a1.uniform_like) <= 4, 'two unseeded ops draw alike');
});

test('float16 samples are refused with the reason', () => {
  const refused = (body, inputs = '') => {
    const file = path.join(work, `bad${refused.n = (refused.n || 0) + 1}.onnxtext`);
    fs.writeFileSync(file, `<ir_version: 8, opset_import: ["" : 15]>\ng (${inputs}) => (${body.out})\n{\n  ${body.node}\n}\n`);
    const r = spawnSync(kilnc, [file, '--compile-to=import'], { encoding: 'utf8' });
    assert.notEqual(r.status, 0, `kilnc accepted ${body.node}`);
    return r.stderr;
  };
  assert.match(refused({ out: 'float16[4] y', node: 'y = RandomUniform <shape = [4], dtype = 10> ()' }),
    /node 'y' \(op RandomUniform\): dtype float16: Kiln samples float32 and float64 outputs only/);
  assert.match(refused({ out: 'float16[4] y', node: 'y = Bernoulli <dtype = 10> (p)' }, 'float[4] p'),
    /node 'y' \(op Bernoulli\): dtype float16 is not supported/);
});
