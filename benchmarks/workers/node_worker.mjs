#!/usr/bin/env node
// One contender of the benchmark in its own Node process, driven by
// benchmarks/run.mjs over stdin/stdout with the protocol of
// native/bench_model.c ("run N" -> "ok t1 ... tN" in ms, "rss" -> "ok KB",
// "quit"). Own processes keep the runtimes apart (ONNX Runtime Web and
// onnxruntime-node share onnxruntime-common's backend registry; TF.js has
// one global backend) and let runs alternate between them.
//
//   node benchmarks/workers/node_worker.mjs <kind> '<json options>'
// kinds: ort-node {model, threads}, ort-web {model, threads = 1}, tfjs-wasm {model (model.json)},
// kiln-wasm {dir, name, threads, relaxed, adaptive} (load()'s options, for a --threads or --relaxed-simd build). Prints "ready <json>" once set up: the inputs, and
// Node's peak RSS before the runtime was loaded (baseRssKB). "modes" -> "ok PPS..."
// (a threaded Kiln model: whether each run since the last "modes" shared its
// loops with the workers, P, or kept them on the caller, S; "ok" otherwise).

import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';

import { depsDir, loadOrt, openSession } from '../../test/e2e/common.mjs';
import { clockOf } from '../lib/clock.mjs';
import { makeData, pinShape } from '../lib/inputs.mjs';
import { poolModes } from '../lib/pool_modes.mjs';
import { loadTfjsNode, readGraphModel } from '../lib/tfjs.mjs';
import { graphRunner } from '../lib/tfjs_runner.mjs';

// Feeds for an ONNX Runtime session (node or web: the same API).
function ortFeeds(ort, session) {
  const feeds = {};
  const described = [];
  session.inputMetadata.forEach((meta, i) => {
    const shape = pinShape(meta.shape);
    feeds[meta.name] = new ort.Tensor(meta.type, makeData(meta.type, shape, i + 1), shape);
    described.push({ name: meta.name, dtype: meta.type, shape });
  });
  return { feeds, described };
}

// Each returns {run: async () => void, inputs}.
const KINDS = {
  async 'ort-node'({ model, threads }) {
    const ort = loadOrt();
    const session = await openSession(ort, model, threads);
    const { feeds, described } = ortFeeds(ort, session);
    return { run: () => session.run(feeds), inputs: described };
  },

  async 'ort-web'({ model, threads = 1 }) {
    const dist = path.join(depsDir, 'node_modules/onnxruntime-web/dist');
    const ort = await import(pathToFileURL(path.join(dist, 'ort.wasm.min.mjs')).href);
    ort.env.wasm.wasmPaths = `${dist}/`;
    ort.env.wasm.numThreads = threads;
    ort.env.logLevel = 'error';
    // Bytes, not a path: in Node, ORT Web fetch()es paths as URLs.
    const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(model)), {
      executionProviders: ['wasm'],
    });
    const { feeds, described } = ortFeeds(ort, session);
    return { run: () => session.run(feeds), inputs: described };
  },

  async 'tfjs-wasm'({ model }) {
    const { tf, converter } = await loadTfjsNode('wasm');
    const graph = await converter.loadGraphModel(tf.io.fromMemory(readGraphModel(model)));
    const described = graph.inputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: pinShape(t.shape) }));
    const feeds = Object.fromEntries(
      described.map((t, i) => [t.name, tf.tensor(makeData(t.dtype, t.shape, i + 1), t.shape, t.dtype)]),
    );
    const run = graphRunner(tf, graph, feeds);
    return { run, inputs: described };
  },

  async 'kiln-wasm'({ dir, name, threads, relaxed, adaptive }) {
    const loader = await import(pathToFileURL(path.join(dir, `${name}.mjs`)).href);
    const model = await loader.load(undefined, { ...(threads ? { threads } : {}), ...(relaxed !== undefined ? { relaxed } : {}),
      ...(adaptive !== undefined ? { adaptive } : {}) });
    if (threads && model.backend.threads !== threads) throw new Error(`Kiln runs on ${model.backend.threads} thread(s): ${model.backend.reason}`);
    if (relaxed !== undefined && model.backend.relaxed !== relaxed) throw new Error(`Kiln's relaxed SIMD module ${relaxed ? 'did not' : 'did'} run: ${model.backend.reason}`);
    const described = model.inputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape] }));
    const feeds = Object.fromEntries(described.map((t, i) => [t.name, makeData(t.dtype, t.shape, i + 1)]));
    return { run: () => model.run(feeds), inputs: described, ...poolModes(model) };
  },
};

// Peak resident set in KB of this process's own address space (VmHWM):
// resourceUsage().maxRSS would include the parent's peak, which Linux
// carries across the exec that started this worker.
function peakRssKB() {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {}
  return process.resourceUsage().maxRSS;
}

async function main() {
  // Node's own peak memory before the runtime loads: subtracted in the report.
  const baseRssKB = peakRssKB();
  const [kind, json] = process.argv.slice(2);
  if (!KINDS[kind]) throw new Error(`unknown kind '${kind}' (expected ${Object.keys(KINDS).join(', ')})`);
  const options = JSON.parse(json ?? '{}');
  const contender = await KINDS[kind](options);
  // {clock: 'cpu'} (any kind): each run's time is the process's CPU time
  // (process.cpuUsage: user + system of all of Node's threads), not wall
  // time: for a 1-thread runtime on a shared machine a preempted run is not
  // slower code (benchmarks/tuner/vs_autoschedulers.mjs --device node).
  const now = clockOf(options.clock);
  console.log(`ready ${JSON.stringify({ baseRssKB, inputs: contender.inputs })}`);
  for await (const line of readline.createInterface({ input: process.stdin })) {
    const run = /^run (\d+)$/.exec(line.trim());
    if (run) {
      const times = [];
      for (let i = 0; i < Number(run[1]); i++) {
        const t0 = now();
        await contender.run();
        // (CPU time ticks in microseconds: the floor keeps a run's time positive.)
        times.push(Math.max(now() - t0, 1e-3));
        contender.after?.();
      }
      console.log(`ok ${times.map((t) => t.toFixed(4)).join(' ')}`);
    } else if (line.trim() === 'rss') console.log(`ok ${peakRssKB()}`);
    else if (line.trim() === 'modes') console.log(`ok ${contender.modes?.() ?? ''}`);
    else if (line.trim() === 'quit') break;
    else throw new Error(`unknown command '${line}'`);
  }
  process.exit(0);
}

main().catch((e) => {
  console.log(`error ${String(e.message ?? e).split('\n')[0]}`);
  process.exit(1);
});
