// KILN_HEADER
//
// Usage:
//   import * as model from './NAME.mjs';
//   const m = await model.load();          // the .wasm beside this file
//   const out = m.run({input: new Float32Array(...)});
//   m.dispose();
//
// load(source) also takes a URL, a Response, the module's bytes, or (in Node)
// a file path. It picks NAME.wasm, or NAME.nosimd.wasm where the engine has
// no WebAssembly SIMD, or (compiled with --threads) NAME.threads.wasm on a
// pool of workers (NAME.worker.mjs) where shared memory is allowed: always in
// Node, in a browser when the page is cross-origin isolated (COOP/COEP).
// m.backend says which, and why. The module imports nothing but, threaded,
// its memory; this file and the worker's are its only JS.

// The model's interface, written by kilnc.
const MODEL = /* KILN_MODEL */ null;

// dtype -> the typed array that carries it (float16 and bfloat16 as raw
// bits, bool as one byte per element).
const ARRAYS = {
  float32: Float32Array,
  float16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
  float64: Float64Array,
  bfloat16: Uint16Array,
};
// What the loader calls in every module besides the model's own functions.
const SHIM_EXPORTS = ['memory', '_initialize', 'kiln_malloc', 'kiln_free', 'kiln_message', 'kiln_clear_message'];
// KILN_IF_THREADS
const THREAD_EXPORTS = ['kiln_worker_set_stack', 'kiln_worker_loop', 'kiln_threads_stop', 'kiln_threads_running', 'kiln_threads_tasks', 'kiln_threads_caller_may_block', 'kiln_threads_serial', 'kiln_threads_hold'];
// KILN_END_THREADS
const STATUS = ['ok', 'invalid argument', 'out of memory', 'arena too small', 'kernel failed', 'context busy', 'invalid weights'];

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';

// Every error names the model. Bad arguments are TypeErrors (a wrong name or
// type) and RangeErrors (a wrong length), as the platform's own APIs throw.
const fail = (message, Kind = Error) => new Kind(`${MODEL.name}: ${message}`);

/** The model's inputs and outputs: name, dtype, shape. */
export const inputs = MODEL.inputs.map(({ name, dtype, shape }) => Object.freeze({ name, dtype, shape: Object.freeze(shape) }));
// An output of data-dependent length (docs/BOUNDED.md) has `boundedDim`:
// its shape is the bound, and run() returns only what the run found (shapeOf
// gives its shape). The counts are the module's outputs, not the model's.
export const outputs = MODEL.outputs.filter((t) => t.countOf === undefined).map(({ name, dtype, shape, bounded }) =>
  Object.freeze({ name, dtype, shape: Object.freeze(shape), ...(bounded ? { boundedDim: bounded.dim } : {}) }));

// The smallest module that uses SIMD: one function returning i32x4.splat(0).
// It validates only where the engine supports WebAssembly SIMD.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b, // code: i32.const 0; i32x4.splat; end
]);

// KILN_IF_RELAXED
// The smallest module that uses relaxed SIMD: f32x4.relaxed_madd of three
// f32x4.splat(0). Chromium validates it; Node 20 only with
// --experimental-wasm-relaxed-simd.
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of that type
  0x0a, 0x1c, 0x01, 0x1a, 0x00, // code: one body of 26 bytes, no locals
  0x43, 0, 0, 0, 0, 0xfd, 0x13, 0x43, 0, 0, 0, 0, 0xfd, 0x13, 0x43, 0, 0, 0, 0, 0xfd, 0x13, // 3 x f32x4.splat(0)
  0xfd, 0x85, 0x02, 0x0b, // f32x4.relaxed_madd; end
]);

/** Whether this engine runs WebAssembly relaxed SIMD (and so NAME.relaxed.wasm). */
export function relaxedSimdSupported() {
  try {
    return WebAssembly.validate(RELAXED_PROBE);
  } catch {
    return false;
  }
}
// KILN_END_RELAXED

/** Whether this engine runs WebAssembly SIMD (and so NAME.wasm). */
export function simdSupported() {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}

// ---- sources ----------------------------------------------------------------

// What load() was given, normalised: a location (URL, or a path in Node) that
// siblings can be derived from, or a Response, or bytes.
function describe(source, what) {
  if (source instanceof URL) return { url: source };
  if (typeof source === 'string') {
    // In Node a string is a file path unless it has a URL scheme (two or more
    // letters, so that "C:\models" stays a path).
    if (isNode && !/^[a-z][a-z0-9+.-]+:/i.test(source)) return { path: source };
    const base = globalThis.document?.baseURI ?? globalThis.location?.href ?? import.meta.url;
    return { url: new URL(source, base) };
  }
  if (typeof Response !== 'undefined' && source instanceof Response) return { response: source };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source) };
  if (ArrayBuffer.isView(source))
    return { bytes: new Uint8Array(source.buffer, source.byteOffset, source.byteLength) };
  throw fail(`${what} must be a URL, a Response, an ArrayBuffer or typed array, or a file path in Node`, TypeError);
}

const label = (src, fallback) => src.path ?? src.url?.href ?? fallback;

// The sibling `file` of a location (or in it, for a directory).
function sibling(src, file) {
  if (src.url) return { url: new URL(src.url.href.endsWith('/') ? file : `./${file}`, src.url) };
  if (src.path !== undefined) {
    const slash = Math.max(src.path.lastIndexOf('/'), src.path.lastIndexOf('\\'));
    const dir = /[\\/]$/.test(src.path) ? src.path : src.path.slice(0, slash + 1);
    return { path: dir + file };
  }
  return null;
}

async function fetchResponse(src, name) {
  let response = src.response;
  try {
    response ??= await fetch(src.url);
  } catch (e) {
    throw fail(`cannot fetch ${name}: ${e.message}`);
  }
  if (!response.ok) throw fail(`cannot fetch ${name}: HTTP ${response.status} ${response.statusText}`.trim());
  return response;
}

// The bytes of a file path or file: URL in Node, else null.
async function readNodeFile(src, name) {
  if (!isNode || !(src.path !== undefined || src.url?.protocol === 'file:')) return null;
  const fs = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  try {
    return new Uint8Array(await fs.readFile(src.path ?? fileURLToPath(src.url)));
  } catch (e) {
    throw fail(`cannot read ${name}: ${e.message}`);
  }
}

async function readBytes(src, name) {
  if (src.bytes) return src.bytes;
  const file = src.response ? null : await readNodeFile(src, name);
  if (file) return file;
  const response = await fetchResponse(src, name);
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    throw fail(`cannot read ${name}: ${e.message}`);
  }
}

// Compiles while the bytes arrive when the server says application/wasm.
async function compile(src, name) {
  try {
    if (!src.bytes && src.path === undefined && src.url?.protocol !== 'file:') {
      const response = await fetchResponse(src, name);
      const type = (response.headers.get('content-type') ?? '').split(';')[0].trim();
      if (type === 'application/wasm' && WebAssembly.compileStreaming)
        return await WebAssembly.compileStreaming(response);
      return await WebAssembly.compile(await readBytes({ response }, name));
    }
    return await WebAssembly.compile(await readBytes(src, name));
  } catch (e) {
    throw cspError(e) ?? (e instanceof WebAssembly.CompileError ? fail(`${name} is not a valid WebAssembly module (truncated or corrupt?): ${e.message}`) : e);
  }
}

// The engine's refusal of WebAssembly under a Content-Security-Policy, said
// plainly (it comes as a CompileError otherwise read as a corrupt module).
const cspError = (e) => (/Content.Security.Policy/i.test(e?.message) ? fail(`the page's Content-Security-Policy does not allow WebAssembly: add 'wasm-unsafe-eval' to its script-src (${e.message})`) : null);

// ---- the model --------------------------------------------------------------

// A loop, not reduce: run() calls it and must not allocate a closure.
function elements(shape) {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}
const tag = (value) => (ArrayBuffer.isView(value) ? value[Symbol.toStringTag] : value === null ? 'null' : typeof value);
const inputNames = () => MODEL.inputs.map((t) => `'${t.name}'`).join(', ');
const outputNames = () => outputs.map((t) => `'${t.name}'`).join(', ');
// Whether an output's length depends on the run (docs/BOUNDED.md).
const BOUNDED = MODEL.outputs.some((t) => t.bounded);

// Checks the typed array given for input or output `t` (`what`): its class,
// then its length.
function checkArray(value, t, what) {
  const want = ARRAYS[t.dtype].name;
  if (tag(value) !== want) throw fail(`${what} '${t.name}' must be a ${want} (${t.dtype}), got ${tag(value)}`, TypeError);
  if (value.length !== elements(t.shape))
    throw fail(`${what} '${t.name}' has ${value.length} elements, expected ${elements(t.shape)} (shape [${t.shape}])`, RangeError);
}

// ---- threads ----------------------------------------------------------------

// The threads code is emitted only for models compiled with --threads
// (LoaderEmitter.cpp drops the marked sections otherwise: 5 KB).
// KILN_IF_THREADS
// How many threads to run on by default: the cores, at most 4 (beyond that
// the models' kernels have too few strips to share).
async function defaultThreads() {
  if (isNode) {
    const os = await import('node:os');
    return Math.min(4, os.availableParallelism?.() ?? os.cpus().length);
  }
  return Math.min(4, globalThis.navigator?.hardwareConcurrency ?? 1);
}
// KILN_END_THREADS

// The module to run and why: {name: 'threads' | 'simd' | 'nosimd', threads, reason}.
async function chooseBackend(options, simd) {
  const single = (reason) => ({ name: simd ? 'simd' : 'nosimd', threads: 1, reason });
  const asked = options.threads;
  if (asked !== undefined && !(Number.isInteger(asked) && asked >= 1))
    throw fail(`options.threads must be a whole number of at least 1, got ${tag(asked) === 'number' ? asked : tag(asked)}`, TypeError);
  if (!MODEL.threads) return single(asked > 1 ? 'the model was compiled without --threads' : 'one thread');
  // KILN_IF_THREADS
  if (options.adaptive !== undefined && typeof options.adaptive !== 'boolean')
    throw fail(`options.adaptive must be a boolean, got ${tag(options.adaptive)}`, TypeError);
  const threads = asked ?? (await defaultThreads());
  if (threads <= 1) return single(asked === undefined ? 'one core' : 'options.threads is 1');
  if (!simd) return single('the threaded module needs WebAssembly SIMD');
  if (typeof SharedArrayBuffer === 'undefined' || (!isNode && !globalThis.crossOriginIsolated))
    return single('the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp), so no shared memory');
  if (!isNode && typeof Worker === 'undefined') return single('this context cannot start workers');
  return { name: 'threads', threads, reason: `${threads} threads` };
  // KILN_END_THREADS
}

// KILN_IF_THREADS
// A page that requires Trusted Types ("require-trusted-types-for 'script'")
// refuses a plain URL for a worker's script: a policy named 'kiln' passes
// this loader's own worker script and nothing else (a page that lists its
// policies in `trusted-types` must allow 'kiln').
let workerPolicy = null;
function scriptURL(url) {
  const tt = globalThis.trustedTypes;
  if (isNode || !tt?.createPolicy) return url;
  workerPolicy ??= tt.createPolicy('kiln', {
    createScriptURL: (s) => {
      if (s !== url.href) throw fail(`refusing to start a worker from ${s}`, TypeError);
      return s;
    },
  });
  return workerPolicy.createScriptURL(url.href);
}

// Starts `count` workers on the module and memory, each on a stack of its
// own, and waits until all are in their loop. The workers are part of the
// model: created here once, never during run().
async function startWorkers(module, memory, ex, count) {
  const url = new URL(`./${MODEL.threads.worker}`, import.meta.url);
  const WorkerClass = isNode ? (await import('node:worker_threads')).Worker : Worker;
  const workers = [];
  const stacks = [];
  try {
    const started = [];
    for (let i = 0; i < count; i++) {
      const stack = ex.kiln_malloc(MODEL.threads.stackBytes);
      if (!stack) throw fail(`out of memory allocating a worker's stack`);
      stacks.push(stack);
      let worker;
      try {
        worker = new WorkerClass(scriptURL(url), { type: 'module' });
      } catch (e) {
        throw fail(`cannot start a worker from ${url.href}: ${e.message}`);
      }
      workers.push(worker);
      if (isNode) worker.unref();
      started.push(
        new Promise((resolve, reject) => {
          const onMessage = (message) => {
            const data = isNode ? message : message.data;
            if (data.ready) resolve();
            else if (data.error) reject(fail(`a worker cannot run ${MODEL.threads.file}: ${data.error}`));
          };
          const onError = (e) => reject(fail(`a worker failed to start from ${url.href}: ${e.message ?? 'error'}`));
          if (isNode) {
            worker.on('message', onMessage);
            worker.once('error', onError);
          } else {
            worker.addEventListener('message', onMessage);
            worker.addEventListener('error', onError, { once: true });
          }
        }),
      );
      worker.postMessage({ module, memory, stackTop: stack + MODEL.threads.stackBytes });
    }
    await Promise.all(started);
    // 'ready' comes just before a worker enters its loop.
    for (let waited = 0; ex.kiln_threads_running() < count; waited++) {
      if (waited > 500) throw fail(`only ${ex.kiln_threads_running()} of ${count} workers started`);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } catch (e) {
    stopWorkers(ex, workers);
    throw e;
  }
  return { workers, stacks };
}

// Whether a run shares its parallel loops with the workers (0) or keeps them
// on the calling thread (1). A worker only helps when a core is free for it:
// where other processes take the cores, each loop waits for whichever
// thread the OS has descheduled (2 threads ran 0.65-0.9x as fast as 1 at
// load 5-14 on 2 cores). Runs are compared in adjacent pairs, so that a
// change of load between them cancels: the first 16 runs alternate, then a
// probe run now and then tries the other way against the run before it. By
// the median serial/shared ratio of the last 9 pairs, the pool is chosen
// from 1.1 (its worker must be worth it) and left under 1.0.
// A probe costs what the other way costs: on an idle machine a serial run
// of MobileNetV2 takes 1.7-1.8x a shared one, so with a probe every 8th run
// one run in 8 was as slow as on 1 thread (issue 18). So probes come every
// 8 runs while the pairs are close or disagree with the choice, and twice
// as far apart (up to 64) after each pair that clearly agrees (serial/shared
// at least 1.3 while shared, under 0.9 while serial).
class PoolChooser {
  // The last 9 pairs' ratios (a ring), their count, and scratch for their
  // median (record() runs in run(), which allocates nothing).
  #ratios = new Float64Array(9);
  #pairs = 0;
  #sorted = new Float64Array(9);
  #runs = 0;
  #serial = 0;
  #before = 0;
  #probe = 23; // the next probe run; the run before it is its pair's other half
  #interval = 8;
  next() {
    const n = this.#runs++;
    return n < 16 ? n & 1 : n === this.#probe ? 1 - this.#serial : this.#serial;
  }
  record(mode, ms) {
    const n = this.#runs - 1;
    if (n < 16 ? !(n & 1) : n === this.#probe - 1) this.#before = ms;
    else if (n < 16 || n === this.#probe) {
      const ratio = mode ? ms / this.#before : this.#before / ms;
      this.#ratios[this.#pairs++ % 9] = ratio;
      const median = this.#median();
      // A probe pair tested the choice it ran under: one that flips the
      // choice disagreed with it, and the new choice is probed every 8 runs
      // like any unsettled one. (The 16 alternating runs test no choice:
      // their last pair is judged against the first one made.)
      const tested = n < 16 ? undefined : this.#serial;
      this.#serial = median >= 1.1 ? 0 : median < 1 ? 1 : this.#serial;
      if (n >= 15) {
        const agrees = (tested ?? this.#serial) ? ratio < 0.9 : ratio >= 1.3;
        this.#interval = agrees ? Math.min(2 * this.#interval, 64) : 8;
        this.#probe = n + this.#interval;
      }
    }
  }
  #median() {
    const k = Math.min(this.#pairs, 9);
    const s = this.#sorted;
    for (let i = 0; i < k; i++) {
      const x = this.#ratios[i];
      let j = i;
      for (; j > 0 && s[j - 1] > x; j--) s[j] = s[j - 1];
      s[j] = x;
    }
    return s[k >> 1];
  }
}

function stopWorkers(ex, workers) {
  try {
    ex.kiln_threads_stop();
  } catch {}
  for (const worker of workers) worker.terminate();
}
// KILN_END_THREADS

// KILN_IF_IMAGE
// ---- camera frames (--input-image) -------------------------------------------

// One canvas, reused, to read the pixels of what a browser can draw.
let frameCanvas = null;
// The adapted input's name in errors (made once: run() allocates nothing).
const ADAPTED = `input '${MODEL.image?.input}'`;

// The RGBA pixels of a frame: {data, width, height}. ImageData and plain
// {data, width, height} objects are read as they are; a VideoFrame, a video,
// an image, a canvas or an ImageBitmap is drawn on an OffscreenCanvas (a
// VideoFrame's copyTo would give the camera's own format, often I420 or
// NV12, and only asynchronously).
function framePixels(frame, name) {
  if (typeof frame !== 'object' || frame === null || ArrayBuffer.isView(frame))
    throw fail(`${name} must be an ImageData, a VideoFrame, a video, image or canvas element, an ImageBitmap or {data, width, height}, got ${tag(frame)}`, TypeError);
  const hasData = 'data' in frame;
  const width = hasData ? frame.width : frame.displayWidth ?? frame.videoWidth ?? frame.naturalWidth ?? frame.width;
  const height = hasData ? frame.height : frame.displayHeight ?? frame.videoHeight ?? frame.naturalHeight ?? frame.height;
  if (!Number.isInteger(width) || !Number.isInteger(height))
    throw fail(`${name} must be an ImageData, a VideoFrame, a video, image or canvas element, an ImageBitmap or {data, width, height} with whole-number width and height`, TypeError);
  const max = MODEL.image.maxSide;
  if (width < 1 || height < 1 || width > max || height > max)
    throw fail(`${name} is ${width}x${height}; frames of 1x1 to ${max}x${max} are accepted`, RangeError);
  if (hasData) {
    const data = frame.data;
    if (tag(data) !== 'Uint8ClampedArray' && tag(data) !== 'Uint8Array')
      throw fail(`${name}.data must be a Uint8ClampedArray or Uint8Array of RGBA pixels, got ${tag(data)}`, TypeError);
    if (data.length !== width * height * 4)
      throw fail(`${name}.data has ${data.length} bytes, expected ${width * height * 4} (${width}x${height} RGBA)`, RangeError);
    // The frame itself: run() allocates nothing for it.
    return frame;
  }
  if (typeof OffscreenCanvas === 'undefined')
    throw fail(`${name}: drawing a ${tag(frame)} needs OffscreenCanvas; pass {data, width, height} instead`, TypeError);
  frameCanvas ??= new OffscreenCanvas(width, height);
  if (frameCanvas.width !== width || frameCanvas.height !== height) Object.assign(frameCanvas, { width, height });
  const context = frameCanvas.getContext('2d', { willReadFrequently: true });
  try {
    context.drawImage(frame, 0, 0, width, height);
  } catch (e) {
    throw fail(`${name} cannot be drawn: ${e.message}`, TypeError);
  }
  return { data: context.getImageData(0, 0, width, height).data, width, height };
}
// KILN_END_IMAGE

/**
 * Loads the model. `source`: where the .wasm is (default: beside this file),
 * or its bytes or Response. Options: `weights` (for a model compiled with
 * --weights=external: where NAME.weights.bin is, or its bytes; default:
 * beside the .wasm), `simd` (force the SIMD or the fallback module),
 * `threads` (with --threads: how many threads run the kernels, workers
 * included; default: the cores, at most 4; 1: the single-threaded module),
 * `relaxed` (with --relaxed-simd: the relaxed SIMD module or not; default:
 * where the engine has relaxed SIMD), `adaptive` (threaded: false shares
 * every run's loops with the workers; default: each run shares them or not,
 * whichever has been faster, PoolChooser).
 */
export async function load(source, options = {}) {
  if (typeof options !== 'object' || options === null) throw fail(`options must be an object, got ${tag(options)}`, TypeError);
  const simd = options.simd ?? simdSupported();
  if (simd === false && !MODEL.files.fallback)
    throw fail('this engine has no WebAssembly SIMD and the model was compiled without a fallback (--no-fallback)');
  const backend = await chooseBackend(options, simd);
  const threaded = backend.name === 'threads';
  let file = threaded ? MODEL.threads.file : simd ? MODEL.files.simd : MODEL.files.fallback;
  // KILN_IF_RELAXED
  // With --relaxed-simd, the twin whose multiply-adds are fused, where the
  // engine has relaxed SIMD (unless options.relaxed is false); m.backend's
  // `relaxed` says which (only for such models).
  if (options.relaxed !== undefined && typeof options.relaxed !== 'boolean')
    throw fail(`options.relaxed must be a boolean, got ${tag(options.relaxed)}`, TypeError);
  const relaxedFile = simd ? (threaded ? MODEL.threads.relaxedFile : MODEL.files.relaxed) : null;
  if (relaxedFile) {
    backend.relaxed = options.relaxed ?? relaxedSimdSupported();
    backend.reason += backend.relaxed ? '; relaxed SIMD' : options.relaxed === false ? '; relaxed SIMD off (options.relaxed)' : '; this engine has no relaxed SIMD';
    if (backend.relaxed) file = relaxedFile;
  }
  // KILN_END_RELAXED
  let src = source === undefined ? { url: new URL(`./${file}`, import.meta.url) } : describe(source, 'source');
  const base = src;
  // A location naming the SIMD module (or a directory) becomes the one to use.
  if (src.url?.href.endsWith('/') || (src.path !== undefined && /[\\/]$/.test(src.path))) src = sibling(src, file);
  else if (file !== MODEL.files.simd && (src.url || src.path !== undefined) && label(src).endsWith(MODEL.files.simd)) {
    const name = label(src);
    const at = name.length - MODEL.files.simd.length;
    if (at === 0 || /[\\/]/.test(name[at - 1])) src = sibling(src, file);
  }
  const wasmName = label(src, file);

  let weights = null;
  if (MODEL.files.weights) {
    const wsrc = options.weights !== undefined ? describe(options.weights, 'options.weights') : sibling(base, MODEL.files.weights);
    if (!wsrc) throw fail(`the weights are external: pass options.weights (the contents or location of ${MODEL.files.weights})`);
    weights = { src: wsrc, name: label(wsrc, MODEL.files.weights) };
  }
  // The weights download while the module compiles.
  const [module, weightBytes] = await Promise.all([
    compile(src, wasmName),
    weights ? readBytes(weights.src, weights.name) : null,
  ]);

  let instance;
  try {
    // The threaded module's memory is shared with the workers: created here.
    const imports = threaded ? { env: { memory: new WebAssembly.Memory({ initial: MODEL.threads.initialPages, maximum: MODEL.threads.maximumPages, shared: true }) } } : {};
    instance = await WebAssembly.instantiate(module, imports);
  } catch (e) {
    throw cspError(e) ?? fail(`${wasmName} cannot be instantiated (not a module of this model?): ${e.message}`);
  }
  const ex = instance.exports;
  const exportsNeeded = [...Object.values(MODEL.exports), ...SHIM_EXPORTS, ...(MODEL.image ? [MODEL.image.export] : [])];
  // KILN_IF_THREADS
  if (threaded) exportsNeeded.push(...THREAD_EXPORTS);
  // KILN_END_THREADS
  for (const name of exportsNeeded)
    if (!(name in ex)) throw fail(`${wasmName} is not the module of model '${MODEL.name}' (it lacks the export '${name}')`);
  ex._initialize();
  let pool = null;
  // KILN_IF_THREADS
  // Node's main thread may block while the workers finish; a browser's may not.
  if (threaded) ex.kiln_threads_caller_may_block(isNode || typeof window === 'undefined' ? 1 : 0);
  // The calling thread runs iterations too: threads - 1 workers.
  if (threaded) pool = await startWorkers(module, ex.memory, ex, backend.threads - 1);
  // KILN_END_THREADS
  return new Model(ex, simd, weightBytes, Object.freeze(backend), pool, options.adaptive);
}

class Model {
  #ex;
  #ctx = 0;
  #blocks = []; // everything kiln_malloc'd for this model, freed by dispose()
  #io; // {inputs: [{ptr}], outputs: [{ptr}], args: [pointer and size arrays]}
  #broken = null;
  #shapes = {}; // the last run's shapes of the bounded outputs
  #simd;
  #backend;
  #pool; // {workers, stacks} of the threaded module, else null
  // KILN_IF_THREADS
  #chooser = null; // PoolChooser of a threaded model, unless options.adaptive is false
  #serial = 0; // whether the last run() kept its loops on the caller (repeat)
  // KILN_END_THREADS
  #runs = 0; // runs of the threaded module, and how many shared their loops (poolStats)
  #sharedRuns = 0;
  #ran = false; // whether a run() put inputs in the module (repeat)
  // The frame's scratch (--input-image), grown to the largest frame, and a
  // view of it.
  #frame = { ptr: 0, bytes: 0, view: null };
  // Typed arrays over the module's memory, made once (again only if the
  // memory is replaced): each input's and output's buffer, and the object
  // run({views: true}) and repeat() return. A run that copies through them
  // allocates nothing in JS. #memory: the buffer they view.
  #memory = null;
  #inViews;
  #outViews;
  #viewResult;
  #inIndex = new Map(MODEL.inputs.map((t, i) => [t.name, i]));
  #outIndex = new Map(outputs.map((t) => [t.name, MODEL.outputs.findIndex((o) => o.name === t.name)]));

  constructor(ex, simd, weightBytes, backend, pool, adaptive) {
    this.#ex = ex;
    this.#simd = simd;
    this.#backend = backend;
    this.#pool = pool;
    // KILN_IF_THREADS
    if (pool && adaptive !== false) this.#chooser = new PoolChooser();
    // KILN_END_THREADS
    if (pool) this.#blocks.push(...pool.stacks);
    try {
      let optionsPtr = 0;
      if (weightBytes) {
        // NAME_create checks the file: its header, size and checksum.
        const weightsPtr = this.#alloc(weightBytes.length);
        this.#bytes(weightsPtr, weightBytes.length).set(weightBytes);
        optionsPtr = this.#alloc(MODEL.options.size);
        this.#bytes(optionsPtr, MODEL.options.size).fill(0);
        const view = new DataView(ex.memory.buffer);
        view.setUint32(optionsPtr + MODEL.options.weightsOffset, weightsPtr, true);
        view.setUint32(optionsPtr + MODEL.options.weightsSizeOffset, weightBytes.length, true);
      }
      const ctxPtr = this.#alloc(4);
      const status = ex[MODEL.exports.create](optionsPtr, ctxPtr);
      if (status !== 0) throw fail(`cannot create the model: ${this.#string(ex[MODEL.exports.lastError](0)) || STATUS[status] || `status ${status}`}`);
      this.#ctx = new DataView(ex.memory.buffer).getUint32(ctxPtr, true);
      const buffers = (list) => list.map((t) => ({ ...t, ptr: this.#alloc(Math.max(t.bytes, 1)) }));
      const io = { inputs: buffers(MODEL.inputs), outputs: buffers(MODEL.outputs) };
      // Pointer and size arrays for NAME_run, written once.
      const table = (list, field) => {
        const ptr = this.#alloc(4 * Math.max(list.length, 1));
        list.forEach((t, i) => new DataView(ex.memory.buffer).setUint32(ptr + 4 * i, t[field], true));
        return ptr;
      };
      io.args = [table(io.inputs, 'ptr'), table(io.inputs, 'bytes'), table(io.outputs, 'ptr'), table(io.outputs, 'bytes')];
      this.#io = io;
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  #alloc(bytes) {
    const ptr = this.#ex.kiln_malloc(bytes);
    if (!ptr) throw fail(`out of memory allocating ${bytes} bytes`);
    this.#blocks.push(ptr);
    return ptr;
  }

  // A fresh view each time: memory.grow replaces the buffer.
  #bytes(ptr, n) {
    return new Uint8Array(this.#ex.memory.buffer, ptr, n);
  }

  #string(ptr) {
    const bytes = new Uint8Array(this.#ex.memory.buffer);
    let end = ptr;
    while (end < bytes.length && bytes[end]) end++;
    // A copy: TextDecoder refuses views of shared memory.
    return new TextDecoder().decode(bytes.slice(ptr, end));
  }

  /** Whether the SIMD module runs (else the fallback). */
  get simd() {
    return this.#simd;
  }

  /** Which module runs and why: {name: 'threads' | 'simd' | 'nosimd', threads, reason}. */
  get backend() {
    return this.#backend;
  }

  /** Bytes of WebAssembly memory the module holds now (0 after dispose). */
  get memoryBytes() {
    return this.#ex ? this.#ex.memory.buffer.byteLength : 0;
  }

  /**
   * Threaded module: {runs, sharedRuns, workerIterations}: runs so far, how
   * many shared their parallel loops with the workers (the others kept them
   * on the caller: PoolChooser), and the loop iterations the workers ran.
   * null for a single-threaded module.
   */
  get poolStats() {
    if (!this.#pool || !this.#ex) return null;
    return { runs: this.#runs, sharedRuns: this.#sharedRuns, workerIterations: this.#ex.kiln_threads_tasks() };
  }

  get inputs() {
    return inputs;
  }

  get outputs() {
    return outputs;
  }

  /**
   * Runs the model: {name: TypedArray} in, {name: TypedArray} out. By
   * default the outputs are fresh arrays. `options.outputs` ({name:
   * TypedArray}, as onnxruntime-web's preallocated fetches): the run copies
   * the outputs it names into those arrays (each of the output's typed array
   * class and element count) and returns that object. `options.views`: the
   * outputs are views of the module's memory, valid until the next run,
   * repeat or dispose (the same object each time). Either way the run
   * allocates nothing, except for an output of data-dependent length, whose
   * shape (and, with views, view and a fresh result object) is made per run.
   */
  run(feeds, options) {
    if (!this.#ex) throw fail('run() after dispose()');
    if (this.#broken) throw fail(`the module trapped in an earlier run (${this.#broken}); load the model again`);
    if (typeof feeds !== 'object' || feeds === null || ArrayBuffer.isView(feeds))
      throw fail(`run() expects an object {name: TypedArray}, got ${tag(feeds)}`, TypeError);
    const into = options === undefined ? null : this.#outputsGiven(options);
    let frame = null;
    // KILN_IF_IMAGE
    // The adapted input takes a frame, as `image` or under its own name.
    const adapted = MODEL.image?.input;
    const given = feeds.image !== undefined && !(adapted === 'image' && ArrayBuffer.isView(feeds.image)) ? feeds.image : feeds[adapted];
    if (adapted !== undefined && given !== undefined && !ArrayBuffer.isView(given)) {
      if (adapted !== 'image' && feeds.image !== undefined && feeds[adapted] !== undefined)
        throw fail(`give input '${adapted}' once: as 'image' (a frame) or as '${adapted}'`, TypeError);
      frame = framePixels(given, feeds.image !== undefined ? 'image' : ADAPTED);
    }
    // KILN_END_IMAGE
    // Indexed loops and no strings unless there is an error: nothing here
    // allocates (models.test.mjs measures V8's young generation).
    for (const name in feeds)
      if (!this.#inIndex.has(name) && !(frame && name === 'image')) throw fail(`unknown input '${name}' (the inputs are ${inputNames()})`, TypeError);
    const list = this.#io.inputs;
    for (let i = 0; i < list.length; i++) {
      const t = list[i];
      if (frame && t.name === MODEL.image.input) continue;
      const value = feeds[t.name];
      if (value === undefined) throw fail(`missing input '${t.name}' (the inputs are ${inputNames()})`, TypeError);
      checkArray(value, t, 'input');
    }
    this.#views();
    for (let i = 0; i < list.length; i++) {
      if (frame && list[i].name === MODEL.image.input) continue;
      this.#inViews[i].set(feeds[list[i].name]);
    }
    const ex = this.#ex;
    // KILN_IF_IMAGE
    const framePtr = frame ? this.#copyFrame(frame) : 0;
    // KILN_END_IMAGE
    ex.kiln_clear_message();
    let status = 0;
    let adapter = false;
    // KILN_IF_THREADS
    const chooser = this.#chooser;
    const mode = chooser ? chooser.next() : 0;
    if (chooser) ex.kiln_threads_serial(mode);
    this.#serial = mode;
    // A shared run keeps the workers awake from its start (waking them now,
    // while its first kernels run) to its end: between its loops they spin
    // about 200 us before sleeping instead of 25 us (kiln_threads_hold and
    // kHoldSpin, shim), a cap because a worker spinning a whole run joined
    // fewer of its loops where other processes share the cores.
    const hold = this.#pool && !mode;
    if (hold) ex.kiln_threads_hold(1);
    if (this.#pool) {
      this.#runs++;
      if (hold) this.#sharedRuns++;
    }
    // Timed only for the chooser (a time is a heap number in V8's first tiers).
    const t0 = chooser ? performance.now() : 0;
    // KILN_END_THREADS
    try {
      // The adapter writes the input's buffer; the model runs if it succeeded.
      if (frame) adapter = (status = ex[MODEL.image.export](framePtr, frame.width, frame.height, this.#io.inputs[MODEL.image.index].ptr)) !== 0;
      if (!adapter) status = this.#runOnce();
      // KILN_IF_THREADS
      if (chooser) chooser.record(mode, performance.now() - t0);
      // KILN_END_THREADS
    } catch (e) {
      throw this.#trapped(e);
    }
    // KILN_IF_THREADS
    finally {
      if (hold) ex.kiln_threads_hold(0);
    }
    // KILN_END_THREADS
    if (adapter) throw fail(`the image adapter failed (Halide error ${status})${this.#runtimeMessage()}`);
    this.#check(status);
    this.#ran = true;
    if (into === null) return this.#outputs(true);
    if (into === true) return this.#outputs(false);
    // Again: a frame larger than any before may have grown the memory.
    this.#views();
    for (const name in into) {
      const i = this.#outIndex.get(name);
      const from = this.#outViews[i];
      const count = MODEL.outputs[i].bounded ? this.#boundedLength(i) : from.length;
      into[name].set(count === from.length ? from : from.subarray(0, count));
    }
    return into;
  }

  // run()'s options, checked before the run: the caller's output arrays,
  // true for views, null for fresh arrays.
  #outputsGiven(options) {
    if (typeof options !== 'object' || options === null || ArrayBuffer.isView(options))
      throw fail(`run()'s options must be an object {outputs} or {views}, got ${tag(options)}`, TypeError);
    const { outputs: into, views } = options;
    if (views !== undefined && typeof views !== 'boolean') throw fail(`options.views must be a boolean, got ${tag(views)}`, TypeError);
    if (into === undefined) return views ? true : null;
    if (views) throw fail('give options.outputs or options.views, not both', TypeError);
    if (typeof into !== 'object' || into === null || ArrayBuffer.isView(into))
      throw fail(`options.outputs must be an object {name: TypedArray}, got ${tag(into)}`, TypeError);
    for (const name in into) {
      const i = this.#outIndex.get(name);
      if (i === undefined) throw fail(`unknown output '${name}' in options.outputs (the outputs are ${outputNames()})`, TypeError);
      checkArray(into[name], MODEL.outputs[i], 'output');
    }
    return into;
  }

  // Makes the views of the inputs' and outputs' buffers, and run({views})'s
  // object, again if the memory was replaced (grown). (In a method of its
  // own: a closure over `buffer` here would allocate a context every call.)
  #views() {
    if (this.#ex.memory.buffer !== this.#memory) this.#makeViews(this.#ex.memory.buffer);
  }

  #makeViews(buffer) {
    const view = (t) => new ARRAYS[t.dtype](buffer, t.ptr, t.bytes / ARRAYS[t.dtype].BYTES_PER_ELEMENT);
    this.#inViews = this.#io.inputs.map(view);
    this.#outViews = this.#io.outputs.map(view);
    this.#viewResult = Object.freeze(Object.fromEntries(outputs.map((t) => [t.name, this.#outViews[this.#outIndex.get(t.name)]])));
    this.#memory = buffer;
  }

  // The elements of bounded output `i` in the run just done: the run's
  // length along the bounded dimension (its count output, an int64 read as
  // its low word) times the rest.
  #boundedLength(i) {
    const desc = MODEL.outputs[i];
    const count = new Int32Array(this.#ex.memory.buffer, this.#io.outputs[desc.bounded.count].ptr, 1)[0];
    const shape = desc.shape.slice();
    shape[desc.bounded.dim] = count;
    this.#shapes[desc.name] = Object.freeze(shape);
    return elements(shape);
  }

  #runOnce() {
    const a = this.#io.args;
    return this.#ex[MODEL.exports.run](this.#ctx, a[0], a[1], a[2], a[3]);
  }

  // The outputs of the run just done: fresh arrays (copy), else views of the
  // module's memory (the same object each time, unless an output's length
  // depends on the run).
  #outputs(copy) {
    this.#views();
    if (!copy && !BOUNDED) return this.#viewResult;
    const views = this.#outViews;
    const result = {};
    for (const [i, t] of this.#io.outputs.entries()) {
      if (MODEL.outputs[i].countOf !== undefined) continue;
      const view = MODEL.outputs[i].bounded ? views[i].subarray(0, this.#boundedLength(i)) : views[i];
      // Copied out of the (possibly shared) memory into an ordinary buffer.
      result[t.name] = copy ? view.slice() : view;
    }
    return result;
  }

  /**
   * Runs the model `n` more times (default 1) on the inputs of the last
   * run(), which are still in the module's memory: nothing is copied in or
   * out, so a timed repeat(n) is the model's own time (the image adapter is
   * not run again). Returns the outputs as views of the module's memory
   * (not copies: valid until the next run, repeat or dispose). A threaded model runs as the last run() did (shared or
   * serial), its workers held across the n runs.
   */
  repeat(n = 1) {
    if (!this.#ex) throw fail('repeat() after dispose()');
    if (this.#broken) throw fail(`the module trapped in an earlier run (${this.#broken}); load the model again`);
    if (!this.#ran) throw fail('repeat() before run(): it repeats the last run()');
    if (!Number.isInteger(n) || n < 1) throw fail(`repeat() expects a whole number of at least 1, got ${tag(n) === 'number' ? n : tag(n)}`, TypeError);
    const ex = this.#ex;
    ex.kiln_clear_message();
    let status = 0;
    // KILN_IF_THREADS
    const hold = this.#pool && !this.#serial;
    if (hold) ex.kiln_threads_hold(1);
    if (this.#pool) {
      this.#runs += n;
      if (hold) this.#sharedRuns += n;
    }
    // KILN_END_THREADS
    try {
      for (let i = 0; i < n && !status; i++) status = this.#runOnce();
    } catch (e) {
      throw this.#trapped(e);
    }
    // KILN_IF_THREADS
    finally {
      if (hold) ex.kiln_threads_hold(0);
    }
    // KILN_END_THREADS
    this.#check(status);
    return this.#outputs(false);
  }

  #trapped(e) {
    this.#broken = e.message;
    return fail(`the module trapped: ${e.message}${this.#runtimeMessage()}`);
  }

  #check(status) {
    if (status === 0) return;
    const why = this.#string(this.#ex[MODEL.exports.lastError](this.#ctx)) || STATUS[status] || `status ${status}`;
    throw fail(`run failed: ${why}${this.#runtimeMessage()}`);
  }

  /** The shape of output `name` in the last run: its static shape, except
   * along the bounded dimension of an output of data-dependent length. */
  shapeOf(name) {
    const t = outputs.find((o) => o.name === name);
    if (!t) throw fail(`unknown output '${name}' (the outputs are ${outputNames()})`, TypeError);
    return this.#shapes[name] ?? t.shape;
  }

  // KILN_IF_IMAGE
  // Copies the frame into the module's scratch, which grows only for a
  // frame larger than any before (so a camera's frames allocate once).
  #copyFrame({ data, width, height }) {
    const bytes = width * height * 4;
    if (bytes > this.#frame.bytes) {
      const old = this.#frame.ptr;
      this.#frame = { ptr: this.#alloc(bytes), bytes, view: null };
      if (old) {
        this.#ex.kiln_free(old);
        this.#blocks.splice(this.#blocks.indexOf(old), 1);
      }
    }
    const f = this.#frame;
    if (f.view?.buffer !== this.#ex.memory.buffer) f.view = new Uint8Array(this.#ex.memory.buffer, f.ptr, f.bytes);
    f.view.set(data);
    return f.ptr;
  }
  // KILN_END_IMAGE

  #runtimeMessage() {
    const text = this.#string(this.#ex.kiln_message()).trim();
    return text ? ` (${text})` : '';
  }

  /**
   * Seeds the model's random ops (NAME.h's NAME_set_seed): an integer in
   * [0, 2^64), a number (up to 2^53) or a BigInt. Each run's samples depend on
   * the seed, the runs since it was set, the op and the element, the same as
   * the C library's; a loaded model has seed 0 and every run advances.
   */
  seed(seed) {
    if (!this.#ex) throw fail('seed() after dispose()');
    let value;
    if (typeof seed === 'bigint') value = seed;
    else if (Number.isSafeInteger(seed)) value = BigInt(seed);
    else throw fail(`seed() expects an integer in [0, 2^64), got ${tag(seed)}`, TypeError);
    if (value < 0n || value >= 1n << 64n) throw fail(`seed() expects an integer in [0, 2^64), got ${value}`, RangeError);
    this.#ex[MODEL.exports.setSeed](this.#ctx, value);
  }

  /** Frees the model's memory; run() throws afterwards. Safe to call twice. */
  dispose() {
    const ex = this.#ex;
    if (!ex) return;
    // KILN_IF_THREADS
    if (this.#pool) stopWorkers(ex, this.#pool.workers);
    // KILN_END_THREADS
    if (!this.#broken) {
      if (this.#ctx) ex[MODEL.exports.destroy](this.#ctx);
      for (const ptr of this.#blocks) ex.kiln_free(ptr);
    }
    this.#ctx = 0;
    this.#blocks = [];
    this.#ex = null;
  }
}
