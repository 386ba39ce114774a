// Evolve against random sampling and grid search, replayed against a table
// (issue 20). A tabular benchmark, as search strategies are commonly
// compared (NAS-Bench-101 and the autotuning literature do the same): a
// pool of each kernel's records is measured once, on the device, and the
// real kiln-tune searches then run against that table (`kiln-tune
// --replay`), each search restricted to the pool, every candidate answered
// from the table. That takes the load of a shared machine out of the
// comparison, so many seeds cost seconds. Its limit: the table is one
// measurement, so a search is judged on finding what the table calls best.
//
//   node benchmarks/tuner/replay.mjs --measure [--pool 300] [--model mobilenetv2] [--kernels ID,...]
//        [--device native|node|chromium]
//        measures the table: results/replay/MODEL.table.jsonl (and .txt: wall, load);
//        another device than native (1 thread) names it MODEL.DEVICE.table.jsonl
//   node benchmarks/tuner/replay.mjs [--seeds 20] [--trials 200]
//        replays evolve, random and grid, writes results/replay/replay.{md,json,svg,png}
//   node benchmarks/tuner/replay.mjs --live [--seeds 3] [--trials 25] [--kernels ID]
//        the same searches measured live on the device (native, 1 thread), the
//        order of the searches rotating per seed; writes results/replay/live.md
//
// Every search counts the template (trial 1), and evolve its autoscheduler
// seeds, against the same budget.

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const build = process.env.KILN_BUILD_DIR ?? path.join(root, 'build');
const MODELS = { mobilenetv2: path.join(build, 'test/models/mobilenetv2.onnx') };
// Kernels with room above their template and a wide spread of times
// (tuning/mobilenetv2.native-*.jsonl's pairs): a 7x7 1x1 conv whose
// template pairs at 1.5x slower than the best found, a 14x14 one at 1.1x,
// and a 28x28 depthwise at 1.07x.
const KERNELS = ['conv1x1 1x7x7x960 -> 1x7x7x160', 'conv1x1 1x14x14x96 -> 1x14x14x576',
  'depthwise 1x28x28x192 -> 1x28x28x192'];
const SEARCHES = ['evolve', 'random', 'grid'];
const COLOURS = { evolve: '#1f5fbf', random: '#d9822b', grid: '#3a9a3a' };
const BUDGETS = [25, 50, 100, 200];
// KILN_TUNE: another kiln-tune (a copy that a rebuild does not replace
// during an hour-long table).
const kilnTune = process.env.KILN_TUNE ?? path.join(build, 'bin/kiln-tune');
// The device's target and the table's name.
const targetOf = (device) => (device === 'native' ? 'cpu' : 'wasm');
const tableName = (a) => path.join(a.out, a.device === 'native' ? `${a.model}.table` : `${a.model}.${a.device}.table`);

function parseArgs(argv) {
  const a = { measure: false, device: 'native', pool: 300, seeds: 20, trials: 200, model: 'mobilenetv2', kernels: KERNELS,
    out: path.join(root, 'benchmarks/tuner/results/replay') };
  for (let i = 0; i < argv.length; ++i) {
    const k = argv[i];
    const v = () => {
      if (i + 1 >= argv.length) throw new Error(`${k} needs a value`);
      return argv[++i];
    };
    if (k === '--measure') a.measure = true;
    else if (k === '--live') a.live = true;
    else if (k === '--pool') a.pool = Number(v());
    else if (k === '--seeds') a.seeds = Number(v());
    else if (k === '--trials') a.trials = Number(v());
    else if (k === '--model') a.model = v();
    else if (k === '--device') a.device = v();
    else if (k === '--kernels') a.kernels = v().split(',');
    else if (k === '--out') a.out = path.resolve(v());
    else throw new Error(`unknown argument '${k}'`);
  }
  if (!MODELS[a.model]) throw new Error(`unknown model '${a.model}' (${Object.keys(MODELS).join(', ')})`);
  if (!['native', 'node', 'chromium'].includes(a.device)) throw new Error(`unknown device '${a.device}' (native, node, chromium)`);
  for (const n of ['pool', 'seeds', 'trials']) if (!(a[n] > 0)) throw new Error(`--${n} must be a positive number`);
  return a;
}

const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

// The model's tasks: identity, calls and summary, by `kiln-tune tasks`.
function tasks(model, device) {
  const out = execFileSync(kilnTune, ['tasks', MODELS[model], `--target=${targetOf(device)}`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const [identity, calls, ...rest] = l.split(' ');
    const summary = rest.slice(0, -1).join(' ').replace(/ #kiln.*$/, '');
    return { identity, calls: Number(calls), summary: l.slice(identity.length + calls.length + 2).split(' #kiln')[0] };
  });
}

function chosen(args) {
  const all = tasks(args.model, args.device);
  return args.kernels.map((k) => {
    const t = all.find((x) => x.identity.startsWith(k) || x.summary === k);
    if (!t) throw new Error(`${args.model} has no kernel '${k}'`);
    return t;
  });
}

function measure(args) {
  const ks = chosen(args);
  const base = tableName(args);
  const started = Date.now(), before = load();
  console.log(`${new Date().toISOString()} measuring ${args.pool} records of ${ks.length} kernels (load ${before})`);
  const r = spawnSync('nice', ['-n', '10', kilnTune, MODELS[args.model], `--target=${targetOf(args.device)}`, `--device=${args.device}`,
    '--threads=1', `--db=${base}.jsonl`, `--pool=${args.pool}`, '--workers=2', `--kernels=${ks.map((k) => k.identity).join(',')}`],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  fs.appendFileSync(`${base}.txt`, `${r.stdout}# ${((Date.now() - started) / 1000).toFixed(0)} s wall, ` +
    `${new Date().toISOString()}, load before: ${before}, after: ${load()}\n`);
  if (r.status !== 0) throw new Error(`kiln-tune --pool exited with ${r.status}`);
}

const quantile = (v, q) => {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

function replay(args) {
  const ks = chosen(args);
  const table = `${tableName(args)}.jsonl`;
  const records = fs.readFileSync(table, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-replay-'));
  const kernels = [];
  for (const k of ks) {
    const mine = records.filter((r) => r.kernel === k.identity);
    const ok = mine.filter((r) => r.status === 'ok');
    const best = Math.min(...ok.map((r) => r.median_ms));
    const tmpl = mine[0]; // the pool's first record is the template's
    const runs = [];
    for (let seed = 1; seed <= args.seeds; ++seed)
      for (const search of SEARCHES) {
        // Grid's order does not depend on the seed: one run stands for all.
        if (search === 'grid' && seed > 1) continue;
        const db = path.join(scratch, `${search}.${seed}.jsonl`), tsv = path.join(scratch, `${search}.${seed}.tsv`);
        const r = spawnSync(kilnTune, [MODELS[args.model], `--target=${targetOf(args.device)}`, `--device=${args.device}`, '--threads=1',
          `--db=${db}`, `--replay=${table}`, `--kernels=${k.identity}`, `--trials=${args.trials}`, `--seed=${seed}`,
          `--search=${search}`, '--workers=2', `--curve-data=${tsv}`], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`replay ${search} seed ${seed}: ${r.stderr.split('\n').slice(-5).join('\n')}`);
        // The best found after each trial (the curve is per batch: a step function).
        const curve = fs.readFileSync(tsv, 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))
          .map((l) => l.split('\t').map(Number));
        const bestAt = [];
        for (let n = 1; n <= args.trials; ++n) {
          let b = null;
          for (const [trials, , ms] of curve) if (trials <= n) b = ms / k.calls;
          bestAt.push(b);
        }
        const reach = bestAt.findIndex((b) => b != null && b <= best * 1.02);
        const failed = fs.readFileSync(db, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
          .filter((x) => !x.paired && x.status !== 'ok').length;
        runs.push({ seed, search, bestAt, reach: reach < 0 ? null : reach + 1, failed });
      }
    kernels.push({ ...k, poolSize: mine.length, poolOk: ok.length, tableBest: best, template: tmpl.median_ms, runs });
    console.log(`${k.summary}: ${mine.length} records, best ${best.toFixed(4)} ms, template ${tmpl.median_ms.toFixed(4)} ms`);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  return kernels;
}

function summary(k, search, n) {
  const rs = k.runs.filter((r) => r.search === search);
  const ratios = rs.map((r) => r.bestAt[n - 1] / k.tableBest);
  const reached = rs.filter((r) => r.reach != null && r.reach <= n);
  return { median: quantile(ratios, 0.5), p10: quantile(ratios, 0.1), p90: quantile(ratios, 0.9),
    worst: Math.max(...ratios), reached: reached.length, of: rs.length };
}

function markdown(args, kernels, meta) {
  const budgets = BUDGETS.filter((b) => b <= args.trials);
  const lines = [`Replay of ${args.seeds} seeds per search against ${args.model}'s ${args.device} table (\`replay.mjs\`; ${meta}).`,
    'Each cell: the best time found after that many trials over the table\'s best, median over the seeds ' +
    '[p10-p90]; then how many seeds came within 2% of the table\'s best by then. Grid\'s order does not ' +
    'depend on the seed: it is one run.', ''];
  for (const k of kernels) {
    lines.push(`### ${k.summary}`, '', `${k.poolSize} records (${k.poolOk} ok), table best ${k.tableBest.toFixed(4)} ms, ` +
      `template ${k.template.toFixed(4)} ms (${(k.template / k.tableBest).toFixed(2)}x the best)`, '',
    `| search | ${budgets.map((b) => `${b} trials`).join(' | ')} | trials to within 2% (median; seeds that got there) |`,
    `|---|${budgets.map(() => '---').join('|')}|---|`);
    for (const s of SEARCHES) {
      const cells = budgets.map((b) => {
        const m = summary(k, s, b);
        return `${m.median.toFixed(3)} [${m.p10.toFixed(3)}-${m.p90.toFixed(3)}]; ${m.reached}/${m.of}`;
      });
      const reach = k.runs.filter((r) => r.search === s).map((r) => r.reach ?? Infinity);
      const med = quantile(reach, 0.5);
      lines.push(`| ${s} | ${cells.join(' | ')} | ${med === Infinity ? `> ${args.trials}` : med}; ` +
        `${reach.filter((x) => x !== Infinity).length}/${reach.length} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

const esc = (s) => String(s).replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]);

function svg(args, kernels) {
  const panelW = 300, panelH = 200, left = 70, gap = 60, top = 60;
  const W = Math.max(760, left + kernels.length * (panelW + gap)), H = top + panelH + 80;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, sans-serif" font-size="11">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="12" y="22" font-size="15" font-weight="bold">Best found / table's best against trials (lower is better)</text>`,
    `<text x="12" y="40" fill="#555">kiln-tune --replay on ${esc(args.model)}'s measured table (${esc(args.device)}, 1 thread): median of ${args.seeds} seeds, band p10-p90; grid is one run</text>`];
  kernels.forEach((k, ki) => {
    const x0 = left + ki * (panelW + gap), y0 = top;
    const ymax = Math.min(2, Math.max(...SEARCHES.map((s) => summary(k, s, 1).p90))), ymin = 1;
    const px = (n) => x0 + (panelW * n) / args.trials;
    const py = (v) => y0 + panelH - (panelH * (Math.min(v, ymax) - ymin)) / (ymax - ymin || 1);
    out.push(`<text x="${x0}" y="${y0 - 6}" font-size="12">${esc(k.summary)}</text>`,
      `<rect x="${x0}" y="${y0}" width="${panelW}" height="${panelH}" fill="none" stroke="#444"/>`);
    for (let i = 0; i <= 4; ++i) {
      const xv = (args.trials * i) / 4, yv = ymin + ((ymax - ymin) * i) / 4;
      out.push(`<text x="${px(xv)}" y="${y0 + panelH + 14}" text-anchor="middle">${xv}</text>`,
        `<text x="${x0 - 4}" y="${py(yv) + 4}" text-anchor="end">${yv.toFixed(2)}</text>`,
        `<line x1="${x0}" x2="${x0 + panelW}" y1="${py(yv)}" y2="${py(yv)}" stroke="#eee"/>`);
    }
    out.push(`<line x1="${x0}" x2="${x0 + panelW}" y1="${py(1.02)}" y2="${py(1.02)}" stroke="#999" stroke-dasharray="4 3"/>`,
      `<text x="${x0 + panelW / 2}" y="${y0 + panelH + 30}" text-anchor="middle">trials</text>`);
    for (const s of SEARCHES) {
      const ns = Array.from({ length: args.trials }, (_, i) => i + 1).filter((n) => summary(k, s, n).median != null && !Number.isNaN(summary(k, s, n).median));
      const band = [...ns.map((n) => `${px(n).toFixed(1)},${py(summary(k, s, n).p10).toFixed(1)}`),
        ...ns.slice().reverse().map((n) => `${px(n).toFixed(1)},${py(summary(k, s, n).p90).toFixed(1)}`)];
      out.push(`<polygon points="${band.join(' ')}" fill="${COLOURS[s]}" fill-opacity="0.15" stroke="none"/>`,
        `<polyline fill="none" stroke="${COLOURS[s]}" stroke-width="2" points="${ns.map((n) => `${px(n).toFixed(1)},${py(summary(k, s, n).median).toFixed(1)}`).join(' ')}"/>`);
    }
  });
  SEARCHES.forEach((s, i) => out.push(`<rect x="${left + i * 120}" y="${H - 22}" width="14" height="4" fill="${COLOURS[s]}"/>`,
    `<text x="${left + 20 + i * 120}" y="${H - 16}">${s}</text>`));
  out.push(`<text x="${left + 400}" y="${H - 16}" fill="#555">dashed: within 2% of the table's best</text>`, '</svg>');
  return out.join('\n');
}

// Live: each search on the device, from an empty database, the order of
// the searches rotating per seed so that a change of load falls on each in
// turn. The figure is the paired one (the best record timed again beside
// the template at the end of the tune), and the search's own estimate.
function live(args) {
  const ks = chosen(args);
  const lines = [`Live, on the device: ${ks.map((k) => k.summary).join(', ')}, ${args.trials} trials per run, ` +
    `${args.device}, 1 thread, --workers=2, niced, from an empty database each; searches rotating per seed.`, '',
    '| seed | search | template (paired) | best (paired) | speedup | search\'s own estimate | trials | failed | wall | load before / after |',
    '|---|---|---|---|---|---|---|---|---|---|'];
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-live-'));
  for (let seed = 1; seed <= args.seeds; ++seed) {
    const order = SEARCHES.map((_, i) => SEARCHES[(i + seed - 1) % SEARCHES.length]);
    for (const search of order) {
      const db = path.join(scratch, `${search}.${seed}.jsonl`);
      const before = load(), started = Date.now();
      const r = spawnSync('nice', ['-n', '10', kilnTune, MODELS[args.model], `--target=${targetOf(args.device)}`, `--device=${args.device}`,
        '--threads=1', `--db=${db}`, `--kernels=${ks.map((k) => k.identity).join(',')}`, `--trials=${args.trials}`,
        `--seed=${seed}`, `--search=${search}`, '--workers=2'], { encoding: 'utf8' });
      const wall = ((Date.now() - started) / 1000).toFixed(0);
      const row = r.stdout.split('\n').find((l) => /^0 /.test(l)) ?? '';
      const paired = r.stderr.match(/paired task 0 .*template ([\d.]+) ms, best ([\d.]+) ms \(([\d.]+)x; search said ([\d.]+)x\)/);
      const records = fs.existsSync(db) ? fs.readFileSync(db, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
      const failed = records.filter((x) => !x.paired && x.status !== 'ok').length;
      const cells = paired ? [paired[1], paired[2], `${(Number(paired[1]) / Math.min(Number(paired[1]), Number(paired[2]))).toFixed(2)}x`, `${paired[4]}x`]
        : ['-', '-', '1.00x (template kept: best was the template)', row ? `${row.trim().split(/\s+/).slice(-2, -1)[0]}` : '?'];
      lines.push(`| ${seed} | ${search} | ${cells.join(' | ')} | ${records.filter((x) => !x.paired).length} | ${failed} | ${wall} s | ${before} / ${load()} |`);
      console.log(lines.at(-1));
    }
  }
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.writeFileSync(path.join(args.out, args.device === 'native' ? 'live.md' : `live.${args.device}.md`), lines.join('\n') + '\n');
}

const args = parseArgs(process.argv.slice(2));
fs.mkdirSync(args.out, { recursive: true });
if (args.live) {
  live(args);
} else if (args.measure) {
  measure(args);
} else {
  const started = Date.now();
  const kernels = replay(args);
  const meta = `${args.trials} trials, --workers=2, replayed in ${((Date.now() - started) / 1000).toFixed(0)} s`;
  const md = markdown(args, kernels, meta);
  // The native replay keeps its names; another device's sits beside it.
  const stem = path.join(args.out, args.device === 'native' ? 'replay' : `replay.${args.device}`);
  fs.writeFileSync(`${stem}.md`, md + '\n');
  fs.writeFileSync(`${stem}.json`, JSON.stringify({ seeds: args.seeds, trials: args.trials,
    kernels: kernels.map(({ runs, ...k }) => ({ ...k, runs: runs.map(({ bestAt, ...r }) => ({ ...r,
      bestAt: BUDGETS.map((b) => bestAt[b - 1]) })) })) }, null, 1) + '\n');
  fs.writeFileSync(`${stem}.svg`, svg(args, kernels));
  execFileSync('rsvg-convert', ['-o', `${stem}.png`, `${stem}.svg`]);
  console.log(md);
}
