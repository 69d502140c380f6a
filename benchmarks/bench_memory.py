"""Peak memory (resident set) at 1,000 and 10,000 replications of China: ``replicate``, and
``nukesim run --out`` (which also writes attribution.csv, every replication's critical paths).

Each size runs in a fresh Python process, which reports its own peak resident set
(``ru_maxrss``) after the run — the imports included, as a user's process would have them — and,
when workers are used, the largest peak among them. Memory should stay nearly flat as
replications grow: only one row of metrics per replication is kept, and ``run --out`` writes
the attribution and the kept event logs as the replications finish instead of holding them.

    python benchmarks/bench_memory.py                 # 1 worker, replicate and run --out
    python benchmarks/bench_memory.py --workers 2 --what run-out
    python benchmarks/bench_memory.py --src OTHER/src # another checkout's code, to compare
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

REPLICATE = """
from nukesim.runner import replicate
from nukesim.scenario import load_scenario
scenario, _ = load_scenario({china!r})
result = replicate(scenario, {n}, 7, workers={workers})
assert len(result) == {n}
"""

RUN_OUT = """
import contextlib, io, tempfile
from pathlib import Path
from nukesim.cli import app
with tempfile.TemporaryDirectory() as out, contextlib.redirect_stdout(io.StringIO()):
    try:
        app(["run", {china!r}, "-n", "{n}", "--seed", "7", "--workers", "{workers}", "--out", out])
    except SystemExit as done:
        assert not done.code, done.code
    with open(Path(out) / "attribution.csv") as fh:  # line by line: the check must not add its own peak
        lines = sum(1 for _ in fh)
    assert lines > {n}, lines
"""

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {src!r})
start = time.perf_counter()
{body}
print(json.dumps({{
    "self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    "seconds": time.perf_counter() - start,
}}))
"""

WHAT = {"replicate": REPLICATE, "run-out": RUN_OUT}


def peak_kib(what: str, n: int, workers: int, src: Path) -> dict[str, float]:
    body = WHAT[what].format(china=str(ROOT / "scenarios" / "china_national_team.yaml"), n=n, workers=workers)
    code = CHILD.format(src=str(src), body=body)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--what", choices=[*WHAT, "both"], default="both")
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the nukesim source to measure")
    args = parser.parse_args()

    whats = list(WHAT) if args.what == "both" else [args.what]
    print(f"peak resident set on China, {args.workers} worker(s), each size in a fresh process")
    print(f"{'what':>10} {'replications':>12} {'main MiB':>9} {'worker MiB':>11} {'seconds':>8}")
    for what in whats:
        peaks = {}
        for n in args.sizes:
            t0 = time.perf_counter()
            got = peak_kib(what, n, args.workers, args.src)
            wall = time.perf_counter() - t0
            peaks[n] = got["self"]
            workers = f"{got['children'] / 1024:11.1f}" if args.workers > 1 else f"{'-':>11}"
            print(f"{what:>10} {n:12,d} {got['self'] / 1024:9.1f} {workers} {wall:8.2f}")
        if len(args.sizes) >= 2:
            first, last = args.sizes[0], args.sizes[-1]
            print(f"{what:>10} peak at {last:,} / peak at {first:,} = {peaks[last] / peaks[first]:.3f}")


if __name__ == "__main__":
    main()
