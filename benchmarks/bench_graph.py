"""Time and peak memory of ``nukesim validate`` and ``nukesim graph`` on large command graphs.

A national notification network is generated with 1,000 and 5,000 organisations: the plant tells
its province and the national centre; the centre alerts every province and orders the team out
(after hearing from two of the plant, the plant's province and a regional office); every province
passes the alert to its municipalities, which acknowledge it and report back. Each command runs in
a fresh process (``python -m nukesim …``), which reports its own peak resident set, imports
included, as a user's process would have them.

    python benchmarks/bench_graph.py                  # 1,000 and 5,000 organisations
    python benchmarks/bench_graph.py --orgs 2000      # another size
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {src!r})
sys.argv = ["nukesim", *{argv!r}]
from nukesim.cli import app
start = time.perf_counter()
try:
    app(standalone_mode=False)
except SystemExit:
    pass
seconds = time.perf_counter() - start
sys.stdout.flush()
print(json.dumps({{"seconds": seconds, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}),
      file=sys.stderr)
"""


def scenario(orgs: int) -> dict:
    """A notification network of ``orgs`` organisations (at least 10)."""
    provinces = max(2, round(math.sqrt(orgs - 4)))
    municipal = orgs - 4 - provinces  # plant, national centre, regional office, team office
    names = [f"province_{i:03d}" for i in range(provinces)]
    towns = {p: [] for p in names}
    for k in range(municipal):
        towns[names[k % provinces]].append(f"town_{k:05d}")
    o: dict[str, dict] = {
        "plant": {"staff": 2, "handlers": [{"on": "class_change", "time": "5m", "send": [
            {"to": names[0], "kind": "notification"}, {"to": "national", "kind": "notification"},
            {"to": "regional", "kind": "notification"}]}]},
        "regional": {"handlers": [{"on": "notification", "time": "8m",
                                   "send": [{"to": "national", "kind": "notification"}]}]},
        "national": {"staff": {"day": 4, "night": 2}, "handlers": [
            {"on": "notification", "class_at_least": "emergency",
             "wait_for": {"count": 2, "from": ["plant", names[0], "regional"]},
             "time": {"dist": "lognormal", "median": "10m", "p90": "30m"},
             "send": [{"to": "team_office", "kind": "mobilise"}, {"to": "team_office", "kind": "deploy"},
                      *({"to": p, "kind": "alert"} for p in names)]},
            {"on": "report", "time": "1m"}]},
        "team_office": {"handlers": [{"on": "mobilise", "time": "2m"}, {"on": "deploy", "time": "1m"}]},
    }
    links = [{"from": "plant", "to": names[0], "channel": "phone", "fallbacks": ["radio"]},
             {"from": "plant", "to": "national", "channel": "hotline"},
             {"from": "plant", "to": "regional", "channel": "phone"},
             {"from": "regional", "to": "national", "channel": "phone"},
             {"from": "national", "to": "team_office", "channel": "hotline"}]
    for p in names:
        o[p] = {"staff": {"day": 3, "night": 1}, "handlers": [
            {"on": "notification", "time": "10m", "send": [{"to": "national", "kind": "notification"}]},
            {"on": "alert", "time": "5m", "once": True,
             "send": [{"to": t, "kind": "alert"} for t in towns[p]] + [{"to": "national", "kind": "report"}]},
            {"on": "ack", "time": "30s"}]}
        links.append({"from": "national", "to": p, "channel": "fax", "fallbacks": ["phone"]})
        links.append({"from": p, "to": "national", "channel": "phone"})
        for t in towns[p]:
            o[t] = {"handlers": [{"on": "alert", "time": "15m", "send": [{"to": p, "kind": "ack"}]}]}
            links.append({"from": p, "to": t, "channel": "phone"})
            links.append({"from": t, "to": p, "channel": "phone"})
    return {
        "name": f"generated network of {orgs} organisations",
        "start": "2026-03-16T10:00:00+08:00", "horizon": "1d", "classes": ["alert", "emergency"],
        "accident": {"site": "plant",
                     "timeline": [{"at": 0, "class": "alert"}, {"at": 30, "class": "emergency"}]},
        "channels": {"phone": {"delay": {"dist": "uniform", "low": "1m", "high": "3m"}, "fails": 0.1,
                               "detect": "5m", "retries": 1},
                     "radio": {"delay": "2m"}, "fax": {"delay": "4m"}, "hotline": {"delay": "30s"}},
        "organisations": o, "links": links,
        "authority": {"mobilise": ["national"], "deploy": ["national"]},
        "team": {"organisation": "team_office", "units": {"responders": {"size": 10}},
                 "members": {"nearby": {"share": 1.0, "travel": "20m"}}},
    }


def measure(argv: list[str]) -> dict:
    code = CHILD.format(src=str(ROOT / "src"), argv=argv)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(done.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, nargs="*", default=[1000, 5000])
    args = parser.parse_args()
    print(f"{'organisations':>13}  {'links':>6}  {'command':<8}  {'seconds':>8}  {'peak MB':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.orgs:
            file = Path(tmp) / f"network_{n}.yaml"
            doc = scenario(n)
            file.write_text(yaml.safe_dump(doc, sort_keys=False))
            for command in (["validate", str(file)], ["graph", str(file)]):
                started = time.perf_counter()
                got = measure(command)
                print(f"{n:>13,}  {len(doc['links']):>6,}  {command[0]:<8}  {got['seconds']:>8.2f}  "
                      f"{got['peak_kib'] / 1024:>8.0f}   (process {time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
