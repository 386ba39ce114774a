#!/usr/bin/env python3
"""Writes the hostile models of test/lit/hostile at test time (stdlib only).

    make_hostile.py KIND OUT_PATH

ONNX models are written as binary protobuf by the small encoder below (no
onnx package: only the ModelProto fields these models use); TF.js models as
model.json plus shards. Kinds:

  onnx-cycle           a = Relu(b), b = Relu(a)
  onnx-self-loop       a = Add(x, a)
  onnx-chain N         x -> N Relu/Neg nodes -> y (a graph of N nodes)
  onnx-nested-if N     If nodes nested N levels (then_branch holds the next)
  onnx-future-opset    a Relu at opset 99
  onnx-future-ir       ir_version 99
  onnx-short-raw       an initializer whose raw_data is shorter than its shape
  onnx-raw-tail        Reshape's int64 shape with 20 bytes of raw_data (2.5
                       values: libonnx's shape inference wrote past a vector)
  onnx-external-escape an initializer whose external data is '../../etc/passwd'
  onnx-external-short  external data shorter than the initializer's shape
  onnx-huge-dim        input and output of dimension 2^40
  onnx-overflow        a dimension product over 2^64
  tfjs-self-loop       a node reading its own output
  tfjs-chain N         a chain of N Relu/Neg nodes
  tfjs-escape          a weights path '../../etc/passwd'
  tfjs-absolute        a weights path '/etc/passwd'
  tfjs-huge-dim        an input of shape [1, 2^40]
  tfjs-overflow        an input of shape [2^32, 2^32, 2^32]
  sparse SIZE          a sparse file of SIZE bytes (e.g. 2G), written without
                       writing its bytes ('{' first, so it starts like JSON)
"""
import json
import os
import struct
import sys

# --- protobuf wire format --------------------------------------------------


def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_varint(num, value):
    return varint(num << 3) + varint(value)


def field_bytes(num, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(num << 3 | 2) + varint(len(data)) + data


# --- ONNX messages (onnx.proto field numbers) --------------------------------
FLOAT, INT64 = 1, 7
ATTR_GRAPH = 5


def tensor_type(elem, dims):
    shape = b"".join(field_bytes(1, field_varint(1, d)) for d in dims)  # Dimension.dim_value
    tensor = field_varint(1, elem) + field_bytes(2, shape)  # TypeProto.Tensor
    return field_bytes(1, tensor)  # TypeProto.tensor_type


def value_info(name, elem=FLOAT, dims=(1,)):
    return field_bytes(1, name) + field_bytes(2, tensor_type(elem, dims))


def node(op, inputs, outputs, name=None, attrs=b""):
    out = b"".join(field_bytes(1, i) for i in inputs)
    out += b"".join(field_bytes(2, o) for o in outputs)
    out += field_bytes(3, name or outputs[0]) + field_bytes(4, op) + attrs
    return out


def graph_attr(name, graph):
    attr = field_bytes(1, name) + field_bytes(6, graph) + field_varint(20, ATTR_GRAPH)
    return field_bytes(5, attr)  # NodeProto.attribute


def graph(nodes, inputs, outputs, initializers=(), name="g"):
    out = b"".join(field_bytes(1, n) for n in nodes) + field_bytes(2, name)
    out += b"".join(field_bytes(5, t) for t in initializers)
    out += b"".join(field_bytes(11, i) for i in inputs)
    out += b"".join(field_bytes(12, o) for o in outputs)
    return out


def model(g, opset=17, ir_version=8):
    opset_id = field_bytes(1, "") + field_varint(2, opset)
    return field_varint(1, ir_version) + field_bytes(8, opset_id) + field_bytes(7, g)


def tensor(name, dims, elem=FLOAT, raw=b"", external=None):
    out = b"".join(field_varint(1, d) for d in dims) + field_varint(2, elem) + field_bytes(8, name)
    if external is not None:
        for key, value in external.items():
            out += field_bytes(13, field_bytes(1, key) + field_bytes(2, value))
        out += field_varint(14, 1)  # data_location = EXTERNAL
    else:
        out += field_bytes(9, raw)
    return out


def relu_model(dims=(1, 4), **kw):
    return model(graph([node("Relu", ["x"], ["y"])], [value_info("x", dims=dims)],
                       [value_info("y", dims=dims)]), **kw)


def add_weight_model(weight, dims=(4,)):
    g = graph([node("Add", ["x", "w"], ["y"])], [value_info("x", dims=dims)],
              [value_info("y", dims=dims)], [weight])
    return model(g)


def onnx_chain(n):
    nodes = []
    prev = "x"
    for i in range(n):
        out = "y" if i == n - 1 else f"t{i}"
        # Alternate ops so that no pass folds the chain to one op.
        nodes.append(node("Relu" if i % 2 == 0 else "Neg", [prev], [out]))
        prev = out
    return model(graph(nodes, [value_info("x", dims=(1, 8))], [value_info("y", dims=(1, 8))]))


def onnx_nested_if(levels):
    # Each then_branch holds the next If; every else_branch is a leaf, so the
    # file grows linearly with the depth.
    def leaf(name):
        return graph([node("Identity", ["x"], [name])], [], [value_info(name, dims=(1, 4))], name=name)

    body = leaf("b0")
    for level in range(1, levels):
        out = f"b{level}"
        attrs = graph_attr("then_branch", body) + graph_attr("else_branch", leaf(f"e{level}"))
        body = graph([node("If", ["c"], [out], attrs=attrs)], [], [value_info(out, dims=(1, 4))], name=out)
    attrs = graph_attr("then_branch", body) + graph_attr("else_branch", leaf("e0"))
    top = node("If", ["c"], ["y"], attrs=attrs)
    g = graph([top], [value_info("x", dims=(1, 4)), value_info("c", elem=9, dims=())],
              [value_info("y", dims=(1, 4))])
    return model(g)


# --- TF.js -------------------------------------------------------------------


def tfjs_node(name, op, inputs=(), attr=None):
    n = {"name": name, "op": op}
    if inputs:
        n["input"] = list(inputs)
    if attr:
        n["attr"] = attr
    return n


def placeholder(name, dims):
    shape = {"dim": [{"size": str(d)} for d in dims]}
    return tfjs_node(name, "Placeholder", attr={"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": shape}})


def tfjs_model(nodes, manifest=()):
    return {"format": "graph-model", "modelTopology": {"node": nodes}, "weightsManifest": list(manifest)}


def write_tfjs(path, m, shards=None):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w") as f:
        json.dump(m, f)
    for name, data in (shards or {}).items():
        with open(os.path.join(os.path.dirname(path), name), "wb") as f:
            f.write(data)


def weight_manifest(paths):
    return [{"paths": paths, "weights": [{"name": "w", "shape": [2], "dtype": "float32"}]}]


def write(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    kind, path = sys.argv[1], sys.argv[-1]
    arg = sys.argv[2] if len(sys.argv) > 3 else None
    if kind == "onnx-cycle":
        g = graph([node("Relu", ["b"], ["a"]), node("Relu", ["a"], ["b"]), node("Relu", ["b"], ["y"])],
                  [value_info("x", dims=(1, 4))], [value_info("y", dims=(1, 4))])
        write(path, model(g))
    elif kind == "onnx-self-loop":
        g = graph([node("Add", ["x", "a"], ["a"]), node("Relu", ["a"], ["y"])],
                  [value_info("x", dims=(1, 4))], [value_info("y", dims=(1, 4))])
        write(path, model(g))
    elif kind == "onnx-chain":
        write(path, onnx_chain(int(arg)))
    elif kind == "onnx-nested-if":
        write(path, onnx_nested_if(int(arg)))
    elif kind == "onnx-future-opset":
        write(path, relu_model(opset=99))
    elif kind == "onnx-future-ir":
        write(path, relu_model(ir_version=99))
    elif kind == "onnx-short-raw":
        write(path, add_weight_model(tensor("w", [4], raw=struct.pack("<2f", 1, 2))))
    elif kind == "onnx-raw-tail":
        shape = tensor("s", [2], elem=INT64, raw=struct.pack("<qqi", 2, 2, 0))
        g = graph([node("Reshape", ["x", "s"], ["y"])], [value_info("x", dims=(4,))],
                  [value_info("y", dims=(2, 2))], [shape])
        write(path, model(g))
    elif kind == "onnx-external-escape":
        write(path, add_weight_model(tensor("w", [4], external={"location": "../../etc/passwd"})))
    elif kind == "onnx-external-short":
        write(path, add_weight_model(tensor("w", [4], external={"location": "w.bin"})))
        write(os.path.join(os.path.dirname(path), "w.bin"), struct.pack("<2f", 1, 2))
    elif kind == "onnx-huge-dim":
        write(path, relu_model(dims=(1 << 40,)))
    elif kind == "onnx-overflow":
        write(path, relu_model(dims=(1 << 32, 1 << 32, 1 << 32)))
    elif kind == "tfjs-self-loop":
        write_tfjs(path, tfjs_model([placeholder("x", [1, 4]), tfjs_node("a", "AddV2", ["x", "a"]),
                                     tfjs_node("y", "Relu", ["a"])]))
    elif kind == "tfjs-chain":
        n = int(arg)
        nodes = [placeholder("x", [1, 8])]
        for i in range(n):
            nodes.append(tfjs_node("y" if i == n - 1 else f"t{i}", "Relu" if i % 2 == 0 else "Neg",
                                   [nodes[-1]["name"]]))
        write_tfjs(path, tfjs_model(nodes))
    elif kind in ("tfjs-escape", "tfjs-absolute"):
        where = "../../etc/passwd" if kind == "tfjs-escape" else "/etc/passwd"
        nodes = [placeholder("x", [2]), tfjs_node("w", "Const"), tfjs_node("y", "AddV2", ["x", "w"])]
        write_tfjs(path, tfjs_model(nodes, weight_manifest([where])))
    elif kind == "tfjs-huge-dim":
        write_tfjs(path, tfjs_model([placeholder("x", [1, 1 << 40]), tfjs_node("y", "Relu", ["x"])]))
    elif kind == "tfjs-overflow":
        write_tfjs(path, tfjs_model([placeholder("x", [1 << 32, 1 << 32, 1 << 32]),
                                     tfjs_node("y", "Relu", ["x"])]))
    elif kind == "sparse":
        units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
        size = int(arg[:-1]) * units[arg[-1]] if arg[-1] in units else int(arg)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as f:
            f.write(b"{")
            f.truncate(size)
    else:
        sys.exit(f"make_hostile.py: unknown kind '{kind}'")


if __name__ == "__main__":
    main()
