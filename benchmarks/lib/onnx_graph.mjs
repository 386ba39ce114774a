// A minimal reader of ONNX files for the FLOP counter: decodes the protobuf
// wire format by hand (no onnx or protobufjs schema), keeping only what shape
// propagation needs: nodes (op type, inputs, outputs, attributes), initializer
// shapes and small integer values, and the declared shapes of graph inputs,
// outputs and value_info. Weights' bytes are skipped except for integer
// tensors of at most 64 elements (shapes fed to Reshape, ConstantOfShape...).
//
// Field numbers are those of onnx/onnx.proto (ModelProto.graph = 7, ...).

import fs from 'node:fs';

export class OnnxFormatError extends Error {}

// Reads one varint at reader.pos (a BigInt: int64 fields may use all 64 bits).
function varint(reader) {
  const { bytes } = reader;
  let result = 0n;
  for (let shift = 0n; ; shift += 7n) {
    if (reader.pos >= bytes.length) throw new OnnxFormatError('truncated varint');
    if (shift > 63n) throw new OnnxFormatError('varint too long');
    const b = bytes[reader.pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return result;
  }
}

// Protobuf wire reader over a Uint8Array: yields [field, wireType, value]
// where value is a BigInt (varint), a number (fixed32 read as float32,
// fixed64 as float64) or a subarray (length-delimited).
function* fields(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = { bytes, pos: 0 };
  const need = (n, what) => {
    if (reader.pos + n > bytes.length) throw new OnnxFormatError(`truncated ${what}`);
  };
  while (reader.pos < bytes.length) {
    const key = Number(varint(reader));
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) yield [field, wire, varint(reader)];
    else if (wire === 1) {
      need(8, 'fixed64');
      yield [field, wire, view.getFloat64(reader.pos, true)];
      reader.pos += 8;
    } else if (wire === 2) {
      const len = Number(varint(reader));
      need(len, 'field');
      yield [field, wire, bytes.subarray(reader.pos, reader.pos + len)];
      reader.pos += len;
    } else if (wire === 5) {
      need(4, 'fixed32');
      yield [field, wire, view.getFloat32(reader.pos, true)];
      reader.pos += 4;
    } else throw new OnnxFormatError(`unsupported wire type ${wire}`);
  }
}

const utf8 = new TextDecoder();
const str = (b) => utf8.decode(b);
// Signed int64 from a varint BigInt.
const int64 = (v) => Number(BigInt.asIntN(64, v));

// Repeated int64: one varint per field, or packed (a run of varints).
function pushInts(out, wire, value) {
  if (wire === 0) return out.push(int64(value));
  const reader = { bytes: value, pos: 0 };
  while (reader.pos < value.length) out.push(int64(varint(reader)));
}

function readTensor(bytes) {
  const t = { dims: [], dataType: 0, name: '', values: null };
  let raw = null;
  const int64Data = [];
  const int32Data = [];
  for (const [f, w, v] of fields(bytes)) {
    if (f === 1) pushInts(t.dims, w, v);
    else if (f === 2) t.dataType = Number(v);
    else if (f === 8) t.name = str(v);
    else if (f === 9) raw = v;
    else if (f === 7) pushInts(int64Data, w, v);
    else if (f === 5) pushInts(int32Data, w, v);
  }
  const count = t.dims.reduce((a, b) => a * b, 1);
  // Integer values of small tensors only: 7 = INT64, 6 = INT32.
  if (count <= 64 && (t.dataType === 7 || t.dataType === 6)) {
    if (int64Data.length) t.values = int64Data;
    else if (int32Data.length) t.values = int32Data;
    else if (raw) {
      const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const size = t.dataType === 7 ? 8 : 4;
      t.values = [];
      for (let i = 0; i + size <= raw.length; i += size)
        t.values.push(size === 8 ? Number(view.getBigInt64(i, true)) : view.getInt32(i, true));
    }
  }
  return t;
}

function readAttribute(bytes) {
  const a = { name: '', ints: [], floats: [] };
  for (const [f, w, v] of fields(bytes)) {
    if (f === 1) a.name = str(v);
    else if (f === 2) a.f = v;
    else if (f === 3) a.i = int64(v);
    else if (f === 4) a.s = str(v);
    else if (f === 5) a.t = readTensor(v);
    else if (f === 8) pushInts(a.ints, w, v);
  }
  return a;
}

function readNode(bytes) {
  const n = { inputs: [], outputs: [], name: '', opType: '', attrs: {} };
  for (const [f, , v] of fields(bytes)) {
    if (f === 1) n.inputs.push(str(v));
    else if (f === 2) n.outputs.push(str(v));
    else if (f === 3) n.name = str(v);
    else if (f === 4) n.opType = str(v);
    else if (f === 5) {
      const a = readAttribute(v);
      n.attrs[a.name] = a;
    }
  }
  return n;
}

// ValueInfoProto -> [name, shape or null]; symbolic dims become null entries.
function readValueInfo(bytes) {
  let name = '';
  let shape = null;
  for (const [f, , v] of fields(bytes)) {
    if (f === 1) name = str(v);
    else if (f === 2)
      for (const [tf, , tv] of fields(v)) {
        if (tf !== 1) continue; // TypeProto.tensor_type
        for (const [sf, , sv] of fields(tv)) {
          if (sf !== 2) continue; // Tensor.shape
          shape = [];
          for (const [df, , dv] of fields(sv)) {
            if (df !== 1) continue;
            let dim = null;
            for (const [ef, , ev] of fields(dv)) if (ef === 1) dim = int64(ev);
            shape.push(dim);
          }
        }
      }
  }
  return [name, shape];
}

/**
 * Reads an ONNX model: {nodes, initializers: Map(name -> tensor), inputs,
 * outputs, valueInfo: Map(name -> shape)} where inputs/outputs are
 * [name, shape] pairs. Throws OnnxFormatError on a malformed file.
 */
export function readOnnx(file) {
  const bytes = new Uint8Array(fs.readFileSync(file));
  let graphBytes = null;
  for (const [f, , v] of fields(bytes)) if (f === 7) graphBytes = v;
  if (!graphBytes) throw new OnnxFormatError(`${file}: no graph`);
  const g = { nodes: [], initializers: new Map(), inputs: [], outputs: [], valueInfo: new Map() };
  for (const [f, , v] of fields(graphBytes)) {
    if (f === 1) g.nodes.push(readNode(v));
    else if (f === 5) {
      const t = readTensor(v);
      g.initializers.set(t.name, t);
    } else if (f === 11) g.inputs.push(readValueInfo(v));
    else if (f === 12) g.outputs.push(readValueInfo(v));
    else if (f === 13) {
      const [name, shape] = readValueInfo(v);
      g.valueInfo.set(name, shape);
    }
  }
  return g;
}
