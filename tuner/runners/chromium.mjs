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
//
// With `isolated` (kiln-tune --threads=N > 1: the threaded module needs
// shared memory) every response carries ISOLATION, so that the page is
// cross-origin isolated (crossOriginIsolated: SharedArrayBuffer, workers on
// a shared memory), as a page using Kiln's threads must be served
// (examples/web/serve.mjs); openRunnerPage checks that it is. Without it
// the page is served as before (1 thread: not isolated).

import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The browser and its flags, for the tuner and for the tests and the
// benchmark (which import them from here: one definition of the browser
// Kiln drives and of what "missing" means).
export const CHROMIUM = process.env.KILN_CHROMIUM || '/usr/bin/chromium';
const chromium = CHROMIUM;
const depsDir = process.env.KILN_DEPS_DIR || path.join(repoRoot, '.deps');
// Without the networking flags Chromium floods a closed network with retries.
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const FLAGS = CHROMIUM_FLAGS;
/** What makes the page cross-origin isolated (the headers every response carries). */
export const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin' };
const TYPES = { '.wasm': 'application/wasm', '.mjs': 'text/javascript', '.js': 'text/javascript', '.json': 'application/json' };

/** playwright-core from .deps, or null if it is not there. */
export function loadPlaywright() {
  try {
    return createRequire(path.join(depsDir, 'package.json'))('playwright-core');
  } catch {
    return null;
  }
}

/** Why Chromium cannot be driven here (the browser or playwright-core missing), or null. */
export function unavailable() {
  if (!fs.existsSync(chromium)) return `${chromium} is missing (apt-get install chromium)`;
  try {
    createRequire(path.join(depsDir, 'package.json')).resolve('playwright-core');
  } catch {
    return `playwright-core is missing from ${depsDir} (scripts/setup.sh)`;
  }
  return null;
}

function serve(routes, isolated) {
  // KILN_TUNE_TEST_NOT_ISOLATED=1 (test-only, test/e2e/tune.test.mjs):
  // the headers are left out, to check the error of a page that is not
  // isolated.
  const headers = isolated && process.env.KILN_TUNE_TEST_NOT_ISOLATED !== '1' ? ISOLATION : {};
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    if (pathname === '/')
      return res.writeHead(200, { ...headers, 'content-type': 'text/html' })
        .end('<!doctype html><meta charset="utf-8"><script type="module" src="/ready.mjs"></script>');
    if (pathname === '/ready.mjs')
      return res.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end('window.ready = true;');
    const [, m, name, ...rest] = pathname.split('/');
    const root = m === 'm' ? routes[name] : undefined;
    const file = root && path.resolve(root, ...rest);
    // Only files inside the route's directory.
    if (!file || !file.startsWith(path.resolve(root) + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile())
      return res.writeHead(404, headers).end('not found');
    res.writeHead(200, { ...headers, 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' })
      .end(fs.readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

// kiln-tune kills a runner that times out (SIGKILL: it may hang in a
// module), so its close() never runs: each runner's folder (the profile,
// and playwright's artifacts, which playwright would otherwise put in a
// playwright-artifacts-* folder of its own and remove only on close)
// carries its pid, and a runner starting removes the folders of runners
// that are gone.
function removeStaleProfiles() {
  for (const name of fs.readdirSync(os.tmpdir())) {
    const pid = /^kiln-tune-chromium-(\d+)-/.exec(name)?.[1];
    if (pid && !fs.existsSync(`/proc/${pid}`))
      fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

/**
 * Serves `routes` and opens the page in a fresh profile; resolves when it
 * is ready. Returns {page, close, version}: version is the browser's
 * ("156.0.8078.129"; "" if the page cannot tell). With `isolated` the page
 * is served cross-origin isolated, and if it is not (crossOriginIsolated
 * false: no shared memory) the browser is closed and the promise rejects,
 * saying so.
 */
export async function openRunnerPage(routes, { isolated = false } = {}) {
  const why = unavailable();
  // `permanent`: no retry can mend it (wasm_runner.mjs makes it the
  // protocol's "device-error", which stops the tune).
  if (why) throw Object.assign(new Error(`device chromium: ${why}`), { permanent: true });
  const playwright = loadPlaywright();
  const server = await serve(routes, isolated);
  removeStaleProfiles();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `kiln-tune-chromium-${process.pid}-`));
  const profile = path.join(root, 'profile'), artifactsDir = path.join(root, 'artifacts');
  fs.mkdirSync(artifactsDir);
  const context = await playwright.chromium.launchPersistentContext(profile,
    { executablePath: chromium, headless: true, args: FLAGS, artifactsDir });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 30000 });
  // A persistent context has no Browser object to ask. The user agent
  // string is reduced (Chrome/156.0.0.0: minor numbers zeroed); the full
  // version is a high-entropy client hint, which this page (127.0.0.1, a
  // secure context) may ask for.
  const version = await page.evaluate(async () => {
    const hints = await navigator.userAgentData?.getHighEntropyValues(['fullVersionList']).catch(() => null);
    const brand = hints?.fullVersionList?.find((b) => /^(Chromium|Google Chrome|HeadlessChrome)$/.test(b.brand));
    return brand?.version ?? /Chrom(?:e|ium)\/([\d.]+)/.exec(navigator.userAgent)?.[1] ?? '';
  });
  const close = async () => {
    await context.close();
    server.close();
    fs.rmSync(root, { recursive: true, force: true });
  };
  if (isolated && !(await page.evaluate(() => window.crossOriginIsolated && typeof SharedArrayBuffer === 'function'))) {
    await close();
    throw Object.assign(new Error('device chromium: the runner\'s page is not cross-origin isolated ' +
      '(crossOriginIsolated is false), so it has no shared memory for the threaded module: its responses must ' +
      'carry Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp'), { permanent: true });
  }
  return { page, close, version };
}

// The page's CPU clock (KILN_TUNE_CLOCK=cpu, issue 20): a page has no
// process.cpuUsage, so the runner lends it one. The page's script runs on
// its renderer's main thread, the thread group leader, whose
// /proc/PID/schedstat starts with the nanoseconds it has spent on a CPU.
// The page reads it through an exposed function between timed groups:
// while it waits for the answer the thread sleeps, so the figure is
// current. The call itself costs the thread about 0.25 ms (measured when
// the clock is lent, and taken off each group by measure.mjs, whose
// CPU-timed groups last 20 ms: what is left is +-0.05 ms, under 0.5%).
// V8's background compiles and the compositor run on other threads and
// are not counted.

function descendants(root) {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const all = [];
  for (const queue = [root]; queue.length;)
    for (const pid of children.get(queue.shift()) ?? []) all.push(pid), queue.push(pid);
  return all;
}

// Nanoseconds on a CPU of pid's main thread; NaN once it has exited.
function cpuNs(pid) {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return NaN;
  }
}

/**
 * Lends `page` (opened by this process) a CPU clock, `kilnCpuMs()` (async,
 * milliseconds of its renderer's main thread), and `kilnCpuOverheadMs`, what
 * one reading costs; returns {pid, overheadMs}. Finds that thread among the
 * renderers this process started by keeping the page busy for 200 ms.
 * Throws, naming what each renderer ran, where none stands out.
 */
export async function lendCpuClock(page) {
  const renderers = descendants(process.pid).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer');
    } catch {
      return false;
    }
  });
  // On a busy machine the spin gets less than its 200 ms of CPU, and a
  // fresh browser's other renderer (its first, blank page) keeps working
  // for a second or so whether the page spins or not (measured: 20-140 ms
  // in 200 ms idle): each try is 200 ms idle, then 200 ms of spin, and the
  // page's thread is the one whose spin adds far more than any other's.
  let busy = [];
  for (let attempt = 0; attempt < 5; ++attempt) {
    const sample = () => new Map(renderers.map((pid) => [pid, cpuNs(pid)]));
    const idle0 = sample();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const idle1 = sample();
    await page.evaluate(() => {
      for (const until = performance.now() + 200; performance.now() < until;);
    });
    const spin1 = sample();
    busy = renderers.map((pid) => ({
      pid, busy: Math.max(0, (spin1.get(pid) - idle1.get(pid)) - (idle1.get(pid) - idle0.get(pid))) / 1e6,
    })).filter((b) => Number.isFinite(b.busy)).sort((a, b) => b.busy - a.busy);
    const [best, next] = busy;
    if (best && best.busy >= 20 && !(next && next.busy * 4 > best.busy)) {
      await page.exposeFunction('kilnCpuMs', () => {
        const ns = cpuNs(best.pid);
        if (Number.isNaN(ns)) throw new Error(`the page's renderer ${best.pid} is gone`);
        return ns / 1e6;
      });
      // What one reading costs the page's thread (0.25 ms here, p10-p90
      // 0.23-0.33: the call out and its answer's evaluation): the median of
      // 31, which measure.mjs takes off each timed group.
      return { pid: best.pid, overheadMs: await page.evaluate(async () => {
        const gaps = [];
        for (let i = 0, last = await kilnCpuMs(); i < 31; ++i) {
          const t = await kilnCpuMs();
          gaps.push(t - last);
          last = t;
        }
        globalThis.kilnCpuOverheadMs = gaps.sort((a, b) => a - b)[15];
        return globalThis.kilnCpuOverheadMs;
      }) };
    }
  }
  throw new Error(`device chromium: no one renderer thread ran the page's 200 ms spin ` +
    `(${busy.map((b) => `${b.pid}: ${b.busy.toFixed(0)} ms`).join(', ') || 'no renderer found'}): ` +
    'no CPU clock for it (KILN_TUNE_CLOCK=wall times it by wall clock)');
}
