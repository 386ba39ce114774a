#!/usr/bin/env python3
"""Adds an @entry function that runs @main on fixed inputs and prints results.

Usage: add_entry.py IN.mlir OUT.mlir [SEED]
For each f32 argument of @main, a dense_resource input of values uniform in
[-2, 2] (Python's random with SEED, default 1, so runs repeat exactly); each
f32 result is printed with printMemrefF32. The result runs under
mlir-cpu-runner (-e entry) once lowered, which makes MLIR's own TOSA lowering
an oracle for any TOSA-level rewrite: run the IR before and after, compare.
"""
import random
import re
import struct
import sys


def main():
    text = open(sys.argv[1]).read()
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    signature = re.search(r"func\.func @main\((.*?)\)\s*->\s*(.*?)\s*\{\n", text, re.S)
    if not signature:
        sys.exit(f"{sys.argv[1]}: no func.func @main")
    args = re.findall(r"%[\w.]+: (tensor<[^>]*>)", signature.group(1))
    results = re.findall(r"tensor<[^>]*>", signature.group(2))
    if not all(t.endswith("xf32>") for t in args + results):
        sys.exit("only f32 arguments and results are supported")

    blobs, lines = [], ["func.func private @printMemrefF32(tensor<*xf32>)", "func.func @entry() {"]
    for i, arg_type in enumerate(args):
        count = 1
        for dim in re.findall(r"(\d+)x", arg_type):
            count *= int(dim)
        values = [rng.uniform(-2.0, 2.0) for _ in range(count)]
        blobs.append(f'      entry_input_{i}: "0x04000000{struct.pack(f"<{count}f", *values).hex().upper()}"')
        lines.append(f"  %in{i} = arith.constant dense_resource<entry_input_{i}> : {arg_type}")
    call_results = f"%r:{len(results)}" if len(results) > 1 else "%r"
    operands = ", ".join(f"%in{i}" for i in range(len(args)))
    lines.append(f"  {call_results} = call @main({operands}) : ({', '.join(args)}) -> ({', '.join(results)})")
    for i, result_type in enumerate(results):
        value = f"%r#{i}" if len(results) > 1 else "%r"
        lines.append(f"  %out{i} = tensor.cast {value} : {result_type} to tensor<*xf32>")
        lines.append(f"  call @printMemrefF32(%out{i}) : (tensor<*xf32>) -> ()")
    lines += ["  return", "}"]
    entry = "\n".join(lines) + "\n"

    # Functions go inside an explicit module if there is one; the input blobs
    # join the builtin resources, or start them.
    split = text.find("{-#")
    body, resources = (text, "") if split < 0 else (text[:split], text[split:])
    body = body.rstrip()
    if body.startswith("module") and body.endswith("}"):
        body = body[:-1] + entry + "}\n"
    else:
        body += "\n" + entry
    if "builtin: {" in resources:
        resources = resources.replace("builtin: {\n", "builtin: {\n" + ",\n".join(blobs) + ",\n", 1)
    else:
        resources = "{-#\n  dialect_resources: {\n    builtin: {\n" + ",\n".join(blobs) + "\n    }\n  }\n#-}\n"
    open(sys.argv[2], "w").write(body + "\n" + resources)


if __name__ == "__main__":
    main()
