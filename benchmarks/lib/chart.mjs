// The chart of the ratios: an SVG written here, and a PNG of it rendered by
// headless Chromium (a screenshot; no image library needed). One bar per
// model and comparison, the interquartile range as a whisker, parity (1x)
// and the goal (models.mjs GOALS) for the comparison as vertical marks.

import fs from 'node:fs';
import path from 'node:path';

import { launchChromium } from './browser.mjs';
import { CONTENDERS, GOALS } from './models.mjs';

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

function bars(results) {
  const out = [];
  for (const m of results.models)
    for (const c of m.comparisons) {
      const goal = GOALS.find((g) => g.model === m.key && g.peer === c.peer && (g.kiln ?? CONTENDERS[g.peer].kiln) === c.kiln)?.min ?? null;
      const kiln = c.kiln.endsWith('-relaxed') ? `Kiln relaxed SIMD${c.kiln.includes('-node') ? ' (flag)' : ''}` : 'Kiln';
      out.push({ label: `${m.title}: ${CONTENDERS[c.peer].label} / ${kiln}`, ratio: c.ratio, goal });
    }
  return out;
}

export function chartSvg(results) {
  const items = bars(results);
  const left = 430;
  const width = 980;
  const rowH = 26;
  const top = 56;
  const height = top + Math.max(1, items.length) * rowH + 40;
  // Room for the largest ratio and goal; whiskers beyond the axis are cut.
  const maxR = Math.ceil(Math.max(2, ...items.map((b) => Math.max(b.ratio.value, b.goal ?? 0))) * 1.25 * 2) / 2;
  const x = (r) => left + (Math.min(r, maxR) / maxR) * (width - left - 30);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="12" y="22" font-size="16" font-weight="bold">Kiln vs peers: peer time / Kiln time (right of 1x: Kiln faster)</text>`,
    `<text x="12" y="40" fill="#555">${esc(`${results.mode} run, ${results.date.slice(0, 10)}, shared ${results.machine.cores}-core machine; ` +
      'whisker: interquartile range; black tick: issue 8 goal')}</text>`,
  ];
  for (let t = 0; t <= maxR + 1e-9; t += 0.5)
    parts.push(`<line x1="${x(t)}" y1="${top - 6}" x2="${x(t)}" y2="${height - 30}" stroke="${t === 1 ? '#333' : '#ddd'}" ` +
      `stroke-width="${t === 1 ? 1.5 : 1}"/>`, `<text x="${x(t)}" y="${height - 14}" text-anchor="middle">${t}x</text>`);
  items.forEach((b, i) => {
    const y = top + i * rowH;
    const color = b.goal ? (b.ratio.value >= b.goal ? '#2e7d32' : b.ratio.value >= 1 ? '#f9a825' : '#c62828')
      : b.ratio.value >= 1 ? '#2e7d32' : '#c62828';
    parts.push(`<text x="${left - 8}" y="${y + 16}" text-anchor="end">${esc(b.label)}</text>`,
      `<rect x="${left}" y="${y + 5}" width="${Math.max(1, x(b.ratio.value) - left)}" height="${rowH - 10}" fill="${color}"/>`,
      `<line x1="${x(b.ratio.low)}" y1="${y + rowH / 2}" x2="${x(b.ratio.high)}" y2="${y + rowH / 2}" stroke="#222"/>`,
      `<text x="${x(Math.max(b.ratio.value, b.goal ?? 0)) + 6}" y="${y + 17}" font-size="11" fill="#222">` +
        `${b.ratio.value.toFixed(2)}x</text>`);
    if (b.goal) parts.push(`<line x1="${x(b.goal)}" y1="${y + 2}" x2="${x(b.goal)}" y2="${y + rowH - 2}" stroke="black" stroke-width="3"/>`);
  });
  if (!items.length) parts.push(`<text x="${left}" y="${top + 16}">no comparison was measured</text>`);
  parts.push('</svg>');
  return { svg: parts.join('\n'), width, height };
}

/**
 * Writes ratios.svg, and ratios.png when `withBrowser` (headless Chromium).
 * Returns {files, note} (note: why there is no PNG).
 */
export async function writeChart(results, outDir, withBrowser) {
  const { svg, width, height } = chartSvg(results);
  const svgFile = path.join(outDir, 'ratios.svg');
  fs.writeFileSync(svgFile, svg);
  const files = [svgFile];
  if (!withBrowser) return { files, note: 'no PNG: Chromium not available or --no-browser (see ratios.svg)' };
  const { context, dispose } = await launchChromium({ viewport: { width, height } });
  try {
    const page = await context.newPage();
    await page.setContent(`<html><body style="margin:0">${svg}</body></html>`);
    const png = path.join(outDir, 'ratios.png');
    await page.locator('svg').screenshot({ path: png });
    files.push(png);
  } finally {
    await dispose();
  }
  return { files, note: null };
}
