"""A 50-point x 200-replication China sweep on 2 cores: throughput, overhead, and Dask scaling.

The overhead is the sweep's wall time (its store, its point scenarios, its pool living across
points) divided by the wall time of the same 10,000 replications in one ``replicate`` call — what
``nukesim run -n 10000`` does — on the same 2 workers (target <= 1.15). Then the same sweep on a
local Dask cluster with 2 workers against 1 (target >= 1.7x); cluster start-up is not timed.

    python benchmarks/bench_sweep.py               # 50 points x 200 replications
    python benchmarks/bench_sweep.py --points-per 2 --replications 50   # a quick look
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from nukesim.runner import DaskExecutor, LocalExecutor, replicate  # noqa: E402
from nukesim.scenario import load_scenario  # noqa: E402
from nukesim.sweep.execute import prepare, run_sweep  # noqa: E402
from nukesim.sweep.store import Store  # noqa: E402

CHINA = ROOT / "scenarios" / "china_national_team.yaml"


def sweep_text(replications: int, levels: int) -> str:
    """Points that cost what the scenario itself costs: the hotline's and the fax's detection
    times matter only when those channels fail (2 % and 5 % of attempts), so the simulated
    time, and the work, stay as they are; the comparison with one run then measures the
    sweep's machinery, not a change of model."""
    hotline = [round(1 + 2 * i / max(1, levels - 1), 3) for i in range(levels)]
    return textwrap.dedent(f"""
        scenario: {CHINA}
        factors:
          - {{name: hotline_detect, path: channels.hotline.detect, values: {hotline}}}
          - {{name: fax_detect, path: channels.fax.detect, values: [10, 12.5, 15, 17.5, 20]}}
        replications: {replications}
        """)


def timed_sweep(path: Path, executor, workdir: Path) -> tuple[float, float, dict]:
    """(wall time including preparation, execution alone, values)."""
    t0 = time.perf_counter()
    prepared = prepare(path)
    t1 = time.perf_counter()
    store = Store(workdir / f"s{time.monotonic_ns()}.sqlite")
    try:
        result = run_sweep(prepared, store, executor)
    finally:
        store.close()
    t2 = time.perf_counter()
    return t2 - t0, t2 - t1, result.values


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=200)
    ap.add_argument("--points-per", type=int, default=10, help="hotline levels (x 5 fax levels)")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds; the best of each counts")
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args()
    points = 5 * args.points_per
    total = points * args.replications
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        path = work / "bench.yaml"
        path.write_text(sweep_text(args.replications, args.points_per))
        china = load_scenario(CHINA)[0]
        print(f"China sweep: {points} points x {args.replications} replications = {total:,}; 2 workers; "
              f"best of {args.rounds} alternating rounds")
        run_time = wall = execution = float("inf")
        local = {}
        for _ in range(args.rounds):  # alternate, so that a busy spell of the machine hits both
            t0 = time.perf_counter()
            replicate(china, total, seed=1, workers=2)
            run_time = min(run_time, time.perf_counter() - t0)
            executor = LocalExecutor(2)
            try:
                w, e, local = timed_sweep(path, executor, work)
            finally:
                executor.close()
            wall, execution = min(wall, w), min(execution, e)
        print(f"one run of {total:,} replications (replicate, 2 workers): {run_time:.2f} s, "
              f"{total / run_time:,.0f} replications/s")
        print(f"sweep, local pool of 2: {wall:.2f} s ({execution:.2f} s running, {wall - execution:.2f} s "
              f"preparing {points} point scenarios)")
        print(f"  {points / wall:.2f} points/s, {total / wall:,.0f} replications/s")
        print(f"  overhead = sweep / run = {wall / run_time:.3f} "
              f"(running alone: {execution / run_time:.3f}); target <= 1.15")
        if args.no_dask:
            return

        from distributed import LocalCluster

        times = {1: float("inf"), 2: float("inf")}
        for _ in range(args.rounds):
            for n in (1, 2):
                with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
                    ex = DaskExecutor(cluster.scheduler_address)
                    try:
                        _, t, values = timed_sweep(path, ex, work)
                    finally:
                        ex.close()
                times[n] = min(times[n], t)
                same = all(np.array_equal(values[k], local[k], equal_nan=True) for k in local)
                assert same, "Dask must give the local numbers"
        for n in (1, 2):
            print(f"Dask, {n} worker{'s' if n > 1 else ''}: {times[n]:.2f} s running, "
                  f"{total / times[n]:,.0f} replications/s; identical to the local sweep: True")
        print(f"Dask 2 workers / 1 worker: {times[1] / times[2]:.2f}x; target >= 1.7x")


if __name__ == "__main__":
    main()
