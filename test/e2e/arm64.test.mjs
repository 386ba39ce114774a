// The CPU target cross-compiled for arm64 (kilnc --cpu=arm64-*, issue 19).
// Linux: real models compiled by kilnc, linked by Debian's cross compiler
// with test/e2e/native/model_runner.c, run under qemu-aarch64 (user mode,
// -cpu max) and compared with onnxruntime-node / TensorFlow.js on the same
// fixed-seed inputs, within 1e-4 of each output's range (compare.mjs; why
// that tolerance: cpu.test.mjs). Android and iOS: no SDK and no emulator
// here, so their libraries are checked for what they are: every object
// arm64 and in the OS's format, Halide's runtime for that OS, and C that
// calls nothing but ISO C, Halide's runtime and Kiln's.
//
// Needs gcc-aarch64-linux-gnu and qemu-user (scripts/setup.sh): their
// absence fails the test, naming the package.
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
const SYSROOT = '/usr/aarch64-linux-gnu';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-arm64-e2e-'));

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    assert.fail(`${path.basename(cmd)} ${args.join(' ')} failed:\n${e.stdout || ''}${e.stderr || ''}`);
  }
}
const node = (script, args) => run(process.execPath, [path.join(repoRoot, 'test/e2e', script), ...args]);

function requireTool(tool, pkg) {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
  } catch {
    assert.fail(`${tool} is missing: install ${pkg} (scripts/setup.sh)`);
  }
}

// kilnc for a cross CPU into <work>/<name>/lib; returns that directory.
function compile(model, name, cpu, extra = []) {
  assert.ok(fs.existsSync(model), `${model} is missing (run scripts/setup.sh and the build)`);
  const lib = path.join(work, name, 'lib');
  run(kilnc, [model, '--target=cpu', `--cpu=${cpu}`, '-o', lib, `--name=${name}`, ...extra]);
  for (const f of [`lib${name}.a`, `${name}.h`, 'libkiln_runtime.a', 'kiln_runtime.h'])
    assert.ok(fs.existsSync(`${lib}/${f}`), `kilnc did not write ${f}`);
  return lib;
}

// Cross-links model_runner against the library, runs it under qemu on
// `inputs`, and compares its outputs with `expected`.
function runUnderQemu(name, lib, inputs, expected) {
  requireTool('aarch64-linux-gnu-gcc', 'gcc-aarch64-linux-gnu');
  requireTool('qemu-aarch64', 'qemu-user');
  const runner = path.join(work, name, 'runner');
  run('aarch64-linux-gnu-gcc', ['-O2', '-std=c11', '-D_GNU_SOURCE', `-DKILN_MODEL=${name}`,
    `-DKILN_MODEL_UPPER=${name.toUpperCase()}`, '-include', `${lib}/${name}.h`, '-I', lib,
    path.join(native, 'model_runner.c'), `${lib}/lib${name}.a`, `${lib}/libkiln_runtime.a`,
    '-lm', '-lpthread', '-ldl', '-o', runner]);
  assert.match(run('llvm-readobj-19', ['--file-headers', runner]), /Arch: aarch64/);
  const out = path.join(work, name, 'kiln');
  fs.mkdirSync(out, { recursive: true });
  // Two runs on two threads: the second must not allocate (qemu is slow,
  // about 50x: one warm run is enough to check that).
  const log = run('qemu-aarch64', ['-cpu', 'max', '-L', SYSROOT, runner, inputs, out,
    '--runs', '2', '--threads', '2', '--check-no-alloc']);
  assert.match(log, /no allocations during 1 runs after warm-up/);
  node('compare.mjs', [expected, out, '--atol-frac', ATOL_FRAC]);
}

const onnxCases = [
  ['blazeface front', models.blazefaceFront, 'a64_bf_front', []],
  // The features Halide's arm64 backend knows (ARMv8.2 dot product, fp16
  // arithmetic); qemu's "max" CPU has both.
  ['blazeface back, dotprod and fp16', models.blazefaceBack, 'a64_bf_back', ['--cpu-features=dotprod,fp16']],
  ['mobilenetv2', models.mobilenetv2, 'a64_mnv2', []],
];

for (const [label, model, name, extra] of onnxCases) {
  test(`${label} (ONNX) for arm64-linux, under qemu, matches onnxruntime-node`, () => {
    const dir = path.join(work, name);
    node('make_inputs.mjs', [model, '--out-dir', `${dir}/in`, '--seed', '7']);
    node('ort_run.mjs', [model, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/ort`]);
    runUnderQemu(name, compile(model, name, 'arm64-linux', extra), `${dir}/in`, `${dir}/ort`);
  });
}

test('facemesh (TF.js) for arm64-linux, under qemu, matches TensorFlow.js', () => {
  const model = path.join(human, 'facemesh.json');
  const name = 'a64_facemesh';
  const dir = path.join(work, name);
  node('tfjs_run.mjs', [model, '--inputs-dir', `${dir}/in`, '--outputs-dir', `${dir}/tfjs`, '--make-inputs', '3']);
  runUnderQemu(name, compile(model, name, 'arm64-linux'), `${dir}/in`, `${dir}/tfjs`);
});

// Every member of an archive: its format and architecture (llvm-readobj).
function members(archive) {
  const text = run('llvm-readobj-19', ['--file-headers', archive]);
  return [...text.matchAll(/^File: .*\((.+)\)\nFormat: (.+)\nArch: (.+)$/gm)].map(([, file, format, arch]) => ({ file, format, arch }));
}

// What the C objects (the entry point NAME.o, kiln_runtime.o, kiln_host.o)
// may call: ISO C, Halide's runtime, Kiln's runtime. Anything else (a glibc
// internal such as __memcpy_chk) would not link against bionic or libSystem.
const allowedC = new Set(['malloc', 'calloc', 'aligned_alloc', 'free', 'memcpy', 'memset', 'memmove', 'memcmp',
  'strlen', 'abort']);
// `tls`: the platform's thread-local storage helper (kiln_runtime.c keeps
// its last error per thread): emulated TLS on Android before API 29, dyld's
// on iOS.
function checkCObjects(lib, name, prefix, tls) {
  for (const [archive, objects] of [[`${lib}/lib${name}.a`, [`${name}.o`]], [`${lib}/libkiln_runtime.a`, ['kiln_runtime.o', 'kiln_host.o']]]) {
    const text = run('llvm-nm-19', ['--undefined-only', '--format=just-symbols', archive]);
    const byObject = new Map();
    let current = null;
    for (const line of text.split('\n')) {
      const m = /^(.+\.o):$/.exec(line.trim());
      if (m) byObject.set((current = m[1]), []);
      else if (line.trim() && current) byObject.get(current).push(line.trim());
    }
    for (const object of objects) {
      assert.ok(byObject.has(object), `${archive} has no ${object}`);
      for (let sym of byObject.get(object)) {
        if (prefix) {
          assert.ok(sym.startsWith(prefix), `${object}: ${sym} lacks the '${prefix}' prefix of C symbols`);
          sym = sym.slice(prefix.length);
        }
        const ok = allowedC.has(sym) || sym === tls || /^(halide_|kiln_|__stack_chk_)/.test(sym) || sym.startsWith(`${name}_`);
        assert.ok(ok, `${object} calls ${sym}, which is not ISO C, Halide's runtime or Kiln's`);
      }
    }
  }
}

test('arm64-android: every object ELF aarch64, Halide runtime for Android, portable C', () => {
  const lib = compile(models.blazefaceFront, 'droid_bf', 'arm64-android');
  for (const archive of [`${lib}/libdroid_bf.a`, `${lib}/libkiln_runtime.a`]) {
    const all = members(archive);
    assert.ok(all.length >= 3, `${archive}: expected objects, found ${all.length}`);
    for (const m of all) assert.deepEqual([m.format, m.arch], ['elf64-littleaarch64', 'aarch64'], `${archive}(${m.file})`);
  }
  // Halide's Android runtime logs through liblog (the app links -llog).
  assert.match(run('llvm-nm-19', ['--undefined-only', `${lib}/libkiln_runtime.a`]), /__android_log_print/);
  checkCObjects(lib, 'droid_bf', '', '__emutls_get_address');
});

test('arm64-ios: every object Mach-O arm64, C built for iOS, Halide runtime for iOS', () => {
  const lib = compile(models.blazefaceFront, 'ios_bf', 'arm64-ios');
  for (const archive of [`${lib}/libios_bf.a`, `${lib}/libkiln_runtime.a`]) {
    const all = members(archive);
    assert.ok(all.length >= 3, `${archive}: expected objects, found ${all.length}`);
    for (const m of all) assert.deepEqual([m.format, m.arch], ['Mach-O arm64', 'aarch64'], `${archive}(${m.file})`);
  }
  // The C objects and the weights stub say which platform they were built
  // for (LC_BUILD_VERSION); Halide's objects carry none.
  const headers = run('llvm-objdump-19', ['--macho', '--private-headers', `${lib}/libkiln_runtime.a`, `${lib}/libios_bf.a`]);
  const platform = new Map();
  let member = null;
  for (const line of headers.split('\n')) {
    const m = /\((.+\.o)\):$/.exec(line);
    if (m) member = m[1];
    const p = /^\s*platform (\S+)$/.exec(line);
    if (p && member) platform.set(member, p[1]);
  }
  for (const object of ['kiln_runtime.o', 'kiln_host.o', 'ios_bf.o', 'ios_bf_weights.o'])
    assert.equal(platform.get(object), 'ios', `${object} is not marked as built for iOS`);
  // Halide's iOS runtime logs through NSLog and the Objective-C runtime.
  assert.match(run('llvm-nm-19', ['--undefined-only', `${lib}/libkiln_runtime.a`]), /_NSLog/);
  checkCObjects(lib, 'ios_bf', '_', '_tlv_bootstrap');
});

test.after(() => fs.rmSync(work, { recursive: true, force: true }));
