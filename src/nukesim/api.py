"""The Python API for notebooks and scripts: load, simulate, replicate.

The same functions the command line uses, with nothing printed::

    import nukesim
    scenario = nukesim.load("scenarios/china_national_team.yaml")
    one = nukesim.simulate(scenario, seed=7)           # events and metrics of one replication
    many = nukesim.replicate(scenario, n=500, seed=7)  # .summary().to_dict(), .to_pandas()
    slow = nukesim.explain(scenario, n=200, seed=7)    # what made it slow: a DataFrame
    frame = nukesim.load_sweep("out/oat/sweep.sqlite")  # a sweep's store as a DataFrame
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .events import EventLog
from .graph import check_graph
from .metrics import compute_metrics
from .runner import Replications, default_workers
from .runner import replicate as _replicate
from .scenario import Scenario, ScenarioError, apply_overrides, load_scenario
from .sim import simulate as _simulate
from .sweep.store import load_sweep


def load(path: str | Path, overrides: Mapping[str, Any] | Iterable[str] = ()) -> Scenario:
    """A scenario that passed every check (schema, names, command graph), with overrides applied.

    Raises ``ScenarioError`` listing every problem as ``FILE:LINE:COL: field.path: message``.
    """
    scenario, source = load_scenario(path)
    if overrides:
        # the graph is checked after the overrides, which may be what repairs or breaks it
        return apply_overrides(scenario, overrides, checks=(check_graph,))
    problems = check_graph(scenario)
    if problems:
        raise ScenarioError(source.located(problems))
    return scenario


@dataclass(frozen=True)
class Run:
    """One replication: its event log and the metrics computed from it (NaN = missing)."""

    events: EventLog
    metrics: dict[str, float]


def simulate(scenario: Scenario, seed: int = 1, replication: int = 0) -> Run:
    """One replication (seed 1, replication 0 by default: the first of ``nukesim run``)."""
    log = _simulate(scenario, seed, replication)
    return Run(log, compute_metrics(log, scenario))


def replicate(scenario: Scenario, n: int, seed: int = 1, workers: int | None = None,
              keep_events: Iterable[int] = (), first: int = 0, progress=None,
              attribution: bool = False) -> Replications:
    """``n`` replications, with the command line's defaults (seed 1, every core: ``workers=None``),
    so that ``replicate(scenario, 200)`` gives the numbers of ``nukesim run FILE``; the numbers do
    not depend on ``workers``. See ``nukesim.runner.replicate`` for the rest."""
    return _replicate(scenario, n, seed, workers=workers or default_workers(), keep_events=keep_events,
                      first=first, progress=progress, attribution=attribution)


def explain(what: Scenario | Replications, metrics: Iterable[str] | None = None, *, n: int = 200,
            seed: int = 1, workers: int | None = None):
    """What made it slow, as a pandas DataFrame (docs/attribution.md): every milestone's (or
    ``metrics``') components over the replications, the largest first within each milestone.

    ``what`` is a scenario (``n`` replications are run) or replications run with
    ``replicate(..., attribution=True)``.
    """
    from .attribution import explain as summarise

    if isinstance(what, Scenario):
        what = replicate(what, n, seed, workers=workers, attribution=True)  # as `nukesim explain`
    return summarise(what, metrics)


__all__ = ["Replications", "Run", "Scenario", "ScenarioError", "explain", "load", "load_sweep", "replicate",
           "simulate"]
