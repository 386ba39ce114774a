// A contender running in a child process (native/bench_model.c or
// workers/node_worker.mjs), spoken to one line at a time: "ready ..." once,
// then "ok ..." or "error ..." per command (see bench_model.c).

import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export class ContenderError extends Error {}

const NODE_WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), '../workers/node_worker.mjs');

// Node 20 runs WebAssembly relaxed SIMD only behind this flag.
export const RELAXED_FLAGS = ['--experimental-wasm-relaxed-simd'];

/** workers/node_worker.mjs running `kind` with `options`, Node started with `nodeFlags`. */
export function nodeWorker(id, kind, options, nodeFlags = []) {
  return new ChildContender(id, process.execPath, [...nodeFlags, NODE_WORKER, kind, JSON.stringify(options)]);
}

export class ChildContender {
  /**
   * `id`: the contender's key in the results; `command`, `args`: the child;
   * `timeoutMs`: how long one command may take before the child is killed.
   */
  constructor(id, command, args, { timeoutMs = 300000, env } = {}) {
    this.id = id;
    this.command = command;
    this.args = args;
    this.timeoutMs = timeoutMs;
    this.env = env;
    this.lines = [];
    this.waiting = null;
    this.stderr = '';
  }

  /** Starts the child; resolves with the text after "ready". */
  async start() {
    this.child = spawn(this.command, this.args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...this.env },
    });
    this.child.stderr.on('data', (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.child.on('error', (e) => (this.stderr += e.message)); // e.g. no such program: 'close' follows
    this.child.stdin.on('error', () => {}); // EPIPE once the child is gone: 'close' reports it
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve(signal ?? code)));
    this.exited.then((status) => {
      this.status = status;
      this.closed = true;
      this.deliver(null);
    });
    readline.createInterface({ input: this.child.stdout }).on('line', (line) => this.deliver(line));
    const ready = await this.reply('start');
    if (ready === null || !ready.startsWith('ready')) this.fail('start', ready);
    return ready.slice('ready'.length).trim();
  }

  // The next protocol line ("ready", "ok" or "error ..."; null if the child
  // exited): anything else a library prints on stdout is skipped.
  async reply(what) {
    for (;;) {
      const line = await this.nextLine(what);
      if (line === null || /^(ready|ok|error)\b/.test(line)) return line;
    }
  }

  deliver(line) {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve(line);
    } else this.lines.push(line);
  }

  nextLine(what) {
    if (this.lines.length) return Promise.resolve(this.lines.shift());
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new ContenderError(`${this.id}: '${what}' took longer than ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
      this.waiting = (line) => {
        clearTimeout(timer);
        resolve(line);
      };
    });
  }

  fail(what, line) {
    const stderr = this.stderr.trim().split('\n').slice(-3).join(' | ');
    const detail = line === null ? `exited with status ${this.status}${stderr ? `: ${stderr}` : ''}` : line;
    throw new ContenderError(`${this.id}: '${what}' failed: ${detail}`);
  }

  /** Sends one command; returns the words after "ok". */
  async send(text) {
    this.child.stdin.write(`${text}\n`);
    const line = await this.reply(text);
    if (line === null || !line.startsWith('ok')) this.fail(text, line);
    return line.slice(2).trim().split(/\s+/).filter(Boolean);
  }

  /** Runs the model n times; milliseconds per run. */
  async run(n) {
    const times = (await this.send(`run ${n}`)).map(Number);
    if (times.length !== n || !times.every((t) => Number.isFinite(t) && t > 0))
      throw new ContenderError(`${this.id}: 'run ${n}' returned ${times.length} bad times`);
    return times;
  }

  /** A threaded Kiln model's runs since the last call: P shared, S kept on the caller (workers/node_worker.mjs). */
  async modes() {
    return (await this.send('modes'))[0] ?? '';
  }

  /** Peak resident set of the child, in KB. */
  async rss() {
    return Number((await this.send('rss'))[0]);
  }

  /** Per kernel call, {fn, us}: the function called and its median microseconds (bench_model built for kernels). */
  async kernels(n) {
    const [count, ...pairs] = await this.send(`kernels ${n}`);
    const calls = pairs.map((p) => p.split(':').map(Number)).map(([fn, us]) => ({ fn, us }));
    if (calls.length !== Number(count) || !calls.every((c) => Number.isInteger(c.fn) && Number.isFinite(c.us)))
      throw new ContenderError(`${this.id}: 'kernels ${n}' returned a malformed line`);
    return calls;
  }

  async close() {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.stdin.end('quit\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
