// Random ops in a compiled model (compiler/import/tfjs/README.md, "Random"):
// one TF.js graph with the five sampling ops, compiled for the CPU (a C
// program over NAME.h: NAME_set_seed and runs) and WebAssembly (the loader's
// seed()), and run by the JIT (kiln-run). Checks, on 2048 samples per op:
//   - the same seed gives the same samples on every target (integers and
//     uniforms bit for bit; the normals within 2e-6, Halide's log and cos);
//   - successive runs sample afresh (few equal elements, no correlation),
//     set_seed replays the runs after it, another seed differs, a new
//     context's seed is 0, and two unseeded ops of one model differ;
//   - RandomUniform and RandomUniformInt are Philox4x32-10's words exactly
//     (a JavaScript Philox, checked on Random123's three philox4x32_10 known
//     answers), and so is a [3, 5, 7] RandomUniform under a seed >= 2^63
//     (the row-major index across dimensions, the seed's high word);
//   - each op's samples fit its distribution (test/tfjs-ops/stats.mjs: KS or
//     chi-square, mean, variance, lag-1 correlation, each at alpha 1e-4);
//   - NAME_set_seed(NULL) and seed() outside [0, 2^64) are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { repoRoot } from './common.mjs';
import { fileNameFor } from './tensor_dir.mjs';
import { Graph, attr as A } from '../tfjs-ops/graph.mjs';
import { checkSamples, moments } from '../tfjs-ops/stats.mjs';

const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-random-e2e-'));
test.after(() => fs.rmSync(work, { recursive: true, force: true }));
const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const N = 2048;
const LOGITS = [0.5, -1, 2, 0];
const g = new Graph('random');
const logits = g.input('logits', [1, 4], 'float32', { values: LOGITS });
const OUTPUTS = [
  ['uniform', { dist: 'uniform', lo: 0, hi: 1 }, g.node('RandomUniform', [g.ints('s0', [N])], { dtype: A.type('float32') })],
  ['uniform2', { dist: 'uniform', lo: 0, hi: 1 }, g.node('RandomUniform', [g.ints('s1', [N])], { dtype: A.type('float32') })],
  ['normal', { dist: 'normal' }, g.node('RandomStandardNormal', [g.ints('s2', [N])], { dtype: A.type('float32'), seed: A.i(9) })],
  ['truncated', { dist: 'truncated' }, g.node('TruncatedNormal', [g.ints('s3', [N])], { dtype: A.type('float32') })],
  ['int', { dist: 'int', lo: -5, hi: 12 }, g.node('RandomUniformInt', [g.ints('s4', [N])], { minval: A.i(-5), maxval: A.i(12) }, { dtype: 'int32' })],
  ['multinomial', { dist: 'multinomial', rows: [LOGITS] },
    g.node('Multinomial', [logits, g.int('n', N)], { output_dtype: A.type('int32') }, { dtype: 'int32' })],
];
// Not a statistical case: a [3, 5, 7] RandomUniform whose row-major index
// runs across dimensions, checked against the JavaScript Philox below.
const CUBE = [3, 5, 7];
const cube = g.node('RandomUniform', [g.ints('s5', CUBE)], { dtype: A.type('float32') });
const ALL = [...OUTPUTS, ['cube', null, cube]];
for (const [, , node] of ALL) g.output(node);
g.write(path.join(work, 'model'));
const modelJson = path.join(work, 'model/model.json');
const isInt = (name) => name === 'int' || name === 'multinomial';

// The C side: `harness SEED RUNS OUT` (SEED "-" keeps the new context's)
// writes the outputs of the last of RUNS runs to OUT/<i>.bin.
const harnessC = `
#include "m.h"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  m_context *ctx;
  static const float logits[4] = {${LOGITS.join(', ')}};
  const void *in[1] = {logits};
  size_t in_sizes[1] = {sizeof logits};
  void *out[M_OUTPUT_COUNT];
  size_t out_sizes[M_OUTPUT_COUNT];
  int i, r;
  if (m_set_seed(NULL, 1) != KILN_INVALID_ARGUMENT) return 3;
  if (m_create(NULL, &ctx) != KILN_OK) return 2;
  if (argv[1][0] != '-' && m_set_seed(ctx, strtoull(argv[1], 0, 10)) != KILN_OK) return 2;
  for (i = 0; i < M_OUTPUT_COUNT; ++i) { out_sizes[i] = m_outputs[i].bytes; out[i] = malloc(out_sizes[i]); }
  for (r = 0; r < atoi(argv[2]); ++r)
    if (m_run(ctx, in, in_sizes, out, out_sizes) != KILN_OK) { fprintf(stderr, "%s\\n", m_last_error(ctx)); return 1; }
  for (i = 0; i < M_OUTPUT_COUNT; ++i) {
    char name[512]; FILE *f;
    snprintf(name, sizeof name, "%s/%d.bin", argv[3], i);
    f = fopen(name, "wb"); fwrite(out[i], 1, out_sizes[i], f); fclose(f);
  }
  m_destroy(ctx);
  return 0;
}
`;
const cpuLib = path.join(work, 'cpu');
const harness = path.join(work, 'harness');
run(kilnc, [modelJson, '--target=cpu', '-o', cpuLib, '--name=m']);
fs.writeFileSync(path.join(work, 'harness.c'), harnessC);
run('clang-19', ['-O1', '-std=c11', '-I', cpuLib, path.join(work, 'harness.c'), `${cpuLib}/libm.a`, `${cpuLib}/libkiln_runtime.a`,
  '-lm', '-lpthread', '-ldl', '-o', harness]);
let calls = 0;
function cpuRun(seed, runs) {
  const out = path.join(work, `out${calls++}`);
  fs.mkdirSync(out);
  run(harness, [String(seed), String(runs), out]);
  return Object.fromEntries(ALL.map(([name], i) => {
    const bytes = fs.readFileSync(path.join(out, `${i}.bin`));
    const Type = isInt(name) ? Int32Array : Float32Array;
    return [name, new Type(bytes.buffer, bytes.byteOffset, bytes.length / 4)];
  }));
}

run(kilnc, [modelJson, '--target=wasm', '-o', path.join(work, 'wasm'), '--name=m', '--no-fallback']);
const loader = await import(pathToFileURL(path.join(work, 'wasm/m.mjs')).href);
const wasm = await loader.load();
test.after(() => wasm.dispose());
function wasmRun(seed, runs) {
  if (seed !== '-') wasm.seed(seed);
  let out;
  for (let r = 0; r < runs; r++) out = wasm.run({ logits: Float32Array.from(LOGITS) });
  return Object.fromEntries(ALL.map(([name], i) => [name, out[`out${i}`]]));
}

const equalCount = (a, b) => a.reduce((n, x, i) => n + (x === b[i] ? 1 : 0), 0);
function correlation(a, b) {
  const ma = moments(a).mean, mb = moments(b).mean;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}
const Z = 3.891; // alpha 1e-4, two-sided

test('the same seed gives the same samples on the CPU and in WebAssembly', () => {
  for (const [seed, runs] of [[42, 1], [42, 3], [2n ** 63n + 5n, 2]]) {
    const c = cpuRun(seed, runs), w = wasmRun(seed, runs);
    for (const [name] of OUTPUTS) {
      if (isInt(name) || name.startsWith('uniform')) {
        assert.deepEqual(c[name], w[name], `${name}, seed ${seed}, run ${runs}`);
        continue;
      }
      let worst = 0;
      for (let i = 0; i < N; i++) worst = Math.max(worst, Math.abs(c[name][i] - w[name][i]) / (1 + Math.abs(c[name][i])));
      assert.ok(worst <= 2e-6, `${name}, seed ${seed}: CPU and WASM differ by ${worst}`);
    }
  }
});

// The JIT (kiln-run, targets/jit): the default seed's third run, against the
// C library's.
test('the JIT runner samples what the C library does', () => {
  const inDir = path.join(work, 'jit-in'), outDir = path.join(work, 'jit-out');
  fs.mkdirSync(inDir);
  fs.writeFileSync(path.join(inDir, fileNameFor('logits')), Buffer.from(Float32Array.from(LOGITS).buffer));
  run(path.join(build, 'bin/kiln-run'), [modelJson, '--inputs-dir', inDir, '--outputs-dir', outDir, '--repeat', '3']);
  const c = cpuRun('-', 3);
  OUTPUTS.forEach(([name], i) => {
    const bytes = fs.readFileSync(path.join(outDir, fileNameFor(`out${i}`)));
    const Type = isInt(name) ? Int32Array : Float32Array;
    const jit = new Type(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    if (isInt(name) || name.startsWith('uniform')) assert.deepEqual(jit, c[name], name);
    else for (let k = 0; k < N; k++) assert.ok(Math.abs(jit[k] - c[name][k]) <= 2e-6 * (1 + Math.abs(c[name][k])), `${name}[${k}]`);
  });
});

test('runs sample afresh; set_seed replays them; seeds and ops differ', () => {
  const first = wasmRun(7, 1), second = wasmRun('-', 1), again = wasmRun(7, 1), other = wasmRun(8, 1);
  for (const [name] of OUTPUTS) {
    assert.deepEqual(again[name], first[name], `${name}: seed 7 again`);
    for (const [what, b] of [['the next run', second], ['seed 8', other]]) {
      const same = equalCount(first[name], b[name]);
      // Integers share a value by chance: 1/17 (int) or up to 0.6 (multinomial's likeliest class).
      const bound = name === 'int' ? 0.12 * N : name === 'multinomial' ? 0.7 * N : 4;
      assert.ok(same <= bound, `${name}: ${same} of ${N} elements equal in ${what}`);
      const r = correlation(first[name], b[name]);
      assert.ok(Math.abs(r) <= Z / Math.sqrt(N), `${name}: correlation ${r} with ${what}`);
    }
  }
  assert.ok(equalCount(first.uniform, first.uniform2) <= 4, 'two unseeded ops draw the same');
  assert.ok(Math.abs(correlation(first.uniform, first.uniform2)) <= Z / Math.sqrt(N));
  // A new context starts at seed 0, run 0.
  assert.deepEqual(cpuRun('-', 1), cpuRun(0, 1));
});

// About 48 tests at alpha 1e-4: a correct sampler fails one for about 1 seed
// in 200. Seed 1234 was such a seed (uniform2's lag-1 correlation -0.091, z =
// -4.1, which the JavaScript Philox above gives too: chance, not Kiln); the
// seed is fixed, so the result repeats.
test('each op fits its distribution (CPU and WebAssembly)', () => {
  for (const [target, out] of [['cpu', cpuRun(99, 2)], ['wasm', wasmRun(99, 2)]])
    for (const [name, stat] of OUTPUTS) assert.equal(checkSamples(stat, out[name]), null, `${target} ${name}`);
});

// Philox4x32-10 in JavaScript (Salmon et al.; checked against Random123's
// known-answer vectors below), and the op key and element mapping of
// codegen/halide/emit/Random.cpp: counter (index, op key, run low, run
// high), key (seed low, seed high).
function philox(c, k) {
  const mulhilo = (a, b) => {
    const p = BigInt(a) * BigInt(b);
    return [Number(p >> 32n) >>> 0, Number(p & 0xffffffffn) >>> 0];
  };
  let [k0, k1] = k;
  for (let r = 0; r < 10; r++) {
    if (r) [k0, k1] = [(k0 + 0x9e3779b9) >>> 0, (k1 + 0xbb67ae85) >>> 0];
    const [hi0, lo0] = mulhilo(0xd2511f53, c[0]), [hi1, lo1] = mulhilo(0xcd9e8d57, c[2]);
    c = [(hi1 ^ c[1] ^ k0) >>> 0, lo1, (hi0 ^ c[3] ^ k1) >>> 0, lo0];
  }
  return c;
}
function nameKey(name) { // compiler/import/common/Random.cpp: an unseeded op's key
  let h = 2166136261;
  for (const byte of Buffer.from(`#${name}`)) h = Math.imul(h ^ byte, 16777619) >>> 0;
  return h;
}

test('the samples are Philox4x32-10 words, bit for bit', () => {
  const hex = (ws) => ws.map((w) => w.toString(16).padStart(8, '0')).join(' ');
  assert.equal(hex(philox([0, 0, 0, 0], [0, 0])), '6627e8d5 e169c58d bc57ac4c 9b00dbd8');
  assert.equal(hex(philox([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff])),
    '408f276d 41c83b0e a20bc7c6 6d5451fd');
  assert.equal(hex(philox([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0])),
    'd16cfe09 94fdcceb 5001e420 24126ea1');
  const seed = 2n ** 40n + 77n, runs = 3;
  const key = [Number(seed & 0xffffffffn), Number(seed >> 32n)];
  const nodeOf = (name) => ALL.find(([n]) => n === name)[2];
  const expectUniform = new Float32Array(N), expectInt = new Int32Array(N);
  const f = new Float32Array(1), u = new Uint32Array(f.buffer);
  for (let i = 0; i < N; i++) {
    u[0] = (philox([i, nameKey(nodeOf('uniform')), runs - 1, 0], key)[0] >>> 9) | 0x3f800000;
    expectUniform[i] = f[0] - 1;
    const w = philox([i, nameKey(nodeOf('int')), runs - 1, 0], key)[0];
    expectInt[i] = -5 + Number((BigInt(w) * 17n) >> 32n);
  }
  for (const [target, out] of [['cpu', cpuRun(seed, runs)], ['wasm', wasmRun(seed, runs)]]) {
    assert.deepEqual(out.uniform, expectUniform, `${target} RandomUniform`);
    assert.deepEqual(out.int, expectInt, `${target} RandomUniformInt`);
  }

  // [3, 5, 7]: element (a, b, c), at a * 35 + b * 7 + c in the row-major
  // output, is counter index a * 35 + b * 7 + c (a kernel that counted along
  // one dimension only, or column-major, would differ), under a seed whose
  // high word has its top bit set, on the second run.
  const bigSeed = 2n ** 63n + 3n * 2n ** 32n + 12345n, bigKey = [12345, 0x80000003];
  const expectCube = new Float32Array(CUBE[0] * CUBE[1] * CUBE[2]);
  for (let i = 0; i < expectCube.length; i++) {
    u[0] = (philox([i, nameKey(nodeOf('cube')), 1, 0], bigKey)[0] >>> 9) | 0x3f800000;
    expectCube[i] = f[0] - 1;
  }
  for (const [target, out] of [['cpu', cpuRun(bigSeed, 2)], ['wasm', wasmRun(bigSeed, 2)]])
    assert.deepEqual(out.cube, expectCube, `${target} RandomUniform [3, 5, 7], seed 2^63 + ...`);
});

test('seed() refuses what is not an integer in [0, 2^64)', () => {
  assert.throws(() => wasm.seed(-1), RangeError);
  assert.throws(() => wasm.seed(2n ** 64n), RangeError);
  assert.throws(() => wasm.seed(1.5), TypeError);
  assert.throws(() => wasm.seed('3'), TypeError);
});
