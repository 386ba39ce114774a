// The WASM runners' warm-up (timing.test): tuner/runners/measure.mjs must
// run a candidate untimed first (the first call touches memory; then calls
// for 20 ms, so that V8's tier-up is done) and only then time it. The
// candidate here is a fake loaded through a fake loader: its first call,
// whichever it is, costs 30 ms (a cold start), later ones next to nothing.
// Checked: the first call is run() (the untimed warm-up), the first timed
// repeat() starts 20 ms or more after it ended, and no timed group holds
// the cold 30 ms. Prints "warm-up ok" or what failed.
//   node warmup.mjs MEASURE_MJS
import { pathToFileURL } from 'node:url';

const measure = await import(pathToFileURL(process.argv[2]).href);
const calls = [];
globalThis.fakeCalls = calls;
const loader = `
  let cold = true;
  const spin = (ms) => { for (const until = performance.now() + ms; performance.now() < until;); };
  const cost = () => { if (cold) { cold = false; spin(30); } };
  const log = (what) => globalThis.fakeCalls.push({ what, start: performance.now() });
  export async function load() {
    return {
      inputs: [{ name: 'x', dtype: 'float32', shape: [4] }],
      backend: { name: 'simd' },
      run(inputs) { log('run'); cost(); globalThis.fakeCalls.at(-1).end = performance.now(); return { y: Float32Array.from(inputs.x) }; },
      repeat(n) { log('repeat'); cost(); spin(0.01 * n); },
      dispose() {},
    };
  }`;
const url = 'data:text/javascript;base64,' + Buffer.from(loader).toString('base64');
const iface = await measure.compile(1, 'task', url);
measure.setInputs('task', Object.fromEntries(iface.map((t) => [t.name, { dtype: t.dtype, length: 4, values: [1, 2, 3, 4] }])));
const reply = await measure.run(1, 50, true);
const failures = [];
if (reply.status !== 'ok') failures.push(`reply ${JSON.stringify(reply)}`);
if (calls[0]?.what !== 'run') failures.push(`the first call was ${calls[0]?.what}, not the untimed run()`);
const firstTimed = calls.find((c) => c.what === 'repeat');
if (!firstTimed || firstTimed.start - calls[0].end < 20)
  failures.push(`the first timed call started ${firstTimed ? (firstTimed.start - calls[0].end).toFixed(1) : '-'} ms after the first run ended, not 20 or more`);
const worst = Math.max(...(reply.times_ms ?? [Infinity]));
if (!(worst < 5)) failures.push(`a timed group took ${worst} ms a run: the cold start was timed`);
console.log(failures.length ? failures.map((f) => 'FAIL: ' + f).join('\n') : `warm-up ok: ${calls.filter((c) => c.what === 'run').length} untimed runs, ${reply.times_ms.length} timed groups`);
process.exit(failures.length ? 1 : 0);
