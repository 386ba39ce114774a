// What the node-side runners share (the WASM runners, wasm_runner.mjs, and
// the library runner, library_runner.mjs): the inputs every runner gives a
// task, and the request loop of the protocol (tuner/README.md, "The runner
// protocol").

import fs from 'node:fs';
import readline from 'node:readline';

// Replies only on stdout: anything else printed goes to stderr.
export const reply = (object) => fs.writeSync(1, JSON.stringify(object) + '\n');
console.log = console.info = console.warn = (...a) => process.stderr.write(a.join(' ') + '\n');

/** The runner's `--name=value` arguments (kiln-tune passes them), as an object. */
export const runnerArgs = () =>
  Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split(/=(.*)/s).slice(0, 2)));

/** Answers each request line on stdin with `await handle(request)`, until stdin closes. */
export async function serve(handle) {
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    let request;
    try {
      request = JSON.parse(line);
    } catch {
      reply({ status: 'error', message: 'not a JSON object' });
      continue;
    }
    reply(await handle(request));
  }
}

// Inputs fixed by the task's interface (names and shapes), so that every
// candidate of a task, and the template- and tuned-scheduled model, get the
// same: floats uniform in [-1, 1], everything else zero (index inputs stay
// in range). Plain numbers: they cross into the page.
export function makeInputs(infos) {
  const next = xorshift(infos.map((t) => `${t.name}:${t.shape.join('x')};`).join(''));
  const inputs = {};
  for (const t of infos) {
    const length = t.shape.reduce((a, b) => a * b, 1);
    const values = t.dtype === 'float32' ? Array.from({ length }, () => (next() / 4294967296) * 2 - 1) : null;
    inputs[t.name] = { dtype: t.dtype, length, values };
  }
  return inputs;
}

// xorshift32 seeded with the FNV-1a hash of `text`: uint32 values, the same
// sequence for the same interface. Any fixed generator serves: the runner
// compares candidates with the reference it computed from the same inputs.
function xorshift(text) {
  let x = 0x811c9dc5;
  for (const ch of text) x = Math.imul(x ^ ch.codePointAt(0), 0x01000193) >>> 0;
  x = x || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}
