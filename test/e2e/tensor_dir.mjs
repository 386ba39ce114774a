// A tensor directory: how Kiln's end-to-end tests pass tensors between the
// input generator, the ONNX Runtime oracle, compiled models and the comparer.
//
//   DIR/<file>.bin   raw little-endian elements, row-major, no header
//   DIR/manifest.json
//     {"format": "kiln-tensors-v1",
//      "tensors": [{"name": "input:0", "file": "input:0.bin",
//                   "dtype": "float32", "shape": [1, 128, 128, 3]}, ...]}
//
// Raw files (not .npy or TensorProto) so that a C or C++ test can read and
// write them with fread/fwrite and no library; the manifest keeps names,
// dtypes and shapes beside them. The file is the tensor's name plus ".bin",
// with characters that are unsafe in a file name replaced by '_'.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const MANIFEST = 'manifest.json';

// A bad or missing file, as opposed to a bug: reported on one line.
export class TensorDirError extends Error {}
export const FORMAT = 'kiln-tensors-v1';

// dtype name (as ONNX Runtime's JS API spells it) -> typed array class.
export const DTYPES = {
  float32: Float32Array,
  float64: Float64Array,
  float16: Uint16Array, // raw IEEE half bits
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  bool: Uint8Array,
};

// Typed arrays use the host's byte order and the files are little-endian.
if (os.endianness() !== 'LE') throw new TensorDirError('tensor_dir: big-endian hosts are not supported');

export const isFloat = (dtype) => dtype.startsWith('float');

export function elementCount(shape) {
  return shape.reduce((n, d) => n * d, 1);
}

export function fileNameFor(name) {
  const safe = name.replace(/[^A-Za-z0-9._:+=-]/g, '_').replace(/^\.+/, '_');
  return `${safe || '_'}.bin`;
}

function checkTensor({ name, dtype, shape, data }) {
  if (!(dtype in DTYPES)) throw new TensorDirError(`tensor '${name}': unsupported dtype '${dtype}'`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
    throw new TensorDirError(`tensor '${name}': bad shape ${JSON.stringify(shape)}`);
  if (data && data.length !== elementCount(shape))
    throw new TensorDirError(`tensor '${name}': ${data.length} elements for shape [${shape}]`);
}

// Writes tensors ({name, dtype, shape, data: typed array}) and the manifest.
export function writeTensorDir(dir, tensors) {
  fs.mkdirSync(dir, { recursive: true });
  const entries = [];
  const files = new Set();
  for (const t of tensors) {
    checkTensor(t);
    const file = fileNameFor(t.name);
    if (files.has(file)) throw new TensorDirError(`tensors '${t.name}' and another share file '${file}'`);
    files.add(file);
    const bytes = Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    fs.writeFileSync(path.join(dir, file), bytes);
    entries.push({ name: t.name, file, dtype: t.dtype, shape: [...t.shape] });
  }
  const manifest = { format: FORMAT, tensors: entries };
  // One tensor a line: readable, and diffs stay small.
  const lines = entries.map((e) => '  ' + JSON.stringify(e)).join(',\n');
  const text = `{"format": "${FORMAT}", "tensors": [\n${lines}\n]}\n`;
  fs.writeFileSync(path.join(dir, MANIFEST), text);
  return manifest;
}

// Reads a manifest; null when the directory has none.
export function readManifest(dir) {
  const file = path.join(dir, MANIFEST);
  if (!fs.existsSync(file)) return null;
  let manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TensorDirError(`${file}: not valid JSON (${e.message})`);
  }
  if (manifest.format !== FORMAT || !Array.isArray(manifest.tensors))
    throw new TensorDirError(`${file}: not a ${FORMAT} manifest`);
  for (const t of manifest.tensors) checkTensor(t);
  return manifest;
}

// Reads one raw tensor file as a typed array, checking its size.
export function readRaw(file, dtype, shape) {
  if (!fs.existsSync(file)) throw new TensorDirError(`${file}: no such file`);
  const buf = fs.readFileSync(file);
  const Type = DTYPES[dtype];
  const want = elementCount(shape) * Type.BYTES_PER_ELEMENT;
  if (buf.length !== want)
    throw new TensorDirError(`${file}: ${buf.length} bytes, expected ${want} for ${dtype} [${shape}]`);
  // Copy into a fresh, aligned buffer: a Buffer may sit at any offset.
  const data = new Type(elementCount(shape));
  new Uint8Array(data.buffer).set(buf);
  return data;
}

// Reads every tensor a directory's manifest lists.
export function readTensorDir(dir) {
  const manifest = readManifest(dir);
  if (!manifest) throw new TensorDirError(`${dir}: no ${MANIFEST}`);
  return manifest.tensors.map((t) => ({
    ...t,
    data: readRaw(path.join(dir, t.file), t.dtype, t.shape),
  }));
}
