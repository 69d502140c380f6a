"""Re-simulated replications: what the report needs that the output files do not hold.

Replication ``r`` of seed ``s`` is a pure function of (scenario, s, r), so re-running it gives
the very replication the run made (``data.py`` checks that the scenario file is unchanged).
"""

from __future__ import annotations

import math

import numpy as np

from ..events import MEMBER_ASSEMBLED, EventLog
from ..scenario.models import Scenario
from ..sim import simulate
from .records import read

ASSEMBLY_SAMPLE = 40
"""Replications re-simulated for the members-assembled curves: the 10–90 % band of 40 runs is
a picture of the spread, not an estimate to quote (the KPI table holds the estimates)."""


def typical_replication(numbers: np.ndarray, values: np.ndarray, median: float | None) -> int | None:
    """The replication whose headline metric is closest to its median (the first of ties)."""
    if median is None or not math.isfinite(median) or not len(values):
        return None
    gap = np.abs(np.where(np.isnan(values), np.inf, values) - median)
    return int(numbers[int(np.argmin(gap))])


def event_log(scenario: Scenario, seed: int, replication: int) -> EventLog:
    return simulate(scenario, seed, replication)


def assembly_curves(scenario: Scenario, seed: int, replications: list[int], grid_minutes: np.ndarray
                    ) -> dict[str, np.ndarray]:
    """Per unit, one row per replication: members assembled by each grid time."""
    units = list(scenario.team.units)
    curves = {u: np.zeros((len(replications), len(grid_minutes))) for u in units}
    for i, r in enumerate(replications):
        times: dict[str, list[float]] = {u: [] for u in units}
        for raw in simulate(scenario, seed, r).records:
            rec = read(raw)
            if rec.type == MEMBER_ASSEMBLED:
                times[rec.peer].append(rec.t)
        for u in units:
            curves[u][i] = np.searchsorted(np.sort(times[u]), grid_minutes, side="right")
    return curves


def readiness_thresholds(scenario: Scenario) -> dict[str, int]:
    """Members each unit needs to be ready: the engine's own figure (``sim.plan``)."""
    from ..sim.plan import plan_for

    team = plan_for(scenario).team
    return dict(zip(team.units, team.needed, strict=True))
