# Writes a tuning database for tuning_db.test from `kiln-tune tasks` output:
# for the second task, its template (the tune's baseline) and a record with
# vector width 2 that beat it when the two were timed side by side (a pair),
# and one of each kind of line a reader must skip or ignore.
# Usage: make_db.py TASKS OUT [--changed]
# --changed: the pair's baseline is another template than today's (as after
# a template improved since the tune): kilnc must ignore the pair.
import json, re, sys

tasks = open(sys.argv[1]).read().splitlines()
# "on host/CPU(FEATURES)/native/1t": the fingerprint kilnc matches.
cpu, features = re.search(r" on host/([^/(]+)(?:\(([^)]*)\))?/native/1t", tasks[0]).groups()
features = features.split(",") if features else []
identity, calls, rest = tasks[2].split(" ", 2)
template = rest[rest.index("#kiln.schedule<"):]
record = template.replace("vector_width = 4, channel_tile = 4", "vector_width = 2, channel_tile = 2")
changed = "--changed" in sys.argv[3:]
baseline = template.replace("unroll = 1", "unroll = 3") if changed else template

def line(kernel=identity, cpu=cpu, schedule=record, median=0.001, status="ok", schema=2,
         paired=False, is_baseline=False, time="2026-12-06T00:00:00Z", features=features,
         version="Linux test"):
    target = {"halide": "host", "cpu": cpu, "features": features, "device": "native",
              "device_version": version, "threads": 1}
    if schema == 1:  # as an older build wrote it
        del target["features"], target["device_version"]
    r = {"schema": schema, "kernel": kernel, "summary": "generic 4 -> 4", "target": target,
         "schedule": schedule, "median_ms": median, "min_ms": median,
         "spread": 0.01, "status": status, "kiln": "test", "time": time}
    if paired:
        r["paired"] = True
    if is_baseline:
        r["baseline"] = True
    return json.dumps(r, separators=(",", ":"))

slower = record.replace("unroll = 1", "unroll = 2")
pair = "2026-12-06T01:00:00Z"
with open(sys.argv[2], "w") as f:
    f.write(line(schedule=baseline, median=0.0015, is_baseline=True) + "\n")  # the tune's template
    f.write(line(schedule=slower, median=0.002) + "\n")  # slower: not chosen
    f.write(line() + "\n")                               # the search's best
    f.write(line(median=0.0001, status="wrong") + "\n")  # faster but wrong: never chosen
    f.write("{not json\n")                               # malformed
    f.write(line(schema=3) + "\n")                       # another schema
    f.write(line(cpu="some-other-cpu") + "\n")           # another target
    f.write(line(kernel="0123456789abcdef0123") + "\n")  # a kernel this model lacks
    f.write(line(schedule=baseline, median=0.0015, paired=True, is_baseline=True, time=pair) + "\n")
    f.write(line(median=0.0012, paired=True, time=pair) + "\n")  # won the pair
    f.write(line(schema=1, cpu="bonnell") + "\n")        # schema 1, features from LLVM's table
    f.write(line(schema=1, cpu="zz-old-cpu") + "\n")     # schema 1, a cpu LLVM does not know
    f.write(line(features=features + ["zz_extra"]) + "\n")  # this cpu, other features
    f.write(line(median=0.0005)[:40])                    # torn by a kill: no newline
