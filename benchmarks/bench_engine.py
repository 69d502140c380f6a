"""nukesim against the bare-SimPy floor on the China scenario: milliseconds per replication.

Every model runs the same replications (seed, 0 … n-1) in this one process, a few rounds each,
interleaved so that a busy moment of the machine hurts them all alike; the best round counts.

- ``floor``: benchmarks/floor_china.py, the China file written by hand in bare SimPy (callbacks
  on timeouts, duty staff as a counter and a heap) — what SimPy itself charges for this model;
- ``idiomatic SimPy``: the same model as SimPy's tutorials would write it (a process per task,
  ``PriorityResource``), for scale;
- ``nukesim``: ``simulate(scenario, seed, r)`` with the whole event log built (``log.records``),
  the same records the floor makes — the like-for-like figure, and the ratio the targets use;
- ``nukesim run``: what ``nukesim run`` pays per replication: ``simulate`` and ``compute_metrics``
  (member and vehicle records are then never built).

``--check N`` then runs N replications of each model and prints the means of a few metrics with
their 95 % confidence intervals, so that a reader can see that the floor models the same thing.

    python benchmarks/bench_engine.py            # timing, then the check with 1000 replications
    python benchmarks/bench_engine.py -n 1000 --rounds 5 --check 0
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import simpy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import floor_china  # noqa: E402

from nukesim.events import EventLog  # noqa: E402
from nukesim.metrics import compute_metrics  # noqa: E402
from nukesim.scenario import load_scenario  # noqa: E402
from nukesim.sim import simulate  # noqa: E402
from nukesim.stats import mean_ci  # noqa: E402

CHINA = HERE.parent / "scenarios" / "china_national_team.yaml"
CHECKED = ("notified:national_office", "notified:commission", "notified:state_council", "callout_started",
           "team_mobilized", "team_departed", "team_on_site", "wait:plant", "utilization:plant",
           "utilization:national_office")


def models(scenario) -> dict[str, Callable[[int, int], object]]:
    return {
        "floor": lambda seed, r: floor_china.simulate(seed, r),
        "idiomatic SimPy": lambda seed, r: floor_china.simulate(seed, r, floor_china.IdiomaticReplication),
        "nukesim": lambda seed, r: simulate(scenario, seed, r).records,
        "nukesim run": lambda seed, r: compute_metrics(simulate(scenario, seed, r), scenario),
    }


def time_models(scenario, seed: int, n: int, rounds: int) -> dict[str, float]:
    """Best seconds per replication of each model over ``rounds`` interleaved rounds."""
    runs = models(scenario)
    for run in runs.values():  # warm up: imports, caches, the compiled plan
        for r in range(5):
            run(seed, r)
    best = dict.fromkeys(runs, math.inf)
    for _ in range(rounds):
        for name, run in runs.items():
            gc.collect()
            t0 = time.perf_counter()
            for r in range(n):
                run(seed, r)
            best[name] = min(best[name], (time.perf_counter() - t0) / n)
    return best


def records_per_replication(scenario, seed: int, n: int) -> dict[str, float]:
    floor = sum(len(floor_china.simulate(seed, r)) for r in range(n)) / n
    engine = sum(len(simulate(scenario, seed, r).records) for r in range(n)) / n
    return {"floor": floor, "idiomatic SimPy": floor, "nukesim": engine, "nukesim run": engine}


def simpy_events_per_replication(scenario, seed: int, n: int) -> dict[str, float]:
    """Events the SimPy loop processes per replication (counted after the timing, never during)."""
    counted = [0]
    step = simpy.Environment.step

    def counting_step(env):
        counted[0] += 1
        return step(env)

    out = {}
    simpy.Environment.step = counting_step
    try:
        for name, run in models(scenario).items():
            counted[0] = 0
            for r in range(n):
                run(seed, r)
            out[name] = counted[0] / n
    finally:
        simpy.Environment.step = step
    return out


def floor_differences(scenario) -> list[str]:
    """Where the floor's hand-copied constants differ from the scenario file (an empty list: none)."""
    from nukesim.scenario.distributions import Exponential, Fixed, LogNormal, Uniform
    from nukesim.scenario.models import Measurement
    from nukesim.sim.plan import plan_for

    def dist(d) -> tuple:
        if isinstance(d, LogNormal):
            return floor_china.lognormal(d.median, d.p90)
        if isinstance(d, Exponential):
            return floor_china.exponential(d.mean)
        if isinstance(d, Uniform):
            return floor_china.uniform(d.low, d.high)
        return ("unsupported", repr(d))

    f, plan, team = floor_china, plan_for(scenario), scenario.team
    from nukesim.scenario.models import PERIODS as period
    rank = {c: i for i, c in enumerate(scenario.classes)}
    found = {
        "classes": (tuple(scenario.classes), f.CLASSES),
        "start, horizon": ((scenario.start, scenario.horizon), (f.START, f.HORIZON)),
        "calendar": ((scenario.calendar.day, scenario.calendar.late_night, set(scenario.calendar.holidays),
                      set(scenario.calendar.workdays)),
                     (f.DAY, f.LATE_NIGHT, set(f.HOLIDAYS), set(f.WORKDAYS))),
        "timeline": (tuple((c.at, rank[c.class_]) for c in scenario.accident.timeline), f.TIMELINE),
        "periods": (list(zip(plan.period_times, plan.period_index, strict=True)), f.PERIOD_CHANGES),
        "channels": ({name: (dist(c.delay), c.fails, c.detect, 1 + c.retries)
                      for name, c in scenario.channels.items()}, f.CHANNELS),
        "links": ({(x.from_, x.to): (x.channel, *x.fallbacks) for x in scenario.links}, f.LINKS),
        "units": (tuple((name, u.size) for name, u in team.units.items()), f.UNITS),
        "groups": (tuple((name, g.share, tuple(g.reachable[p] for p in period), dist(g.acknowledge),
                          dist(g.travel), g.slow_travel) for name, g in team.members.items()), f.GROUPS),
        "repage": ((team.callout.repage.after, team.callout.repage.attempts) if team.callout.repage else None,
                   f.REPAGE),
        "once": ({(name, i) for name, o in scenario.organisations.items() for i, h in enumerate(o.handlers)
                  if h.once}, f.ONCE),
        "team": ((team.organisation, team.callout.method, team.callout.delay, team.vehicles.count,
                  team.vehicles.loaders, dist(team.vehicles.load), dist(team.transit), team.deploy.order,
                  {u.ready_at for u in team.units.values()}, {tuple(g.slowdown[p] for p in period)
                                                               for g in team.members.values()}),
                 (f.TEAM_ORG, "page", f.CALLOUT_DELAY, f.VEHICLES, f.LOADERS, f.LOAD, f.TRANSIT, True,
                  {f.READY_AT}, {f.SLOWDOWN})),
    }
    # fields the floor does not model: China must leave them at their defaults
    found["fields the floor leaves out"] = (
        ({name: tuple(o.slowdown[p] for p in period) for name, o in scenario.organisations.items()},
         {name: u.members for name, u in team.units.items()},
         [(x.delay, x.resend, x.occupies) for x in scenario.links],
         [c.occupies for c in scenario.channels.values()], scenario.class_milestones,
         scenario.measurement, [(c.after, c.stop) for c in scenario.accident.timeline]),
        ({name: (1.0,) * len(period) for name in scenario.organisations}, dict.fromkeys(team.units),
         [(Fixed(value=0.0), None, None)] * len(scenario.links), [False] * len(scenario.channels), [],
         Measurement(), [(None, 0.0)] * len(scenario.accident.timeline)))
    for name, org in scenario.organisations.items():
        background = org.background and (dist(org.background.interarrival), dist(org.background.duration))
        found[f"organisation {name}"] = ((tuple(org.staff[p] for p in period), background),
                                         f.ORGANISATIONS.get(name))
        found[f"schedule {name}"] = (list(plan.organisations[name].schedule), f.SCHEDULES.get(name))
        handlers: dict[tuple[str, str], list] = {}
        for i, h in enumerate(org.handlers):
            handlers.setdefault((name, h.on), []).append(
                (i, rank[h.class_at_least] if h.class_at_least else 0, dist(h.time),
                 tuple((x.to, x.kind) for x in h.send)))
        for key, hs in handlers.items():
            found[f"handlers {key}"] = (tuple(map(tuple, hs)), f.HANDLERS.get(key))
    return [name for name, (want, got) in found.items() if want != got]


def check(scenario, seed: int, n: int) -> None:
    """Means of a few metrics, engine and floors, with 95 % CIs and the difference in standard errors."""
    engine = [compute_metrics(simulate(scenario, seed, r), scenario) for r in range(n)]
    floor = [compute_metrics(EventLog(floor_china.simulate(seed, r), "floor", seed, r), scenario)
             for r in range(n)]
    idiomatic = [compute_metrics(EventLog(floor_china.simulate(seed, r, floor_china.IdiomaticReplication),
                                          "idiomatic", seed, r), scenario) for r in range(n)]
    print(f"\nSame model? Means over {n} replications with 95 % confidence intervals (minutes, or a share "
          "for utilisation);\nz = difference from nukesim in standard errors (|z| < 3 expected):")
    print(f"{'metric':28} {'nukesim':>26} {'floor':>26} {'z':>6} {'idiomatic SimPy':>26} {'z':>6}")
    worst = 0.0
    for metric in CHECKED:
        cells, means = [], []
        for rows in (engine, floor, idiomatic):
            values = np.array([row[metric] for row in rows])
            done = values[~np.isnan(values)]
            lo, hi = mean_ci(done)
            missing = len(values) - len(done)
            note = f" {missing} missing" if missing else ""
            cells.append(f"{done.mean():9.3f} [{lo:8.3f}, {hi:8.3f}]{note}")
            means.append((done.mean(), done.var(ddof=1) / len(done)))
        zs = [(m - means[0][0]) / math.sqrt(v + means[0][1]) for m, v in means[1:]]
        worst = max(worst, *map(abs, zs))
        print(f"{metric:28} {cells[0]:>26} {cells[1]:>26} {zs[0]:6.2f} {cells[2]:>26} {zs[1]:6.2f}")
    print("agree" if worst < 3 else f"DISAGREE: a metric differs by {worst:.1f} standard errors")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=500, help="replications per round (default 500)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best counts (default 3)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--check", type=int, default=1000, metavar="N",
                        help="replications for the same-model check (0 to skip; default 1000)")
    args = parser.parse_args()

    scenario, _ = load_scenario(CHINA)
    differences = floor_differences(scenario)
    if differences:
        sys.exit("the floor no longer matches scenarios/china_national_team.yaml: " + ", ".join(differences))
    best = time_models(scenario, args.seed, args.n, args.rounds)
    records = records_per_replication(scenario, args.seed, min(args.n, 200))
    steps = simpy_events_per_replication(scenario, args.seed, min(args.n, 100))
    floor = best["floor"]
    print(f"China scenario, seed {args.seed}, replications 0-{args.n - 1}, best of {args.rounds} rounds "
          f"(Python {sys.version.split()[0]}, SimPy {simpy.__version__})")
    print(f"{'model':16} {'ms/rep':>8} {'× floor':>8} {'records/rep':>12} {'records/s':>11} "
          f"{'SimPy events/rep':>17}")
    for name, seconds in best.items():
        print(f"{name:16} {seconds * 1e3:8.3f} {seconds / floor:8.2f} {records[name]:12.0f} "
              f"{records[name] / seconds:11,.0f} {steps[name]:17.0f}")
    print(f"\nnukesim / floor = {best['nukesim'] / floor:.2f} (full event log); "
          f"{best['nukesim run'] / floor:.2f} as `nukesim run` uses the engine (simulate + metrics)")
    if args.check:
        check(scenario, args.seed, args.check)


if __name__ == "__main__":
    main()
