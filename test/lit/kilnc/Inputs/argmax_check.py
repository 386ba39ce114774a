#!/usr/bin/env python3
"""argmax_check.py write DIR | check DIR OUT: inputs for argmax_17.mlir (a
peak at row 100 + c in channel c), then the check that OUT/y.bin holds those
rows."""
import json
import os
import struct
import sys

ROWS, CHANNELS = 2304, 17
if sys.argv[1] == "write":
    d = sys.argv[2]
    os.makedirs(d, exist_ok=True)
    v = [1.0 if r == 100 + c else 0.0 for r in range(ROWS) for c in range(CHANNELS)]
    with open(os.path.join(d, "x.bin"), "wb") as f:
        f.write(struct.pack(f"<{len(v)}f", *v))
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"format": "kiln-tensors-v1", "tensors": [
            {"name": "x", "dtype": "float32", "shape": [1, ROWS, CHANNELS], "file": "x.bin"}]}, f)
else:
    with open(os.path.join(sys.argv[3], "y.bin"), "rb") as f:
        got = list(struct.unpack(f"<{CHANNELS}i", f.read()))
    want = [100 + c for c in range(CHANNELS)]
    print("argmax ok" if got == want else f"argmax WRONG: {got}, expected {want}")
