// The face-mesh page (examples/web/face-mesh) as the README serves it:
// scripts/serve.sh on a free port (--port 0) builds it on first use
// (scripts/build_web_example.sh: the test removes the built page first) and
// prints the address, which the test reads; the page and a module must come
// with the isolation headers and their content types, and the server (a
// process group of its own) is stopped at the end. In headless Chromium with a fake camera playing the
// demo video (demo.y4m, made from the demo photo): the page must find and
// track the face, draw it, show the frame rate and inference time, violate
// no Content-Security-Policy, and its landmarks on two consecutive frames
// (the first detected, the second tracked) must be within a few pixels of
// what @tensorflow-models/face-landmarks-detection (TensorFlow.js, cpu
// backend, same model files) returns for the same pixels, read back from
// the page. A screenshot is saved as $KILN_BUILD_DIR/test/web/facemesh.png.
// The page's code (both .wasm, loaders, kiln-vision, page), weights apart,
// must stay under 300 KB raw.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { depsDir, repoRoot } from '../e2e/common.mjs';
import { setupSkip } from '../e2e/setup_skip.mjs';
import { CHROMIUM, missing } from './chromium.mjs';
import { buildDir, tempDir } from './common.mjs';

const require = createRequire(path.join(depsDir, 'package.json'));
const pageDir = path.join(buildDir, 'web/face-mesh');
const human = path.join(depsDir, 'models/human-models/package/models');
const screenshot = path.join(buildDir, 'test/web/facemesh.png');
const FEW_PIXELS = 2;

function loadTfPackage() {
  try {
    const tf = require('@tensorflow/tfjs-core');
    require('@tensorflow/tfjs-backend-cpu');
    return { tf, fld: require('@tensorflow-models/face-landmarks-detection') };
  } catch (e) {
    return e.message.split('\n')[0];
  }
}
const pkgs = loadTfPackage();
const skip = setupSkip(missing || (typeof pkgs === 'string' ? `@tensorflow-models/face-landmarks-detection is missing (scripts/setup.sh): ${pkgs}` : false));

// Starts scripts/serve.sh on a free port; resolves {child, url, out} once it
// prints the address (out: everything it printed). Its own process group, so
// that stopServe ends the build's processes too when it is stopped early.
function startServe(env) {
  const child = spawn('bash', [path.join(repoRoot, 'scripts/serve.sh'), '--port', '0'], { env: { ...process.env, ...env }, detached: true });
  let out = '';
  return new Promise((resolve, reject) => {
    const read = (d) => {
      out += d;
      const m = out.match(/ at (http:\/\/127\.0\.0\.1:\d+\/) /);
      if (m) resolve({ child, url: m[1], out });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('exit', (code) => reject(new Error(`scripts/serve.sh exited (${code}) before printing the address:\n${out}`)));
  });
}

async function stopServe(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid, 'SIGTERM');
  await exited;
  // Nothing of its group is left.
  assert.throws(() => process.kill(-child.pid, 0), { code: 'ESRCH' }, 'scripts/serve.sh left a process behind');
}

describe('face-mesh page in Chromium with a fake camera', { skip }, () => {
  let serving;
  let serveError;
  let url;
  let context;
  let page;
  let profile;
  const errors = [];

  before(async () => {
    fs.rmSync(pageDir, { recursive: true, force: true });
    serving = startServe({ KILN_BUILD_DIR: buildDir });
    serving.catch((e) => (serveError = e));
    ({ url } = await serving);
    profile = tempDir('kiln-facemesh-profile-');
    const playwright = require('playwright-core');
    context = await playwright.chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
        `--use-file-for-fake-video-capture=${path.join(pageDir, 'demo.y4m')}`],
    });
    // Before the page's own script: collect policy violations.
    await context.addInitScript(() => {
      window.violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(() => window.kilnFrames > 5 || window.kilnError, null, { timeout: 40000 });
  });

  after(async () => {
    await context?.close();
    if (!serveError) await stopServe((await serving).child);
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  test('scripts/serve.sh built the page on first use, printed its address and serves it cross-origin isolated', async () => {
    const { child, out } = await serving;
    assert.match(out, /face-mesh page in .*: code .* KB raw/, 'serve.sh did not build the page (build_web_example.sh prints its size)');
    assert.ok(fs.existsSync(path.join(pageDir, 'models/face_mesh.wasm')), `the page was not built into ${pageDir}`);
    for (const [file, type] of [['', 'text/html; charset=utf-8'], ['models/face_mesh.wasm', 'application/wasm'],
      ['models/face_mesh.mjs', 'text/javascript']]) {
      const r = await fetch(url + file);
      assert.equal(r.status, 200, `${url}${file}`);
      await r.arrayBuffer();
      const header = (name, want) => assert.match(r.headers.get(name) ?? 'none', want, `${url}${file}: ${name}`);
      header('content-type', new RegExp(`^${type}$`));
      header('cross-origin-opener-policy', /^same-origin$/);
      header('cross-origin-embedder-policy', /^(require-corp|credentialless)$/);
    }
    assert.equal(child.exitCode, null, 'serve.sh is not running');
  });

  test('the page runs on the camera, finds the face and shows frame rate and inference time, under its strict policy', async (t) => {
    assert.equal(await page.evaluate(() => window.kilnError ?? null), null);
    assert.deepEqual(errors, []);
    const status = await page.textContent('#status');
    assert.match(status, /^camera; models on simd/);
    await page.waitForFunction(() => window.kilnLast?.landmarks, null, { timeout: 10000 });
    const last = await page.evaluate(() => window.kilnLast);
    assert.equal(last.landmarks.length, 468 * 3);
    assert.deepEqual([last.width, last.height], [640, 480]);
    const stats = await page.textContent('#stats');
    assert.match(stats, /^\d+\.\d frames\/s · inference \d+\.\d ms · (detected|tracked)$/);
    assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'the page is not cross-origin isolated');
    assert.deepEqual(await page.evaluate(() => window.violations), []);
    fs.mkdirSync(path.dirname(screenshot), { recursive: true });
    await page.locator('#view').screenshot({ path: screenshot });
    t.diagnostic(`${stats} (headless Chromium, software rendering); screenshot: ${screenshot}`);
  });

  test('its landmarks on a detected and a tracked frame are within a few pixels of TensorFlow.js\'s on the same pixels', async (t) => {
    const frames = await page.evaluate(() => window.kilnCapture());
    assert.deepEqual(frames.map((f) => f.detected), [true, false]);
    const { tf, fld } = pkgs;
    await tf.setBackend('cpu');
    tf.backend().firstUse = false;
    // The model files from the local package, by their path: a tf.io handler.
    const handler = (name) => ({
      load: async () => {
        const json = JSON.parse(fs.readFileSync(path.join(human, `${name}.json`), 'utf8'));
        const bin = fs.readFileSync(path.join(human, `${name}.bin`));
        return { modelTopology: json.modelTopology, format: json.format, signature: json.signature,
          weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
          weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) };
      },
    });
    const detector = await fld.createDetector(fld.SupportedModels.MediaPipeFaceMesh, {
      runtime: 'tfjs', maxFaces: 1, refineLandmarks: false,
      detectorModelUrl: handler('facemesh-detection-short'), landmarkModelUrl: handler('facemesh'),
    });
    const worst = [];
    for (const f of frames) {
      const rgba = Buffer.from(f.rgba, 'base64');
      assert.equal(rgba.length, f.width * f.height * 4);
      const rgb = new Int32Array(f.width * f.height * 3);
      for (let i = 0; i < f.width * f.height; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = rgba[4 * i + c];
      const image = tf.tensor3d(rgb, [f.height, f.width, 3], 'int32');
      const [ref] = await detector.estimateFaces(image);
      image.dispose();
      assert.ok(ref, 'TensorFlow.js found no face in the page\'s frame');
      let d = 0;
      ref.keypoints.forEach((p, i) => {
        d = Math.max(d, Math.hypot(p.x - f.landmarks[3 * i], p.y - f.landmarks[3 * i + 1]));
      });
      worst.push(d);
    }
    detector.dispose();
    t.diagnostic(`largest landmark distance to TF.js (px): detected frame ${worst[0].toExponential(2)}, tracked frame ${worst[1].toExponential(2)}`);
    // A second of frames with the detector on each, for its median.
    await page.evaluate(() => { window.kilnRedetect = true; });
    await page.waitForTimeout(1000);
    const m = await page.evaluate(() => { window.kilnRedetect = false; return window.kilnMedians(); });
    t.diagnostic(`median inference per frame in the page: ${m.detected.median?.toFixed(1)} ms with the detector (${m.detected.count} frames), ` +
      `${m.tracked.median?.toFixed(1)} ms tracked (${m.tracked.count}); each: crops, models, decoding`);
    for (const d of worst) assert.ok(d < FEW_PIXELS, `a landmark is ${d.toFixed(2)} px from TensorFlow.js's`);
  });

  test('without a camera (?photo) the demo photo stands in and the face is still found', async () => {
    const other = await context.newPage();
    try {
      await other.goto(`${url}?photo`);
      await other.waitForFunction(() => window.kilnLast?.landmarks || window.kilnError, null, { timeout: 20000 });
      assert.match(await other.textContent('#status'), /^demo photo; models on simd/);
      assert.equal((await other.evaluate(() => window.kilnLast.landmarks)).length, 468 * 3);
    } finally {
      await other.close();
    }
  });

  test('the page\'s code (both .wasm, loaders, kiln-vision, page), weights apart, is under 300 KB raw', (t) => {
    const size = JSON.parse(fs.readFileSync(path.join(pageDir, 'size.json'), 'utf8'));
    const files = fs.readdirSync(path.join(pageDir, 'models')).filter((f) => /\.(wasm|mjs)$/.test(f));
    assert.equal(size.files.length, files.length + 4, 'size.json does not list every file the page loads');
    t.diagnostic(`page code ${(size.codeRaw / 1024).toFixed(1)} KB raw, ${(size.codeGzip / 1024).toFixed(1)} KB gzip; weights ${(size.weightsRaw / 1024).toFixed(0)} KB`);
    assert.ok(size.codeRaw < 300 * 1024, `${size.codeRaw} bytes`);
  });
});
