# Writes a tuning database for tuning_db.test from `kiln-tune tasks` output:
# one good record for the second task (vector width 2), and one of each kind
# of line a reader must skip or ignore. Usage: make_db.py TASKS OUT
import json, re, sys

tasks = open(sys.argv[1]).read().splitlines()
cpu = re.search(r" on host/([^/]+)/native/1t", tasks[0]).group(1)
identity, calls, rest = tasks[2].split(" ", 2)
record = rest[rest.index("#kiln.schedule<"):]
record = record.replace("vector_width = 4, channel_tile = 4", "vector_width = 2, channel_tile = 2")

def line(kernel=identity, cpu=cpu, schedule=record, median=0.001, status="ok", schema=1):
    return json.dumps({"schema": schema, "kernel": kernel, "summary": "generic 4 -> 4",
                       "target": {"halide": "host", "cpu": cpu, "device": "native", "threads": 1},
                       "schedule": schedule, "median_ms": median, "min_ms": median,
                       "spread": 0.01, "status": status, "kiln": "test",
                       "time": "2026-12-06T00:00:00Z"}, separators=(",", ":"))

slower = record.replace("unroll = 1", "unroll = 2")
with open(sys.argv[2], "w") as f:
    f.write(line(schedule=slower, median=0.002) + "\n")  # slower: not chosen
    f.write(line() + "\n")                               # the best ok record
    f.write(line(median=0.0001, status="wrong") + "\n")  # faster but wrong: never chosen
    f.write("{not json\n")                               # malformed
    f.write(line(schema=2) + "\n")                       # another schema
    f.write(line(cpu="some-other-cpu") + "\n")           # another target
    f.write(line(kernel="0123456789abcdef0123") + "\n")  # a kernel this model lacks
    f.write(line(median=0.0005)[:40])                    # torn by a kill: no newline
