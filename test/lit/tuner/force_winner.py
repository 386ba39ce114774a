"""Test only: appends to a kiln-tune database a kernel pair that the tuned
record won, so that the next kiln-tune run has a winner for the whole-model
acceptance to judge without a search having to find one (accept.test), and
kilnc --tuning-db applies a record other than the template
(test/e2e/tune.test.mjs, whose few trials measure only templates).

  force_winner.py DB SUMMARY

The pair is the kernel's template (its baseline record, as the tune wrote
it) against the template with vector_width and channel_tile 1 (a schedule
the kernel takes), both "paired", the tuned one at 1 ns: a certain win in
the pair, whatever the machine, and no gain in the model."""
import json
import re
import sys

db, summary = sys.argv[1], sys.argv[2]
records = [json.loads(line) for line in open(db)]
base = next(r for r in records if r["summary"] == summary and r.get("baseline"))
tuned_schedule = re.sub(r"vector_width = \d+, channel_tile = \d+", "vector_width = 1, channel_tile = 1",
                        base["schedule"])
assert tuned_schedule != base["schedule"], "the template already has vector_width 1"
time = "2026-01-01T00:00:00Z"  # before the acceptance's verdict, whenever it runs
pair = [dict(base, time=time, paired=True, baseline=True),
        dict(base, schedule=tuned_schedule, time=time, paired=True, median_ms=1e-6, min_ms=1e-6)]
pair[1].pop("baseline")
order = ["schema", "kernel", "summary", "target", "schedule", "median_ms", "min_ms", "spread", "status",
         "kiln", "time", "paired", "baseline"]
with open(db, "a") as f:
    for r in pair:
        f.write(json.dumps({k: r[k] for k in order if k in r}, separators=(",", ":")) + "\n")
