#!/usr/bin/env python3
"""The fuzzing figures of README.md and fuzz/README.md, summed from a
fuzz history: one JSON object a line, as scripts/fuzz.sh appends to
build-asan/fuzz-history.jsonl. fuzz/history.jsonl is that file's copy in the
tree, from which the READMEs' tables are made:

    python3 fuzz/figures.py [HISTORY]      # default: fuzz/history.jsonl

Prints a Markdown table per target: runs (of which --ci), hours, executions,
the best run's coverage (libFuzzer's edges) and features, and the inputs
that crashed (every input libFuzzer kept; many are one bug). The distinct
bugs are fuzz/README.md's "Found and fixed" rows, not counted here.
"""
import json
import os
import sys

TARGETS = ["onnx", "onnx-text", "tfjs-json", "tfjs-weights", "tuning-db"]


def main(argv):
    path = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "history.jsonl")
    rows = {t: {"runs": 0, "ci": 0, "seconds": 0, "executions": 0, "coverage": 0, "features": 0,
                "crashes": 0} for t in TARGETS}
    first = last = None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                run = json.loads(line)
                row = rows[run["target"]]
            except (ValueError, KeyError) as e:
                sys.exit(f"figures: {path}:{number}: not a fuzz.sh record ({e})")
            row["runs"] += 1
            row["ci"] += 1 if run.get("ci") else 0
            for key in ("seconds", "executions", "crashes"):
                row[key] += run[key]
            # Coverage is per run (each forked search restarts its count),
            # so the best run is the figure, not a sum.
            row["coverage"] = max(row["coverage"], run["coverage"])
            row["features"] = max(row["features"], run["features"])
            first = first or run["date"]
            last = run["date"]
    print(f"From {path}: runs from {first} to {last}.\n")
    print("| target | runs (of which --ci) | hours | executions | coverage (edges, best run) "
          "| features (best run) | inputs that crashed |")
    print("|---|---|---|---|---|---|---|")
    total = {"runs": 0, "ci": 0, "seconds": 0, "executions": 0, "crashes": 0}
    for t in TARGETS:
        r = rows[t]
        for key in total:
            total[key] += r[key]
        print(f"| `{t}` | {r['runs']} ({r['ci']}) | {r['seconds'] / 3600:.2f} | {r['executions']:,} "
              f"| {r['coverage']:,} | {r['features']:,} | {r['crashes']} |")
    print(f"| all | {total['runs']} ({total['ci']}) | {total['seconds'] / 3600:.2f} "
          f"| {total['executions']:,} | | | {total['crashes']} |")


if __name__ == "__main__":
    main(sys.argv)
