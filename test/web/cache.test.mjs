// The compile cache shared by the web test files (common.mjs, cached): node
// --test runs two files at a time, and a rebuilt kilnc or another checkout
// gives another key for the same label. A process that produces or uses an
// entry must never remove one that a live process still uses (browser.test
// serves its modules' files per request: a removed entry made Chromium fail
// to fetch a loader), an entry no live process uses goes when its label is
// next used, and two processes wanting the same entry produce it once.
// Each check runs child processes on a private cache (TMPDIR), with a
// produce function that writes a file instead of compiling a model.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';

import { tempDir } from './common.mjs';

const tmp = tempDir('kiln-web-cache-test-');
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const commonUrl = pathToFileURL(path.join(import.meta.dirname, 'common.mjs')).href;

// A child that takes the entry (label, key), appends its pid to produced.txt
// when it produces it (after `slow` ms), prints the entry's directory, and
// with `hold` stays alive (using the entry) until its stdin closes.
function child(root, label, key, { hold = false, slow = 0 } = {}) {
  const code = `
    import fs from 'node:fs';
    const { cached } = await import(${JSON.stringify(commonUrl)});
    const dir = cached(${JSON.stringify(label)}, ${JSON.stringify(key)}, (out) => {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${slow});
      fs.writeFileSync(out + '/module.mjs', ${JSON.stringify(key)});
      fs.appendFileSync(${JSON.stringify(path.join(root, 'produced.txt'))}, process.pid + '\\n');
    });
    console.log(dir);
    ${hold ? "process.stdin.resume(); process.stdin.on('end', () => process.exit(0));" : ''}`;
  return ['--input-type=module', '-e', code];
}
const env = (root) => ({ ...process.env, TMPDIR: root });

function runChild(root, label, key) {
  const r = spawnSync(process.execPath, child(root, label, key), { env: env(root), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// Starts a child that keeps its entry; resolves with {dir, proc} once it printed the directory.
function holdingChild(root, label, key) {
  const proc = spawn(process.execPath, child(root, label, key, { hold: true }), { env: env(root), stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ dir: out.trim(), proc });
    });
    proc.on('exit', (code) => reject(new Error(`the holding child exited (${code}) before printing its entry`)));
  });
}
const release = (proc) => new Promise((resolve) => {
  proc.on('exit', resolve);
  proc.stdin.end();
});

test('an entry in use survives another key of its label, and goes once its user is gone', async () => {
  const root = fs.mkdtempSync(path.join(tmp, 'evict-'));
  const { dir: old, proc } = await holdingChild(root, 'wasm-model', 'kilnc built at 1');
  let fresh;
  try {
    fresh = runChild(root, 'wasm-model', 'kilnc built at 2');
    assert.notEqual(fresh, old);
    assert.ok(fs.existsSync(path.join(old, 'module.mjs')), 'the entry a live process uses was removed');
  } finally {
    await release(proc);
  }
  assert.equal(runChild(root, 'wasm-model', 'kilnc built at 2'), fresh);
  assert.ok(!fs.existsSync(old), 'an entry no live process uses was kept');
  assert.equal(fs.readFileSync(path.join(fresh, 'module.mjs'), 'utf8'), 'kilnc built at 2');
  // Another label's entries are not touched.
  const other = runChild(root, 'wasm-model-threads', 'kilnc built at 1');
  assert.ok(fs.existsSync(fresh) && fs.existsSync(other));
});

test('two processes wanting the same entry at once produce it once, and both get it whole', async () => {
  const root = fs.mkdtempSync(path.join(tmp, 'once-'));
  const start = () => {
    const proc = spawn(process.execPath, child(root, 'oracle', 'same key', { slow: 300 }), { env: env(root), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, dir: out.trim() })));
  };
  const [a, b] = await Promise.all([start(), start()]);
  assert.equal(a.code, 0);
  assert.equal(b.code, 0);
  assert.equal(a.dir, b.dir);
  assert.equal(fs.readFileSync(path.join(root, 'produced.txt'), 'utf8').trim().split('\n').length, 1, 'the entry was produced twice');
  assert.equal(fs.readFileSync(path.join(a.dir, 'module.mjs'), 'utf8'), 'same key');
});

test('a lock left by a dead process and a dead producer\'s temporary are taken over', () => {
  const root = fs.mkdtempSync(path.join(tmp, 'dead-'));
  const dead = String(spawnSync('true').pid);
  const cache = path.join(root, 'kiln-web-cache');
  fs.mkdirSync(cache);
  fs.writeFileSync(path.join(cache, 'oracle-lock'), dead);
  const partial = path.join(cache, 'oracle-0123456789abcdef.tmp-x1y2z3');
  fs.mkdirSync(partial);
  const dir = runChild(root, 'oracle', 'after a crash');
  assert.equal(fs.readFileSync(path.join(dir, 'module.mjs'), 'utf8'), 'after a crash');
  assert.ok(!fs.existsSync(path.join(cache, 'oracle-lock')), 'the lock was not released');
  assert.ok(!fs.existsSync(partial), 'the dead producer\'s temporary was kept');
});
