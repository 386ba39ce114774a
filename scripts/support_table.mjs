#!/usr/bin/env node
// Writes the README's support table (between the support-table markers) and
// docs/SUPPORT.md (per op) from the test reports, so that neither is written
// by hand (issue 15).
//   node scripts/support_table.mjs [--build DIR] [--cpu-report FILE] [--wasm-report FILE]
//                                  [--spirv-report FILE] [--check]
// Sources:
// - ONNX, each target (cpu, wasm, spirv): its report.json
//   ($build/conformance/, conformance-wasm/, conformance-spirv/, or
//   --<target>-report) when it covers every test (a full run; scripts/test.sh
//   runs the cpu target whole, wasm and spirv as a sample). Otherwise each
//   test's status is what the expectation files say (expected.txt, and
//   expected_<target>.txt over it, read as the runner reads them): the
//   runner fails any test that ends otherwise, and the last full run wrote
//   them. The test list and each test's op come from the first full report.
// - TF.js op suite: $build/tfjs-ops/report.json (every case, cpu and wasm).
// --check: exit 1 if README.md or docs/SUPPORT.md would change (nothing written).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const build = opt('--build', process.env.KILN_BUILD_DIR ?? join(root, 'build'));
const check = args.includes('--check');
const STATUSES = ['pass', 'fail', 'unsupported', 'crash', 'timeout'];

function die(message) {
  console.error(`support_table: ${message}`);
  process.exit(2);
}
const readJson = (file) => {
  if (!existsSync(file)) die(`${file} is missing (run the suite first: README.md, "Where Kiln stands")`);
  return JSON.parse(readFileSync(file, 'utf8'));
};

// test name -> status, as kiln-conformance's readExpectations reads a file.
function readExpectations(file) {
  const out = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [name, status] = t.split(/\s+/);
    if (!STATUSES.includes(status)) die(`${file}: bad line '${t}'`);
    out.set(name, status);
  }
  return out;
}

const conf = join(root, 'test', 'conformance');
const cpuExpected = readExpectations(join(conf, 'expected.txt'));
const reportPath = (target) =>
  opt(`--${target}-report`, join(build, target === 'cpu' ? 'conformance' : `conformance-${target}`, 'report.json'));
const reports = {};
for (const target of ['cpu', 'wasm', 'spirv']) {
  const file = reportPath(target);
  if (existsSync(file)) reports[target] = JSON.parse(readFileSync(file, 'utf8'));
}
const full = Object.values(reports).map((r) => r.total).reduce((a, b) => Math.max(a, b), 0);
const listing = Object.values(reports).find((r) => r.total === full && full > 0);
if (!listing) die('no conformance report.json found (run build/bin/kiln-conformance --report-dir build/conformance)');
const tests = listing.tests; // every node test, with its op

// One target's statuses by test name, and where they came from.
function targetStatuses(target) {
  const report = reports[target];
  if (report && report.total === tests.length) {
    const agree = report.tests.filter((t) => t.cpu_check === 'agree').length;
    const checked = report.tests.filter((t) => t.cpu_check).length;
    return { source: 'full run', status: new Map(report.tests.map((t) => [t.name, t.status])),
      agree: target === 'cpu' ? 'itself' : checked ? `${agree} of ${checked}` : '-' };
  }
  const file = target === 'cpu' ? 'expected.txt' : `expected_${target}.txt`;
  const own = target === 'cpu' ? new Map() : readExpectations(join(conf, file));
  const status = new Map(tests.map((t) => [t.name, own.get(t.name) ?? cpuExpected.get(t.name) ?? 'pass']));
  return { source: file, status, agree: target === 'cpu' ? 'itself' : '-' };
}

const targets = ['cpu', 'wasm', 'spirv'].map((name) => ({ name, ...targetStatuses(name) }));
const count = (status) => {
  const c = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const s of status.values()) c[s]++;
  return c;
};

let table = '| suite | target | from | tests | pass | fail | unsupported | crash | timeout | outputs agree with cpu |\n' +
  '|---|---|---|---|---|---|---|---|---|---|\n';
for (const t of targets) {
  const c = count(t.status);
  table += `| ONNX node tests | ${t.name} | ${t.source} | ${t.status.size} | ${STATUSES.map((s) => c[s]).join(' | ')} | ${t.agree} |\n`;
}
const tfjs = readJson(join(build, 'tfjs-ops', 'report.json'));
for (const target of ['cpu', 'wasm']) {
  const c = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  let other = 0;
  for (const k of tfjs) {
    const s = k.targets?.[target]?.status ?? 'unsupported';
    if (s in c) c[s]++;
    else other++;
  }
  const ops = new Set(tfjs.map((k) => k.op)).size;
  table += `| TF.js op suite (${ops} ops) | ${target} | full run | ${tfjs.length} | ${STATUSES.map((s) => c[s]).join(' | ')}${other ? ` (+${other} other)` : ''} | against TF.js |\n`;
}
const block = `<!-- support-table:begin (generated by scripts/support_table.mjs; do not edit) -->\n${table}` +
  '\nA row "from" an expectation file holds each test as the runner would: a test the CPU ' +
  'gained after that target\'s last full run counts as passing there until the next full run ' +
  '(`test/conformance/README.md` says when each ran). ' +
  'Per op and target: `docs/SUPPORT.md`. Reasons for every test that does not pass: ' +
  '`test/conformance/expected*.txt`, `test/tfjs-ops/expected.txt`.\n<!-- support-table:end -->';

// docs/SUPPORT.md: per ONNX op, passing tests per target.
const ops = new Map();
for (const t of tests) {
  if (!ops.has(t.op)) ops.set(t.op, []);
  ops.get(t.op).push(t.name);
}
let doc = '# What Kiln supports, per op\n\nGenerated by `node scripts/support_table.mjs` from the reports ' +
  '(see the script for where each column comes from); do not edit.\n\n## ONNX backend node tests\n\n' +
  'Passing tests of each op\'s node tests, per target (`-`: none of them pass).\n\n' +
  `| op | tests | ${targets.map((t) => t.name).join(' | ')} |\n|---|---|${targets.map(() => '---|').join('')}\n`;
for (const [op, names] of [...ops].sort(([a], [b]) => a.localeCompare(b))) {
  const cells = targets.map((t) => {
    const n = names.filter((name) => t.status.get(name) === 'pass').length;
    return n === 0 ? '-' : n === names.length ? 'all' : `${n}`;
  });
  doc += `| ${op} | ${names.length} | ${cells.join(' | ')} |\n`;
}
doc += '\n## TF.js op suite\n\nCases passing per target, by op.\n\n| op | cases | cpu | wasm |\n|---|---|---|---|\n';
const tfOps = new Map();
for (const k of tfjs) {
  if (!tfOps.has(k.op)) tfOps.set(k.op, []);
  tfOps.get(k.op).push(k);
}
for (const [op, cases] of [...tfOps].sort(([a], [b]) => a.localeCompare(b))) {
  const cells = ['cpu', 'wasm'].map((target) => {
    const n = cases.filter((k) => k.targets?.[target]?.status === 'pass').length;
    return n === 0 ? '-' : n === cases.length ? 'all' : `${n}`;
  });
  doc += `| ${op} | ${cases.length} | ${cells.join(' | ')} |\n`;
}

const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const re = /<!-- support-table:begin[^]*?<!-- support-table:end -->/;
if (!re.test(readme)) die('README.md has no support-table markers');
const newReadme = readme.replace(re, block);
const docPath = join(root, 'docs', 'SUPPORT.md');
const oldDoc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '';
if (check) {
  const stale = [newReadme !== readme && 'README.md', doc !== oldDoc && 'docs/SUPPORT.md'].filter(Boolean);
  if (stale.length) {
    console.error(`support_table: ${stale.join(' and ')} differ from the reports: run node scripts/support_table.mjs`);
    process.exit(1);
  }
  console.log('support_table: README.md and docs/SUPPORT.md match the reports');
} else {
  writeFileSync(readmePath, newReadme);
  writeFileSync(docPath, doc);
  console.log(`support_table: wrote README.md's table and docs/SUPPORT.md\n${table}`);
}
