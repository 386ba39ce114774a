// The WebGPU benchmark page (served by benchmarks/vulkan/webgpu.mjs): TF.js
// graph models on TensorFlow.js's WebGPU backend and ONNX models on ONNX
// Runtime Web's WebGPU execution provider, timed on request from Node
// (page.evaluate). Chromium runs WebGPU on its bundled SwiftShader here, the
// Vulkan driver Kiln's SPIR-V is timed on. One inference = inputs already on
// the page, run, every output read back to JS (await data()), as Kiln's run
// copies its outputs out.

import { makeData, pinShape } from '/lib/inputs.mjs';
import { graphRunner } from '/lib/tfjs_runner.mjs';

const contenders = new Map();

async function tfjsWebgpu() {
  const tf = window.tf;
  if (!tf?.loadGraphModel || !tf.findBackendFactory('webgpu')) throw new Error('the TF.js scripts (core, converter, webgpu) did not load');
  if (tf.getBackend() !== 'webgpu' && !(await tf.setBackend('webgpu'))) throw new Error('the TF.js WebGPU backend failed to start');
  await tf.ready();
  return tf;
}

let ortModule = null;
async function ortWebgpu() {
  if (!ortModule) {
    ortModule = await import('/ort/ort.webgpu.min.mjs');
    ortModule.env.wasm.wasmPaths = '/ort/';
    ortModule.env.wasm.numThreads = 1; // the page is not cross-origin isolated
  }
  return ortModule;
}

window.bench = {
  async adapter() {
    const adapter = await navigator.gpu?.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info ?? {};
    return { vendor: info.vendor, architecture: info.architecture, description: info.description };
  },

  async loadTfjs(id, url) {
    const tf = await tfjsWebgpu();
    const graph = await tf.loadGraphModel(url);
    const inputs = graph.inputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: pinShape(t.shape) }));
    const feeds = Object.fromEntries(inputs.map((t, i) => [t.name, tf.tensor(makeData(t.dtype, t.shape, i + 1), t.shape, t.dtype)]));
    const run = graphRunner(tf, graph, feeds, { readAsync: true });
    contenders.set(id, { run, dispose: () => (tf.dispose(Object.values(feeds)), graph.dispose()) });
    return { backend: tf.getBackend() };
  },

  async loadOrt(id, url) {
    const ort = await ortWebgpu();
    const session = await ort.InferenceSession.create(url, { executionProviders: ['webgpu'] });
    const feeds = {};
    session.inputMetadata.forEach((meta, i) => {
      const shape = pinShape(meta.shape);
      feeds[meta.name] = new ort.Tensor(meta.type, makeData(meta.type, shape, i + 1), shape);
    });
    // Outputs come back in CPU memory (the default output location): read.
    const run = async () => {
      const results = await session.run(feeds);
      for (const t of Object.values(results)) await t.getData();
    };
    contenders.set(id, { run, dispose: () => session.release() });
    return { providers: ['webgpu'] };
  },

  async run(id, n) {
    const c = contenders.get(id);
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await c.run();
      times.push(performance.now() - t0);
    }
    return times;
  },

  async dispose(id) {
    await contenders.get(id)?.dispose();
    contenders.delete(id);
  },
};
window.benchReady = true;
