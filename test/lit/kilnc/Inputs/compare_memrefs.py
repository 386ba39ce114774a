#!/usr/bin/env python3
"""Compares two runs' printMemrefF32 dumps (mlir-cpu-runner output).

Usage: compare_memrefs.py EXPECTED ACTUAL [RTOL]
Each file holds one or more dumps. Passes when both hold the same number of
dumps with the same shapes and every element differs by at most RTOL
(default 1e-5) times the largest magnitude of its dump in EXPECTED; otherwise
prints the worst element and exits 1. The dumps carry six significant
digits, so the tolerance covers printing as well as float rounding.
"""
import re
import sys

NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?nan|[-+]?inf"


def load(path):
    dumps = []
    for chunk in open(path).read().split("Unranked Memref")[1:]:
        shape = re.search(r"sizes = \[([0-9, ]*)\]", chunk)
        if not shape or "data =" not in chunk:
            sys.exit(f"{path}: malformed memref dump")
        data = chunk[chunk.index("data =") + len("data ="):]
        dumps.append((shape.group(1), [float(v) for v in re.findall(NUMBER, data)]))
    if not dumps:
        sys.exit(f"{path}: no memref dump found")
    return dumps


def main():
    expected, actual = load(sys.argv[1]), load(sys.argv[2])
    rtol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
    if len(expected) != len(actual):
        sys.exit(f"{len(expected)} dumps expected, got {len(actual)}")
    for index, ((shape, want), (got_shape, got)) in enumerate(zip(expected, actual)):
        if shape != got_shape or len(want) != len(got):
            sys.exit(f"dump {index}: shape [{shape}] expected, got [{got_shape}]")
        tolerance = rtol * max(abs(v) for v in want)
        worst = max(range(len(want)), key=lambda i: abs(want[i] - got[i]))
        if not abs(want[worst] - got[worst]) <= tolerance:
            sys.exit(f"dump {index}, element {worst}: expected {want[worst]}, "
                     f"got {got[worst]} (tolerance {tolerance:g})")
        print(f"dump {index}: {len(want)} elements agree within {tolerance:g}")


if __name__ == "__main__":
    main()
