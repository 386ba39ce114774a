"""Test only (timing.test): checks how the tuner timed its batches, from the
log of a fake runner (Inputs/fake_timing/wasm_runner.mjs, KILN_FAKE_LOG:
one line per request, in the order the tuner sent them).

  check_rounds.py LOG ROUNDS

A batch is the timed runs ("run" without "reference") between two
"forget"s. Each batch must be rounds over all its candidates in one order,
A B C A B C ... (not A A A B B B: load on a shared machine must fall on
all alike), each candidate in its own runner, and every batch must have
ROUNDS rounds (tuner/Measure.cpp: rounds stop once no median moved by more
than 2%, from the third on, and never go past 5)."""
import json
import sys

log_path, want_rounds = sys.argv[1], int(sys.argv[2])
batches, current, runner = [], [], {}
for line in open(log_path):
    r = json.loads(line)
    if r["op"] == "compile":
        runner[r["id"]] = r["pid"]
    elif r["op"] == "run" and not r.get("reference"):
        current.append(r["id"])
    elif r["op"] == "forget" and current:
        batches.append(current)
        current = []
if current:
    batches.append(current)

failures = []
widest = 0
for b in batches:
    order = list(dict.fromkeys(b))
    widest = max(widest, len(order))
    rounds = len(b) // len(order)
    if b != order * rounds:
        failures.append(f"batch {b} is not rounds over {order}")
    elif rounds != want_rounds:
        failures.append(f"batch {order} had {rounds} rounds, not {want_rounds}")
    if len({runner[i] for i in order}) != len(order):
        failures.append(f"batch {order} shares a runner")
print(f"{len(batches)} batches, up to {widest} candidates each, "
      f"{len(batches) - len(failures)} in {want_rounds} interleaved rounds")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures or widest < 3 else 0)
