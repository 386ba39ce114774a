#!/usr/bin/env node
// Runs a Kiln-compiled WebAssembly model (NAME.mjs beside NAME.wasm) in Node
// on a tensor directory and writes its outputs as another: the WASM half of
// the sweep, in a process of its own so that a trap or an abort is that
// case's failure and not the sweep's.
//
//   node test/sweep/wasm_run.mjs DIR/NAME.mjs --inputs-dir D --outputs-dir O [--nosimd]
//
// --nosimd loads NAME.nosimd.wasm (the fallback module) instead.

import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { UsageError, parseArgs, runMain } from '../e2e/common.mjs';
import { readTensorDir, writeTensorDir } from '../e2e/tensor_dir.mjs';

const USAGE = 'usage: node test/sweep/wasm_run.mjs DIR/NAME.mjs --inputs-dir D --outputs-dir O [--nosimd]';

async function main(argv) {
  const nosimd = argv.includes('--nosimd');
  const args = parseArgs(
    argv.filter((a) => a !== '--nosimd'),
    { '--inputs-dir': 'string', '--outputs-dir': 'string' },
    ['loader'],
  );
  if (!args['inputs-dir'] || !args['outputs-dir']) throw new UsageError('--inputs-dir and --outputs-dir are required');
  const loader = await import(pathToFileURL(path.resolve(args.loader)).href);
  const m = await loader.load(undefined, nosimd ? { simd: false } : {});
  try {
    const feeds = Object.fromEntries(readTensorDir(args['inputs-dir']).map((t) => [t.name, t.data]));
    const outputs = m.run(feeds);
    writeTensorDir(
      args['outputs-dir'],
      loader.outputs.map((t) => ({ name: t.name, dtype: t.dtype, shape: [...t.shape], data: outputs[t.name] })),
    );
  } finally {
    m.dispose();
  }
}

runMain('wasm_run', USAGE, main);
