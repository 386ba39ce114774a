// The benchmark page (served by benchmarks/lib/browser.mjs): loads Kiln's
// modules through their generated loaders and TF.js graph models on the TF.js
// WASM backend, then times them on request from Node (page.evaluate). The
// page is not cross-origin isolated, so TF.js runs without threads (its SIMD
// module, as in Node) and performance.now() is coarsened to 0.1 ms: the
// medians over many runs are still good to a few percent on 4 ms models.
// The 2-thread benchmark's page (threads_page.mjs, cross-origin isolated)
// imports this one and passes a thread count to the loaders.

import { makeData, pinShape } from '/lib/inputs.mjs';
import { poolModes } from '/lib/pool_modes.mjs';
import { graphRunner } from '/lib/tfjs_runner.mjs';
import { wasmPeak } from '/lib/wasm_peak.mjs';

export const contenders = new Map();

// TF.js's thread count is the page's, set once before the backend starts.
async function tfjsReady(threads) {
  const tf = window.tf;
  if (!tf?.wasm || !tf.loadGraphModel) throw new Error('TF.js scripts did not load');
  if (tf.getBackend() !== 'wasm') {
    tf.wasm.setWasmPaths('/tfjs/tfjs-backend-wasm/dist/');
    if (threads) tf.wasm.setThreadsCount(threads);
    if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js WASM backend failed to start');
  }
  return tf;
}

window.bench = {
  async loadKiln(id, url, name, threads, relaxed, adaptive) {
    const loader = await import(`${url}/${name}.mjs`);
    const model = await loader.load(undefined, { ...(threads ? { threads } : {}), ...(relaxed !== undefined ? { relaxed } : {}),
      ...(adaptive !== undefined ? { adaptive } : {}) });
    const feeds = Object.fromEntries(model.inputs.map((t, i) => [t.name, makeData(t.dtype, [...t.shape], i + 1)]));
    contenders.set(id, { run: () => model.run(feeds), dispose: () => model.dispose(), ...poolModes(model) });
    return { simd: model.simd, threads: model.backend?.threads ?? 1, relaxed: model.backend?.relaxed };
  },

  async loadTfjs(id, url, threads) {
    const tf = await tfjsReady(threads);
    const graph = await tf.loadGraphModel(url);
    const inputs = graph.inputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: pinShape(t.shape) }));
    const feeds = Object.fromEntries(inputs.map((t, i) => [t.name, tf.tensor(makeData(t.dtype, t.shape, i + 1), t.shape, t.dtype)]));
    const run = graphRunner(tf, graph, feeds);
    contenders.set(id, { run, dispose: () => (tf.dispose(Object.values(feeds)), graph.dispose()) });
    return { backend: tf.getBackend(), simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
      threads: tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT'), threadsCount: tf.wasm.getThreadsCount() };
  },

  async run(id, n) {
    const c = contenders.get(id);
    const times = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await c.run();
      times.push(performance.now() - t0);
      c.after?.();
    }
    return times;
  },

  // A threaded Kiln model's runs since the last call: P shared, S serial.
  modes: (id) => contenders.get(id).modes?.() ?? '',

  dispose(id) {
    contenders.get(id)?.dispose();
    contenders.delete(id);
  },

  // The f32x4 mul+add peak (benchmarks/wasm/peak_simd.c), GFLOP/s.
  async peak(ms, trials) {
    return wasmPeak(await (await fetch('/peak.wasm')).arrayBuffer(), ms, trials);
  },
};
window.benchReady = true;
