// wasm_runner.mjs: runs one model compiled by kilnc --target=wasm through its
// generated loader (NAME.mjs) in Node, for kiln-conformance --target=wasm.
//   node wasm_runner.mjs <NAME.mjs> <inputs-dir> <outputs-dir>
// Reads <inputs-dir>/<input name>.bin and writes <outputs-dir>/<output
// name>.bin, raw little-endian bytes, names as test/e2e/native/tensor_files.h
// writes them. Errors go to stderr with exit status 1.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ARRAYS = {
  float32: Float32Array, float16: Uint16Array, int64: BigInt64Array, int32: Int32Array,
  int16: Int16Array, int8: Int8Array, uint8: Uint8Array, bool: Uint8Array,
  uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array, float64: Float64Array, bfloat16: Uint16Array,
};
const file = (dir, name) => path.join(dir, `${name.replace(/[^A-Za-z0-9._:+=-]/g, '_')}.bin`);

const [loader, inDir, outDir] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node wasm_runner.mjs <NAME.mjs> <inputs-dir> <outputs-dir>');
  process.exit(2);
}
try {
  const lib = await import(pathToFileURL(path.resolve(loader)).href);
  const model = await lib.load();
  const feeds = {};
  for (const t of model.inputs) {
    const Array = ARRAYS[t.dtype];
    if (!Array) throw new Error(`input '${t.name}': no typed array for dtype ${t.dtype}`);
    const bytes = fs.readFileSync(file(inDir, t.name));
    // A fresh, aligned buffer: Buffer's pool may start at any offset.
    const copy = new Uint8Array(bytes.length);
    copy.set(bytes);
    feeds[t.name] = new Array(copy.buffer);
  }
  const results = model.run(feeds);
  for (const t of model.outputs) {
    const a = results[t.name];
    fs.writeFileSync(file(outDir, t.name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  model.dispose();
} catch (e) {
  console.error(e.message);
  process.exit(1);
}
