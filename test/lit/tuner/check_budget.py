"""Test only (budget.test): checks the budget's split between a model's
kernels, from the search's records in two databases of the same model,
tuned with the same trials against a fake runner's times.

  check_budget.py FIXED.jsonl GAIN.jsonl BIG_SUMMARY SMALL_SUMMARY

In FIXED the big kernel takes 10x the small one's time and nothing is
faster than the templates; in GAIN the big kernel's candidates are 10x
faster than its template. The rule (tuner/README.md, Budget): each batch
goes to the kernel with the most to gain, calls x best / sqrt(1 + trials).
So in FIXED the big kernel gets most of the trials (an even split fails),
and in GAIN, once its gain is found, its share drops and the small kernel
gets more trials than in FIXED (a split fixed by the templates' times
fails)."""
import collections
import json
import sys

fixed_path, gain_path, big, small = sys.argv[1:5]


def trials(path):
    counts = collections.Counter()
    for line in open(path):
        r = json.loads(line)
        if not (r.get("paired") or r.get("accepted") or r.get("rejected")):
            counts[r["summary"]] += 1
    return counts


fixed, gain = trials(fixed_path), trials(gain_path)
print(f"fixed times: big {fixed[big]}, small {fixed[small]}; "
      f"big kernel's gain found: big {gain[big]}, small {gain[small]}")
failures = []
if min(fixed[big], fixed[small], gain[big], gain[small]) < 1:
    failures.append("a kernel got no trial at all (not even its template)")
if fixed[big] < 4 * fixed[small]:
    failures.append("with fixed times the kernel with 10x the time should get at least 4x the trials")
if gain[small] <= fixed[small] or gain[big] >= fixed[big]:
    failures.append("a gain on the big kernel should move trials to the small one")
if 2 * gain[small] < gain[big]:
    failures.append("once both kernels take 0.1 ms the small one should get about as many trials")
for f in failures:
    print("FAIL:", f)
sys.exit(1 if failures else 0)
