"""Machine instructions per replication, counted by valgrind: a speed figure a busy machine cannot blur.

``bench_engine.py`` times the models by the wall clock and takes the best of several rounds; on
a shared machine whose other cores are busy even the best round can be off by tens of per cent,
in either direction. Counting instructions (valgrind's callgrind) is deterministic: the same code
runs the same instructions whatever else the machine does. It is not time — a cache miss costs
more than an addition — but a change that adds work shows up here exactly.

Each model runs twice under callgrind, once with 0 and once with ``-n`` replications after the
same imports and warm-up; the difference divided by ``-n`` is the count per replication. Needs
``valgrind`` on the PATH; takes a few minutes.

    python benchmarks/bench_instructions.py            # floor, nukesim (whole log), nukesim run
    python benchmarks/bench_instructions.py -n 200 --models nukesim run
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = ("floor", "nukesim", "run")


def one(model: str, n: int) -> None:
    """Run ``n`` China replications of ``model`` after the imports and a warm-up of 3."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent / "src"))
    import floor_china

    from nukesim.metrics import compute_metrics
    from nukesim.scenario import load_scenario
    from nukesim.sim import simulate

    scenario, _ = load_scenario(HERE.parent / "scenarios" / "china_national_team.yaml")
    run = {"floor": lambda r: floor_china.simulate(7, r),
           "nukesim": lambda r: simulate(scenario, 7, r).records,
           "run": lambda r: compute_metrics(simulate(scenario, 7, r), scenario)}[model]
    for r in range(3 + n):
        run(r)


def count(model: str, n: int) -> int:
    """Instructions of a whole process that runs ``n`` replications of ``model``."""
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
         "--one", model, "-n", str(n)], capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", result.stderr)
    if found is None:
        raise RuntimeError(f"no instruction count in valgrind's output:\n{result.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100, help="replications counted per model")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--one", choices=MODELS, help=argparse.SUPPRESS)  # the process valgrind runs
    args = parser.parse_args()
    if args.one:
        one(args.one, args.n)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    per = {model: (count(model, args.n) - count(model, 0)) / args.n for model in args.models}
    print(f"China scenario, seed 7, replications 3-{2 + args.n}: instructions per replication (callgrind)")
    for model, ir in per.items():
        ratio = f"  {ir / per['floor']:.3f} × floor" if "floor" in per else ""
        print(f"{model:10} {ir / 1e6:8.2f} M{ratio}")


if __name__ == "__main__":
    main()
