"""Replications: many independent runs of one scenario, in one process or many.

Replication ``r`` of seed ``s`` is a pure function of ``(scenario, s, r)``; the engine derives
every random stream from that pair, so the numbers do not depend on how replications are spread
over workers. Only the metric rows are kept (memory stays flat as replications grow); whole
event logs are kept for the replications the caller asks for. Worker processes receive the
scenario once and then only batches of replication numbers (see docs/performance.md).
"""

from __future__ import annotations

import math
import os
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .events import EventLog
from .metrics import compute_metrics
from .scenario import Scenario, metric_names
from .scenario.references import is_time_to_event
from .sim import simulate
from .stats import MetricSummary, ObjectiveResult, evaluate_objective, summarise


@dataclass(frozen=True)
class Summary:
    """What ``nukesim run`` reports: every metric summarised and every objective evaluated."""

    scenario: str
    seed: int
    replications: int
    metrics: dict[str, MetricSummary]
    objectives: list[ObjectiveResult]

    def to_json(self) -> dict:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replications": self.replications,
            "metrics": {name: m.to_json() for name, m in self.metrics.items()},
            "objectives": [o.to_json() for o in self.objectives],
        }


@dataclass
class Replications:
    """Metric rows of ``n`` replications (NaN = missing) and the event logs that were kept."""

    scenario: Scenario
    seed: int
    names: list[str]
    values: np.ndarray
    events: dict[int, EventLog] = field(default_factory=dict)
    first: int = 0
    """Number of the first replication (rows are replications first, first+1, …)."""

    def __len__(self) -> int:
        return len(self.values)

    def column(self, metric: str) -> np.ndarray:
        return self.values[:, self.names.index(metric)]

    def summary(self) -> Summary:
        metrics = {name: summarise(self.values[:, i], censored=is_time_to_event(name))
                   for i, name in enumerate(self.names)}
        objectives = [
            evaluate_objective(o.name, o.metric, o.statistic, o.target, self.column(o.metric), o.within)
            for o in self.scenario.objectives
        ]
        return Summary(self.scenario.name, self.seed, len(self), metrics, objectives)

    def to_pandas(self):
        """One row per replication, one column per metric (requires pandas)."""
        import pandas as pd

        frame = pd.DataFrame(self.values, columns=self.names,
                             index=pd.RangeIndex(self.first, self.first + len(self), name="replication"))
        return frame


def run_one(scenario: Scenario, seed: int, replication: int) -> tuple[np.ndarray, EventLog]:
    log = simulate(scenario, seed, replication)
    metrics = compute_metrics(log, scenario)
    return np.fromiter(metrics.values(), dtype=float, count=len(metrics)), log


def _run_batch(scenario: Scenario, seed: int, reps: list[int], keep: frozenset[int]
               ) -> tuple[np.ndarray, dict[int, EventLog]]:
    """Metric rows of replications ``reps`` (one array) and the logs of those in ``keep``."""
    rows = np.empty((len(reps), len(metric_names(scenario))))
    logs = {}
    for i, r in enumerate(reps):
        rows[i], log = run_one(scenario, seed, r)
        if r in keep:
            logs[r] = log
    return rows, logs


# A worker process receives the scenario once, when it starts, and keeps it (with its compiled
# plan) for every batch; batches then carry only replication numbers.
_worker_scenario: Scenario | None = None


def _start_worker(scenario: Scenario) -> None:
    global _worker_scenario
    _worker_scenario = scenario
    # Ctrl-C and SIGTERM are the parent's to handle: it stops the workers itself (_stop_pool).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_batch_in_worker(seed: int, reps: list[int], keep: frozenset[int]):
    return _run_batch(_worker_scenario, seed, reps, keep)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def replicate(
    scenario: Scenario,
    n: int,
    seed: int = 0,
    workers: int = 1,
    keep_events: Iterable[int] = (),
    first: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Replications:
    """Run replications ``first … first+n-1``; identical numbers whatever ``workers`` is.

    With several workers, replications go out in batches — about eight per worker, at most 200
    replications each, so that a slow batch does not leave a core idle for long — and only a few
    batches per worker are out at a time, so memory stays flat however many replications are asked
    for. Results are placed by replication number, whatever order the batches finish in.
    """
    names = metric_names(scenario)
    values = np.full((n, len(names)), np.nan)
    keep = frozenset(keep_events)
    logs: dict[int, EventLog] = {}
    reps = list(range(first, first + n))
    if workers <= 1 or n < 2 * workers:
        for start in range(0, n, 50):
            rows, got = _run_batch(scenario, seed, reps[start:start + 50], keep)
            values[start:start + len(rows)] = rows
            logs.update(got)
            if progress:
                progress(len(rows))
        return Replications(scenario, seed, names, values, logs, first)

    size = max(1, min(200, math.ceil(n / (workers * 8))))
    starts = range(0, n, size)
    window = 4 * workers
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(scenario,))
    try:
        pending: deque[tuple[int, Future]] = deque()

        def collect() -> None:
            start, fut = pending.popleft()
            rows, got = fut.result()
            values[start:start + len(rows)] = rows
            logs.update(got)
            if progress:
                progress(len(rows))

        for start in starts:
            pending.append((start, pool.submit(_run_batch_in_worker, seed, reps[start:start + size], keep)))
            if len(pending) >= window:
                collect()
        while pending:
            collect()
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown()
    return Replications(scenario, seed, names, values, logs, first)


def _stop_pool(pool: ProcessPoolExecutor) -> None:
    """Stop the workers now, on Ctrl-C, SIGTERM or an error: waiting for their batches to finish
    (what leaving ``with ProcessPoolExecutor`` does) is slow, and a second Ctrl-C while waiting
    used to deadlock the executor. Further Ctrl-C are ignored for the moment this takes."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)


def relative_precision(values: np.ndarray) -> float:
    """Half-width of the 95 % CI of the mean over the mean (inf when it cannot be known yet)."""
    from .stats import mean_ci

    done = values[~np.isnan(values)]
    if len(done) < 2:
        return math.inf
    lo, hi = mean_ci(done)
    mean = float(done.mean())
    if mean == 0:
        return 0.0 if hi == lo else math.inf
    return (hi - lo) / 2 / abs(mean)


def precision_metrics(scenario: Scenario) -> list[str]:
    """The metrics whose precision ``--precision`` controls: the objectives', else team_mobilized."""
    names = list(dict.fromkeys(o.metric for o in scenario.objectives))
    return names or ["team_mobilized"]


def replicate_to_precision(
    scenario: Scenario,
    precision: float,
    seed: int = 0,
    workers: int = 1,
    batch: int = 100,
    max_replications: int = 100_000,
    keep_events: Iterable[int] = (),
    progress: Callable[[int], None] | None = None,
) -> tuple[Replications, dict[str, float]]:
    """Add replications in batches until every controlled metric's CI half-width is within
    ``precision`` × its mean (or ``max_replications`` is reached).

    Returns the replications and the relative precision reached per controlled metric. The
    result is the same as ``replicate`` with the final number of replications.
    """
    metrics = precision_metrics(scenario)
    keep = list(keep_events)
    parts: list[Replications] = []
    total = 0
    reached: dict[str, float] = {}
    while total < max_replications:
        if parts:
            worst = max(reached.values())
            if worst <= precision:
                break
            # n grows with the square of the precision ratio; aim 10 % beyond the estimate
            wanted = total * (worst / precision) ** 2 * 1.1 if math.isfinite(worst) else 2 * total
            step = int(min(max(batch, wanted - total), 4 * total + batch, max_replications - total))
        else:
            step = min(batch, max_replications)
        parts.append(replicate(scenario, step, seed, workers, keep, first=total, progress=progress))
        total += step
        values = np.concatenate([p.values for p in parts])
        names = parts[0].names
        reached = {m: relative_precision(values[:, names.index(m)]) for m in metrics}
    events: dict[int, EventLog] = {}
    for p in parts:
        events.update(p.events)
    combined = Replications(scenario, seed, parts[0].names, np.concatenate([p.values for p in parts]),
                            events, 0)
    return combined, reached
