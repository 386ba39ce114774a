# Writes a replay table for replay.test from `kiln-tune tasks` output: the
# second task's template and eight other records of it (vector widths 1, 2
# and 4 by unroll 1, 2 and 4), with made-up times whose best is vector width
# 2, unroll 4, and one faster record that is `wrong`. Usage: make_table.py TASKS OUT
import json, re, sys

tasks = open(sys.argv[1]).read().splitlines()
# "on host/CPU(FEATURES)/native/1t": the fingerprint kilnc matches.
cpu, features = re.search(r" on host/([^/(]+)(?:\(([^)]*)\))?/native/1t", tasks[0]).groups()
features = features.split(",") if features else []
identity, calls, rest = tasks[2].split(" ", 2)
template = rest[rest.index("#kiln.schedule<"):]
assert "vector_width = 4, channel_tile = 4" in template and "unroll = 1" in template

def line(schedule, median, status="ok"):
    return json.dumps({"schema": 2, "kernel": identity, "summary": "generic 4 -> 4",
                       "target": {"halide": "host", "cpu": cpu, "features": features,
                                  "device": "native", "device_version": "", "threads": 1},
                       "schedule": schedule, "median_ms": median, "min_ms": median,
                       "spread": 0.01, "status": status, "kiln": "test",
                       "time": "2026-12-06T00:00:00Z"}, separators=(",", ":"))

with open(sys.argv[2], "w") as f:
    f.write(line(template, 0.010) + "\n")
    for vw in (1, 2, 4):
        for unroll in (1, 2, 4):
            if (vw, unroll) == (4, 1):
                continue
            s = template.replace("vector_width = 4, channel_tile = 4",
                                 f"vector_width = {vw}, channel_tile = {vw}")
            s = s.replace("unroll = 1", f"unroll = {unroll}")
            f.write(line(s, 0.001 * (5 + abs(vw - 2) * 3 - unroll)) + "\n")
    wrong = template.replace("compute_at = row", "compute_at = root")
    f.write(line(wrong, 0.0001, status="wrong") + "\n")
