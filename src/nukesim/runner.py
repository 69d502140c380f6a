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
import pickle
import signal
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .attribution import attribution_rows
from .events import EventLog
from .metrics import compute_metrics
from .scenario import Scenario, metric_names
from .scenario.metricdefs import is_time_to_event
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

    def to_dict(self) -> dict:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "replications": self.replications,
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
            "objectives": [o.to_dict() for o in self.objectives],
        }

    def to_json(self) -> dict:
        """Deprecated: the name promised JSON text, but this is the dict; use ``to_dict``."""
        import warnings

        warnings.warn("Summary.to_json() returns a dict and is renamed to_dict()", DeprecationWarning,
                      stacklevel=2)
        return self.to_dict()


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
    attribution: dict[int, list[tuple[str, str, str, float]]] | None = None
    """Per replication, with ``replicate(..., attribution=True)``: its ``attribution_rows``."""

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


def _run_batch(scenario: Scenario, seed: int, reps: list[int], keep: frozenset[int], attribution: bool = False
               ) -> tuple[np.ndarray, dict[int, EventLog], dict[int, list] | None]:
    """Metric rows of replications ``reps`` (one array), the logs of those in ``keep`` and, if
    asked for, each one's attribution (nukesim.attribution), computed here next to the metrics."""
    rows = np.empty((len(reps), len(metric_names(scenario))))
    logs = {}
    attributed = {} if attribution else None
    for i, r in enumerate(reps):
        rows[i], log = run_one(scenario, seed, r)
        if r in keep:
            logs[r] = log
        if attributed is not None:
            attributed[r] = attribution_rows(log, scenario)
    return rows, logs, attributed


# A worker process receives the scenario once, when it starts, and keeps it (with its compiled
# plan) for every batch; batches then carry only replication numbers.
_worker_scenario: Scenario | None = None


def _start_worker(scenario: Scenario) -> None:
    global _worker_scenario
    _worker_scenario = scenario
    _leave_signals_to_parent()


def _leave_signals_to_parent() -> None:
    """In a worker process: Ctrl-C and SIGTERM are the parent's to handle, which stops the
    workers itself (``_stop_pool``) — a worker interrupted mid-batch would only print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run_batch_in_worker(seed: int, reps: list[int], keep: frozenset[int], attribution: bool = False):
    return _run_batch(_worker_scenario, seed, reps, keep, attribution)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


SEQUENTIAL_BATCH = 50
"""Replications per progress step when running in this process."""
BATCHES_PER_WORKER = 8
"""About this many batches per worker, so that a slow batch leaves a core idle only briefly…"""
MAX_BATCH = 200
"""…but no batch larger than this (a result travels back as one array)."""
BATCHES_OUT_PER_WORKER = 4
"""Batches submitted but not yet collected, per worker: memory stays flat whatever ``n`` is."""


def replicate(
    scenario: Scenario,
    n: int,
    seed: int = 0,
    workers: int = 1,
    keep_events: Iterable[int] = (),
    first: int = 0,
    progress: Callable[[int], None] | None = None,
    attribution: bool = False,
) -> Replications:
    """Run replications ``first … first+n-1``; identical numbers whatever ``workers`` is.

    With several workers, replications go out in batches — about eight per worker, at most 200
    replications each, so that a slow batch does not leave a core idle for long — and only a few
    batches per worker are out at a time, so memory stays flat however many replications are asked
    for. Results are placed by replication number, whatever order the batches finish in.
    ``attribution=True`` also keeps each replication's critical-path attribution (``.attribution``).
    """
    names = metric_names(scenario)
    values = np.full((n, len(names)), np.nan)
    keep = frozenset(keep_events)
    logs: dict[int, EventLog] = {}
    attributed: dict[int, list] | None = {} if attribution else None
    reps = list(range(first, first + n))

    def place(start: int, batch: tuple) -> None:
        """A batch's results, by replication number, whatever order batches finish in."""
        rows, got, attr = batch
        values[start:start + len(rows)] = rows
        logs.update(got)
        if attr:
            attributed.update(attr)
        if progress:
            progress(len(rows))

    if workers <= 1 or n < 2 * workers:
        for start in range(0, n, SEQUENTIAL_BATCH):
            place(start, _run_batch(scenario, seed, reps[start:start + SEQUENTIAL_BATCH], keep, attribution))
        return Replications(scenario, seed, names, values, logs, first, attributed)

    size = max(1, min(MAX_BATCH, math.ceil(n / (workers * BATCHES_PER_WORKER))))
    starts = range(0, n, size)
    window = BATCHES_OUT_PER_WORKER * workers
    pool = ProcessPoolExecutor(max_workers=workers, initializer=_start_worker, initargs=(scenario,))
    try:
        pending: deque[tuple[int, Future]] = deque()

        def collect() -> None:
            start, fut = pending.popleft()
            place(start, fut.result())

        for start in starts:
            pending.append((start, pool.submit(_run_batch_in_worker, seed, reps[start:start + size], keep,
                                               attribution)))
            if len(pending) >= window:
                collect()
        while pending:
            collect()
    except BaseException:
        _stop_pool(pool)
        raise
    pool.shutdown()
    return Replications(scenario, seed, names, values, logs, first, attributed)


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


def precision_step(total: int, reached: dict[str, float], precision: float, batch: int,
                   max_replications: int) -> int:
    """How many replications to add after ``total`` (0: stop), given the relative precision
    ``reached`` so far; ``run --precision`` and a sweep's precision target share the rule."""
    if total == 0:
        return min(batch, max_replications)
    worst = max(reached.values())
    if total >= max_replications or worst <= precision:
        return 0
    # n grows with the square of the precision ratio; aim 10 % beyond the estimate
    wanted = total * (worst / precision) ** 2 * 1.1 if math.isfinite(worst) else 2 * total
    return int(min(max(batch, wanted - total), 4 * total + batch, max_replications - total))


def replicate_to_precision(
    scenario: Scenario,
    precision: float,
    seed: int = 0,
    workers: int = 1,
    batch: int = 100,
    max_replications: int = 100_000,
    keep_events: Iterable[int] = (),
    progress: Callable[[int], None] | None = None,
    attribution: bool = False,
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
    while step := precision_step(total, reached, precision, batch, max_replications):
        parts.append(replicate(scenario, step, seed, workers, keep, first=total, progress=progress,
                               attribution=attribution))
        total += step
        values = np.concatenate([p.values for p in parts])
        names = parts[0].names
        reached = {m: relative_precision(values[:, names.index(m)]) for m in metrics}
    events: dict[int, EventLog] = {}
    attributed: dict[int, list] | None = {} if attribution else None
    for p in parts:
        events.update(p.events)
        if p.attribution:
            attributed.update(p.attribution)
    combined = Replications(scenario, seed, parts[0].names, np.concatenate([p.values for p in parts]),
                            events, 0, attributed)
    return combined, reached


# --- replications as a stream into a sink (a sweep's store) -----------------------------------------
#
# A sweep hands the runner many points' replications at once. An executor runs batches — a
# local process pool that lives across points, or a Dask client — and every finished batch,
# keyed by (point, replication), goes to a sink (the sweep's SQLite store). A worker keeps the
# last few points' scenarios, each with its compiled plan, so a point costs one compile per
# worker however many batches it has.


@dataclass(frozen=True)
class Batch:
    """Replications ``reps`` of one point; ``blob`` is the point's pickled scenario."""

    point: str
    blob: bytes
    seed: int
    reps: tuple[int, ...]
    columns: tuple[int, ...]
    """Which metric columns to keep (positions in ``metric_names``)."""


class Sink(Protocol):
    def put(self, point: str, reps: Sequence[int], rows: np.ndarray) -> None:
        """Take the metric rows of replications ``reps`` of ``point``; may be called twice for
        the same batch (Dask may re-run a task), which must change nothing."""


_POINTS: OrderedDict[str, Scenario] = OrderedDict()
_POINTS_KEPT = 8


def _point_scenario(point: str, blob: bytes) -> Scenario:
    scenario = _POINTS.get(point)
    if scenario is None:
        scenario = _POINTS[point] = pickle.loads(blob)
        while len(_POINTS) > _POINTS_KEPT:
            _POINTS.popitem(last=False)
    else:
        _POINTS.move_to_end(point)
    return scenario


def run_batch(batch: Batch) -> np.ndarray:
    """The kept metric columns of a batch's replications (runs in a worker)."""
    scenario = _point_scenario(batch.point, batch.blob)
    rows, _, _ = _run_batch(scenario, batch.seed, list(batch.reps), frozenset())
    return rows[:, list(batch.columns)]


class LocalExecutor:
    """Batches on a process pool that lives as long as the executor (or in this process).

    Its workers leave Ctrl-C to the parent and ``close`` stops them at once, as ``replicate``'s do:
    an interrupted sweep ends promptly, without a traceback from every worker.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool = (ProcessPoolExecutor(max_workers=self.workers, initializer=_leave_signals_to_parent)
                      if self.workers > 1 else None)

    def submit(self, batch: Batch) -> Future:
        if self._pool is not None:
            return self._pool.submit(run_batch, batch)
        done: Future = Future()
        done.set_result(run_batch(batch))
        return done

    def wait_any(self, futures: Sequence) -> set:
        return wait(futures, return_when=FIRST_COMPLETED).done

    def close(self) -> None:
        if self._pool is not None:
            _stop_pool(self._pool)


class DaskExecutor:
    """Batches on an existing Dask distributed cluster (``tcp://HOST:PORT``) or a given client."""

    def __init__(self, address: str | None = None, client=None) -> None:
        from distributed import Client

        self._own = client is None
        self.client = client if client is not None else Client(address, timeout="20s")
        self.workers = max(1, sum(self.client.nthreads().values()))

    def submit(self, batch: Batch):
        return self.client.submit(run_batch, batch, pure=False)

    def wait_any(self, futures: Sequence) -> set:
        from distributed import wait as dask_wait

        return set(dask_wait(list(futures), return_when="FIRST_COMPLETED").done)

    def close(self) -> None:
        if self._own:
            self.client.close()


class Work(Protocol):
    def next(self) -> Batch | None:
        """The next batch to run, or None if nothing can start until more batches finish."""

    def finished(self) -> bool: ...

    def record(self, batch: Batch, rows: np.ndarray) -> None: ...


def stream(executor, work: Work, sink: Sink, window: int | None = None,
           progress: Callable[[Batch], None] | None = None) -> None:
    """Run ``work`` on ``executor``, each finished batch to ``sink`` then to ``work``, keeping
    about ``window`` batches out at a time (default four per worker)."""
    window = window or BATCHES_OUT_PER_WORKER * executor.workers
    pending: dict = {}
    try:
        while True:
            while len(pending) < window and (batch := work.next()) is not None:
                pending[executor.submit(batch)] = batch
            if not pending:
                if work.finished():
                    return
                raise RuntimeError("sweep work stalled: nothing running and nothing to start")
            for fut in executor.wait_any(list(pending)):
                batch = pending.pop(fut)
                rows = fut.result()
                sink.put(batch.point, batch.reps, rows)
                work.record(batch, rows)
                if progress:
                    progress(batch)
    finally:
        for fut in pending:
            fut.cancel()
