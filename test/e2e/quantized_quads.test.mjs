// Native integer convs in quads of input channels (issue 15; emit/Quantized.cpp):
// on AVX-512 the products of 4 input channels are summed in one int32 lane
// as uint8 x int8 (vpdpbusd where the CPU has AVX-512 VNNI), the input's
// zero point hoisted out as per-channel weight sums. This file takes the
// cases the QLinear convnet (quantized.test.mjs) does not: int8
// activations and uint8 weights (each shifted by 128 into the other
// signedness), channel counts that are not a multiple of 4 (the last quad
// padded), stride 2. Two ConvIntegers in one model, compiled by kilnc to a
// static library, run by native/model_runner.c, checked against the exact
// reference's ConvInteger (lib/quantized_reference.mjs): integers, so equal
// or wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { mulberry32, repoRoot } from './common.mjs';
import { runOp } from './lib/quantized_reference.mjs';
import { readRaw, writeTensorDir } from './tensor_dir.mjs';

const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-quads-e2e-'));

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    assert.fail(`${path.basename(cmd)} ${args.join(' ')} failed:\n${e.stdout || ''}${e.stderr || ''}`);
  }
}

// One conv: NCHW input, OIHW weights, square 3x3 kernel, pads 1.
function makeCase(name, { ic, oc, size, stride, xType, xz, wType, wz, seed }) {
  const rand = mulberry32(seed);
  const byte = (type) => (type === 'int8' ? (rand() & 255) - 128 : rand() & 255);
  const x = Array.from({ length: ic * size * size }, () => byte(xType));
  const w = Array.from({ length: oc * ic * 9 }, () => byte(wType));
  const out = Math.floor((size + 2 - 3) / stride) + 1;
  return { name, ic, oc, size, stride, xType, xz, wType, wz, x, w, out };
}

const cases = [
  // int8 input (zero point -3), uint8 weights centred on 128, 5 channels.
  makeCase('a', { ic: 5, oc: 16, size: 9, stride: 1, xType: 'int8', xz: -3, wType: 'uint8', wz: 128, seed: 3 }),
  // uint8 input (zero point 10), int8 weights, 6 channels, stride 2.
  makeCase('b', { ic: 6, oc: 32, size: 8, stride: 2, xType: 'uint8', xz: 10, wType: 'int8', wz: 0, seed: 4 }),
];

function onnxText() {
  const inputs = cases.map((c) => `${c.xType}[1,${c.ic},${c.size},${c.size}] x_${c.name}`).join(', ');
  const outputs = cases.map((c) => `int32[1,${c.oc},${c.out},${c.out}] y_${c.name}`).join(', ');
  const inits = cases.map((c) => `${c.xType} xz_${c.name} = {${c.xz}}, ` +
    `${c.wType}[${c.oc},${c.ic},3,3] w_${c.name} = {${c.w.join(',')}}, ${c.wType} wz_${c.name} = {${c.wz}}`);
  const nodes = cases.map((c) => `  y_${c.name} = ConvInteger(x_${c.name}, w_${c.name}, xz_${c.name}, wz_${c.name}) ` +
    `<pads = [1,1,1,1], strides = [${c.stride},${c.stride}]>`);
  return `<ir_version: 8, opset_import: ["" : 13]>\ng (${inputs}) => (${outputs})\n` +
    `  <${inits.join(', ')}> {\n${nodes.join('\n')}\n}\n`;
}

// The reference's ConvInteger (lib/quantized_reference.mjs, the ONNX
// definition: sum over the window of (x - xz) * (w - wz), pads holding xz).
function reference(c) {
  const t = (dtype, shape, data) => ({ dtype, shape, data });
  const [y] = runOp('ConvInteger', [t(c.xType, [1, c.ic, c.size, c.size], c.x), t(c.wType, [c.oc, c.ic, 3, 3], c.w),
    t(c.xType, [], [c.xz]), t(c.wType, [], [c.wz])], { pads: [1, 1, 1, 1], strides: [c.stride, c.stride] });
  return y.data;
}

test('integer convs in quads of input channels equal the ONNX definition (int8/uint8, odd channels, stride 2)', () => {
  const model = path.join(work, 'quads.onnxtext');
  fs.writeFileSync(model, onnxText());
  const lib = path.join(work, 'lib');
  run(kilnc, [model, '--target=cpu', '-o', lib, '--name=quads']);
  const runner = path.join(work, 'runner');
  run('clang-19', ['-O2', '-std=c11', '-D_GNU_SOURCE', '-DKILN_MODEL=quads', '-DKILN_MODEL_UPPER=QUADS',
    '-include', `${lib}/quads.h`, '-I', lib, path.join(repoRoot, 'test/e2e/native/model_runner.c'),
    `${lib}/libquads.a`, `${lib}/libkiln_runtime.a`, '-lm', '-lpthread', '-ldl', '-o', runner]);
  const inputs = path.join(work, 'in'), outputs = path.join(work, 'out');
  writeTensorDir(inputs, cases.map((c) => ({
    name: `x_${c.name}`, dtype: c.xType, shape: [1, c.ic, c.size, c.size],
    data: c.xType === 'int8' ? Int8Array.from(c.x) : Uint8Array.from(c.x),
  })));
  fs.mkdirSync(outputs, { recursive: true });
  run(runner, [inputs, outputs, '--runs', '2', '--threads', '2']);
  for (const c of cases) {
    const got = readRaw(path.join(outputs, `y_${c.name}.bin`), 'int32', [1, c.oc, c.out, c.out]);
    const want = reference(c);
    let wrong = 0, first = '';
    for (let i = 0; i < want.length; i++)
      if (got[i] !== want[i] && !wrong++) first = `element ${i}: ${got[i]}, expected ${want[i]}`;
    assert.equal(wrong, 0, `conv ${c.name}: ${wrong} of ${want.length} outputs differ, first ${first}`);
  }
  // Where the CPU has AVX-512 VNNI (Halide's avx512_sapphirerapids), both
  // convs must have taken the quads: vpdpbusd in the library.
  const cpu = fs.readFileSync('/proc/cpuinfo', 'utf8');
  if (/\bavx512_vnni\b/.test(cpu) && /\bavx512_bf16\b/.test(cpu)) {
    const asm = run('objdump', ['-d', '--no-show-raw-insn', `${lib}/libquads.a`]);
    const kernels = asm.split(/\n(?=[0-9a-f]+ <)/).filter((f) => /vpdpbusd/.test(f));
    assert.ok(kernels.length >= 2, `vpdpbusd in ${kernels.length} functions, expected the two convs'`);
  }
});

process.on('exit', () => process.env.KILN_KEEP_WORK || fs.rmSync(work, { recursive: true, force: true }));
