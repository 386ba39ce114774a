#!/usr/bin/env node
// mk_conv.mjs OUT.onnx: the route (b) side of the comparison, one ONNX Conv
// of the shape gen_conv.cpp builds: input [1,24,64,64] (ONNX is NCHW),
// weights [24,24,3,3], bias [24], pads 1, output [1,24,64,64]. Protobuf
// written by hand (field numbers of onnx/onnx.proto), opset 13. Weights are
// a fixed pseudo-random pattern: the time does not depend on the values.
import fs from 'node:fs';

const varint = (n) => {
  const out = [];
  let v = BigInt(n);
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
};
const key = (field, wire) => varint((field << 3) | wire);
const vint = (field, n) => [...key(field, 0), ...varint(n)];
const bytes = (field, b) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field, s) => bytes(field, [...Buffer.from(s, 'utf8')]);

function tensor(name, dims, values) {
  const raw = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => raw.writeFloatLE(v, i * 4));
  return [...dims.flatMap((d) => vint(1, d)), ...vint(2, 1), ...str(8, name), ...bytes(9, [...raw])];
}
function valueInfo(name, dims) {
  const shape = dims.flatMap((d) => bytes(1, vint(1, d)));
  const tensorType = [...vint(1, 1), ...bytes(2, shape)];
  return [...str(1, name), ...bytes(2, bytes(1, tensorType))];
}
const ints = (name, list) => [...str(1, name), ...list.flatMap((v) => vint(8, v)), ...vint(20, 7)];

let s = 12345;
const rand = (n) => Array.from({ length: n }, () => {
  s = (s * 1664525 + 1013904223) >>> 0;
  return (s >>> 8) / 16777216 * 2 - 1;
});
const C = 24, H = 64, W = 64;
const node = [
  ...str(1, 'x'), ...str(1, 'w'), ...str(1, 'b'), ...str(2, 'y'), ...str(3, 'conv'), ...str(4, 'Conv'),
  ...bytes(5, ints('kernel_shape', [3, 3])), ...bytes(5, ints('pads', [1, 1, 1, 1])),
  ...bytes(5, ints('strides', [1, 1])),
];
const graph = [
  ...bytes(1, node), ...str(2, 'conv3x3'),
  ...bytes(5, tensor('w', [C, C, 3, 3], rand(C * C * 9))),
  ...bytes(5, tensor('b', [C], rand(C))),
  ...bytes(11, valueInfo('x', [1, C, H, W])),
  ...bytes(12, valueInfo('y', [1, C, H, W])),
];
const model = [...vint(1, 7), ...str(2, 'route_a'), ...bytes(7, graph), ...bytes(8, [...str(1, ''), ...vint(2, 13)])];
fs.writeFileSync(process.argv[2], Buffer.from(model));
