#!/usr/bin/env python3
"""Prints a function that is a chain of N tosa.negate ops (argv[1])."""
import sys

n = int(sys.argv[1])
t = "tensor<4xf32>"
print(f"func.func @chain(%v0: {t}) -> {t} {{")
for i in range(1, n + 1):
    print(f"  %v{i} = tosa.negate %v{i - 1} : ({t}) -> {t}")
print(f"  return %v{n} : {t}")
print("}")
