"""Test only (show.test): a tuning database whose records kilnc does not
take as a search would suggest, from `kiln-tune tasks` output.

  show_db.py TASKS OUT

- the second task ("generic 4 -> 4"): its template (baseline), then a pair
  that a record with vector width 2 won, then the whole-model acceptance's
  verdict rejecting that record: kilnc keeps the template;
- the first task: a pair a candidate won against a template other than
  today's (unroll changed): kilnc keeps today's template, which only the
  model can tell;
- the first task again, measured on another CPU, and on this one with
  other CPU features: applies nowhere here."""
import json
import re
import sys

tasks = open(sys.argv[1]).read().splitlines()
# "on host/CPU(FEATURES)/native/1t": the fingerprint kilnc matches.
cpu, features = re.search(r" on host/([^/(]+)(?:\(([^)]*)\))?/native/1t", tasks[0]).groups()
features = features.split(",") if features else []


def task(line):
    identity, _calls, rest = line.split(" ", 2)
    i = rest.index("#kiln.schedule<")
    return identity, rest[:i].strip(), rest[i:]


def line(kernel, summary, schedule, median, time, cpu=cpu, features=features, **flags):
    r = {"schema": 2, "kernel": kernel, "summary": summary,
         "target": {"halide": "host", "cpu": cpu, "features": features, "device": "native",
                    "device_version": "Linux test", "threads": 1},
         "schedule": schedule, "median_ms": median, "min_ms": median, "spread": 0.01,
         "status": "ok", "kiln": "test", "time": time}
    for flag in ("paired", "baseline", "rejected"):
        if flags.get(flag):
            r[flag] = True
    return json.dumps(r, separators=(",", ":")) + "\n"


first, second = task(tasks[1]), task(tasks[2])
with open(sys.argv[2], "w") as f:
    k, summary, template = second
    tuned = re.sub(r"vector_width = \d+, channel_tile = \d+", "vector_width = 2, channel_tile = 2", template)
    assert tuned != template
    f.write(line(k, summary, template, 0.0015, "2026-12-07T01:00:00Z", baseline=True))
    f.write(line(k, summary, tuned, 0.0014, "2026-12-07T01:01:00Z"))
    f.write(line(k, summary, template, 0.0015, "2026-12-07T01:02:00Z", paired=True, baseline=True))
    f.write(line(k, summary, tuned, 0.0012, "2026-12-07T01:02:00Z", paired=True))
    f.write(line(k, summary, tuned, 0.0012, "2026-12-07T01:03:00Z", rejected=True))
    k, summary, template = first
    old = re.sub(r"unroll = \d+", "unroll = 3", template)
    tuned = re.sub(r"vector_width = \d+, channel_tile = \d+", "vector_width = 2, channel_tile = 2", old)
    assert old != template and tuned != old
    f.write(line(k, summary, old, 0.002, "2026-12-07T01:00:00Z", baseline=True))
    f.write(line(k, summary, old, 0.002, "2026-12-07T01:02:00Z", paired=True, baseline=True))
    f.write(line(k, summary, tuned, 0.001, "2026-12-07T01:02:00Z", paired=True))
    f.write(line(k, summary, tuned, 0.001, "2026-12-07T01:02:00Z", cpu="zz-other-cpu"))
    # This CPU with a feature it does not have (as a VM that hides one would
    # differ from the machine it was tuned on): applies nowhere here either.
    f.write(line(k, summary, tuned, 0.001, "2026-12-07T01:02:00Z", features=features + ["zz_extra"]))
