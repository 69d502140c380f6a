"""Paired comparison of two variants on common random numbers.

Both variants run the same replications of the same seed; because every random stream is named
by its purpose, a replication of variant B sees the same accident, the same channel failures and
the same member responses as the same replication of A, except where B's change intervenes. The
difference of a metric is therefore measured replication by replication, and its confidence
interval is far narrower than that of two independent runs.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from .runner import Replications
from .scenario.models import Objective
from .stats import (
    PERCENTILES,
    ObjectiveResult,
    censored_percentile,
    evaluate_objective,
    mean_ci,
    paired_percentile_diff_ci,
    paired_share_diff_ci,
)


@dataclass(frozen=True)
class Difference:
    """B minus A for one metric: the paired mean difference and the p90 difference, with CIs."""

    metric: str
    pairs: int
    """Replications where the metric happened in both variants."""
    missing_a: int
    missing_b: int
    mean_a: float
    mean_b: float
    mean_diff: float
    mean_diff_ci95: tuple[float, float]
    p90_a: float
    p90_b: float
    p90_diff: float
    p90_diff_ci95: tuple[float, float]
    """Paired bootstrap; a bound is infinite when too many resamples had the p90 censored."""
    done_diff: float = math.nan
    """Share of replications in which the metric happened: B's minus A's (Newcombe's paired
    interval, as an objective's share)."""
    done_diff_ci95: tuple[float, float] = (math.nan, math.nan)

    def to_dict(self) -> dict:
        def clean(v):
            if isinstance(v, tuple):
                return [clean(x) for x in v]
            return None if isinstance(v, float) and not math.isfinite(v) else v

        return {k: clean(v) for k, v in asdict(self).items()}


def paired_differences(a: Replications, b: Replications, metrics: list[str] | None = None,
                       seed: int = 0) -> list[Difference]:
    """Differences B − A of each metric, replication by replication."""
    _check_paired(a, b)
    out = []
    for name in metrics or a.names:
        if name not in b.names:
            continue
        x, y = a.column(name), b.column(name)
        both = ~np.isnan(x) & ~np.isnan(y)
        d = y[both] - x[both]
        mean_ci_ = mean_ci(d) if len(d) > 1 else (math.nan, math.nan)
        p90_ci = paired_percentile_diff_ci(x, y, 90, seed)
        happened_a, happened_b = ~np.isnan(x), ~np.isnan(y)
        out.append(Difference(
            metric=name, pairs=int(both.sum()),
            missing_a=int(np.isnan(x).sum()), missing_b=int(np.isnan(y).sum()),
            mean_a=float(x[both].mean()) if both.any() else math.nan,
            mean_b=float(y[both].mean()) if both.any() else math.nan,
            mean_diff=float(d.mean()) if len(d) else math.nan, mean_diff_ci95=mean_ci_,
            p90_a=censored_percentile(x, 90), p90_b=censored_percentile(y, 90),
            p90_diff=censored_percentile(y, 90) - censored_percentile(x, 90), p90_diff_ci95=p90_ci,
            done_diff=float(happened_b.mean() - happened_a.mean()) if len(x) else math.nan,
            done_diff_ci95=paired_share_diff_ci(happened_a, happened_b),
        ))
    return out


def _check_paired(a: Replications, b: Replications) -> None:
    if a.seed != b.seed or a.first != b.first or len(a) != len(b):
        raise ValueError("a paired comparison needs the same seed and replications in both variants")


@dataclass(frozen=True)
class ObjectiveDifference:
    """One objective in A and in B, and B − A of its statistic with a paired 95 % interval.

    ``method`` names the interval: ``paired t`` (mean), ``paired bootstrap`` (a percentile),
    ``Newcombe paired score`` (a share, in fractions: 0.05 = 5 points), ``none`` (``max``, whose
    sample value only grows with the number of runs and has no honest interval), or ``not
    comparable`` when A and B define the objective differently (another metric, statistic or
    ``within``).
    """

    name: str
    a: ObjectiveResult
    b: ObjectiveResult
    diff: float
    diff_ci95: tuple[float, float]
    method: str

    def to_dict(self) -> dict:
        def clean(v: float) -> float | None:
            return v if math.isfinite(v) else None

        return {"name": self.name, "a": self.a.to_dict(), "b": self.b.to_dict(),
                "difference": {"value": clean(self.diff), "ci95": [clean(c) for c in self.diff_ci95],
                               "method": self.method}}


def objective_differences(a: Replications, b: Replications, seed: int = 0) -> list[ObjectiveDifference]:
    """Each objective that A and B share (by name): its value in both and B − A, replication by
    replication. A run in which the metric never happened counts as later than every run in a
    percentile (as in the objective itself) and as not meeting a share; a mean with missing runs
    is not defined, nor is its difference."""
    _check_paired(a, b)
    of_b = {o.name: o for o in b.scenario.objectives}
    out = []
    for oa in a.scenario.objectives:
        ob = of_b.get(oa.name)
        if ob is None:
            continue
        x, y = a.column(oa.metric), b.column(ob.metric)
        ra = evaluate_objective(oa.name, oa.metric, oa.statistic, oa.target, x, oa.within)
        rb = evaluate_objective(ob.name, ob.metric, ob.statistic, ob.target, y, ob.within)
        diff, ci, method = _objective_difference(oa, ob, x, y, ra, rb, seed)
        out.append(ObjectiveDifference(oa.name, ra, rb, diff, ci, method))
    return out


def _objective_difference(oa: Objective, ob: Objective, x: np.ndarray, y: np.ndarray, ra: ObjectiveResult,
                          rb: ObjectiveResult, seed: int) -> tuple[float, tuple[float, float], str]:
    """B − A of the objective's statistic, its paired 95 % interval and the interval's name."""
    nan = (math.nan, math.nan)
    if (oa.metric, oa.statistic, oa.within) != (ob.metric, ob.statistic, ob.within):
        return math.nan, nan, "not comparable"
    with np.errstate(invalid="ignore"):
        diff = float(rb.value - ra.value) if ra.value is not None and rb.value is not None else math.nan
    if oa.statistic == "share":
        within = math.inf if oa.within is None else oa.within
        return diff, paired_share_diff_ci(x <= within, y <= within), "Newcombe paired score"  # NaN: False
    if oa.statistic == "mean":
        d = y - x  # NaN where a run is missing in either: then no mean, no difference
        return diff, mean_ci(d) if not np.isnan(d).any() else nan, "paired t"
    if oa.statistic in PERCENTILES:
        return diff, paired_percentile_diff_ci(x, y, PERCENTILES[oa.statistic], seed), "paired bootstrap"
    return diff, nan, "none"
