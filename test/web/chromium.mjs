// Headless Chromium for the WASM target's browser tests and the memory soak
// (Debian's /usr/bin/chromium, driven by playwright-core from .deps; never a
// downloaded browser; flags: docs/TRAPS.md W1).
//
// Pages are served from 127.0.0.1 under a strict Content-Security-Policy
// (STRICT_CSP): no inline script, no eval, WebAssembly allowed only by
// 'wasm-unsafe-eval', nothing fetched from elsewhere. The page's script is
// browser_page.mjs, served as /page.mjs; each model's artifact is served at
// /m/NAME/ (with external weights at /e/NAME/) and its inputs at /in/NAME/.
// /nowasm is the same page with a policy that forbids WebAssembly; /isolated
// is the same page cross-origin isolated (Cross-Origin-Opener-Policy and
// -Embedder-Policy), where shared memory and so the threaded modules work.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { setupSkip } from '../e2e/setup_skip.mjs';
import { CHROMIUM, CHROMIUM_FLAGS as FLAGS, loadPlaywright, unavailable } from '../../tuner/runners/chromium.mjs';
import { tempDir } from './common.mjs';

export { CHROMIUM };
const playwright = loadPlaywright();

/** What the Chromium tests need and this machine lacks, or false. */
export const missing = unavailable() || false;

let chromiumSkipped;
/** The `skip` option of tests that drive Chromium (setupSkip; once per file). */
export function chromiumSkip() {
  chromiumSkipped ??= setupSkip(missing);
  return chromiumSkipped;
}

/** What the model pages run under: the strictest policy a WASM app can have. */
export const STRICT_CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; " +
  "require-trusted-types-for 'script'";
/** The same without 'wasm-unsafe-eval': WebAssembly must be refused. */
const NO_WASM_CSP = "default-src 'none'; script-src 'self'; connect-src 'self'";

/** What makes a page cross-origin isolated (crossOriginIsolated: SharedArrayBuffer, threads). */
export const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

const pageScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'browser_page.mjs');
const html = '<!doctype html><meta charset="utf-8"><title>kiln wasm test</title><script type="module" src="/page.mjs"></script>';

/**
 * Serves the pages and `routes` ({m: {NAME: dir}, e: {...}, in: {...}}) on an
 * ephemeral port of 127.0.0.1. Returns {server, origin, requests}: requests
 * lists every path asked for.
 */
export function serve(routes) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    requests.push(url.pathname);
    if (url.pathname === '/' || url.pathname === '/nowasm' || url.pathname === '/isolated')
      return res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': url.pathname === '/nowasm' ? NO_WASM_CSP : STRICT_CSP,
        ...(url.pathname === '/isolated' ? ISOLATION : {}) }).end(html);
    // Everything else may be embedded by an isolated page (same origin).
    const headers = { 'cross-origin-resource-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
    if (url.pathname === '/page.mjs') return res.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(fs.readFileSync(pageScript));
    const [, kind, name, ...rest] = decodeURIComponent(url.pathname).split('/');
    const root = routes[kind]?.[name];
    const file = root && path.join(root, ...rest);
    if (!file || !file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile())
      return res.writeHead(404).end('not found');
    const type = file.endsWith('.wasm') ? 'application/wasm' : file.endsWith('.mjs') ? 'text/javascript'
      : file.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    res.writeHead(200, { ...headers, 'content-type': type }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, requests, origin: `http://127.0.0.1:${server.address().port}` })));
}

/**
 * Launches Chromium with a fresh profile and opens `url` (a page served
 * above); resolves when its script is ready. Returns {context, page, errors,
 * close}: errors collects the page's uncaught errors.
 */
export async function openPage(url) {
  // playwright's artifacts inside it too: a test that fails before close()
  // leaves one folder (kept, as tempDir keeps a failed test's), not also a
  // playwright-artifacts-* one that nothing removes.
  const profile = tempDir('kiln-chromium-profile-');
  const artifactsDir = path.join(profile, 'playwright-artifacts');
  fs.mkdirSync(artifactsDir);
  const context = await playwright.chromium.launchPersistentContext(profile,
    { executablePath: CHROMIUM, headless: true, args: FLAGS, artifactsDir });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
  const close = async () => {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { context, page, errors, close };
}
