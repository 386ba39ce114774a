"""Test only (shipped.test): reads every tuning database in a folder whole.

  check_shipped.py KILN-TUNE DIR

Every DIR/*.jsonl (a glob, so that a new database cannot be left out) must
be named MODEL.DEVICE-Nt.jsonl and read without a warning by `kiln-tune
show` (no malformed, foreign-schema or torn line), and every target it
shows must be for that device and thread count (host/... for native,
wasm-... for node and chromium). Prints one line per database and a count;
exits 1 on the first that fails, or if DIR has none."""
import glob
import os
import re
import subprocess
import sys

tool, folder = sys.argv[1], sys.argv[2]
paths = sorted(glob.glob(os.path.join(folder, "*.jsonl")))
if not paths:
    print(f"FAIL: no *.jsonl in {folder}")
    sys.exit(1)
for path in paths:
    name = os.path.basename(path)
    named = re.fullmatch(r"[\w-]+\.(native|node|chromium|vulkan)-(\d+)t\.jsonl", name)
    if not named:
        print(f"FAIL: {name}: not named MODEL.DEVICE-Nt.jsonl")
        sys.exit(1)
    device, threads = named.groups()
    show = subprocess.run([tool, "show", path], capture_output=True, text=True)
    if show.returncode != 0 or "warning" in show.stderr or "warning" in show.stdout:
        print(f"FAIL: {name}: kiln-tune show (status {show.returncode}):\n{show.stderr}")
        sys.exit(1)
    targets = re.findall(r"^target (\S+)$", show.stdout, re.M)
    halide = "host" if device == "native" else "wasm-" if device in ("node", "chromium") else ""
    wrong = [t for t in targets if not (t.endswith(f"/{device}/{threads}t") and t.startswith(halide))]
    if not targets or wrong:
        print(f"FAIL: {name}: targets {', '.join(targets) or 'none'}, not all {device}/{threads}t")
        sys.exit(1)
    print(f"{name}: {len(targets)} target(s) {device}/{threads}t, no warning")
print(f"{len(paths)} databases read whole")
