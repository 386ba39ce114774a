#!/usr/bin/env node
// The TF.js op suite's runner: generates the cases (generate.mjs), compiles
// them with kilnc for the CPU (static library + test/e2e/native/model_runner.c)
// and WebAssembly (run in this Node process), compares every output with
// TensorFlow.js's, writes a report by op and checks it against the
// expected-failure list.
//
//   node test/tfjs-ops/run.mjs [--out DIR] [--targets cpu,wasm] [--jobs 2]
//        [--filter REGEX] [--bundle N] [--expectations FILE] [--update-expectations]
//
// Statuses per case and target: pass; fail (an output differs, or a shape or
// dtype); unsupported (kilnc refuses the model: the importer's message);
// error (kilnc, the C compiler or the run crashed or failed past import).
// The run fails when a case's status is not the one --expectations lists
// (no line: pass), and when a listed case passes: the list stays exact.
//
// Speed: each kilnc call costs about 1.5 s whatever the model (the Halide
// runtime), so the cases that import are compiled --bundle at a time (40 by
// default) as one model whose disjoint subgraphs are the cases, names
// prefixed "<case>__". A bundle that fails to compile or run is retried case
// by case, so every status is the case's own.
//
// Tolerance: integer and bool outputs exactly; float32 outputs element by
// element |kiln - tfjs| <= ATOL + RTOL * |tfjs| with ATOL = 1e-5, RTOL = 1e-4
// (Kiln divides as x * (1/y) and its transcendental functions are Halide's,
// not TF.js's); NaN matches NaN only, an infinity only itself. Random ops
// (a case's `stat`) by their distribution: stats.mjs's tests, each at
// significance ALPHA (1e-4).

import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { UsageError, parseArgs, repoRoot, runMain } from '../e2e/common.mjs';
import { DTYPES, elementCount, fileNameFor, readRaw, readTensorDir, writeTensorDir } from '../e2e/tensor_dir.mjs';
import { ALPHA, checkSamples } from './stats.mjs';

const run = promisify(execFile);
const build = process.env.KILN_BUILD_DIR || path.join(repoRoot, 'build');
const kilnc = path.join(build, 'bin/kilnc');
const ATOL = 1e-5;
const RTOL = 1e-4;
const USAGE =
  'usage: node test/tfjs-ops/run.mjs [--out DIR] [--targets cpu,wasm] [--jobs N] [--filter REGEX] ' +
  '[--bundle N] [--expectations FILE] [--update-expectations]';

// Runs `tasks` (functions returning promises) `jobs` at a time.
async function pool(tasks, jobs) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

// A failed command's message: its stderr's first lines, the case's path gone.
function failure(e, dir) {
  let text = `${e.stderr || ''}${e.stdout || ''}`.trim() || e.message;
  text = text.split(`${dir}/`).join('').split('\n').filter((l) => l.trim()).slice(0, 3).join(' | ');
  return text.length > 400 ? `${text.slice(0, 400)}...` : text;
}

// ---- bundles: several cases as one model
function prefixRef(prefix, ref) {
  return ref.startsWith('^') ? `^${prefix}${ref.slice(1)}` : `${prefix}${ref}`;
}
function writeBundle(casesDir, names, dir) {
  const nodes = [];
  const weights = [];
  const bytes = [];
  const inputs = [];
  for (const name of names) {
    const p = `${name}__`;
    const json = JSON.parse(fs.readFileSync(path.join(casesDir, name, 'model.json'), 'utf8'));
    for (const n of json.modelTopology.node)
      nodes.push({ ...n, name: p + n.name, ...(n.input ? { input: n.input.map((r) => prefixRef(p, r)) } : {}) });
    for (const w of json.weightsManifest[0].weights) weights.push({ ...w, name: p + w.name });
    bytes.push(fs.readFileSync(path.join(casesDir, name, 'weights.bin')));
    for (const t of readTensorDir(path.join(casesDir, name, 'in'))) inputs.push({ ...t, name: p + t.name });
  }
  fs.mkdirSync(dir, { recursive: true });
  const model = { format: 'graph-model', modelTopology: { node: nodes }, weightsManifest: [{ paths: ['weights.bin'], weights }] };
  fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(model));
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(bytes));
  writeTensorDir(path.join(dir, 'in'), inputs);
}

// ---- targets: compile `model` in `dir`, run it on dir/in, write dir/<target>
async function runCpu(dir) {
  const lib = path.join(dir, 'cpu-lib');
  await run(kilnc, [path.join(dir, 'model.json'), '--target=cpu', '-o', lib, '--name=m'], { maxBuffer: 16 << 20 });
  const runner = path.join(lib, 'runner');
  await run('clang-19', ['-O1', '-std=c11', '-D_GNU_SOURCE', '-DKILN_MODEL=m', '-DKILN_MODEL_UPPER=M', '-include', `${lib}/m.h`,
    '-I', lib, path.join(repoRoot, 'test/e2e/native/model_runner.c'), `${lib}/libm.a`, `${lib}/libkiln_runtime.a`,
    '-lm', '-lpthread', '-ldl', '-o', runner]);
  const out = path.join(dir, 'cpu');
  fs.mkdirSync(out, { recursive: true });
  await run(runner, [path.join(dir, 'in'), out], { timeout: 60000 });
  fs.rmSync(lib, { recursive: true, force: true });
}
async function runWasm(dir) {
  const lib = path.join(dir, 'wasm-lib');
  await run(kilnc, [path.join(dir, 'model.json'), '--target=wasm', '-o', lib, '--name=m', '--no-fallback'], { maxBuffer: 16 << 20 });
  const loader = await import(pathToFileURL(path.join(lib, 'm.mjs')).href);
  const m = await loader.load();
  try {
    const feeds = Object.fromEntries(readTensorDir(path.join(dir, 'in')).map((t) => [t.name, t.data]));
    const outputs = m.run(feeds);
    // A bounded output (docs/BOUNDED.md): run() gives the run's elements,
    // shapeOf() its shape, the count in place of the bound.
    writeTensorDir(path.join(dir, 'wasm'), loader.outputs.map((t) => ({
      name: t.name, dtype: t.dtype, shape: [...(t.boundedDim === undefined ? t.shape : m.shapeOf(t.name))],
      data: outputs[t.name],
    })));
  } finally {
    m.dispose();
  }
  fs.rmSync(lib, { recursive: true, force: true });
}
const TARGETS = { cpu: runCpu, wasm: runWasm };

// An output by name, or what is wrong with it. WebAssembly's directory has
// a manifest (dtype, shape); model_runner.c writes raw files only, so a CPU
// output is read with TF.js's dtype and shape, and checked by its size.
// A bounded output (docs/BOUNDED.md) has a "<name>:count" output beside it
// and a file of the bound's size, the run's rows packed at its start: its
// count must be TF.js's extent along some dimension, whose other extents
// divide the file; the first TF.js-many elements are the output.
function readActual(dir) {
  if (fs.existsSync(path.join(dir, 'manifest.json'))) {
    const tensors = new Map(readTensorDir(dir).map((t) => [t.name, t]));
    return (name) => tensors.get(name) ?? `output ${name} is missing`;
  }
  return (name, e) => {
    try {
      const file = path.join(dir, fileNameFor(name));
      const countFile = path.join(dir, fileNameFor(`${name}:count`));
      if (!fs.existsSync(countFile))
        return { name, dtype: e.dtype, shape: e.shape, data: readRaw(file, e.dtype, e.shape) };
      const count = Number(readRaw(countFile, 'int64', [1])[0]);
      const Type = DTYPES[e.dtype];
      const bytes = fs.readFileSync(file);
      const all = new Type(bytes.length / Type.BYTES_PER_ELEMENT);
      new Uint8Array(all.buffer).set(bytes);
      const want = elementCount(e.shape);
      const fits = e.shape.some((d) => d === count && (count === 0 || all.length % (want / count) === 0));
      if (!fits || want > all.length)
        return `${name}: count ${count} (bound of ${all.length} elements), TF.js [${e.shape}]`;
      return { name, dtype: e.dtype, shape: e.shape, data: all.slice(0, want) };
    } catch (err) {
      return err.message.split(`${dir}/`).join('');
    }
  };
}

// ---- comparison
function sameValue(a, e, isFloat) {
  if (!isFloat) return a === e;
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (!Number.isFinite(e)) return a === e;
  return Math.abs(a - e) <= ATOL + RTOL * Math.abs(e);
}
// Kiln's outputs (by the case's own output names) against TF.js's: null or
// what differs. A case with `stat` (random ops: cases.mjs) is compared by
// its distribution instead (stats.mjs), dtype and shape still exactly.
function compare(expected, actual, stat) {
  for (const e of expected) {
    const a = actual.get(e.name);
    if (!a) return `output ${e.name} is missing`;
    if (a.dtype !== e.dtype) return `${e.name}: dtype ${a.dtype}, TF.js ${e.dtype}`;
    if (a.shape.join(',') !== e.shape.join(',')) return `${e.name}: shape [${a.shape}], TF.js [${e.shape}]`;
    if (stat) {
      const why = checkSamples(stat, a.data, e.data);
      if (why) return `${e.name}: ${why}`;
      continue;
    }
    const isFloat = e.dtype === 'float32';
    let worst = -1;
    let bad = 0;
    for (let i = 0; i < e.data.length; i++) {
      if (sameValue(Number(a.data[i]), Number(e.data[i]), isFloat)) continue;
      bad++;
      if (worst < 0) worst = i;
    }
    if (bad)
      return `${e.name}: ${bad} of ${e.data.length} elements differ; first at ${worst}: ${a.data[worst]}, TF.js ${e.data[worst]}`;
  }
  return null;
}

// ---- expectations: "<case> <target> <status> <reason>"
function readExpectations(file) {
  const map = new Map();
  if (!fs.existsSync(file)) return map;
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [name, target, status, ...reason] = line.split(' ');
    map.set(`${name} ${target}`, { status, reason: reason.join(' ') });
  }
  return map;
}
const HEADER = `# TF.js op suite cases that do not pass, with the reason (test/tfjs-ops/README.md).
# Every case and target not listed must pass; a listed one that passes fails
# the run too. Regenerate with run.mjs --update-expectations, then write a
# real reason where the importer's message is not one.
# <case> <target> <status> <reason>
`;

async function main(argv) {
  const update = argv.includes('--update-expectations');
  argv = argv.filter((a) => a !== '--update-expectations');
  const args = parseArgs(argv, {
    '--out': 'string', '--targets': 'string', '--jobs': 'int', '--filter': 'string', '--bundle': 'int',
    '--expectations': 'string',
  }, []);
  const out = path.resolve(args.out ?? path.join(build, 'tfjs-ops'));
  const targets = (args.targets ?? 'cpu,wasm').split(',');
  for (const t of targets) if (!TARGETS[t]) throw new UsageError(`unknown target '${t}' (cpu, wasm)`);
  const jobs = args.jobs ?? 2;
  const bundleSize = args.bundle ?? 40;
  const expectFile = args.expectations ?? path.join(repoRoot, 'test/tfjs-ops/expected.txt');
  if (!fs.existsSync(kilnc)) throw new UsageError(`${kilnc} is missing: build Kiln first`);
  const start = Date.now();

  const casesDir = path.join(out, 'cases');
  fs.rmSync(out, { recursive: true, force: true, maxRetries: 3 });
  const genArgs = [path.join(repoRoot, 'test/tfjs-ops/generate.mjs'), '--out', casesDir];
  if (args.filter) genArgs.push('--filter', args.filter);
  try {
    await run(process.execPath, genArgs, { maxBuffer: 64 << 20 });
  } catch (e) {
    throw new UsageError(`generating the cases failed: ${e.stderr || e.message}`);
  }
  const index = JSON.parse(fs.readFileSync(path.join(casesDir, 'index.json'), 'utf8'));
  const results = new Map(index.map((c) => [c.name, { ...c, targets: {} }]));
  const setAll = (name, status, detail) => {
    for (const t of targets) results.get(name).targets[t] = { status, detail };
  };

  // Import (to the kernels phase: graph passes too) a bundle at a time; a
  // bundle that fails is halved until each failing case is imported alone,
  // so that the importer's message is the case's. (Case by case throughout
  // cost one kilnc call per case: 271 calls where this makes about 40.)
  const importable = [];
  const importCase = async (name) => {
    const dir = path.join(casesDir, name);
    try {
      await run(kilnc, [path.join(dir, 'model.json'), '--compile-to=kernels', '-o', '/dev/null']);
      importable.push(name);
    } catch (e) {
      setAll(name, e.code === 1 ? 'unsupported' : 'error', failure(e, dir));
    }
  };
  const allNames = index.map((c) => c.name).sort();
  const importGroups = [];
  for (let i = 0; i < allNames.length; i += bundleSize) importGroups.push(allNames.slice(i, i + bundleSize));
  const importGroup = async (names, dir) => {
    if (names.length === 1) return importCase(names[0]);
    writeBundle(casesDir, names, dir);
    try {
      await run(kilnc, [path.join(dir, 'model.json'), '--compile-to=kernels', '-o', '/dev/null']);
      importable.push(...names);
    } catch {
      const half = names.length >> 1;
      await importGroup(names.slice(0, half), `${dir}a`);
      await importGroup(names.slice(half), `${dir}b`);
    }
  };
  await pool(importGroups.map((names, k) => () => importGroup(names, path.join(out, 'import', `b${k}`))), jobs);
  importable.sort();

  // Bundles, then case by case where a bundle fails.
  const runTarget = async (target, dir, names, prefixed) => {
    try {
      await TARGETS[target](dir);
    } catch (e) {
      return failure(e, dir);
    }
    const actual = readActual(path.join(dir, target));
    for (const name of names) {
      const expected = readTensorDir(path.join(casesDir, name, 'tfjs'));
      const mine = new Map();
      let diff = null;
      for (const e of expected) {
        const a = actual(prefixed ? `${name}__${e.name}` : e.name, e);
        if (typeof a === 'string') diff ??= a;
        else mine.set(e.name, a);
      }
      diff ??= compare(expected, mine, results.get(name).stat);
      results.get(name).targets[target] = diff ? { status: 'fail', detail: diff } : { status: 'pass' };
    }
    return null;
  };
  const bundles = [];
  for (let i = 0; i < importable.length; i += bundleSize) bundles.push(importable.slice(i, i + bundleSize));
  const tasks = [];
  bundles.forEach((names, b) => {
    const dir = path.join(out, 'bundles', `b${b}`);
    writeBundle(casesDir, names, dir);
    for (const target of targets)
      tasks.push(async () => {
        if (!(await runTarget(target, dir, names, true))) return;
        await pool(names.map((name) => async () => {
          const error = await runTarget(target, path.join(casesDir, name), [name], false);
          if (error) results.get(name).targets[target] = { status: 'error', detail: error };
        }), 1);
      });
  });
  await pool(tasks, jobs);

  // Report and expectations.
  const expected = readExpectations(expectFile);
  const problems = [];
  const lines = [];
  const counts = { pass: 0, fail: 0, unsupported: 0, error: 0 };
  for (const r of results.values())
    for (const t of targets) {
      const { status, detail } = r.targets[t];
      counts[status]++;
      const want = expected.get(`${r.name} ${t}`);
      if (status !== 'pass') lines.push(`${r.name} ${t} ${status} ${(want && want.status === status && want.reason) || detail}`);
      if (!want && status !== 'pass') problems.push(`${r.name} (${t}): ${status}: ${detail}`);
      else if (want && status === 'pass') problems.push(`${r.name} (${t}): passes but expected.txt lists it as ${want.status}: remove the line`);
      else if (want && want.status !== status) problems.push(`${r.name} (${t}): ${status} (expected.txt says ${want.status}): ${detail}`);
    }
  if (!args.filter)
    for (const key of expected.keys()) {
      const [name, t] = key.split(' ');
      if (targets.includes(t) && !results.has(name)) problems.push(`expected.txt lists ${name}, which is no case`);
    }
  writeReport(out, results, targets, counts);
  if (update) {
    fs.writeFileSync(expectFile, HEADER + lines.sort().join('\n') + '\n');
    console.log(`tfjs-ops: wrote ${expectFile}`);
  }
  const seconds = ((Date.now() - start) / 1000).toFixed(0);
  const ops = new Set([...results.values()].map((r) => r.op));
  const opsPassing = new Set([...results.values()].filter((r) => targets.every((t) => r.targets[t].status === 'pass')).map((r) => r.op));
  console.log(`tfjs-ops: ${results.size} cases of ${ops.size} ops on ${targets.join(', ')} in ${seconds} s: ` +
    `${counts.pass} pass, ${counts.fail} fail, ${counts.unsupported} unsupported, ${counts.error} error ` +
    `(ops with every case passing: ${opsPassing.size}); report: ${path.join(out, 'report.md')}`);
  if (problems.length && !update) {
    console.error(`tfjs-ops: ${problems.length} case(s) differ from ${path.relative(repoRoot, expectFile)}:\n  ${problems.join('\n  ')}`);
    process.exitCode = 1;
  }
}

function writeReport(out, results, targets, counts) {
  const byOp = new Map();
  for (const r of results.values()) (byOp.get(r.op) ?? byOp.set(r.op, []).get(r.op)).push(r);
  let md = `# TF.js op suite report\n\n${counts.pass} pass, ${counts.fail} fail, ${counts.unsupported} unsupported, ` +
    `${counts.error} error (case x target). Tolerance: |kiln - tfjs| <= ${ATOL} + ${RTOL} * |tfjs| (float32), exact otherwise; ` +
    `random ops (\`stat\` cases) by their distribution, each test at significance ${ALPHA} (stats.mjs).\n\n` +
    `| op | case | ${targets.join(' | ')} | detail |\n|---|---|${targets.map(() => '---|').join('')}---|\n`;
  for (const op of [...byOp.keys()].sort())
    for (const r of byOp.get(op)) {
      const detail = targets.map((t) => r.targets[t].detail).find(Boolean) ?? '';
      md += `| ${op} | ${r.name} | ${targets.map((t) => r.targets[t].status).join(' | ')} | ${detail.replace(/\|/g, '\\|')} |\n`;
    }
  fs.writeFileSync(path.join(out, 'report.md'), md);
  fs.writeFileSync(path.join(out, 'report.json'), JSON.stringify([...results.values()], null, 1) + '\n');
}

runMain('run.mjs', USAGE, main);
