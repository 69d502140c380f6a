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
from .stats import censored_percentile, mean_ci


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
    """Share of replications in which the metric happened: B's minus A's."""
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
    if a.seed != b.seed or a.first != b.first or len(a) != len(b):
        raise ValueError("a paired comparison needs the same seed and replications in both variants")
    out = []
    for name in metrics or a.names:
        if name not in b.names:
            continue
        x, y = a.column(name), b.column(name)
        both = ~np.isnan(x) & ~np.isnan(y)
        d = y[both] - x[both]
        mean_ci_ = mean_ci(d) if len(d) > 1 else (math.nan, math.nan)
        p90_ci = _paired_p90_ci(x, y, seed) if len(x) >= 20 else (math.nan, math.nan)
        done = (~np.isnan(y)).astype(float) - (~np.isnan(x)).astype(float)  # paired: -1, 0 or 1
        out.append(Difference(
            metric=name, pairs=int(both.sum()),
            missing_a=int(np.isnan(x).sum()), missing_b=int(np.isnan(y).sum()),
            mean_a=float(x[both].mean()) if both.any() else math.nan,
            mean_b=float(y[both].mean()) if both.any() else math.nan,
            mean_diff=float(d.mean()) if len(d) else math.nan, mean_diff_ci95=mean_ci_,
            p90_a=censored_percentile(x, 90), p90_b=censored_percentile(y, 90),
            p90_diff=censored_percentile(y, 90) - censored_percentile(x, 90), p90_diff_ci95=p90_ci,
            done_diff=float(done.mean()) if len(done) else math.nan, done_diff_ci95=mean_ci(done),
        ))
    return out


RESAMPLES = 2000
"""Bootstrap resamples of the paired p90 difference."""


def _paired_p90_ci(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, float]:
    """Percentile bootstrap of p90(B) − p90(A), resampling replications as pairs.

    A missing run counts as later than every completed one, as in the p90 itself; a resample
    whose p90 is missing in B (or A) has an unbounded difference, so the interval's bound on that
    side is infinite only if more than 2.5 % of the resamples are such. With the p90 itself
    missing in either variant there is no interval.
    """
    if not (math.isfinite(censored_percentile(x, 90)) and math.isfinite(censored_percentile(y, 90))):
        return (math.nan, math.nan)
    pick = np.random.default_rng(seed).integers(0, len(x), size=(RESAMPLES, len(x)))
    with np.errstate(invalid="ignore"):
        d = censored_percentile(y[pick], 90, axis=1) - censored_percentile(x[pick], 90, axis=1)
    # both censored (inf - inf): unknown, so on each side the unfavourable extreme
    low = np.quantile(np.where(np.isnan(d), -np.inf, d), 0.025, method="inverted_cdf")
    high = np.quantile(np.where(np.isnan(d), np.inf, d), 0.975, method="inverted_cdf")
    return (float(low), float(high))
