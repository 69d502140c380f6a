"""Paired comparison of two variants on common random numbers.

Both variants run the same replications of the same seed; because every random stream is named
by its purpose, a replication of variant B sees the same accident, the same channel failures and
the same member responses as the same replication of A, except where B's change intervenes. The
difference of a metric is therefore measured replication by replication, and its confidence
interval is far narrower than that of two independent runs.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sps

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
        out.append(Difference(
            metric=name, pairs=int(both.sum()),
            missing_a=int(np.isnan(x).sum()), missing_b=int(np.isnan(y).sum()),
            mean_a=float(x[both].mean()) if both.any() else math.nan,
            mean_b=float(y[both].mean()) if both.any() else math.nan,
            mean_diff=float(d.mean()) if len(d) else math.nan, mean_diff_ci95=mean_ci_,
            p90_a=censored_percentile(x, 90), p90_b=censored_percentile(y, 90),
            p90_diff=censored_percentile(y, 90) - censored_percentile(x, 90), p90_diff_ci95=p90_ci,
        ))
    return out


def _paired_p90_ci(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[float, float]:
    """Percentile bootstrap of p90(B) − p90(A), resampling replications as pairs."""
    if np.isnan(x).mean() > 0.05 or np.isnan(y).mean() > 0.05:
        return (math.nan, math.nan)  # p90 too close to the censored tail to bootstrap honestly

    def stat(xs, ys, axis=-1):
        return censored_percentile(ys, 90, axis=axis) - censored_percentile(xs, 90, axis=axis)

    # identical variants give a degenerate bootstrap distribution: a zero-width interval, no warning
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore")
        res = sps.bootstrap((x, y), stat, paired=True, vectorized=True, n_resamples=2000,
                            method="percentile", random_state=np.random.default_rng(seed))
    return (float(res.confidence_interval.low), float(res.confidence_interval.high))
