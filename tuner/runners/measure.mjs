// The WASM runners' measuring core, the same code in Node and in a browser
// page (tuner/runners/wasm_runner.mjs imports it in one or the other): it
// loads a candidate's artifact through its own loader, runs it on the
// task's inputs (made by wasm_runner.mjs), times it and compares its outputs
// with the task's reference, as the native runner does (tuner/RunnerMain.cpp).
// It imports nothing: a page cannot load Node's modules.

const candidates = new Map(); // id -> {model, task}

// KILN_TUNE_CLOCK=cpu in Node (a page gets its clock from the runner
// instead: kilnCpuMs, tuner/runners/chromium.mjs): runs are timed in
// the process's CPU time (user + system, microseconds), as the library
// runner's harness does for native 1-thread tunes: on a shared machine a
// run preempted by other processes is not slower code. The candidate runs
// on this thread alone; V8's tier-up compiles are done during the warm-up
// (run, below), and a run allocates nothing for the GC. The benchmarks have
// the same clock in benchmarks/lib/clock.mjs; it is not imported here: this
// file imports nothing (above), and the tuner depends on nothing under
// benchmarks/.
const cpuClock = typeof process !== 'undefined' && process.env?.KILN_TUNE_CLOCK === 'cpu';
const now = cpuClock ? () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
} : () => performance.now();
const tasks = new Map(); // task -> {inputs, reference}

const ARRAYS = { float32: Float32Array, float16: Uint16Array, int64: BigInt64Array, int32: Int32Array,
  int16: Int16Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array, uint16: Uint16Array,
  uint32: Uint32Array, uint64: BigUint64Array, float64: Float64Array, bfloat16: Uint16Array };

// The largest difference from the reference relative to each output's range
// (1 for a constant output); Infinity on a NaN mismatch or a differing
// integer output.
export function relativeError(got, want) {
  let worst = 0;
  for (const [name, w] of Object.entries(want)) {
    const g = got[name];
    if (!g || g.length !== w.length) return Infinity;
    if (!(w instanceof Float32Array || w instanceof Float64Array)) {
      for (let i = 0; i < w.length; ++i) if (g[i] !== w[i]) return Infinity;
      continue;
    }
    let lo = Infinity, hi = -Infinity;
    for (const v of w) if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const range = hi > lo ? hi - lo : 1;
    for (let i = 0; i < w.length; ++i) {
      if (Number.isNaN(w[i]) !== Number.isNaN(g[i])) return Infinity;
      if (!Number.isNaN(w[i])) worst = Math.max(worst, Math.abs(g[i] - w[i]) / range);
    }
  }
  return worst;
}

/**
 * Loads the artifact whose loader is at `url` as candidate `id` of `task`.
 * With `threads` > 1 the artifact is the threaded module alone, loaded on a
 * pool of that many threads by its loader's own pool code, every run shared
 * (adaptive: false: PoolChooser would run some on the caller alone) and its
 * workers held awake for the run, as the loader holds them in a real run.
 * Returns the task's interface (names, dtypes, shapes) when its inputs are
 * still to be given (setInputs), else null.
 */
export async function compile(id, task, url, threads = 1) {
  const loader = await import(url);
  const model = await loader.load(undefined, threads > 1 ? { simd: true, threads, adaptive: false } : { simd: true });
  if (threads > 1 && model.backend.name !== 'threads') {
    const why = model.backend.reason;
    model.dispose();
    throw new Error(`the threaded module did not load on ${threads} threads: ${why}`);
  }
  candidates.set(id, { model, task, threads });
  if (tasks.has(task)) return null;
  return model.inputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape] }));
}

/**
 * The task's inputs, {name: {dtype, length, values}}: plain numbers (or,
 * into a page, float32 `base64`); values null for zeros.
 */
export function setInputs(task, inputs) {
  const arrays = {};
  for (const [name, t] of Object.entries(inputs)) {
    arrays[name] = new ARRAYS[t.dtype](t.length);
    if (t.values) arrays[name].set(t.values);
    // Into a page the values come as the float32 bytes in base64: as an
    // array of numbers playwright serializes each one (a 128x128x24 input
    // took 26 s at load 7, past the tuner's 30 s request timeout).
    if (t.base64) arrays[name].set(new Float32Array(Uint8Array.from(atob(t.base64), (c) => c.charCodeAt(0)).buffer));
  }
  tasks.set(task, { inputs: arrays, reference: null });
}

/**
 * Times about `iterations` of the module's own runs (the loader's repeat(),
 * no copies) after a warm-up, in groups of at least 5 ms
 * each timed as a whole: a page that is not cross-origin isolated reads a
 * clock coarsened to 0.1 ms, too coarse for one run of a small kernel.
 * In a page lent a CPU clock (kilnCpuMs, tuner/runners/chromium.mjs) the
 * groups are timed in the renderer thread's CPU time, at least 20 ms each,
 * less what a reading costs (a call out of the page). times_ms holds each group's
 * time per run. The reply's fields are the protocol's.
 */
export async function run(id, iterations, reference, referenceTask) {
  const c = candidates.get(id);
  if (!c) return { status: 'error', message: `no compiled candidate ${id}` };
  const state = tasks.get(c.task);
  const times = [];
  // On a pool the process's CPU time counts the workers (their spinning
  // too), and the page's renderer thread only its share: neither is the
  // time a run takes, so wall time there (in a page cross-origin isolated,
  // performance.now() is coarsened to 5 us, not 0.1 ms).
  const lent = typeof globalThis.kilnCpuMs === 'function' && c.threads === 1 ? globalThis.kilnCpuMs : null;
  const cpu = cpuClock && c.threads === 1;
  let outputs;
  try {
    // Warm-up, through run(): the first call touches the memory and gives
    // the outputs compared below; then calls for at least 20 ms of wall
    // time, so that V8's tier-up (background compiles, which the CPU clock
    // would count) is done before timing; the next calls size the groups.
    outputs = c.model.run(state.inputs);
    for (const until = performance.now() + 20; performance.now() < until;) c.model.run(state.inputs);
    const clock = lent ?? (cpu ? now : () => performance.now());
    const groupMs = lent ? 20 : 5;
    const overhead = lent ? globalThis.kilnCpuOverheadMs ?? 0 : 0; // one reading's cost
    // The timed runs are the module's own (the loader's repeat(): the
    // inputs the warm-up put in its memory, the outputs left there, a
    // pool's workers held across the group), not run()'s copies in and
    // out, which cost as much as a small kernel (a fresh 1.5 MB output
    // array about 1 ms).
    // The groups are sized from calls of 1, 4, 16... runs until one lasts a
    // quarter of a group: one run alone is a poor guide, as the first run
    // on a pool pays the workers' wake-up (55-60 us; sized from it, the
    // groups of a 2 us kernel on 2 threads were 8 runs, 16 us, which the
    // page's 5 us clock read in steps of 30%).
    let start, runs = 1, spent;
    for (;; runs = Math.min(runs * 4, iterations)) {
      start = await clock();
      c.model.repeat(runs);
      spent = (await clock()) - start - overhead;
      if (spent >= groupMs / 4 || runs >= iterations) break;
    }
    const once = Math.max(spent, 1e-3) / runs;
    const group = Math.max(1, Math.min(iterations, Math.ceil(groupMs / once)));
    for (let done = 0; done < iterations || times.length === 0; done += group) {
      start = await clock();
      c.model.repeat(group);
      times.push(Math.max((await clock()) - start - overhead, 1e-3) / group);
    }
  } catch (e) {
    return { status: 'crash', message: String(e && e.message || e) };
  }
  if (reference) state.reference = outputs;
  const against = referenceTask ? tasks.get(referenceTask) : state;
  if (!against || !against.reference) return { status: 'error', message: 'no reference to compare with' };
  const error = relativeError(outputs, against.reference);
  // "clock": the clock the groups were timed on (the protocol's word, which
  // kiln-tune reports): the lent renderer-thread clock or Node's CPU time,
  // else wall time.
  return { status: error <= 1e-4 ? 'ok' : 'wrong', times_ms: times, error: Number.isFinite(error) ? error : 1e30,
    clock: lent || cpu ? 'cpu' : 'wall' };
}

/** Frees a candidate's module. */
export function forget(id) {
  const c = candidates.get(id);
  candidates.delete(id);
  if (c) c.model.dispose();
}
