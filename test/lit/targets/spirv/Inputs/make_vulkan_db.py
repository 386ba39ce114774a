# Writes a tuning database for tuning_db.test from `kiln-tune tasks` output
# (kernel identities do not depend on the target): one record for the
# second kernel of add.mlir measured on device "vulkan" for the spirv
# variant, with a GPU record (workgroup 4, invocation tile 2), and the same
# record for device "native", which a spirv compile must ignore.
# Usage: make_vulkan_db.py TASKS OUT
import json, re, sys

tasks = open(sys.argv[1]).read().splitlines()
cpu = re.search(r" on host/([^/]+)/native/1t", tasks[0]).group(1)
identity = tasks[2].split(" ", 1)[0]
schedule = ("#kiln.schedule<version = 1, mode = template, pattern = generic, vector_width = 1, "
            "channel_tile = 1, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], "
            "compute_at = tile, order = pixel_major, workgroup = [4, 1, 1], "
            "invocation_tile = [1, 2, 1]>")

def line(device):
    return json.dumps({"schema": 1, "kernel": identity, "summary": "generic 4 -> 4",
                       "target": {"halide": "spirv", "cpu": cpu, "device": device, "threads": 1},
                       "schedule": schedule, "median_ms": 0.01, "min_ms": 0.01, "spread": 0.01,
                       "status": "ok", "kiln": "test", "time": "2026-12-06T00:00:00Z"},
                      separators=(",", ":"))

with open(sys.argv[2], "w") as f:
    f.write(line("vulkan") + "\n")
    f.write(line("native") + "\n")
