"""Peak memory (resident set) of ``replicate`` at 1,000 and 10,000 replications of China.

Each size runs in a fresh Python process, which reports its own peak resident set
(``ru_maxrss``) after the run — the imports included, as a user's process would have them — and,
when workers are used, the largest peak among them. Memory should stay nearly flat as
replications grow: only one row of metrics per replication is kept.

    python benchmarks/bench_memory.py                 # 1 worker
    python benchmarks/bench_memory.py --workers 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys
sys.path.insert(0, {src!r})
from nukesim.runner import replicate
from nukesim.scenario import load_scenario
scenario, _ = load_scenario({china!r})
result = replicate(scenario, {n}, 7, workers={workers})
assert len(result) == {n}
print(json.dumps({{
    "self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
}}))
"""


def peak_kib(n: int, workers: int) -> dict[str, int]:
    code = CHILD.format(src=str(ROOT / "src"), china=str(ROOT / "scenarios" / "china_national_team.yaml"),
                        n=n, workers=workers)
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()

    print(f"peak resident set of `replicate` on China, {args.workers} worker(s), "
          "each size in a fresh process")
    print(f"{'replications':>12} {'main MiB':>9} {'worker MiB':>11}")
    peaks = {}
    for n in args.sizes:
        got = peak_kib(n, args.workers)
        peaks[n] = got["self"]
        workers = f"{got['children'] / 1024:11.1f}" if args.workers > 1 else f"{'-':>11}"
        print(f"{n:12,d} {got['self'] / 1024:9.1f} {workers}")
    if len(args.sizes) >= 2:
        first, last = args.sizes[0], args.sizes[-1]
        print(f"peak at {last:,} / peak at {first:,} = {peaks[last] / peaks[first]:.3f}")


if __name__ == "__main__":
    main()
