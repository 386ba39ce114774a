// Headless Chromium for the benchmark (Debian's /usr/bin/chromium driven by
// playwright-core from .deps; never a downloaded browser): one page, served
// from 127.0.0.1, holding Kiln's modules and TF.js graph models side by side
// (browser/page.mjs). Flags as in docs/TRAPS.md W1: without the networking
// ones Chromium floods a closed network.

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { repoRoot } from '../../test/e2e/common.mjs';
import { CHROMIUM, CHROMIUM_FLAGS as FLAGS, loadPlaywright, unavailable } from '../../tuner/runners/chromium.mjs';
import { tfjsPackages, TFJS_BROWSER_FILES } from './tfjs.mjs';

const benchDir = path.join(repoRoot, 'benchmarks');

// The modules of benchmarks/lib/ that browser/page.mjs imports, served at
// /lib/: one list for every page built on it (this one and
// wasm/threads_peers.mjs's isolated page).
const PAGE_LIBS = ['inputs.mjs', 'wasm_peak.mjs', 'pool_modes.mjs', 'tfjs_runner.mjs'];

/**
 * The files of a benchmark page, for servePage: at / the HTML (TF.js's
 * scripts, then /page.mjs as a module, titled `title`), at /page.mjs the
 * module `pageModule` (relative to benchmarks/), the modules of PAGE_LIBS,
 * and `extra` ([URL path, entry] pairs).
 */
export function pageFiles(title, pageModule, extra = []) {
  const html = `<!doctype html><meta charset="utf-8"><title>${title}</title>
${TFJS_BROWSER_FILES.js.map((f) => `<script src="/tfjs/${f}"></script>`).join('\n')}
<script type="module" src="/page.mjs"></script>`;
  return new Map([
    ['/', { text: html, type: 'text/html' }],
    ['/page.mjs', { file: path.join(benchDir, pageModule) }],
    ...PAGE_LIBS.map((f) => [`/lib/${f}`, { file: path.join(benchDir, 'lib', f) }]),
    ...extra,
  ]);
}

const TYPES = { '.wasm': 'application/wasm', '.mjs': 'text/javascript', '.js': 'text/javascript',
  '.json': 'application/json', '.html': 'text/html' };

/**
 * Serves a benchmark page from 127.0.0.1 on a free port: `files` maps exact
 * URL paths to {file} or {text, type}; `mounts` (URL prefix -> directory,
 * read at each request so that callers can add mounts later) serves the
 * files below each directory and nothing outside it. `headers` go on every
 * answer (e.g. the cross-origin isolation ones). Returns the server and its
 * origin.
 */
export async function servePage(files, mounts, headers = {}) {
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    let entry = files.get(url);
    if (!entry)
      for (const [prefix, dir] of mounts)
        if (url.startsWith(prefix)) {
          const file = path.join(dir, url.slice(prefix.length));
          if (file.startsWith(dir + path.sep) && fs.existsSync(file) && fs.statSync(file).isFile()) entry = { file };
        }
    if (!entry) return res.writeHead(404).end('not found');
    const type = entry.type ?? TYPES[path.extname(entry.file)] ?? 'application/octet-stream';
    res.writeHead(200, { ...headers, 'content-type': type }).end(entry.text ?? fs.readFileSync(entry.file));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/** A persistent Chromium context on a fresh profile: {context, dispose}. */
export async function launchChromium(options = {}) {
  const playwright = loadPlaywright();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-bench-chromium-'));
  try {
    const context = await playwright.chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args: FLAGS, ...options });
    const dispose = async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    };
    return { context, dispose };
  } catch (e) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw e;
  }
}

/** Why Chromium cannot run here, or null. */
export const chromiumMissing = unavailable;

export class BrowserContender {
  constructor(browser, id) {
    this.browser = browser;
    this.id = id;
  }
  async run(n) {
    return this.browser.page.evaluate(([id, count]) => window.bench.run(id, count), [this.id, n]);
  }
  async rss() {
    return null; // the renderer's memory is not the model's
  }
  async close() {
    await this.browser.page.evaluate((id) => window.bench.dispose(id), this.id).catch(() => {});
  }
}

export class Browser {
  /** Serves the page and `peakWasm`, launches Chromium, opens the page. */
  static async launch(peakWasm) {
    const b = new Browser();
    b.mounts = new Map(); // URL prefix -> directory
    b.mounts.set('/tfjs/', tfjsPackages);
    b.files = pageFiles('kiln benchmark', 'browser/page.mjs', [['/peak.wasm', { file: peakWasm }]]);
    ({ server: b.server, origin: b.origin } = await servePage(b.files, b.mounts));
    ({ context: b.context, dispose: b.dispose } = await launchChromium());
    b.page = await b.context.newPage();
    b.errors = [];
    b.page.on('pageerror', (e) => b.errors.push(e.message));
    await b.page.goto(`${b.origin}/`);
    await b.page.waitForFunction(() => window.benchReady === true, null, { timeout: 60000 }).catch(() => {
      throw new Error(`the benchmark page did not start: ${b.errors.join('; ') || 'no error reported'}`);
    });
    return b;
  }

  mount(dir) {
    const prefix = `/m${this.mounts.size}/`;
    this.mounts.set(prefix, path.resolve(dir));
    return prefix.slice(0, -1);
  }

  /**
   * Kiln's module for `name` in `dir` (as compiled for the WASM target);
   * `relaxed`: its relaxed SIMD module (a --relaxed-simd build), checked to run.
   */
  async addKiln(id, dir, name, relaxed = undefined) {
    const url = this.mount(dir);
    const info = await this.page.evaluate(([i, u, n, r]) => window.bench.loadKiln(i, u, n, undefined, r), [id, url, name, relaxed]);
    if (relaxed !== undefined && info.relaxed !== relaxed)
      throw new Error(`Kiln's relaxed SIMD module ${relaxed ? 'did not' : 'did'} run in Chromium: ${JSON.stringify(info)}`);
    return new BrowserContender(this, id);
  }

  /** A TF.js graph model (model.json with its shards beside it). */
  async addTfjs(id, modelJson) {
    const url = `${this.mount(path.dirname(modelJson))}/${path.basename(modelJson)}`;
    const info = await this.page.evaluate(([i, u]) => window.bench.loadTfjs(i, u), [id, url]);
    if (info.backend !== 'wasm' || info.threads) throw new Error(`TF.js in Chromium: unexpected setup ${JSON.stringify(info)}`);
    return new BrowserContender(this, id);
  }

  async peak(ms, trials) {
    return this.page.evaluate(([m, t]) => window.bench.peak(m, t), [ms, trials]);
  }

  async version() {
    return this.context.browser()?.version() ?? (await this.page.evaluate(() => navigator.userAgent));
  }

  async close() {
    await this.dispose?.();
    this.server?.close();
  }
}
