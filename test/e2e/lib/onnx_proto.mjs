// ONNX files for the end-to-end tests' own references: models and the
// TensorProto files of the ONNX node tests (input_0.pb, output_0.pb),
// decoded with ONNX's own schema (libonnx-dev's onnx.proto) by protobufjs
// from the npm peers. Tensors come back as { name, dtype, shape, data } with
// the dtype names and typed arrays of tensor_dir.mjs.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

import { depsDir } from '../common.mjs';
import { DTYPES, elementCount } from '../tensor_dir.mjs';

const require = createRequire(import.meta.url);
const protobuf = require(path.join(depsDir, 'node_modules/protobufjs'));

let root = null;
export function onnxSchema() {
  root ??= protobuf.loadSync('/usr/include/onnx/onnx.proto');
  return root;
}

// TensorProto.DataType -> tensor_dir dtype; the ones this reader takes.
const DTYPE_OF = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64',
};
export const ONNX_TYPE = Object.fromEntries(Object.entries(DTYPE_OF).map(([k, v]) => [v, Number(k)]));

const long = (v) => BigInt(typeof v === 'number' ? v : v.toString());

// A decoded TensorProto message -> { name, dtype, shape, data }.
export function tensorOf(t) {
  const dtype = DTYPE_OF[t.dataType];
  if (!dtype) throw new Error(`tensor '${t.name}': data type ${t.dataType} is not supported here`);
  if (t.dataLocation === 1) throw new Error(`tensor '${t.name}': external data is not supported here`);
  const shape = (t.dims || []).map(Number);
  const Type = DTYPES[dtype];
  const count = elementCount(shape);
  let data;
  if (t.rawData && t.rawData.length) {
    if (t.rawData.length !== count * Type.BYTES_PER_ELEMENT)
      throw new Error(`tensor '${t.name}': ${t.rawData.length} raw bytes for ${dtype} [${shape}]`);
    data = new Type(count);
    new Uint8Array(data.buffer).set(t.rawData);
  } else {
    // The typed fields: int32_data holds every integer type up to 32 bits
    // (and float16's bits), uint64_data uint32 and uint64.
    const field = {
      float32: t.floatData, float64: t.doubleData, int64: t.int64Data, uint32: t.uint64Data,
      uint64: t.uint64Data,
    }[dtype] ?? t.int32Data;
    const values = field || [];
    if (values.length !== count)
      throw new Error(`tensor '${t.name}': ${values.length} values for ${dtype} [${shape}]`);
    const big = dtype === 'int64' || dtype === 'uint64';
    data = Type.from(values, (v) => (big ? long(v) : typeof v === 'number' ? v : Number(long(v))));
  }
  return { name: t.name, dtype, shape, data };
}

export function readTensorProto(file) {
  const Tensor = onnxSchema().lookupType('onnx.TensorProto');
  return tensorOf(Tensor.decode(fs.readFileSync(file)));
}

export function readModel(file) {
  return onnxSchema().lookupType('onnx.ModelProto').decode(fs.readFileSync(file));
}

export function writeModel(file, model) {
  const Model = onnxSchema().lookupType('onnx.ModelProto');
  fs.writeFileSync(file, Model.encode(Model.fromObject(model)).finish());
}

// A tensor as a TensorProto object (raw little-endian data).
export function tensorProto({ name, dtype, shape, data }) {
  return {
    name, dataType: ONNX_TYPE[dtype], dims: shape,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

// A node's attributes by name: numbers, lists, strings and tensors.
export function attributesOf(node) {
  const out = {};
  for (const a of node.attribute || []) {
    const num = (v) => Number(long(v));
    switch (a.type) {
      case 1: out[a.name] = a.f; break; // FLOAT
      case 2: out[a.name] = num(a.i); break; // INT
      case 3: out[a.name] = Buffer.from(a.s).toString('utf8'); break; // STRING
      case 4: out[a.name] = tensorOf(a.t); break; // TENSOR
      case 6: out[a.name] = [...a.floats]; break; // FLOATS
      case 7: out[a.name] = a.ints.map(num); break; // INTS
      default: throw new Error(`node '${node.name}': attribute '${a.name}' of type ${a.type} is not supported here`);
    }
  }
  return out;
}
