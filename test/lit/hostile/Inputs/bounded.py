#!/usr/bin/env python3
"""Runs a command under a memory and a time limit and says how it ended.

    bounded.py [--mem-mb N] [--seconds S] (--error | --ok) -- command args...

The command runs with RLIMIT_AS (ulimit -v) of N MiB and is killed after S
seconds. In a sanitizer build (KILN_SANITIZED=1, set by lit.cfg.py) there
is no address-space limit, since AddressSanitizer reserves terabytes of
shadow memory, and the time limit is four times longer. Its stdout and stderr pass through (for FileCheck). Exit 0 when it
ended as asked: --error, with status 1 (kilnc's clean error) and no signal;
--ok, with status 0. Otherwise one line "bounded: ..." on stderr (timed out,
killed by a signal, another status) and exit 2, so that a hostile input
that crashes, hangs or eats memory fails the test where `not` alone would
pass it.
"""
import argparse
import os
import resource
import signal
import subprocess
import sys


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mem-mb", type=int, default=2048)
    parser.add_argument("--seconds", type=float, default=60)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--error", action="store_true")
    group.add_argument("--ok", action="store_true")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")

    limit = args.mem_mb << 20
    sanitized = os.environ.get("KILN_SANITIZED") == "1"
    seconds = args.seconds * (4 if sanitized else 1)

    def limits():
        if not sanitized:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    sys.stdout.flush()
    try:
        proc = subprocess.run(command, preexec_fn=limits, timeout=seconds)
    except subprocess.TimeoutExpired:
        print(f"bounded: {command[0]} ran past {seconds:g} s", file=sys.stderr)
        return 2
    status = proc.returncode
    if status < 0:
        name = signal.Signals(-status).name
        print(f"bounded: {command[0]} was killed by {name}", file=sys.stderr)
        return 2
    wanted = 1 if args.error else 0
    if status != wanted:
        print(f"bounded: {command[0]} exited with {status}, expected {wanted}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
