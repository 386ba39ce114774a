#!/usr/bin/env python3
"""Writes a hand-written TF.js model.json and its weight shards into a directory.

    make_shards.py Inputs/conv.json OUT_DIR

Copies the JSON to OUT_DIR/model.json and writes every shard its
weightsManifest names, so that the tests keep no binary files. Each weight's
stored values come from its spec:

  "values": [...]   the stored numbers (for quantized weights: the uint8 or
                    uint16 codes, or the float16 values), or else
  a pattern         float: ((i * 7) % 11 - 5) / 4; int32: i - 2; bool: i % 2;
                    uint8/uint16 codes: i % 251.
String weights take "values" as a list of strings, each stored as TF.js
does: a uint32 byte length, then the UTF-8 bytes.

Bytes of a group are split evenly over its paths, as if TF.js had cut them.
A top-level "kilnTest" object bends the rules for bad-input tests:
  {"extraBytes": N}  appends N zero bytes to the last shard of group 0
  {"dropBytes": N}   drops the last N bytes of group 0
  {"omit": [path]}   does not write that shard
Unknown fields are ignored by TF.js and by Kiln.
"""
import json
import os
import struct
import sys

FORMATS = {"float32": "<f", "int32": "<i", "bool": "<B", "uint8": "<B", "uint16": "<H",
           "float16": "<e"}


def pattern(stored, i):
    if stored in ("float32", "float16"):
        return ((i * 7) % 11 - 5) / 4
    if stored == "int32":
        return i - 2
    if stored == "bool":
        return i % 2
    return i % 251


def weight_bytes(spec):
    stored = spec.get("quantization", {}).get("dtype", spec["dtype"])
    if stored == "string":
        return b"".join(struct.pack("<I", len(v.encode())) + v.encode() for v in spec["values"])
    count = 1
    for d in spec["shape"]:
        count *= d
    values = spec.get("values", [pattern(stored, i) for i in range(count)])
    if len(values) != count:
        sys.exit(f"make_shards: weight {spec['name']}: {len(values)} values for shape {spec['shape']}")
    fmt = FORMATS[stored]
    return b"".join(struct.pack(fmt, v) for v in values)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: make_shards.py model.json OUT_DIR")
    with open(sys.argv[1]) as f:
        text = f.read()
    model = json.loads(text)
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.json"), "w") as f:
        f.write(text)
    test = model.get("kilnTest", {})
    for g, group in enumerate(model.get("weightsManifest", [])):
        data = b"".join(weight_bytes(w) for w in group["weights"])
        if g == 0:
            data += b"\0" * test.get("extraBytes", 0)
            data = data[:len(data) - test.get("dropBytes", 0)]
        paths = group["paths"]
        step = -(-len(data) // max(len(paths), 1))
        for k, path in enumerate(paths):
            if path in test.get("omit", []):
                continue
            with open(os.path.join(out, path), "wb") as f:
                f.write(data[k * step:(k + 1) * step])


if __name__ == "__main__":
    main()
