// Headless Chromium with WebGPU for the Vulkan benchmark: Debian's chromium
// (playwright-core from .deps, as benchmarks/lib/browser.mjs), with
// --enable-unsafe-webgpu and without --disable-gpu, so that WebGPU runs on
// Chromium's bundled SwiftShader (Vulkan on the CPU). The page
// (webgpu_page.mjs) is served from 127.0.0.1: WebGPU needs a secure context,
// which about:blank is not.

import fs from 'node:fs';
import path from 'node:path';

import { depsDir, repoRoot } from '../../test/e2e/common.mjs';
import { launchChromium, servePage } from '../lib/browser.mjs';

const FLAGS = ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const tfjsDir = path.join(depsDir, 'node_modules/@tensorflow');
const ortDir = path.join(depsDir, 'node_modules/onnxruntime-web/dist');
const benchDir = path.join(repoRoot, 'benchmarks');

// tfjs-backend-webgpu registers itself on the global `tf` of core's bundle.
const TFJS = ['tfjs-core/dist/tf-core.min.js', 'tfjs-converter/dist/tf-converter.min.js',
  'tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js'];
const PAGE = `<!doctype html><meta charset="utf-8"><title>kiln webgpu benchmark</title>
${TFJS.map((f) => `<script src="/tfjs/${f}"></script>`).join('\n')}
<script type="module" src="/page.mjs"></script>`;
/** Why the WebGPU contenders cannot run here, or null. */
export function webgpuMissing() {
  for (const f of TFJS) if (!fs.existsSync(path.join(tfjsDir, f))) return `${f} is missing from ${tfjsDir} (scripts/setup.sh)`;
  if (!fs.existsSync(path.join(ortDir, 'ort.webgpu.min.mjs'))) return `onnxruntime-web's ort.webgpu.min.mjs is missing (scripts/setup.sh)`;
  return null;
}

export class WebGpuBrowser {
  static async launch() {
    const b = new WebGpuBrowser();
    b.mounts = new Map([['/tfjs/', tfjsDir], ['/ort/', ortDir]]);
    b.files = new Map([
      ['/', { text: PAGE, type: 'text/html' }],
      ['/page.mjs', { file: path.join(benchDir, 'vulkan/webgpu_page.mjs') }],
      ['/lib/inputs.mjs', { file: path.join(benchDir, 'lib/inputs.mjs') }],
      ['/lib/tfjs_runner.mjs', { file: path.join(benchDir, 'lib/tfjs_runner.mjs') }],
    ]);
    ({ server: b.server, origin: b.origin } = await servePage(b.files, b.mounts));
    try {
      ({ context: b.context, dispose: b.dispose } = await launchChromium({ args: FLAGS }));
      b.page = await b.context.newPage();
      b.errors = [];
      b.page.on('pageerror', (e) => b.errors.push(e.message));
      await b.page.goto(`${b.origin}/`);
      await b.page.waitForFunction(() => window.benchReady === true, null, { timeout: 60000 }).catch(() => {
        throw new Error(`the WebGPU page did not start: ${b.errors.join('; ') || 'no error reported'}`);
      });
      b.adapter = await b.page.evaluate(() => window.bench.adapter());
      if (!b.adapter) throw new Error('Chromium offers no WebGPU adapter');
    } catch (e) {
      await b.close();
      throw e;
    }
    return b;
  }

  mount(file) {
    const prefix = `/m${this.mounts.size}/`;
    this.mounts.set(prefix, path.dirname(path.resolve(file)));
    return `${prefix}${path.basename(file)}`;
  }

  /** A contender on the page: {id, run(n), close()}. */
  contender(id) {
    const page = this.page;
    return {
      id,
      run: (n) => page.evaluate(([i, count]) => window.bench.run(i, count), [id, n]),
      close: () => page.evaluate((i) => window.bench.dispose(i), id).catch(() => {}),
    };
  }

  async addTfjs(id, modelJson) {
    const info = await this.page.evaluate(([i, u]) => window.bench.loadTfjs(i, u), [id, this.mount(modelJson)]);
    if (info.backend !== 'webgpu') throw new Error(`TF.js runs on '${info.backend}', not webgpu`);
    return this.contender(id);
  }

  async addOrt(id, onnx) {
    await this.page.evaluate(([i, u]) => window.bench.loadOrt(i, u), [id, this.mount(onnx)]);
    return this.contender(id);
  }

  async version() {
    return this.context.browser()?.version() ?? (await this.page.evaluate(() => navigator.userAgent));
  }

  async close() {
    await this.dispose?.();
    this.server?.close();
  }
}
