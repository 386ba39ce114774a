// Building what the benchmark runs: Kiln's artifacts for a model (timed:
// compile time is one of the results), the native timing harness linked to
// them, and the two peak programs.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { repoRoot } from '../../test/e2e/common.mjs';

export const buildDir = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
export const kilnc = path.join(buildDir, 'bin/kilnc');
const benchDir = path.join(repoRoot, 'benchmarks');
export const HALIDE_INCLUDE = '/usr/include/halide14';
const TIME = '/usr/bin/time';

export class BuildError extends Error {}

// The line that says what went wrong: "tool: error: ..." if there is one; a
// crash's stack dump is summarised, not quoted.
function firstError(text, status) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const error = lines.find((l) => /\berror\b/i.test(l) && !/^#\d+ /.test(l));
  if (error) return error;
  if (lines.some((l) => l.startsWith('Stack dump:'))) return `crashed (status ${status}, LLVM stack dump)`;
  return lines[lines.length - 1] ?? `status ${status}, no output`;
}

/**
 * Runs a command; throws BuildError with its first error line on failure.
 * `label` names it in messages (default: the program's name).
 */
export function run(command, args, { timeoutMs = 600000, label = path.basename(command) } = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 << 20, timeout: timeoutMs });
  if (r.error) throw new BuildError(`${label}: ${r.error.message}`);
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.signal) throw new BuildError(`${label} was killed (${r.signal})`);
  if (r.status !== 0) throw new BuildError(`${label} failed: ${firstError(out, r.status)}`);
  return out;
}

/**
 * Runs a command under /usr/bin/time: {wallS, userS, sysS, peakKB, out}.
 * Without /usr/bin/time, only the wall time (measured here).
 */
export function timed(command, args) {
  if (!fs.existsSync(TIME)) {
    const t0 = performance.now();
    const out = run(command, args);
    return { wallS: (performance.now() - t0) / 1e3, userS: null, sysS: null, peakKB: null, out };
  }
  const report = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-bench-time-')), 'time');
  try {
    const out = run(TIME, ['-o', report, '-f', '%e %U %S %M', command, ...args], { label: path.basename(command) });
    const [wallS, userS, sysS, peakKB] = fs.readFileSync(report, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    return { wallS, userS, sysS, peakKB, out };
  } finally {
    fs.rmSync(path.dirname(report), { recursive: true, force: true });
  }
}

/** Compiles `model` for the CPU into `dir` (libNAME.a, NAME.h, runtime). */
export function compileCpu(model, dir, name, features = 'host') {
  const t = timed(kilnc, [model, '--target=cpu', `--cpu-features=${features}`, `--name=${name}`, '-o', dir]);
  return { dir, name, features, compile: { wallS: t.wallS, userS: t.userS, sysS: t.sysS, peakKB: t.peakKB } };
}

/**
 * Compiles `model` to WebAssembly into `dir` (NAME.wasm, NAME.mjs, NAME.size.json);
 * `extra`: more kilnc flags (e.g. --relaxed-simd).
 */
export function compileWasm(model, dir, name, extra = []) {
  const t = timed(kilnc, [model, '--target=wasm', `--name=${name}`, '-o', dir, ...extra]);
  return { dir, name, tool: 'kilnc', compile: { wallS: t.wallS, userS: t.userS, sysS: t.sysS, peakKB: t.peakKB } };
}

/** Kernel-phase IR with schedules (the module the CPU artifact is built from). */
export function kernelIr(model, file) {
  run(kilnc, [model, '--compile-to=schedules', '-o', file]);
  return fs.readFileSync(file, 'utf8');
}

/**
 * Links native/bench_model.c to a CPU artifact. With `wrap` ({source,
 * functions}), every kernel call goes through the generated timing wrappers.
 */
export function buildHarness(artifact, output, wrap = null) {
  const { dir, name } = artifact;
  const args = ['-O2', '-std=c11', '-D_GNU_SOURCE', `-DKILN_MODEL=${name}`, `-DKILN_MODEL_UPPER=${name.toUpperCase()}`,
    '-include', path.join(dir, `${name}.h`), '-I', dir, '-I', repoRoot,
    path.join(benchDir, 'native/bench_model.c')];
  if (wrap) {
    args.push('-DKILN_BENCH_KERNELS', '-I', HALIDE_INCLUDE, path.join(benchDir, 'native/kernel_timer.c'), wrap.source);
    args.push(...wrap.functions.map((f) => `-Wl,--wrap=${f}`));
  }
  args.push(path.join(dir, `lib${name}.a`), path.join(dir, 'libkiln_runtime.a'), '-lm', '-lpthread', '-ldl', '-o', output);
  run('clang-19', args);
  return output;
}

/** The native FMA peak program. */
export function buildPeakNative(workDir) {
  const out = path.join(workDir, 'peak_fma');
  run('clang-19', ['-O2', '-std=c11', path.join(benchDir, 'native/peak_fma.c'), '-lpthread', '-o', out]);
  return out;
}

/** The WebAssembly f32x4 peak module. */
export function buildPeakWasm(workDir) {
  const out = path.join(workDir, 'peak_simd.wasm');
  run('clang-19', ['--target=wasm32', '-O2', '-msimd128', '-nostdlib', '-Wl,--no-entry',
    path.join(benchDir, 'wasm/peak_simd.c'), '-o', out]);
  return out;
}
