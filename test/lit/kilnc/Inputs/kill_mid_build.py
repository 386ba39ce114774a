"""Test only (temp_dirs.test): runs a kilnc command with --progress, sends
it SIGTERM as soon as it reports its first compiled kernel (its temporary
folder then holds that kernel's object: checked, so the test exercises the
signal path), and checks that it died of the signal.

  kill_mid_build.py TMPDIR KILNC ARGS...
"""
import glob
import os
import signal
import subprocess
import sys

tmp, command = sys.argv[1], sys.argv[2:]
child = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=dict(os.environ, TMPDIR=tmp))
for line in child.stderr:
    if line.startswith("[1/"):
        break
else:
    sys.exit(f"kilnc ended before it compiled a kernel (exit {child.wait()})")
objects = glob.glob(os.path.join(tmp, "kiln-*", "*.o"))
child.send_signal(signal.SIGTERM)
child.stderr.read()
status = child.wait()
if not objects:
    sys.exit("no object file in a kiln-* folder of TMPDIR when the signal was sent")
if status != -signal.SIGTERM:
    sys.exit(f"kilnc was not ended by SIGTERM (exit status {status})")
print(f"killed after 1 kernel ({len(objects)} object file(s) in TMPDIR then)")
