// The browser tests' page script (served as /page.mjs by chromium.mjs, under
// a strict Content-Security-Policy): imports a model's loader, loads and runs
// it on the inputs served beside it, and hands the results back to the test
// through window functions. Outputs travel back as plain arrays (exact for
// float32 values).
//
// Each window function does its work in a task of the page's own (`task`):
// code that Playwright's page.evaluate calls directly runs on a DevTools
// stack, where Chromium lets eval through whatever the policy says.

// Every CSP violation the page reports (none may happen while a model loads
// and runs).
window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.violations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));

// Counts streaming compiles: the loader must use them when served application/wasm.
const compileStreaming = WebAssembly.compileStreaming;
window.streamed = 0;
WebAssembly.compileStreaming = (...args) => (window.streamed++, compileStreaming.apply(WebAssembly, args));

const task = (fn) => (...args) => new Promise((resolve, reject) => setTimeout(() => fn(...args).then(resolve, reject), 0));

const ARRAYS = { float32: Float32Array, int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array, int8: Int8Array, bool: Uint8Array };

// Whether run(feeds, {outputs}) into the page's own arrays and
// run(feeds, {views: true}) give `outputs` (a default run's), bit for bit.
function sameWhenGivenOrViewed(m, feeds, outputs) {
  const given = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, new v.constructor(v.length)]));
  const same = (a, b) => a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
  if (m.run(feeds, { outputs: given }) !== given) return false;
  const views = m.run(feeds, { views: true });
  return Object.keys(outputs).every((k) => same(given[k], outputs[k]) && same(views[k], outputs[k]));
}

async function readFeeds(name) {
  const manifest = await (await fetch(`/in/${name}/manifest.json`)).json();
  const feeds = {};
  for (const t of manifest.tensors) {
    const bytes = await (await fetch(`/in/${name}/${encodeURIComponent(t.file)}`)).arrayBuffer();
    feeds[t.name] = new ARRAYS[t.dtype](bytes);
  }
  return feeds;
}

window.runModel = task(async (name, simd, kind = 'm') => {
  const model = await import(`/${kind}/${name}/${name}.mjs`);
  const m = await model.load(undefined, { simd });
  const feeds = await readFeeds(name);
  const outputs = m.run(feeds);
  const result = { simd: m.simd, simdSupported: model.simdSupported(), streamed: window.streamed, outputs: {} };
  if (simd) result.sameWhenGivenOrViewed = sameWhenGivenOrViewed(m, feeds, outputs);
  for (const [k, v] of Object.entries(outputs)) result.outputs[k] = Array.from(v);
  m.dispose();
  return result;
});

// A threaded artifact (served at /t/NAME/) on `threads` threads: the backend
// the loader chose, whether the page is isolated, the outputs, and the memory
// and worker count before and after `runs` more runs.
window.runThreaded = task(async (name, threads, runs = 0) => {
  const model = await import(`/t/${name}/${name}.mjs`);
  const m = await model.load(undefined, { threads });
  const outputs = m.run(await readFeeds(name));
  const memory = m.memoryBytes;
  const feeds = await readFeeds(name);
  for (let i = 0; i < runs; i++) m.run(feeds);
  const result = { isolated: window.crossOriginIsolated, backend: { ...m.backend }, memory, memoryAfter: m.memoryBytes, outputs: {} };
  result.sameWhenGivenOrViewed = sameWhenGivenOrViewed(m, feeds, outputs);
  for (const [k, v] of Object.entries(outputs)) result.outputs[k] = Array.from(v);
  m.dispose();
  return result;
});

// A threaded artifact loaded with no thread count on a page whose
// navigator.hardwareConcurrency reads `cores` (overridden here, before the
// loader reads it): the backend the loader chose and how many workers it
// created in load and then in 5 runs, counted by a Worker class that wraps
// the page's.
window.defaultThreads = task(async (name, cores) => {
  const PageWorker = window.Worker;
  let workers = 0;
  window.Worker = class extends PageWorker {
    constructor(...args) {
      super(...args);
      workers++;
    }
  };
  Object.defineProperty(navigator, 'hardwareConcurrency', { value: cores, configurable: true });
  try {
    const m = await (await import(`/t/${name}/${name}.mjs`)).load();
    const result = { backend: { ...m.backend }, workers, pool: m.poolStats !== null };
    const feeds = await readFeeds(name);
    for (let i = 0; i < 5; i++) m.run(feeds);
    result.workersInRuns = workers - result.workers;
    m.dispose();
    return result;
  } finally {
    delete navigator.hardwareConcurrency;
    window.Worker = PageWorker;
  }
});

// The errors of bad input: [constructor name, message] each.
window.badInput = task(async (name) => {
  const model = await import(`/m/${name}/${name}.mjs`);
  const m = await model.load();
  const input = model.inputs[0].name;
  const attempts = [
    () => m.run({ [input]: new Float32Array(3) }),
    () => m.run({ [input]: new Int32Array(3) }),
    () => m.run({ nope: new Float32Array(3) }),
  ];
  const errors = [];
  for (const attempt of attempts) {
    try {
      attempt();
      errors.push(['none', 'no error']);
    } catch (e) {
      errors.push([e.constructor.name, e.message]);
    }
  }
  m.dispose();
  try {
    m.run({});
  } catch (e) {
    errors.push([e.constructor.name, e.message]);
  }
  return errors;
});

// Whether eval is refused here (the policy is in force) and what loading a
// model gives: 'ok', or the error's message.
window.policyCheck = task(async (name) => {
  let evalRefused = false;
  try {
    (0, eval)('1');
  } catch (e) {
    evalRefused = e instanceof EvalError;
  }
  // Violation events come as a task of their own.
  for (let i = 0; i < 50 && evalRefused && !window.violations.length; i++) await new Promise((r) => setTimeout(r, 20));
  const reported = window.violations.splice(0);
  let load = 'ok';
  try {
    const model = await import(`/m/${name}/${name}.mjs`);
    (await model.load()).dispose();
  } catch (e) {
    load = e.message;
  }
  await new Promise((r) => setTimeout(r, 100)); /* let any violation report arrive */
  return { evalRefused, reported, load, violations: window.violations.splice(0) };
});

// Runs a model `runs` times after a first run; every `every` runs records the
// module's memory (WebAssembly memory, and the bytes its allocator has handed
// out: the shim's kiln_heap_in_use, read from the exports caught as the
// loader instantiates) and the JS heap.
window.soak = task(async (name, runs, every) => {
  const instantiate = WebAssembly.instantiate;
  let ex;
  WebAssembly.instantiate = async (...args) => {
    const r = await instantiate.apply(WebAssembly, args);
    ex = (r.instance ?? r).exports;
    return r;
  };
  let m;
  try {
    m = await (await import(`/m/${name}/${name}.mjs`)).load();
  } finally {
    WebAssembly.instantiate = instantiate;
  }
  const feeds = await readFeeds(name);
  const first = m.run(feeds);
  const point = (run) => ({ run, memory: m.memoryBytes, heap: ex.kiln_heap_in_use(), jsHeap: performance.memory?.usedJSHeapSize ?? null });
  const points = [point(1)];
  let last = first;
  const start = performance.now();
  for (let i = 2; i <= runs; i++) {
    last = m.run(feeds);
    if (i % every === 0 || i === runs) points.push(point(i));
  }
  const ms = performance.now() - start;
  const same = Object.keys(first).every((k) => first[k].every((v, i) => Object.is(v, last[k][i])));
  m.dispose();
  return { points, msPerRun: ms / Math.max(runs - 1, 1), same };
});

window.ready = true;
