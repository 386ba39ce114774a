// KILN_HEADER
//
// One worker of the loader's pool (NAME.mjs, load() with threads): it runs
// the threaded module on the model's shared memory and stays inside it,
// running the iterations of the kernels' parallel loops, until dispose().
// The same file serves Web Workers and Node's worker_threads.

const isBrowser = typeof WorkerGlobalScope !== 'undefined';
const port = isBrowser ? null : (await import('node:worker_threads')).parentPort;
const post = (message) => (isBrowser ? globalThis.postMessage(message) : port.postMessage(message));

async function start({ module, memory, stackTop }) {
  let ex;
  try {
    ex = (await WebAssembly.instantiate(module, { env: { memory } })).exports;
    // Its own stack first: the instance starts on the main thread's.
    ex.kiln_worker_set_stack(stackTop);
  } catch (e) {
    post({ error: String(e?.message ?? e) });
    return;
  }
  post({ ready: true });
  // Returns when the loader calls kiln_threads_stop (dispose).
  ex.kiln_worker_loop();
  post({ stopped: true });
}

if (isBrowser) globalThis.onmessage = (e) => start(e.data);
else port.once('message', start);
