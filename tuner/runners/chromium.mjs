// The page the WASM runner measures in with --device=chromium: one
// long-lived headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core from .deps; never a downloaded browser; the flags of
// docs/TRAPS.md W1) on one page served from 127.0.0.1. The tuner owns this
// module so that it depends on nothing under test/ (the browser tests keep
// their own page, test/web/chromium.mjs, with its security policies).
//
// Routes: /m/NAME/... serves the files of routes[NAME] (a directory; the
// runner adds one per candidate and removes it when forgotten); / is an
// empty page whose only script, /ready.mjs, marks it ready.

import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const chromium = process.env.KILN_CHROMIUM || '/usr/bin/chromium';
const depsDir = process.env.KILN_DEPS_DIR || path.join(repoRoot, '.deps');
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TYPES = { '.wasm': 'application/wasm', '.mjs': 'text/javascript', '.js': 'text/javascript', '.json': 'application/json' };

/** Why the page cannot be opened here, or null. */
export function unavailable() {
  if (!fs.existsSync(chromium)) return `${chromium} is missing (apt-get install chromium)`;
  try {
    createRequire(path.join(depsDir, 'package.json')).resolve('playwright-core');
  } catch {
    return `playwright-core is missing from ${depsDir} (scripts/setup.sh)`;
  }
  return null;
}

function serve(routes) {
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    if (pathname === '/')
      return res.writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><meta charset="utf-8"><script type="module" src="/ready.mjs"></script>');
    if (pathname === '/ready.mjs') return res.writeHead(200, { 'content-type': 'text/javascript' }).end('window.ready = true;');
    const [, m, name, ...rest] = pathname.split('/');
    const root = m === 'm' ? routes[name] : undefined;
    const file = root && path.resolve(root, ...rest);
    // Only files inside the route's directory.
    if (!file || !file.startsWith(path.resolve(root) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile())
      return res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/**
 * Serves `routes` and opens the page in a fresh profile; resolves when it
 * is ready. Returns {page, close}.
 */
export async function openRunnerPage(routes) {
  const why = unavailable();
  if (why) throw new Error(`device chromium: ${why}`);
  const playwright = createRequire(path.join(depsDir, 'package.json'))('playwright-core');
  const server = await serve(routes);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kiln-tune-chromium-'));
  const context = await playwright.chromium.launchPersistentContext(profile, { executablePath: chromium, headless: true, args: FLAGS });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
  const close = async () => {
    await context.close();
    server.close();
    fs.rmSync(profile, { recursive: true, force: true });
  };
  return { page, close };
}
