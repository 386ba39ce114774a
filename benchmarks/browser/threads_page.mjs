// The 2-thread benchmark's page (served cross-origin isolated by
// benchmarks/wasm/threads_peers.mjs, so SharedArrayBuffer and every
// runtime's threads work): the benchmark page (page.mjs, served here as
// /base_page.mjs: Kiln's loader and TF.js's WASM backend, both given a thread
// count) plus ONNX Runtime Web with env.wasm.numThreads.

import { contenders } from '/base_page.mjs';

let ort = null;

Object.assign(window.bench, {
  isolated: () => window.crossOriginIsolated,

  async loadOrt(id, url, threads) {
    if (!ort) {
      ort = await import('/ort/ort.wasm.min.mjs');
      ort.env.wasm.wasmPaths = '/ort/';
      ort.env.wasm.numThreads = threads;
      ort.env.logLevel = 'error';
    }
    const { makeData, pinShape } = await import('/lib/inputs.mjs');
    const session = await ort.InferenceSession.create(url, { executionProviders: ['wasm'] });
    const feeds = {};
    session.inputMetadata.forEach((meta, i) => {
      const shape = pinShape(meta.shape);
      feeds[meta.name] = new ort.Tensor(meta.type, makeData(meta.type, shape, i + 1), shape);
    });
    contenders.set(id, { run: () => session.run(feeds), dispose: () => session.release() });
    return { threads: ort.env.wasm.numThreads };
  },
});
