"""Summaries of replications that an analyst can defend.

A metric that did not happen within the horizon is *missing*. Missing runs are never dropped:
they are counted, the share of runs that completed is a statistic of its own, and percentiles
treat a missing run as later than any completed one (censored at the horizon), so that "p90 of
mobilisation" cannot look good because the worst runs never finished. Means and standard
deviations are over the completed runs. Confidence intervals: Student t for the mean,
order statistics (binomial) for percentiles, Wilson for shares.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats as sps

PERCENTILES = {"p5": 5, "p50": 50, "p90": 90, "p95": 95}


@dataclass(frozen=True)
class MetricSummary:
    n: int
    missing: int
    mean: float | None
    std: float | None
    ci95: tuple[float, float] | None
    min: float | None
    p5: float | None
    p50: float | None
    p90: float | None
    p95: float | None
    max: float | None

    def to_dict(self) -> dict:
        return {k: _clean(v) for k, v in asdict(self).items()}


def _clean(v):
    if isinstance(v, tuple):
        return [_clean(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def mean_ci(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Student-t confidence interval for the mean of independent replications.

    Of values that cannot be negative (a wait, a time, a share) the mean cannot be either: the
    interval then starts at 0 at the lowest, not at "-0.0" (the t interval is symmetric).
    """
    n = len(values)
    if n < 2:
        return (math.nan, math.nan)
    m = float(values.mean())
    half = float(sps.t.ppf(0.5 + level / 2, n - 1) * values.std(ddof=1) / math.sqrt(n))
    low = max(m - half, 0.0) if float(values.min()) >= 0 else m - half
    return (low, m + half)


def censored_percentile(values: np.ndarray, q: float, axis: int | None = None):
    """The q-th percentile with missing (NaN) runs counted as later than every completed one.

    Uses the inverse of the empirical distribution (``method='inverted_cdf'``): the value is an
    observed replication, never an interpolation, which keeps it consistent with the
    order-statistic confidence interval. With ``axis``, an array of percentiles (the bootstrap).
    """
    values = np.where(np.isnan(values), np.inf, values)
    if axis is not None:
        return np.quantile(values, q / 100, axis=axis, method="inverted_cdf")
    if values.size == 0:
        return math.nan
    return float(np.quantile(values, q / 100, method="inverted_cdf"))


def percentile_ci(values: np.ndarray, q: float, level: float = 0.95) -> tuple[float, float]:
    """Distribution-free interval for the q-th percentile from order statistics.

    The number of runs below the true percentile is Binomial(n, q/100); the interval runs between
    the order statistics at that binomial's (1-level)/2 and (1+level)/2 quantiles.
    """
    n = len(values)
    if n == 0:
        return (math.nan, math.nan)
    ordered = np.sort(np.where(np.isnan(values), np.inf, values))
    p = q / 100
    lo = int(sps.binom.ppf((1 - level) / 2, n, p))
    hi = int(sps.binom.ppf((1 + level) / 2, n, p)) + 1
    low = float(ordered[lo - 1]) if lo >= 1 else -math.inf
    high = float(ordered[hi - 1]) if hi <= n else math.inf
    return (low, high)


def share_ci(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a share of runs."""
    if n == 0:
        return (math.nan, math.nan)
    z = float(sps.norm.ppf(0.5 + level / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


RESAMPLES = 2000
"""Bootstrap resamples of a paired percentile difference."""
MIN_BOOTSTRAP = 20
"""Fewest replication pairs a percentile difference is bootstrapped from: with fewer, a resampled
p90 is one of two or three values and its interval says nothing."""
BOOTSTRAP_VALUES = 10_000_000
"""Values one batch of bootstrap resamples may hold (replications × resamples, 80 MB)."""


def paired_percentile_diff_ci(a: np.ndarray, b: np.ndarray, q: float, seed: int = 0,
                              level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap of the q-th percentile of B minus that of A, resampling replications
    as pairs (``scipy.stats.bootstrap(paired=True)``): replication r of A and of B share their
    random numbers, so they are drawn together.

    A missing run counts as later than every completed one, as in :func:`censored_percentile`.
    A resample in which B's percentile is missing has an unbounded difference (+∞; A's: −∞);
    one in which both are is unknown and counts as the unfavourable extreme on each side. A side
    of the interval is therefore infinite only if more than (1 − level)/2 of the resamples are
    such. With the percentile itself missing in A or B, or fewer than ``MIN_BOOTSTRAP`` pairs,
    there is no interval (NaN).
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < MIN_BOOTSTRAP or not all(math.isfinite(censored_percentile(v, q)) for v in (a, b)):
        return (math.nan, math.nan)

    def statistic(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        with np.errstate(invalid="ignore"):  # inf − inf: both censored
            d = censored_percentile(y, q, axis=axis) - censored_percentile(x, q, axis=axis)
        return np.stack([np.where(np.isnan(d), -np.inf, d), np.where(np.isnan(d), np.inf, d)])

    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        # the standard error scipy also reports is undefined with infinite resamples; not used
        warnings.simplefilter("ignore", RuntimeWarning)
        result = sps.bootstrap((a, b), statistic, paired=True, vectorized=True, n_resamples=RESAMPLES,
                               batch=max(1, BOOTSTRAP_VALUES // len(a)), confidence_level=level,
                               method="percentile", rng=np.random.default_rng(seed))
    ci = result.confidence_interval
    return (float(ci.low[0]), float(ci.high[1]))


def paired_share_diff_ci(hits_a: np.ndarray, hits_b: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval for share(B) − share(A) on the same runs (paired).

    Newcombe (1998, Statistics in Medicine 17:2635–2650) in the form of Fagerland, Lydersen &
    Laake (2017, *Statistical Analysis of Contingency Tables*, ch. 8, "Newcombe square-and-add"):
    each share's Wilson interval (:func:`share_ci`), combined with the correlation φ of the
    pairs, so that runs that agree (both met, both not) narrow the interval as pairing should.
    It stays inside [−1, 1], is defined when every run agrees (where a Wald or bootstrap interval
    collapses to a point) and covers close to the level (docs/statistics.md).
    """
    x, y = np.asarray(hits_a, dtype=bool), np.asarray(hits_b, dtype=bool)
    n = len(x)
    if n == 0 or len(y) != n:
        return (math.nan, math.nan)
    both, only_a, only_b = int((x & y).sum()), int((x & ~y).sum()), int((~x & y).sum())
    neither = n - both - only_a - only_b
    pa, pb = (both + only_a) / n, (both + only_b) / n
    la, ua = share_ci(both + only_a, n, level)
    lb, ub = share_ci(both + only_b, n, level)
    margins = (both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    agreement = both * neither - only_a * only_b
    if margins == 0 or 0 <= agreement <= n / 2:
        phi = 0.0
    else:
        phi = (agreement - n / 2 if agreement > n / 2 else agreement) / math.sqrt(margins)
    d = pb - pa
    low = d - math.sqrt(max((pb - lb) ** 2 - 2 * phi * (pb - lb) * (ua - pa) + (ua - pa) ** 2, 0.0))
    high = d + math.sqrt(max((ub - pb) ** 2 - 2 * phi * (ub - pb) * (pa - la) + (pa - la) ** 2, 0.0))
    return (max(low, -1.0), min(high, 1.0))


def summarise(values: np.ndarray, censored: bool = True) -> MetricSummary:
    """n, missing, mean with its 95 % CI, std, min, percentiles and max of one metric.

    ``censored``: a missing run is later than every completed one (a time to an event); without
    it, missing runs are left out of the percentiles too (a level with nothing to measure).
    """
    values = np.asarray(values, dtype=float)
    done = values[~np.isnan(values)]
    missing = len(values) - len(done)
    if len(done) == 0:
        return MetricSummary(0, missing, None, None, None, None, None, None, None, None, None)
    pct = {name: censored_percentile(values if censored else done, q) for name, q in PERCENTILES.items()}
    return MetricSummary(
        n=len(done),
        missing=missing,
        mean=float(done.mean()),
        std=float(done.std(ddof=1)) if len(done) > 1 else 0.0,
        ci95=mean_ci(done) if len(done) > 1 else None,
        min=float(done.min()),
        max=float(done.max()) if missing == 0 or not censored else math.inf,
        **pct,
    )


@dataclass(frozen=True)
class ObjectiveResult:
    """An objective's statistic, its 95 % CI and whether the target is met.

    ``met`` compares the point estimate with the target; ``decided`` says whether the whole
    confidence interval lies on the same side, i.e. whether more replications could change it.
    """

    name: str
    metric: str
    statistic: str
    target: float
    value: float | None
    ci95: tuple[float, float] | None
    met: bool
    decided: bool

    def to_dict(self) -> dict:
        return {k: _clean(v) for k, v in asdict(self).items()}


def evaluate_objective(name: str, metric: str, statistic: str, target: float, values: np.ndarray,
                       within: float | None = None) -> ObjectiveResult:
    values = np.asarray(values, dtype=float)
    done = values[~np.isnan(values)]
    if statistic == "share":
        hits = int((done <= within).sum()) if within is not None else len(done)
        value = hits / len(values) if len(values) else math.nan
        ci = share_ci(hits, len(values))
        met = value >= target
        decided = ci[0] >= target if met else ci[1] < target
    else:
        if statistic == "mean":
            value = float(done.mean()) if len(done) and len(done) == len(values) else math.nan
            ci = mean_ci(done) if len(done) == len(values) else (math.nan, math.nan)
        elif statistic == "max":
            value = float(values.max()) if len(done) == len(values) and len(values) else math.inf
            ci = (value, math.inf)
        else:
            q = PERCENTILES[statistic]
            value = censored_percentile(values, q)
            ci = percentile_ci(values, q)
        met = bool(value <= target)
        decided = bool(ci[1] <= target) if met else bool(ci[0] > target)
    return ObjectiveResult(name, metric, statistic, target, value, ci, bool(met), bool(decided))
