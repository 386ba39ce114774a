// The results as people read them: fractions of peak and the goals (issues
// 8 and 20; finalize), then the Markdown file.

import { CONTENDERS, GOALS, MODELS, SIZE_GOAL } from './models.mjs';

// The 2-thread peak is twice the 1-thread one (two cores, each its own FMA
// units): on a shared machine the 2-thread loop seldom gets both cores
// undisturbed, so its measurement (reported beside) runs low.
function peakFor(id, peaks) {
  const spec = CONTENDERS[id];
  // The mul+add peak is no bound for relaxed_madd (one FMA): no fraction.
  if (id.endsWith('-relaxed')) return null;
  if (spec.group === 'native') return peaks.native[1] ? peaks.native[1] * spec.threads : null;
  return (spec.group === 'wasm-node' ? peaks.wasmNode : peaks.wasmChromium) ?? null;
}

/** Adds what depends on the run's final peaks, and the goals. */
export function finalize(results) {
  for (const m of results.models) {
    for (const [id, c] of Object.entries(m.contenders)) {
      const peak = peakFor(id, results.peaks);
      c.peakFraction = peak ? c.gflops / peak : null;
    }
    const peak1 = results.peaks.native[1];
    for (const row of m.kernels?.rows ?? []) {
      row.peakFraction = row.gflops !== null && peak1 ? row.gflops / peak1 : null;
      // The time above what this call would take at the FMA peak.
      row.lostUs = peak1 ? row.us - (row.mflop * 1e6) / peak1 / 1e3 : null;
    }
  }
  results.goals = evaluateGoals(results);
}

function evaluateGoals(results) {
  const goals = [];
  for (const g of GOALS) {
    const m = results.models.find((x) => x.key === g.model);
    if (!m) continue; // a model left out of this run (--models, --smoke)
    const kiln = g.kiln ?? CONTENDERS[g.peer].kiln;
    const text = `${MODELS.find((x) => x.key === g.model).title}: ${CONTENDERS[g.peer].label} / ${CONTENDERS[kiln].label} >= ${g.min}`;
    const cmp = m?.comparisons.find((c) => c.peer === g.peer && c.kiln === kiln);
    if (!cmp) {
      const why = m.skipped ? `skipped: ${m.skipped.split(':')[0]}`
        : g.peer.startsWith('tfjs') && !m.tfjs ? 'no TF.js model of it exists'
        : g.peer.startsWith('ort') && !m.onnx ? 'no ONNX model of it exists' : 'not measured';
      goals.push({ ...g, text, status: 'n/a', why });
      continue;
    }
    const r = cmp.ratio.value;
    const peer = m.contenders[g.peer].stats.median;
    // A row behind a flag (Node 20's relaxed SIMD) is shown, never counted.
    const status = r >= g.min ? (g.flag ? 'met with the flag' : 'met') : 'short';
    goals.push({ ...g, text, ratio: r, status,
      // How much faster Kiln must get, and the time that would take.
      speedupNeeded: r >= g.min ? null : g.min / r, targetMs: peer / g.min, kilnMs: m.contenders[cmp.kiln].stats.median,
      // What the goal's time would take of the machine: the model's FLOPs at
      // that time against the peak of Kiln's setting (null: no bound known).
      targetPeakFraction: (() => {
        const peak = peakFor(cmp.kiln, results.peaks);
        return peak && m.flops.used ? m.flops.used / (peer / g.min) / 1e6 / peak : null;
      })() });
  }
  const m = results.models.find((x) => x.key === SIZE_GOAL.model);
  if (!m) return goals;
  const size = m.sizes?.kilnWasm?.codeAndJs.raw;
  goals.push({ model: SIZE_GOAL.model, maxBytes: SIZE_GOAL.maxBytes, text: `MobileNetV2 WASM code + JS, raw, weights apart < ${SIZE_GOAL.maxBytes / 1024} KB`,
    bytes: size ?? null, status: size === undefined ? 'n/a' : size < SIZE_GOAL.maxBytes ? 'met' : 'short',
    why: size === undefined ? 'not measured' : undefined });
  return goals;
}

const ms = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const pct = (x) => (x === null || x === undefined ? '-' : `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`);
const kb = (b) => (b === null || b === undefined ? '-' : b >= 1e6 ? `${(b / 1e6).toFixed(2)} MB` : `${(b / 1024).toFixed(1)} KB`);
const x2 = (r) => (r ? `${r.value.toFixed(2)}x (${r.low.toFixed(2)}-${r.high.toFixed(2)}; min ${r.ofMinimums.toFixed(2)}x)` : '-');
const row = (cells) => `| ${cells.join(' | ')} |`;
const header = (cells) => `${row(cells)}\n${row(cells.map(() => '---'))}`;

// [column, peer, Kiln contender (default: the peer's `kiln`)].
const SCENARIOS = [
  ['native 1T vs ORT', 'ort-node-1t'],
  ['native 2T vs ORT', 'ort-node-2t'],
  ['WASM Node vs ORT-web', 'ort-web-node'],
  ['WASM Node vs TF.js', 'tfjs-wasm-node'],
  ['Chromium vs TF.js', 'tfjs-wasm-chromium'],
  ['relaxed SIMD: Node (flag) vs ORT-web', 'ort-web-node', 'kiln-wasm-node-relaxed'],
  ['relaxed SIMD: Node (flag) vs TF.js', 'tfjs-wasm-node', 'kiln-wasm-node-relaxed'],
  ['relaxed SIMD: Chromium vs TF.js', 'tfjs-wasm-chromium', 'kiln-wasm-chromium-relaxed'],
];
const comparison = (m, peer, kiln = CONTENDERS[peer].kiln) => m.comparisons.find((c) => c.peer === peer && c.kiln === kiln);

function summary(results) {
  const lines = ['## Ratios: peer time / Kiln time (above 1: Kiln is faster)', '',
    'Ratio of the medians; in brackets the range from the interquartile ranges (peer p25 / Kiln p75 to peer p75 / Kiln p25) ' +
      'and the ratio of the fastest runs (the least disturbed by other load). "relaxed SIMD": Kiln\'s module from a ' +
      '`kilnc --relaxed-simd` build (f32x4.relaxed_madd, one FMA on this CPU), in the same rounds; Chromium runs it as ' +
      'shipped, Node 20 only with --experimental-wasm-relaxed-simd (so that column counts for no goal). The peers have no ' +
      'relaxed SIMD build.', '',
    header(['model', ...SCENARIOS.map(([s]) => s)])];
  for (const m of results.models) {
    if (m.skipped) {
      lines.push(row([m.title, `skipped: ${m.skipped}`, ...SCENARIOS.slice(1).map(() => '')]));
      continue;
    }
    lines.push(row([m.title, ...SCENARIOS.map(([, peer, kiln]) => x2(comparison(m, peer, kiln)?.ratio))]));
  }
  return lines.join('\n');
}

function goalsTable(results) {
  if (!results.goals.length) return '## Issue 8 goals\n\nNone of their models was in this run.';
  const lines = ['## Issue 8 goals', '',
    '"Of the peak": the model\'s FLOPs at the goal\'s time against the peak of Kiln\'s setting (native: the FMA peak ' +
      'times the threads; WASM: the f32x4 mul+add peak), where the convolutions and matrix products alone would have to run.', '',
    header(['goal', 'measured', 'status'])];
  for (const g of results.goals) {
    let measured = '-';
    let status = g.status;
    if (g.bytes !== undefined && g.bytes !== null) measured = `${g.bytes} bytes (${kb(g.bytes)})`;
    if (g.ratio !== undefined) measured = `${g.ratio.toFixed(2)}x (Kiln ${ms(g.kilnMs)} ms)`;
    if (g.status === 'short' && g.speedupNeeded)
      status = `**short**: Kiln needs ${g.speedupNeeded.toFixed(2)}x (to ${ms(g.targetMs)} ms` +
        `${g.targetPeakFraction ? `: ${pct(g.targetPeakFraction)} of the peak` : ''})`;
    if (g.status === 'short' && g.bytes) status = `**short** by ${kb(g.bytes - g.maxBytes)}`;
    if (g.status === 'n/a') status = `n/a: ${g.why}`;
    if (g.flag) status += ' (Node 20 runs relaxed SIMD only with --experimental-wasm-relaxed-simd: not counted)';
    lines.push(row([g.text, measured, status]));
  }
  return lines.join('\n');
}

function modelSection(m, results) {
  const lines = [`### ${m.title}`, ''];
  if (m.skipped) return [...lines, `Skipped: ${m.skipped}`, ''].join('\n');
  const src = m.onnx ? 'ONNX' : 'TF.js model.json';
  const flops = m.flops.used ? `${(m.flops.used / 1e9).toFixed(3)} GFLOP per inference (conv/matmul MACs x2; ` +
    `ONNX counter ${m.flops.onnx ? (m.flops.onnx / 1e6).toFixed(2) + ' M' : '-'}, kernel IR ${(m.flops.kernels / 1e6).toFixed(2)} M)` : '';
  lines.push(`Kiln compiles the ${src} file. ${flops}.`);
  for (const n of m.notes) lines.push(`Note: ${n}.`);
  for (const e of m.errors) lines.push(`**Error**: ${e}`);
  lines.push('', header(['contender', 'median ms', 'p25-p75', 'min-max', 'runs', 'GFLOP/s', '% of peak', 'peak RSS']));
  for (const [id, c] of Object.entries(m.contenders)) {
    const s = c.stats;
    const rss = c.rssKB ? (c.baseRssKB ? `${kb(c.rssKB * 1024)} (${kb((c.rssKB - c.baseRssKB) * 1024)} over Node)` : kb(c.rssKB * 1024)) : '-';
    lines.push(row([c.label, ms(s.median), `${ms(s.p25)}-${ms(s.p75)}`, `${ms(s.min)}-${ms(s.max)}`, s.n,
      c.gflops.toFixed(1), pct(c.peakFraction), rss]));
  }
  const c = m.compile;
  if (c.cpu) lines.push('', `Kiln compile: CPU ${c.cpu.wallS.toFixed(1)} s wall (${(c.cpu.userS + c.cpu.sysS).toFixed(1)} s CPU, ` +
    `${kb(c.cpu.peakKB * 1024)} peak), WASM ${c.wasm.wallS.toFixed(1)} s wall (${(c.wasm.userS + c.wasm.sysS).toFixed(1)} s CPU, ${c.wasm.tool}).`);
  const s = m.sizes;
  if (s.kilnWasm) {
    lines.push('', header(['ships (WASM)', 'code (.wasm)', 'JS', 'code + JS raw', 'code + JS gzip', 'model/weights raw']));
    const sizeRow = (label, z) => row([label, `${kb(z.wasm.raw)} / ${kb(z.wasm.gzip)}`, `${kb(z.js.raw)} / ${kb(z.js.gzip)}`,
      kb(z.codeAndJs.raw), kb(z.codeAndJs.gzip), kb(z.weights.raw)]);
    lines.push(sizeRow('Kiln', s.kilnWasm));
    if (s.ortWeb) lines.push(sizeRow('ONNX Runtime Web', s.ortWeb));
    if (s.tfjs) lines.push(sizeRow('TF.js (core + wasm backend + converter)', s.tfjs));
  }
  if (s.native) lines.push('', `Native: Kiln's code (kernels, host, runtime; text + data) ${kb(s.native.kilnCode)}, weights ` +
    `${kb(s.native.kilnWeights)}, arena ${kb(s.native.kilnArena)}; onnxruntime-node's libraries ${kb(s.native.ortLibraries)}.`);
  return [...lines, ''].join('\n');
}

function kernelSection(m, results) {
  const k = m.kernels;
  if (!k?.rows) return '';
  const peak = results.peaks.native[1];
  const lines = [`## Per-kernel breakdown: ${m.title} (Kiln native, 1 thread)`, '',
    `Each kernel call timed through linker wrappers (median per call over ${k.runs} runs). The per-call medians add up to ` +
    `${ms(k.kernelsMs)} ms, against a median whole run of ${ms(k.wholeMs)} ms in the same process: the gap is mostly ` +
    `other load landing in whole runs (per-call medians filter it out), plus the host's own work between calls. "% of peak" is against the 1-thread FMA peak ` +
    `(${peak.toFixed(0)} GFLOP/s); "lost" is the time above what the call would take at that peak. ` +
    (k.callgrind ? `Ir: callgrind's instruction count per call on an AVX2 build (valgrind cannot run AVX-512), ` +
      `load-independent; its share is of the whole run's ${(k.callgrind.totalIr / 1e6).toFixed(0)} M.`
      : `callgrind: ${k.callgrindNote}.`), ''];
  // By pattern first: where the time goes.
  const byPattern = new Map();
  for (const r of k.rows) {
    const p = byPattern.get(r.pattern) ?? { calls: 0, us: 0, mflop: 0, lostUs: 0 };
    p.calls++;
    p.us += r.us;
    p.mflop += r.mflop;
    p.lostUs += r.lostUs ?? 0;
    byPattern.set(r.pattern, p);
  }
  lines.push(header(['pattern', 'calls', 'time ms', 'share', 'GFLOP/s', '% of peak', 'lost ms']));
  for (const [p, v] of [...byPattern].sort((a, b) => b[1].us - a[1].us))
    lines.push(row([p, v.calls, ms(v.us / 1e3), pct(v.us / k.rows.reduce((a, r) => a + r.us, 0)),
      v.mflop ? ((v.mflop / v.us) * 1e3).toFixed(1) : '-', v.mflop ? pct(((v.mflop / v.us) * 1e3) / peak) : '-', ms(v.lostUs / 1e3)]));
  lines.push('', 'Every call, in run order:', '',
    header(['#', 'kernel', 'fn', 'pattern', 'ops', 'output', 'MFLOP', 'us', 'share', 'GFLOP/s', '% of peak', 'lost us', 'Ir (M)', 'Ir share']));
  for (const r of k.rows)
    lines.push(row([r.call, r.label, `k${r.function}`, r.pattern, r.ops, r.output, r.mflop.toFixed(1), r.us.toFixed(0),
      pct(r.share), r.gflops === null ? '-' : r.gflops.toFixed(1), pct(r.peakFraction), r.lostUs === null ? '-' : r.lostUs.toFixed(0),
      r.irPerCall === null ? '-' : (r.irPerCall / 1e6).toFixed(2), pct(r.irShare)]));
  const worst = [...k.rows].sort((a, b) => (b.lostUs ?? 0) - (a.lostUs ?? 0)).slice(0, 8);
  lines.push('', 'The calls that lose most (time above peak): ' +
    worst.map((r) => `${r.label} (${r.pattern}, ${r.output}: ${r.lostUs.toFixed(0)} us, ${pct(r.peakFraction)} of peak)`).join('; ') + '.');
  return [...lines, ''].join('\n');
}

/** The Markdown file. `chart`: {files, note}. */
export function writeMarkdown(results, chart) {
  const mc = results.machine;
  const p = results.peaks;
  const lines = [
    `# Kiln benchmark results (${results.mode} run)`, '',
    `Reproduce: \`bash scripts/bench.sh\` (builds, then \`node benchmarks/run.mjs\`). This file: \`${results.command}\`, ` +
      `${results.date.slice(0, 16).replace('T', ' ')} UTC, commit ${mc.commit ?? 'unknown'}, ${results.seconds.toFixed(0)} s.`, '',
    `**Timings were taken on a shared machine**: ${mc.cores} cores (${mc.cpu}), ${mc.memoryGiB.toFixed(0)} GiB, with other ` +
      `engineers' builds running (load average ${mc.loadAverageStart.map((x) => x.toFixed(1)).join('/')} at the start, ` +
      `${mc.loadAverageEnd.map((x) => x.toFixed(1)).join('/')} at the end). Absolute times are noisy, 2-thread ones most; ` +
      'the ratios are steadier because runs alternate, and the per-kernel instruction counts (callgrind) do not depend on load.' +
      (Math.min(...mc.loadAverageStart.slice(0, 1), ...mc.loadAverageEnd.slice(0, 1)) > mc.cores - 1
        ? ' With the load above one core, the 2-thread rows measure how each runtime copes with a busy second core ' +
          '(a second thread seldom gets it in time), not 2-core speed.' : ''), '',
    `Method: each contender in its own process (Chromium: one page), warm-up (${results.options.smoke ? '1 run' : 'at least 3 runs and 0.5 s'}), ` +
      `then ${results.options.rounds} rounds in rotating order, each contender running about ${results.options.roundMs} ms per round; ` +
      'times are whole inferences from the caller (inputs in, outputs read back), medians with interquartile ranges. ' +
      'Inputs are fixed pseudo-random data. TF.js runs the TF.js graph models (for BlazeFace: the same network and weights ' +
      'as the ONNX file Kiln compiles); ONNX Runtime the ONNX files. 1 thread everywhere except the 2-thread native rows.', '',
    `Peaks (this run, the best of many 10 ms trials before, between and after the models): native ${p.native[1]?.toFixed(0)} GFLOP/s ` +
      `on 1 thread (${p.isa} FMA loop, benchmarks/native/peak_fma.c; 2 threads: ${p.native[2]?.toFixed(0)} measured, ` +
      `${(2 * p.native[1]).toFixed(0)} = twice the 1-thread peak used for the 2-thread "% of peak"); WASM f32x4 mul+add ` +
      `${p.wasmNode?.toFixed(1)} GFLOP/s in Node ${mc.node}` +
      (p.wasmChromium ? ` and ${p.wasmChromium.toFixed(1)} in Chromium ${results.browser?.version}` : '') +
      ' (benchmarks/wasm/peak_simd.c).' + (results.browser?.skipped ? ` Chromium: skipped (${results.browser.skipped}).` : '') +
      (results.browser?.error ? ` **${results.browser.error}**.` : ''), '',
    chart.files.some((f) => f.endsWith('.png')) ? '![ratios](ratios.png)\n' : chart.note ? `Chart: ${chart.note}\n` : '',
    summary(results), '', goalsTable(results), '', '## Per model', '',
    ...results.models.map((m) => modelSection(m, results)),
    ...results.models.map((m) => kernelSection(m, results)),
  ];
  return `${lines.join('\n').replace(/\n{3,}/g, '\n\n').trim()}\n`;
}
