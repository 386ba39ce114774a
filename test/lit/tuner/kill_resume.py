"""Test only (kill_resume.test): kills a running kiln-tune and resumes it.

  kill_resume.py SIGNAL DB LINES [--tamper=WHAT] -- KILN-TUNE COMMAND...

Starts the command in a process group of its own, waits until DB holds
LINES complete lines, then sends SIGNAL: KILL to kiln-tune alone (a crash,
`kill -9`; its runners are left to notice), INT to the whole group (what
Ctrl-C in a terminal does). Then checks, printing one line per check and
exiting 1 on the first that fails:
  - no process of the group is left 10 s later (no orphaned runner),
  - the same command run again finishes, the database keeps every earlier
    complete line byte for byte (a prefix of the new file), and its last
    line ends with a newline,
  - `kiln-tune show` warns of nothing (no torn or malformed line),
  - no (kernel, target, schedule) was measured twice by the search (the
    resumed run measured none of the finished candidates again), and the
    search's records number the command's --trials.
--tamper breaks one of these on purpose, to see the check fail: "rewrite"
changes the first line before the resume, "duplicate" appends a copy of a
finished measurement after it, "orphan" leaves a process in the group."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

args = sys.argv[1:]
split = args.index("--")
opts, command = args[:split], args[split + 1:]
signame, db, lines_wanted = opts[0], opts[1], int(opts[2])
tamper = next((o.split("=", 1)[1] for o in opts[3:] if o.startswith("--tamper=")), "")
trials = next(int(a.split("=", 1)[1]) for a in command if a.startswith("--trials="))


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def group_members(pgid):
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def complete_lines(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return b""
    return data[:data.rindex(b"\n") + 1] if b"\n" in data else b""


# As in a terminal: lit's workers ignore SIGINT, and the tune would
# inherit that.
signal.signal(signal.SIGINT, signal.SIG_DFL)


def read_log():
    log.seek(0)
    return log.read().decode(errors="replace")


first_command = command
if tamper == "orphan":
    first_command = ["sh", "-c", 'sleep 60 & exec "$@"', "sh"] + command
log = tempfile.TemporaryFile()
tune = subprocess.Popen(first_command, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
deadline = time.monotonic() + 120
while complete_lines(db).count(b"\n") < lines_wanted:
    if tune.poll() is not None:
        fail(f"kiln-tune ended (status {tune.returncode}) before {lines_wanted} lines:\n"
             + read_log())
    if time.monotonic() > deadline:
        fail(f"no {lines_wanted} lines in {db} after 120 s")
    time.sleep(0.05)
if signame == "KILL":
    tune.kill()
else:
    os.killpg(tune.pid, signal.SIGINT)
status = tune.wait()
stderr = read_log()
print(f"stopped by SIG{signame}: status {status}")
if signame == "INT":
    # What the user sees on Ctrl-C: the last line kiln-tune wrote.
    last = [l for l in stderr.replace("\r", "\n").splitlines() if l.strip()]
    print("last message: " + (last[-1].strip() if last else "(none)"))

deadline = time.monotonic() + 10
while group_members(tune.pid) and time.monotonic() < deadline:
    time.sleep(0.1)
left = group_members(tune.pid)
if left:
    described = []
    for pid in left:
        try:
            described.append(f"{pid} " + open(f"/proc/{pid}/cmdline").read().replace("\0", " ")[:120])
        except OSError:
            pass
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    fail("processes of the killed tune left running:\n  " + "\n  ".join(described))
print("no process of the tune left")

before = complete_lines(db)
kept = before.count(b"\n")
print(f"database after the stop: {kept} complete lines" + (" and a torn one" if open(db, "rb").read() != before
                                                            else ""))
if kept < lines_wanted:
    fail(f"the stop lost lines: {kept} < {lines_wanted}")
if tamper == "rewrite":
    data = open(db, "rb").read()
    open(db, "wb").write(data.replace(b'"median_ms":', b'"median_ms": ', 1))

again = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
if again.returncode != 0:
    fail(f"the resumed tune failed (status {again.returncode}):\n{again.stdout}{again.stderr}")
if tamper == "duplicate":
    first = open(db, "rb").readline()
    open(db, "ab").write(first)
after = open(db, "rb").read()
if not after.startswith(before):
    fail("the resumed tune changed lines the killed one had written")
if not after.endswith(b"\n"):
    fail("the database ends in a torn line")
appended = after.count(b"\n") - kept
print(f"resumed: the {kept} earlier lines kept byte for byte, {appended} appended")

show = subprocess.run([command[0], "show", db], capture_output=True, text=True)
if show.returncode != 0 or "warning" in show.stderr:
    fail(f"kiln-tune show: status {show.returncode}\n{show.stderr}")
print("kiln-tune show: no warning")

records = [json.loads(l) for l in after.decode().splitlines()]
search = [r for r in records if not (r.get("paired") or r.get("accepted") or r.get("rejected"))]
seen = {}
for number, r in enumerate(search, 1):
    key = (r["kernel"], json.dumps(r["target"], sort_keys=True), r["schedule"])
    if key in seen:
        fail(f"search record {number} measures again what record {seen[key]} measured ({r['summary']})")
    seen[key] = number
if len(search) != trials:
    fail(f"{len(search)} search records, not --trials={trials}")
print(f"{len(search)} search records, each candidate measured once")
