// Instructions per inference of Kiln's arm64 code, counted under qemu-user
// (issue 19): no arm64 hardware here, so no time is measured; instruction
// counts compare schedules and builds, not phones. See README.md beside.
//
//   node benchmarks/arm64/count.mjs [--models bf_front,bf_back,mnv2,facemesh]
//        [--cpu-features dotprod] [--kilnc-arg=--fuse-blocks=false ...] [--runs 3]
//
// Per model: kilnc --cpu=arm64-linux, linked by aarch64-linux-gnu-gcc with
// test/e2e/native/model_runner.c, run on one thread under qemu-aarch64 with
// insn_count.c loaded, once with 1 inference and once with 1 + --runs:
// the difference over --runs is the count per inference, without start-up,
// input reading and create. qemu's wall time per inference is printed too,
// labelled: it says how slow emulation is, nothing about a real CPU.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { depsDir, models, parseArgs, repoRoot, runMain, UsageError } from '../../test/e2e/common.mjs';

const usage = `usage: node benchmarks/arm64/count.mjs [--models a,b] [--cpu-features F] [--kilnc-arg A]... [--runs N]
models: bf_front, bf_back, mnv2 (ONNX), facemesh (TF.js); default all`;

const human = path.join(depsDir, 'models/human-models/package/models');
const catalogue = {
  bf_front: { model: models.blazefaceFront, onnx: true },
  bf_back: { model: models.blazefaceBack, onnx: true },
  mnv2: { model: models.mobilenetv2, onnx: true },
  facemesh: { model: path.join(human, 'facemesh.json'), onnx: false },
};
const SYSROOT = '/usr/aarch64-linux-gnu';

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
  } catch (e) {
    if (e.code === 'ENOENT') throw new UsageError(`${cmd} not found (run scripts/setup.sh)`);
    throw new UsageError(`${path.basename(cmd)} ${args.join(' ')} failed:\n${e.stdout || ''}${e.stderr || ''}`);
  }
}

// Runs the runner under qemu with the counting plugin; returns
// { instructions, seconds } for the whole process.
function counted(plugin, runner, inputs, out, runs) {
  const countFile = path.join(out, `count.${runs}`);
  const start = process.hrtime.bigint();
  run('qemu-aarch64', ['-cpu', 'max', '-plugin', `${plugin},out=${countFile}`, '-L', SYSROOT, runner, inputs, out,
    '--runs', String(runs), '--threads', '1']);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { instructions: Number(fs.readFileSync(countFile, 'utf8').trim()), seconds };
}

await runMain('count', usage, async (argv) => {
  const args = parseArgs(argv, { '--models': 'string', '--cpu-features': 'string', '--kilnc-arg': 'list', '--runs': 'int' }, []);
  const names = (args.models || Object.keys(catalogue).join(',')).split(',');
  for (const n of names) if (!catalogue[n]) throw new UsageError(`unknown model '${n}' (expected ${Object.keys(catalogue).join(', ')})`);
  const runs = args.runs ?? 3;
  if (runs < 1) throw new UsageError('--runs must be at least 1');
  const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-arm64-count-'));
  try {
    const plugin = path.join(work, 'libinsn_count.so');
    run('gcc', ['-shared', '-fPIC', '-O2', path.join(repoRoot, 'benchmarks/arm64/insn_count.c'), '-o', plugin]);
    const extra = [...(args['kilnc-arg'] || [])];
    if (args['cpu-features']) extra.push(`--cpu-features=${args['cpu-features']}`);
    console.log(`kilnc --cpu=arm64-linux ${extra.join(' ')}; qemu-aarch64 -cpu max, 1 thread, ${runs} counted inferences`);
    console.log('| model | instructions per inference | qemu wall time per inference (emulated: relative only) |');
    console.log('|---|---:|---:|');
    for (const name of names) {
      const { model, onnx } = catalogue[name];
      if (!fs.existsSync(model)) throw new UsageError(`${model} is missing (run scripts/setup.sh and the build)`);
      const dir = path.join(work, name);
      const inputs = path.join(dir, 'in');
      if (onnx) run(process.execPath, [path.join(repoRoot, 'test/e2e/make_inputs.mjs'), model, '--out-dir', inputs, '--seed', '7']);
      else run(process.execPath, [path.join(repoRoot, 'test/e2e/tfjs_run.mjs'), model, '--inputs-dir', inputs,
        '--outputs-dir', path.join(dir, 'tfjs'), '--make-inputs', '3']);
      const lib = path.join(dir, 'lib');
      run(path.join(build, 'bin/kilnc'), [model, '--target=cpu', '--cpu=arm64-linux', '-o', lib, `--name=${name}`, ...extra]);
      const runner = path.join(dir, 'runner');
      run('aarch64-linux-gnu-gcc', ['-O2', '-std=c11', '-D_GNU_SOURCE', `-DKILN_MODEL=${name}`,
        `-DKILN_MODEL_UPPER=${name.toUpperCase()}`, '-include', `${lib}/${name}.h`, '-I', lib,
        path.join(repoRoot, 'test/e2e/native/model_runner.c'), `${lib}/lib${name}.a`, `${lib}/libkiln_runtime.a`,
        '-lm', '-lpthread', '-ldl', '-o', runner]);
      const out = path.join(dir, 'out');
      fs.mkdirSync(out, { recursive: true });
      const one = counted(plugin, runner, inputs, out, 1);
      const more = counted(plugin, runner, inputs, out, 1 + runs);
      const perRun = (more.instructions - one.instructions) / runs;
      const seconds = (more.seconds - one.seconds) / runs;
      console.log(`| ${name} | ${(perRun / 1e6).toFixed(2)} M | ${(seconds * 1e3).toFixed(0)} ms |`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
