# Writes a tuning database for tuning_db.test from `kiln-tune tasks
# --target=spirv` output (kernel identities do not depend on the target):
# for the second kernel of add.mlir, measured on device "vulkan" for the
# spirv variant, its template (the tune's baseline) and a GPU record
# (workgroup 4, invocation tile 2) that beat it timed side by side (a pair);
# and the same pair for device "native", which a spirv compile must ignore.
# Usage: make_vulkan_db.py TASKS OUT
import json, re, sys

tasks = open(sys.argv[1]).read().splitlines()
# "on spirv/CPU(FEATURES)/vulkan/1t": the fingerprint kilnc matches.
cpu, features = re.search(r" on spirv/([^/(]+)(?:\(([^)]*)\))?/vulkan/1t", tasks[0]).groups()
features = features.split(",") if features else []
identity, _, rest = tasks[2].split(" ", 2)
template = rest[rest.index("#kiln.schedule<"):]
schedule = ("#kiln.schedule<version = 1, mode = template, pattern = generic, vector_width = 1, "
            "channel_tile = 1, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], "
            "compute_at = tile, order = pixel_major, workgroup = [4, 1, 1], "
            "invocation_tile = [1, 2, 1]>")

def line(device, schedule, median, baseline):
    r = {"schema": 2, "kernel": identity, "summary": "generic 4 -> 4",
         "target": {"halide": "spirv", "cpu": cpu, "features": features, "device": device,
                    "device_version": "llvmpipe (test)", "threads": 1},
         "schedule": schedule, "median_ms": median, "min_ms": median, "spread": 0.01,
         "status": "ok", "kiln": "test", "time": "2026-12-06T00:00:00Z", "paired": True}
    if baseline:
        r["baseline"] = True
    return json.dumps(r, separators=(",", ":"))

with open(sys.argv[2], "w") as f:
    for device in ("vulkan", "native"):
        f.write(line(device, template, 0.02, True) + "\n")
        f.write(line(device, schedule, 0.01, False) + "\n")
