"""Replications: many independent runs of one scenario, in one process or many.

Replication ``r`` of seed ``s`` is a pure function of ``(scenario, s, r)``; the engine derives
every random stream from that pair, so the numbers do not depend on how replications are spread
over workers. Every caller — ``run``, ``compare``, ``explain``, a sweep — runs them one way:
``stream`` hands batches to an executor (this process, a process pool, a Dask cluster) and each
finished batch, keyed by (point, replication), to a sink: ``MemorySink`` for a run, the SQLite
store for a sweep (docs/performance.md). Only the metric rows are kept (memory stays flat as
replications grow); event logs are kept for the replications the caller asks for, and a run's
attribution is either kept or handed on, in replication order, to a writer (``run --out``).
"""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import signal
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np

from .attribution import attribution_rows, csv_lines
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
    """Per replication, with ``replicate(..., attribution=True)``: its ``attribution_rows`` (None
    when they went to a writer instead, as ``run --out`` does)."""

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


def _leave_signals_to_parent() -> None:
    """In a worker process: Ctrl-C and SIGTERM are the parent's to handle, which stops the
    workers itself (``_stop_pool``) — a worker interrupted mid-batch would only print a traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


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


# --- replications as a stream into a sink ---------------------------------------------------------
#
# An executor runs batches — this process, a local process pool that lives across points, or a
# Dask client — and every finished batch, keyed by (point, replication), goes to a sink: memory
# for a run (``MemorySink``), the SQLite store for a sweep. A point is one scenario: ``run`` has
# one, ``compare`` two, a sweep many. A worker keeps the last few points' scenarios, each with
# its compiled plan, so a point costs one compile per worker however many batches it has.


@dataclass(frozen=True)
class Batch:
    """Replications ``reps`` of one point; ``blob`` is the point's pickled scenario."""

    point: str
    blob: bytes
    seed: int
    reps: tuple[int, ...]
    columns: tuple[int, ...] | None = None
    """Which metric columns to keep (positions in ``metric_names``); None: all of them."""
    keep: frozenset[int] = frozenset()
    """Replications whose event logs come back."""
    attribution: str = ""
    """Each replication's attribution (nukesim.attribution), computed in the worker next to its
    metrics: ``"rows"`` (``attribution_rows``), ``"csv"`` (its lines of attribution.csv) or ``""``."""


@dataclass(frozen=True)
class Extras:
    """What a batch brings back beside its metric rows, when it was asked for: the kept event
    logs and each replication's attribution (rows or attribution.csv lines), by replication."""

    events: dict[int, EventLog]
    attribution: dict[int, list | str]


class Sink(Protocol):
    def put(self, point: str, reps: Sequence[int], rows: np.ndarray, extras: Extras | None = None) -> None:
        """Take the metric rows (and extras) of replications ``reps`` of ``point``; may be called
        twice for the same batch (Dask may re-run a task), which must change nothing."""


_POINTS: OrderedDict[tuple[str, str], Scenario] = OrderedDict()
_POINTS_KEPT = 8


def _point_scenario(point: str, blob: bytes) -> Scenario:
    """The scenario of a batch, unpickled once per worker; known by its bytes, not only by its
    point's name (two runs in one process may both call their point ``run``)."""
    key = (point, hashlib.blake2b(blob, digest_size=16).hexdigest())
    scenario = _POINTS.get(key)
    if scenario is None:
        scenario = _POINTS[key] = pickle.loads(blob)
        while len(_POINTS) > _POINTS_KEPT:
            _POINTS.popitem(last=False)
    else:
        _POINTS.move_to_end(key)
    return scenario


def run_batch(batch: Batch) -> tuple[np.ndarray, Extras | None]:
    """The metric rows of a batch's replications (its kept columns), and the extras it asked for
    (runs in a worker)."""
    scenario = _point_scenario(batch.point, batch.blob)
    rows = np.empty((len(batch.reps), len(metric_names(scenario))))
    extras = Extras({}, {}) if batch.keep or batch.attribution else None
    for i, r in enumerate(batch.reps):
        rows[i], log = run_one(scenario, batch.seed, r)
        if extras is None:
            continue
        if r in batch.keep:
            extras.events[r] = log
        if batch.attribution:
            found = attribution_rows(log, scenario)
            extras.attribution[r] = csv_lines(r, found) if batch.attribution == "csv" else found
    return (rows if batch.columns is None else rows[:, list(batch.columns)]), extras


class LocalExecutor:
    """Batches on a process pool that lives as long as the executor (or in this process).

    Its workers leave Ctrl-C to the parent and ``close`` stops them at once: an interrupted run
    or sweep ends promptly, without a traceback from every worker.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool = (ProcessPoolExecutor(max_workers=self.workers, initializer=_leave_signals_to_parent)
                      if self.workers > 1 else None)
        self.window = BATCHES_OUT_PER_WORKER * self.workers if self._pool is not None else 1
        """Batches out at a time; in this process a batch is done when submitted, so one."""

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
    about ``window`` batches out at a time (default: the executor's, else four per worker)."""
    window = window or getattr(executor, "window", None) or BATCHES_OUT_PER_WORKER * executor.workers
    pending: dict = {}
    try:
        while True:
            while len(pending) < window and (batch := work.next()) is not None:
                pending[executor.submit(batch)] = batch
            if not pending:
                if work.finished():
                    return
                raise RuntimeError("work stalled: nothing running and nothing to start")
            for fut in executor.wait_any(list(pending)):
                batch = pending.pop(fut)
                rows, extras = fut.result()
                sink.put(batch.point, batch.reps, rows, extras)
                work.record(batch, rows)
                if progress:
                    progress(batch)
    finally:
        for fut in pending:
            fut.cancel()


# --- a run's sink and work ------------------------------------------------------------------------


class Writer(Protocol):
    def replication(self, r: int, log: EventLog | None, attribution: str | None) -> None:
        """Replication ``r``'s kept event log (or None) and its attribution.csv lines (or None),
        called in replication order (``nukesim.outputs.RunOutput``)."""


class _Held:
    """One point's results as they arrive: metric rows placed by replication number, and the
    extras either kept or handed to a writer in replication order (batches finish in any order,
    so a few wait for the ones before them: at most the batches out at a time)."""

    def __init__(self, first: int, width: int, expected: int, to: Writer | None) -> None:
        self.first = first
        self.values = np.full((expected, width), np.nan)
        self.size = 0
        self.events: dict[int, EventLog] = {}
        self.attribution: dict[int, list] = {}
        self.to = to
        self.next = first
        self.waiting: dict[int, tuple] = {}

    def put(self, reps: Sequence[int], rows: np.ndarray, extras: Extras | None) -> None:
        at = np.fromiter(reps, dtype=np.int64, count=len(reps)) - self.first
        self._fit(int(at.max()) + 1)
        self.values[at] = rows
        if extras is None:
            return
        if self.to is None:
            self.events.update(extras.events)
            self.attribution.update(extras.attribution)
            return
        for r in reps:
            if r >= self.next:
                self.waiting[r] = (extras.events.get(r), extras.attribution.get(r))
        while self.next in self.waiting:
            self.to.replication(self.next, *self.waiting.pop(self.next))
            self.next += 1

    def _fit(self, size: int) -> None:
        """Room for ``size`` rows: a precision target does not know its final count in advance."""
        if size > len(self.values):
            grown = np.full((max(size, 2 * len(self.values)), self.values.shape[1]), np.nan)
            grown[:self.size] = self.values[:self.size]
            self.values = grown
        self.size = max(self.size, size)


class MemorySink:
    """A run's sink: each point's metric rows in one array, by replication number."""

    def __init__(self) -> None:
        self.points: dict[str, _Held] = {}

    def add(self, point: str, first: int, width: int, expected: int, to: Writer | None = None) -> None:
        self.points[point] = _Held(first, width, expected, to)

    def put(self, point: str, reps: Sequence[int], rows: np.ndarray, extras: Extras | None = None) -> None:
        self.points[point].put(reps, rows, extras)

    def values(self, point: str) -> np.ndarray:
        held = self.points[point]
        return held.values[:held.size]


def _batch_size(step: int, workers: int) -> int:
    """In this process, a progress step; on workers about eight batches each, at most 200
    replications a batch, so that a slow batch does not leave a core idle for long."""
    if workers <= 1:
        return SEQUENTIAL_BATCH
    return max(1, min(MAX_BATCH, math.ceil(step / (workers * BATCHES_PER_WORKER))))


class _Point:
    """The replications one point of a run still needs: ``n`` of them, or precision stages."""

    def __init__(self, key: str, template: Batch, first: int, n: int, workers: int, sink: MemorySink,
                 precision: tuple[float, int, list[int]] | None) -> None:
        self.key, self.template, self.first, self.n = key, template, first, n
        self.workers, self.sink, self.precision = workers, sink, precision
        self.total = self.lo = self.stop = self.size = self.out = 0
        self.reached: dict[int, float] = {}
        self.done = False
        self._stage(precision_step(0, {}, precision[0], precision[1], n) if precision else n)

    def _stage(self, step: int) -> None:
        self.done = step == 0  # nothing asked for (n = 0): done at once
        self.lo, self.stop = self.total, self.total + step
        self.size = _batch_size(step, self.workers)
        self.total += step

    def next(self) -> Batch | None:
        if self.lo >= self.stop:
            return None
        hi = min(self.lo + self.size, self.stop)
        reps = tuple(range(self.first + self.lo, self.first + hi))
        self.lo = hi
        self.out += len(reps)
        return replace(self.template, reps=reps)

    def record(self, batch: Batch) -> None:
        self.out -= len(batch.reps)
        if self.lo < self.stop or self.out:
            return
        if self.precision is None:
            self.done = True
            return
        # a stage is complete: decide the next one (the rule of ``run --precision`` and sweeps)
        target, batch_size, columns = self.precision
        values = self.sink.values(self.key)[:self.total]
        self.reached = {i: relative_precision(values[:, i]) for i in columns}
        step = precision_step(self.total, self.reached, target, batch_size, self.n)
        if step:
            self._stage(step)
        else:
            self.done = True


class RunWork:
    """The work of a run or a comparison: its points, handed out one after the other."""

    def __init__(self, points: list[_Point]) -> None:
        self.points = {p.key: p for p in points}

    def next(self) -> Batch | None:
        for p in self.points.values():
            batch = p.next()
            if batch is not None:
                return batch
        return None

    def finished(self) -> bool:
        return all(p.done for p in self.points.values())

    def record(self, batch: Batch, rows: np.ndarray) -> None:
        self.points[batch.point].record(batch)


def _replicate(scenarios: Mapping[str, Scenario], n: int, seed: int, workers: int, keep_events: Iterable[int],
               first: int, progress: Callable[[int], None] | None, attribution: bool,
               to: Writer | None = None, precision: tuple[float, int] | None = None
               ) -> dict[str, tuple[Replications, dict[str, float]]]:
    """Every point's replications through ``stream`` into a ``MemorySink``: the one way a run's
    replications are run and collected. Returns, per point, its replications and, with a
    ``precision`` (target, batch), the relative precision reached per controlled metric. A writer
    ``to`` is for a run of one point."""
    keep = frozenset(keep_events)
    mode = "" if not attribution else "csv" if to is not None else "rows"
    workers = 1 if workers <= 1 or n * len(scenarios) < 2 * workers else workers
    sink = MemorySink()
    points = []
    for key, scenario in scenarios.items():
        names = metric_names(scenario)
        blob = pickle.dumps(scenario, protocol=pickle.HIGHEST_PROTOCOL)
        controlled = None
        if precision is not None:
            controlled = (*precision, [names.index(m) for m in precision_metrics(scenario)])
        sink.add(key, first, len(names), precision[1] if precision else n, to)
        points.append(_Point(key, Batch(key, blob, seed, (), None, keep, mode), first, n, workers, sink,
                             controlled))
    executor = LocalExecutor(workers)
    try:
        stream(executor, RunWork(points), sink,
               progress=(lambda batch: progress(len(batch.reps))) if progress else None)
    finally:
        executor.close()
    results = {}
    for p in points:
        held = sink.points[p.key]
        if to is not None and (keep or mode) and held.next != first + held.size:
            raise RuntimeError(f"replication {held.next} never reached the writer")
        scenario = scenarios[p.key]
        # the array itself when it is full (no second copy of a large run), else the rows run
        values = held.values if held.size == len(held.values) else held.values[:held.size].copy()
        result = Replications(scenario, seed, metric_names(scenario), values, held.events, first,
                              held.attribution if mode == "rows" else None)
        names = result.names
        results[p.key] = (result, {names[i]: v for i, v in p.reached.items()})
    return results


def replicate(
    scenario: Scenario,
    n: int,
    seed: int = 0,
    workers: int = 1,
    keep_events: Iterable[int] = (),
    first: int = 0,
    progress: Callable[[int], None] | None = None,
    attribution: bool = False,
    to: Writer | None = None,
) -> Replications:
    """Run replications ``first … first+n-1``; identical numbers whatever ``workers`` is.

    With several workers, replications go out in batches — about eight per worker, at most 200
    replications each, so that a slow batch does not leave a core idle for long — and only a few
    batches per worker are out at a time, so memory stays flat however many replications are asked
    for. Results are placed by replication number, whatever order the batches finish in.
    ``attribution=True`` also keeps each replication's critical-path attribution (``.attribution``).
    With a writer ``to`` (``nukesim.outputs.RunOutput``), the kept event logs and the attribution
    are handed to it in replication order instead of being kept.
    """
    return _replicate({"run": scenario}, n, seed, workers, keep_events, first, progress, attribution,
                      to)["run"][0]


def replicate_variants(scenarios: Mapping[str, Scenario], n: int, seed: int = 0, workers: int = 1,
                       keep_events: Iterable[int] = (), progress: Callable[[int], None] | None = None
                       ) -> dict[str, Replications]:
    """``replicate`` of several variants (``compare``'s A and B) in one stream on one pool; each
    variant's numbers are those of ``replicate`` alone (common random numbers: the same seed)."""
    done = _replicate(scenarios, n, seed, workers, keep_events, 0, progress, False)
    return {key: result for key, (result, _) in done.items()}


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
    to: Writer | None = None,
) -> tuple[Replications, dict[str, float]]:
    """Add replications in batches until every controlled metric's CI half-width is within
    ``precision`` × its mean (or ``max_replications`` is reached).

    Returns the replications and the relative precision reached per controlled metric. The
    result is the same as ``replicate`` with the final number of replications.
    """
    return _replicate({"run": scenario}, max_replications, seed, workers, keep_events, 0, progress,
                      attribution, to, (precision, batch))["run"]


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


