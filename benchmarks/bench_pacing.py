"""How closely a paced exercise keeps the simulated clock to the wall clock.

Runs the China scenario on a ``PacedEnvironment`` (default: speed 60, a simulated minute per real
second) for a bounded wall time and records, for every event, how late it was processed against
its ideal wall time (``t × 60 / speed`` seconds after the start). A controller thread also wakes
the environment at random moments, as a trainee's keystroke would, and the time from ``wake()``
to the session having control back is measured. Prints the figures docs/performance.md quotes.

    python benchmarks/bench_pacing.py                 # speed 60 for 30 s
    python benchmarks/bench_pacing.py --speed 600 --seconds 20
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from pathlib import Path

import numpy as np

from nukesim.api import load
from nukesim.sim import World
from nukesim.sim.pacing import PacedEnvironment, Woken

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=60.0, help="simulated minutes per real minute")
    parser.add_argument("--seconds", type=float, default=30.0, help="wall time to run for")
    parser.add_argument("--wakes", type=int, default=20, help="controller wake-ups during the run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    scenario = load(ROOT / "scenarios" / "china_national_team.yaml")
    env = PacedEnvironment(args.speed, initial_time=-scenario.measurement.warmup)
    world = World(scenario, args.seed, env=env)
    woke: list[float] = []
    sent: list[float] = []
    rng = random.Random(1)

    def controller() -> None:
        for _ in range(args.wakes):
            time.sleep(rng.uniform(0.2, args.seconds / args.wakes))
            sent.append(time.monotonic())
            env.wake()

    lateness: list[float] = []
    start = time.monotonic()  # the environment's clock started at construction, a moment earlier
    env.restart_clock()
    threading.Thread(target=controller, daemon=True).start()
    while not world.finished and time.monotonic() - start < args.seconds:
        try:
            world.step()
        except Woken:
            woke.append(time.monotonic())
            world.advance_to(env.clock())  # what the session does before applying an input
            continue
        lateness.append((time.monotonic() - start) - env.now * 60.0 / args.speed)
    wall = time.monotonic() - start
    drift = env.clock() - wall * args.speed / 60.0
    late = np.array(lateness) * 1000
    wake = (np.array(woke[: len(sent)]) - np.array(sent[: len(woke)])) * 1000
    print(f"China scenario, seed {args.seed}, speed {args.speed:g} simulated min per real min, "
          f"{wall:.1f} s wall, {len(late)} events to t = {env.now:.1f} min")
    print(f"event lateness (ms): median {np.median(late):.2f}, p99 {np.percentile(late, 99):.2f}, "
          f"max {late.max():.2f}, min {late.min():.2f}")
    print(f"paced clock at the end vs wall clock × speed: {drift * 60 / args.speed * 1000:+.2f} ms")
    if len(wake):
        print(f"wake-up to control ({len(wake)} wakes, ms): median {np.median(wake):.2f}, "
              f"max {wake.max():.2f}")


if __name__ == "__main__":
    main()
