"""Test only (shared_kernel.test): checks that a second model's tune into
the same database measured none of a shared kernel's candidates again.

  check_shared.py FIRST.jsonl AFTER.jsonl SHARED_SUMMARY OWN_SUMMARY

FIRST is the database after the first model's tune, AFTER after the
second's; SHARED_SUMMARY names the kernel both models have, OWN_SUMMARY one
only the first has. The search's records (not the paired re-timings or the
acceptance's verdicts) are counted per kernel identity."""
import json
import sys

first_path, after_path, shared, own = sys.argv[1:5]
first_text, after_text = open(first_path).read(), open(after_path).read()
if not after_text.startswith(first_text):
    sys.exit("the second tune rewrote the first tune's records (the database is append-only)")


def searched(text):
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    return [r for r in records if not (r.get("paired") or r.get("accepted") or r.get("rejected"))]


first, after = searched(first_text), searched(after_text)
kernels = {r["kernel"] for r in after if r["summary"] == shared}
if len(kernels) != 1:
    sys.exit(f"'{shared}' should be one kernel identity in both models, found {sorted(kernels)}")
kernel = kernels.pop()
before = [r["schedule"] for r in first if r["kernel"] == kernel]
now = [r["schedule"] for r in after if r["kernel"] == kernel]
if len(before) < 2:
    sys.exit(f"the first tune measured {len(before)} records of the shared kernel: too few to show anything")
twice = sorted({s for s in now if now.count(s) > 1})
if twice:
    sys.exit(f"measured twice for the shared kernel {kernel}: {twice}")
own_before = sum(1 for r in first if r["summary"] == own)
own_after = sum(1 for r in after if r["summary"] == own)
if own_after != own_before:
    sys.exit(f"the second model's tune measured '{own}', a kernel it does not have")
print(f"shared kernel {kernel}: {len(before)} records after the first tune, "
      f"{len(now) - len(before)} new after the second, none measured twice")
