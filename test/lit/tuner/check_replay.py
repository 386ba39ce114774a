# replay.test: every search's records are the table's (none failed for want
# of a time, the wrong one recorded wrong), the same seed gave the same
# candidates, and grid walked the whole table (10 records) and stopped
# short of its budget (20).
# Usage: check_replay.py TABLE EVOLVE EVOLVE_AGAIN RANDOM GRID
import json, sys

def records(path):
    return [json.loads(l) for l in open(path) if l.strip()]

table = {r["schedule"]: r["status"] for r in records(sys.argv[1])}
runs = {name: records(path) for name, path in zip(["evolve", "again", "random", "grid"], sys.argv[2:])}
for name, rs in runs.items():
    for r in rs:
        assert r["schedule"] in table, f"{name} proposed a record the table lacks: {r['schedule']}"
        assert r["status"] == table[r["schedule"]], f"{name}: {r['status']} for a {table[r['schedule']]} record"
    search = [r for r in rs if not r.get("paired")]
    assert len({r["schedule"] for r in search}) == len(search), f"{name} measured a record twice"
schedules = lambda rs: [r["schedule"] for r in rs if not r.get("paired")]
assert schedules(runs["evolve"]) == schedules(runs["again"]), "the same seed must replay the same candidates"
assert len(schedules(runs["evolve"])) == 9 and len(schedules(runs["random"])) == 9
assert len(schedules(runs["grid"])) == 10, f"grid: {len(schedules(runs['grid']))} records, not the table's 10"
print("replay checks: ok")
