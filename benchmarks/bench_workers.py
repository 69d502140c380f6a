"""Throughput of ``replicate`` — what ``nukesim run`` calls — with 1 and 2 worker processes.

Each measurement is a whole call, pool start-up included, as a user pays it; the best of a few
rounds counts. The two results must be identical (the same numbers whatever the number of
workers), and the script says so. It ends by timing the default job, ``python run_sim.py``
(200 replications of the China scenario on all cores), as a user would run it.

    python benchmarks/bench_workers.py            # 2000 replications, 3 rounds
    python benchmarks/bench_workers.py -n 10000 --rounds 1 --no-default-job
"""

from __future__ import annotations

import argparse
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from nukesim.runner import replicate  # noqa: E402
from nukesim.scenario import load_scenario  # noqa: E402

CHINA = ROOT / "scenarios" / "china_national_team.yaml"


def timed(scenario, n: int, seed: int, workers: int, rounds: int) -> tuple[float, np.ndarray]:
    best, values = math.inf, None
    for _ in range(rounds):
        t0 = time.perf_counter()
        result = replicate(scenario, n, seed, workers=workers)
        best = min(best, time.perf_counter() - t0)
        values = result.values
    return best, values


def default_job(rounds: int) -> float:
    """Wall time of ``python run_sim.py`` (output discarded), best of ``rounds``."""
    best = math.inf
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "run_sim.py")], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL, env={**os.environ, "COLUMNS": "160"})
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="replications (default 2000)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-default-job", action="store_true", help="skip timing python run_sim.py")
    args = parser.parse_args()

    scenario, _ = load_scenario(CHINA)
    replicate(scenario, 20, args.seed)  # warm up: the compiled plan, numpy, scipy
    print(f"China scenario, {args.n} replications, best of {args.rounds} rounds, "
          f"{os.cpu_count()} CPUs seen")
    print(f"{'workers':>7} {'seconds':>8} {'replications/s':>15} {'speed-up':>9}")
    one, v1 = timed(scenario, args.n, args.seed, 1, args.rounds)
    two, v2 = timed(scenario, args.n, args.seed, 2, args.rounds)
    for workers, seconds in ((1, one), (2, two)):
        print(f"{workers:7d} {seconds:8.2f} {args.n / seconds:15,.0f} {one / seconds:8.2f}×")
    same = np.array_equal(v1, v2, equal_nan=True)
    print("results identical with 1 and 2 workers" if same else "RESULTS DIFFER between 1 and 2 workers")
    if not args.no_default_job:
        print(f"\npython run_sim.py (the default job: 200 replications of China): "
              f"{default_job(args.rounds):.2f} s wall time")


if __name__ == "__main__":
    main()
