"""Running a sweep: every point's replications on an executor, into the store.

``prepare`` turns a sweep file into its points' scenarios (each validated, problems located in
the sweep file); ``run_sweep`` plans the missing work per point — a fixed number of replications,
or precision stages as ``run --precision`` (the same rule, so the final count does not depend on
how many workers there are) — and streams it through ``runner.stream`` into the SQLite store.
The same replication number uses the same seed at every point: common random numbers.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..provenance import nukesim_version
from ..runner import Batch, precision_metrics, precision_step, relative_precision, stream
from ..scenario import Located, Problem, Scenario, ScenarioError, load_scenario, metric_names
from ..scenario.models import Objective
from .design import DesignTable, base_scenario, base_values, make_design, point_scenario
from .spec import SweepFile, load_sweep_file
from .store import Store

DEFAULT_REPLICATIONS = 100


@dataclass
class Prepared:
    file: SweepFile
    base: Scenario
    design: DesignTable
    scenarios: dict[str, Scenario]
    """Per point key, in design order."""
    metrics: list[str]
    objectives: list[Objective]
    scenario_sha256: str
    base_values: dict = field(default_factory=dict)

    @property
    def sweep(self):
        return self.file.sweep

    def fingerprint(self) -> dict:
        s = self.sweep
        return {
            "scenario_sha256": self.scenario_sha256,
            "scenario": s.scenario,
            "seed": s.seed,
            "set": s.set,
            "metrics": self.metrics,
            "factors": {f.name: f.wallclock or f.targets for f in s.factors},
        }


def prepare(path: str | Path, replications: int | None = None) -> Prepared:
    """Load and check everything a sweep needs before any replication runs."""
    sf = load_sweep_file(path)
    if replications is not None:
        sf.sweep = sf.sweep.model_copy(update={"replications": replications, "precision": None})
    scenario_path = sf.scenario_path
    if not scenario_path.is_file():
        raise ScenarioError(
            [Located(*sf.where("scenario"), ("scenario",), f"no scenario file at {scenario_path}")]
        )
    scenario, source = load_scenario(scenario_path)
    from ..graph import check_graph

    problems = check_graph(scenario)
    if problems:
        raise ScenarioError(source.located(problems))
    base = base_scenario(sf, scenario)
    names = metric_names(base)
    metrics, objectives = _metrics_and_objectives(sf, base, names)
    bases = base_values(sf, base)
    design = make_design(sf, bases)
    scenarios = {key: point_scenario(sf, base, values) for key, values in design.unique().items()}
    for key, s in scenarios.items():
        if metric_names(s) != names:
            raise ScenarioError(
                [
                    Located(
                        *sf.where("factors"),
                        ("factors",),
                        f"point {key} changes the scenario's metrics (units or "
                        "organisations); a sweep compares the same metrics at every point",
                    )
                ]
            )
    digest = hashlib.sha256(scenario_path.read_bytes()).hexdigest()
    return Prepared(sf, base, design, scenarios, metrics, objectives, digest, bases)


def _metrics_and_objectives(sf: SweepFile, base: Scenario, names: list[str]):
    s = sf.sweep
    problems = []
    for i, m in enumerate(s.metrics or []):
        if m not in names:
            problems.append(Problem(("metrics", i), f"unknown metric '{m}' of this scenario"))
    objectives = list(s.objectives) if s.objectives is not None else list(base.objectives)
    for i, o in enumerate(s.objectives or []):
        if o.metric not in names:
            problems.append(Problem(("objectives", i, "metric"), f"unknown metric '{o.metric}'"))
    for i, d in enumerate(s.discovery):
        if d.metric not in names:
            problems.append(Problem(("discovery", i, "metric"), f"unknown metric '{d.metric}'"))
    if problems:
        raise ScenarioError(sf.source.located(problems))
    wanted = list(s.metrics or names)
    needed = [o.metric for o in objectives] + [d.metric for d in s.discovery]
    if s.precision is not None:
        needed += precision_metrics(base.model_copy(update={"objectives": objectives}))
    metrics = [m for m in names if m in wanted or m in needed]
    return metrics, objectives


class PointWork:
    """The replications one point still needs: fixed, or precision stages."""

    def __init__(
        self,
        key: str,
        blob: bytes,
        prepared: Prepared,
        have: dict[int, np.ndarray],
        batch: int,
        columns: tuple[int, ...],
    ) -> None:
        self.key, self.blob, self.prep = key, blob, prepared
        self.have = have
        self.batch = batch
        self.columns = columns
        self.seed = prepared.sweep.seed
        self.queued: list[int] = []
        self.out = 0
        """Replications submitted and not yet back."""
        self.target = 0
        self.done = False
        p = prepared.sweep.precision
        if p is None:
            self.target = prepared.sweep.replications or DEFAULT_REPLICATIONS
            self._queue(0, self.target)
        else:
            self.controlled = [
                prepared.metrics.index(m)
                for m in precision_metrics(
                    prepared.base.model_copy(update={"objectives": prepared.objectives})
                )
            ]
            self._advance()

    def _queue(self, lo: int, hi: int) -> None:
        self.queued.extend(r for r in range(lo, hi) if r not in self.have)

    def _advance(self) -> None:
        """Precision: decide the next stage once every replication of this one is in."""
        p = self.prep.sweep.precision
        while not self.queued and not self.out:
            reached = {}
            if self.target:
                values = np.array([self.have[r] for r in range(self.target)])
                reached = {i: relative_precision(values[:, i]) for i in self.controlled}
            step = precision_step(self.target, reached, p.target, p.batch, p.max)
            if not step:
                self.done = True
                return
            self._queue(self.target, self.target + step)
            self.target += step

    def next(self) -> Batch | None:
        if not self.queued:
            return None
        reps, self.queued = self.queued[: self.batch], self.queued[self.batch :]
        self.out += len(reps)
        return Batch(self.key, self.blob, self.seed, tuple(reps), self.columns)

    def record(self, batch: Batch, rows: np.ndarray) -> None:
        for r, row in zip(batch.reps, rows, strict=True):
            self.have[r] = row
        self.out -= len(batch.reps)
        if self.prep.sweep.precision is not None:
            self._advance()
        elif not self.queued and not self.out:
            self.done = True

    @property
    def finished(self) -> bool:
        return self.done or (self.prep.sweep.precision is None and not self.queued and not self.out)

    def values(self) -> np.ndarray:
        """The point's rows, replications 0 … target-1 (what the analysis uses)."""
        return np.array([self.have[r] for r in range(self.target)]).reshape(self.target, -1)


class SweepWork:
    """All points' work, handed out point by point (a later point starts while the last
    batches of an earlier one run)."""

    def __init__(self, points: list[PointWork]) -> None:
        self.points = points
        self._by_key = {p.key: p for p in points}

    def next(self) -> Batch | None:
        for p in self.points:
            batch = p.next()
            if batch is not None:
                return batch
        return None

    def finished(self) -> bool:
        return all(p.finished for p in self.points)

    def record(self, batch: Batch, rows: np.ndarray) -> None:
        self._by_key[batch.point].record(batch, rows)

    @property
    def todo(self) -> int:
        return sum(len(p.queued) for p in self.points)


@dataclass
class SweepResult:
    prepared: Prepared
    values: dict[str, np.ndarray]
    """Per point key: replications × kept metrics (NaN = missing)."""
    ran: int
    """Replications run now (the rest came from the store)."""


def run_sweep(
    prepared: Prepared,
    store: Store,
    executor,
    resume: bool = False,
    command: list[str] | None = None,
    progress: Callable[[int, int, int], None] | None = None,
) -> SweepResult:
    """Run what the store lacks; ``progress(points_done, points, replications)`` after each batch."""
    sf = prepared.file
    store.begin(
        prepared.fingerprint(),
        {
            "sweep_sha256": sf.sha256,
            "sweep_file": str(sf.path),
            "sweep_text": sf.text,
            "nukesim_version": nukesim_version(),
            "command": command or [],
            "replications": prepared.sweep.replications,
        },
        resume,
        str(sf.path),
    )
    keys = list(prepared.scenarios)
    store.add_points(keys)
    names = metric_names(prepared.base)
    columns = tuple(names.index(m) for m in prepared.metrics)
    fixed = prepared.sweep.replications or DEFAULT_REPLICATIONS
    per = prepared.sweep.precision.batch if prepared.sweep.precision else fixed
    batch = max(1, min(100, -(-per // 2)))
    points = [
        PointWork(
            k,
            pickle.dumps(prepared.scenarios[k], protocol=pickle.HIGHEST_PROTOCOL),
            prepared,
            store.rows(k),
            batch,
            columns,
        )
        for k in keys
    ]
    work = SweepWork(points)
    ran = 0

    def advanced(b: Batch) -> None:
        nonlocal ran
        ran += len(b.reps)
        if progress:
            progress(sum(p.finished for p in points), len(points), len(b.reps))

    if progress:  # what the store already had counts as done
        progress(sum(p.finished for p in points), len(points), sum(len(p.have) for p in points))
    stream(executor, work, store, progress=advanced)
    return SweepResult(prepared, {p.key: p.values() for p in points}, ran)


def stored_result(prepared: Prepared, store: Store) -> tuple[SweepResult, dict[str, tuple[int, int]]]:
    """What the store holds of a prepared sweep, without running anything (the report of a
    sweep folder): per point the replications the analysis would use, and the points that are
    incomplete, ``{key: (replications held, replications planned)}``.

    The plan is ``PointWork``'s, so a precision sweep replays its stages on the stored rows; an
    incomplete point keeps the replications it has below the plan (a point with none is empty).
    """
    names = metric_names(prepared.base)
    columns = tuple(names.index(m) for m in prepared.metrics)
    values, incomplete = {}, {}
    for key in prepared.scenarios:
        work = PointWork(key, b"", prepared, store.rows(key), 1, columns)
        if work.queued:
            have = [r for r in sorted(work.have) if r < work.target]
            incomplete[key] = (len(have), work.target)
            rows = np.array([work.have[r] for r in have]).reshape(len(have), len(prepared.metrics))
        else:
            rows = work.values()
        values[key] = rows
    return SweepResult(prepared, values, 0), incomplete


def planned_replications(prepared: Prepared) -> int:
    """Replications the sweep asks for (the maximum under a precision target)."""
    s = prepared.sweep
    per = s.precision.max if s.precision else (s.replications or DEFAULT_REPLICATIONS)
    return per * len(prepared.scenarios)
