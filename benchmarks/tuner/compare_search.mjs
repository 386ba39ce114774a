// Evolve against random sampling and grid search at the same budget
// (issue 20): the same kiln-tune run three times per model, changing only
// --search, with the same seed, trial budget, kernels, runner and workers,
// each from an empty database. Writes, in --out:
//   MODEL.SEARCH.{jsonl,txt,tsv}  the database, kiln-tune's report, the curve's points
//   search.md / search.json       the table (and the load around each run)
//   search.svg / search.png       best estimated model time against trials and
//                                 against wall time, one colour per search
//
//   node benchmarks/tuner/compare_search.mjs [--trials 100] [--seed 1]
//        [--models mobilenetv2,blazeface_back] [--searches evolve,random,grid]
//        [--out benchmarks/tuner/results] [--render]
// --render only redraws the table and picture from the files in --out.
// Runs niced (nice -n 10), one tune at a time, models outer and searches
// rotating so that a change of load over the hour falls on each search once
// first, once second, once last.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const build = process.env.KILN_BUILD_DIR ?? path.join(root, 'build');
const deps = process.env.KILN_DEPS_DIR ?? path.join(root, '.deps');
const MODELS = {
  mobilenetv2: { title: 'MobileNetV2', file: path.join(build, 'test/models/mobilenetv2.onnx') },
  blazeface_back: {
    title: 'BlazeFace back',
    file: path.join(deps, 'models/blazeface/package/ONNX/face_detection_back_256x256_barracuda.onnx'),
  },
  blazeface_front: {
    title: 'BlazeFace front',
    file: path.join(deps, 'models/blazeface/package/ONNX/face_detection_front_128x128_barracuda.onnx'),
  },
};
const COLOURS = { evolve: '#1f5fbf', random: '#d9822b', grid: '#3a9a3a' };

function parseArgs(argv) {
  const a = { trials: 100, seed: 1, models: ['mobilenetv2', 'blazeface_back'], searches: ['evolve', 'random', 'grid'],
    out: path.join(root, 'benchmarks/tuner/results'), render: false };
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--trials') a.trials = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--models') a.models = v().split(',');
    else if (k === '--searches') a.searches = v().split(',');
    else if (k === '--out') a.out = path.resolve(v());
    else if (k === '--render') a.render = true;
    else throw new Error(`unknown argument '${k}'`);
  }
  for (const m of a.models) if (!MODELS[m]) throw new Error(`unknown model '${m}' (${Object.keys(MODELS).join(', ')})`);
  for (const s of a.searches) if (!COLOURS[s]) throw new Error(`unknown search '${s}' (evolve, random, grid)`);
  if (!(a.trials > 0)) throw new Error('--trials must be a positive number');
  return a;
}

const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

function tune(args, model, search) {
  const base = path.join(args.out, `${model}.${search}`);
  for (const ext of ['jsonl', 'tsv', 'txt']) fs.rmSync(`${base}.${ext}`, { force: true });
  const started = Date.now();
  const loadBefore = load();
  console.log(`${new Date().toISOString()} ${model} ${search}: ${args.trials} trials, seed ${args.seed} (load ${loadBefore})`);
  const r = spawnSync('nice', ['-n', '10', path.join(build, 'bin/kiln-tune'), MODELS[model].file, '--target=cpu',
    '--device=native', '--threads=1', `--db=${base}.jsonl`, `--trials=${args.trials}`, `--seed=${args.seed}`,
    `--search=${search}`, '--workers=2', `--curve-data=${base}.tsv`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  fs.writeFileSync(`${base}.txt`, r.stdout + `# ${((Date.now() - started) / 1000).toFixed(0)} s wall, ` +
    `${new Date().toISOString()}, load before: ${loadBefore}, after: ${load()}\n`);
  if (r.status !== 0) {
    console.error(r.stderr.split('\n').slice(-8).join('\n'));
    throw new Error(`kiln-tune ${model} --search=${search} exited with ${r.status}`);
  }
}

// The figures of one run, from its report and database.
function summarise(args, model, search) {
  const base = path.join(args.out, `${model}.${search}`);
  if (!fs.existsSync(`${base}.txt`) || !fs.existsSync(`${base}.tsv`)) return null;
  const txt = fs.readFileSync(`${base}.txt`, 'utf8');
  const num = (re) => {
    const m = txt.match(re);
    return m ? Number(m[1]) : null;
  };
  const curve = fs.readFileSync(`${base}.tsv`, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t').map(Number)).map(([trials, seconds, ms]) => ({ trials, seconds, ms }));
  const records = fs.readFileSync(`${base}.jsonl`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const search_ = records.filter((r) => !r.paired);
  const at = (n) => {
    // The best estimate once `n` trials were spent (the curve is a step function).
    let best = null;
    for (const p of curve) if (p.trials <= n) best = p.ms;
    return best;
  };
  const loads = txt.match(/load before: ([\d. ]+), after: ([\d. ]+)/);
  return {
    model, search,
    templateSum: num(/template ([\d.]+) ms, tuned/), tunedSum: num(/kernel time: template [\d.]+ ms, tuned ([\d.]+) ms/),
    e2eTemplate: num(/median\): template ([\d.]+) ms/), e2eTuned: num(/median\): template [\d.]+ ms, tuned ([\d.]+) ms/),
    fromDb: txt.match(/(\d+ of \d+) kernels from the database/)?.[1] ?? '?',
    e2eStatus: txt.match(/kernels from the database\); (.*)/)?.[1] ?? '?',
    measured: search_.length, failed: search_.filter((r) => r.status !== 'ok').length,
    pairs: records.filter((r) => r.paired).length / 2,
    first: curve[0] ?? null, last: curve.at(-1) ?? null,
    trials: search_.length, half: at(Math.floor(search_.length / 2)), curve,
    wall: num(/# (\d+) s wall/), loadBefore: loads?.[1].trim(), loadAfter: loads?.[2].trim(),
  };
}

const esc = (s) => String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);

function svg(args, rows) {
  const models = args.models.filter((m) => rows.some((r) => r.model === m));
  const W = 980, panelW = 380, panelH = 220, top = 60, rowH = panelH + 80;
  const H = top + models.length * rowH + 30;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">Best estimated model time (sum of calls x kernel time) by search, seed ${args.seed}</text>`,
    `<text x="12" y="40" fill="#555">kiln-tune --target=cpu --device=native --threads=1 --workers=2, each from an empty database; lower is better</text>`];
  models.forEach((m, mi) => {
    const runs = rows.filter((r) => r.model === m && r.curve.length);
    const all = runs.flatMap((r) => r.curve);
    const ymin = Math.min(...all.map((p) => p.ms)) * 0.98, ymax = Math.max(...all.map((p) => p.ms)) * 1.02;
    [['trials', 'trials'], ['seconds', 'wall seconds']].forEach(([key, label], pi) => {
      const x0 = 80 + pi * (panelW + 110), y0 = top + mi * rowH + 20;
      const xmax = Math.max(1, ...all.map((p) => p[key]));
      const px = (v) => x0 + (panelW * v) / xmax, py = (v) => y0 + panelH - (panelH * (v - ymin)) / (ymax - ymin || 1);
      out.push(`<text x="${x0}" y="${y0 - 6}" font-size="13">${esc(MODELS[m].title)}, ${runs[0].trials} trials: against ${label}</text>`);
      out.push(`<rect x="${x0}" y="${y0}" width="${panelW}" height="${panelH}" fill="none" stroke="#444"/>`);
      for (let i = 0; i <= 4; ++i) {
        const xv = (xmax * i) / 4, yv = ymin + ((ymax - ymin) * i) / 4;
        out.push(`<text x="${px(xv)}" y="${y0 + panelH + 14}" text-anchor="middle">${xv.toFixed(0)}</text>`,
          `<text x="${x0 - 4}" y="${py(yv) + 4}" text-anchor="end">${yv.toFixed(3)}</text>`,
          `<line x1="${x0}" x2="${x0 + panelW}" y1="${py(yv)}" y2="${py(yv)}" stroke="#eee"/>`);
      }
      out.push(`<text x="${x0 + panelW / 2}" y="${y0 + panelH + 30}" text-anchor="middle">${label}</text>`,
        `<text x="${x0 - 60}" y="${y0 + panelH / 2}" transform="rotate(-90 ${x0 - 60} ${y0 + panelH / 2})" text-anchor="middle">ms</text>`);
      for (const r of runs) {
        // A step line: the estimate holds until the next batch improves it.
        const pts = [];
        r.curve.forEach((p, i) => {
          if (i) pts.push(`${px(p[key]).toFixed(1)},${py(r.curve[i - 1].ms).toFixed(1)}`);
          pts.push(`${px(p[key]).toFixed(1)},${py(p.ms).toFixed(1)}`);
        });
        out.push(`<polyline fill="none" stroke="${COLOURS[r.search]}" stroke-width="2" points="${pts.join(' ')}"/>`);
      }
    });
  });
  args.searches.forEach((s, i) => out.push(`<rect x="${80 + i * 120}" y="${H - 22}" width="14" height="4" fill="${COLOURS[s]}"/>`,
    `<text x="${100 + i * 120}" y="${H - 16}">${s}</text>`));
  out.push('</svg>');
  return out.join('\n');
}

function table(args, rows) {
  const f = (v, d = 3) => (v == null ? '-' : v.toFixed(d));
  const x = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : '-');
  const lines = ['| model | search | trials | estimated model time: first point -> half the trials -> the end | ' +
    'kernel sum template -> tuned (paired) | model end to end template -> tuned | kernels from the DB | measured (failed) | pairs | wall | load before / after |',
  '|---|---|---|---|---|---|---|---|---|---|---|'];
  for (const r of rows)
    lines.push(`| ${MODELS[r.model].title} | ${r.search} | ${r.trials} | ${f(r.first?.ms)} -> ${f(r.half)} -> ${f(r.last?.ms)} ms | ` +
      `${f(r.templateSum)} -> ${f(r.tunedSum)} ms (${x(r.templateSum, r.tunedSum)}) | ${f(r.e2eTemplate)} -> ${f(r.e2eTuned)} ms ` +
      `(${x(r.e2eTemplate, r.e2eTuned)})${r.e2eStatus === 'ok' ? '' : ` ${esc(r.e2eStatus)}`} | ${r.fromDb} | ${r.measured} (${r.failed}) | ` +
      `${r.pairs} | ${r.wall ?? '-'} s | ${r.loadBefore ?? '?'} / ${r.loadAfter ?? '?'} |`);
  return lines.join('\n');
}

function render(args) {
  const rows = [];
  for (const m of args.models) for (const s of args.searches) {
    const r = summarise(args, m, s);
    if (r) rows.push(r);
  }
  if (!rows.length) throw new Error(`no finished run in ${args.out}`);
  const picture = svg(args, rows);
  fs.writeFileSync(path.join(args.out, 'search.svg'), picture);
  execFileSync('rsvg-convert', ['-o', path.join(args.out, 'search.png'), path.join(args.out, 'search.svg')]);
  fs.writeFileSync(path.join(args.out, 'search.json'), JSON.stringify({
    seed: args.seed, machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model },
    runs: rows.map(({ curve, ...r }) => ({ ...r, curve: curve.map((p) => [p.trials, p.seconds, p.ms]) })),
  }, null, 1) + '\n');
  fs.writeFileSync(path.join(args.out, 'search.md'), table(args, rows) + '\n');
  console.log(table(args, rows));
}

const args = parseArgs(process.argv.slice(2));
fs.mkdirSync(args.out, { recursive: true });
if (!args.render)
  args.models.forEach((m, mi) => {
    // Rotate the order per model so that no search always runs first.
    const order = args.searches.map((_, i) => args.searches[(i + mi) % args.searches.length]);
    for (const s of order) tune(args, m, s);
    render(args);
  });
render(args);
