"""Summaries count missing runs, censor percentiles and give intervals with the right coverage."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from nukesim.stats import (
    censored_percentile,
    evaluate_objective,
    mean_ci,
    percentile_ci,
    share_ci,
    summarise,
)


def test_missing_runs_are_counted_and_censor_percentiles():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, np.nan, np.nan])
    s = summarise(values)
    assert (s.n, s.missing) == (8, 2)
    assert s.mean == pytest.approx(4.5)
    assert s.p50 == 5.0
    assert s.p90 == math.inf, "the worst 20 % never finished: p90 is beyond the horizon"
    assert s.max == math.inf
    assert s.to_dict()["p90"] is None


def test_percentile_is_an_observed_value():
    values = np.arange(1, 101, dtype=float)
    assert censored_percentile(values, 90) == 90.0
    assert censored_percentile(values, 50) == 50.0
    assert censored_percentile(values, 5) == 5.0


def test_all_missing_gives_no_numbers():
    s = summarise(np.full(5, np.nan))
    assert (s.n, s.missing, s.mean, s.p50) == (0, 5, None, None)


def _coverage(interval, truth, batches=2000, n=40, seed=3, draw=None):
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(batches):
        lo, hi = interval(draw(rng, n))
        hits += lo <= truth <= hi
    return hits / batches


def _binomial_band(p, batches):
    """Counts outside this band happen by chance with probability < 1e-4."""
    lo, hi = sps.binom.ppf([5e-5, 1 - 5e-5], batches, p)
    return lo / batches, hi / batches


def test_mean_ci_covers_the_true_mean_95_percent_of_the_time():
    cover = _coverage(mean_ci, 10.0, draw=lambda rng, n: rng.normal(10.0, 3.0, n))
    lo, hi = _binomial_band(0.95, 2000)
    assert lo <= cover <= hi


def test_percentile_ci_covers_the_true_percentile_at_least_95_percent():
    # Order-statistic intervals are conservative: coverage is at least the nominal level.
    truth = -math.log(0.1) * 5.0  # p90 of an exponential with mean 5
    cover = _coverage(lambda x: percentile_ci(x, 90), truth, n=200,
                      draw=lambda rng, n: rng.exponential(5.0, n))
    lo, _ = _binomial_band(0.95, 2000)
    assert cover >= lo


def test_share_ci_covers():
    cover = _coverage(lambda x: share_ci(int(x.sum()), len(x)), 0.9, n=100,
                      draw=lambda rng, n: (rng.random(n) < 0.9).astype(float))
    lo, hi = _binomial_band(0.95, 2000)
    assert lo - 0.02 <= cover <= hi  # Wilson is slightly conservative or liberal by < 2 points


def test_objectives_are_met_not_met_or_undecided():
    rng = np.random.default_rng(0)
    values = rng.exponential(60.0, 1000)
    p90 = censored_percentile(values, 90)
    clear = evaluate_objective("ok", "team_mobilized", "p90", p90 * 2, values)
    assert clear.met and clear.decided
    fails = evaluate_objective("slow", "team_mobilized", "p90", p90 / 2, values)
    assert not fails.met and fails.decided
    close = evaluate_objective("close", "team_mobilized", "p90", p90 * 1.001, values)
    assert close.met and not close.decided
    share = evaluate_objective("share", "team_mobilized", "share", 0.5, values, within=60.0)
    assert share.value == pytest.approx((values <= 60).mean())
    assert share.met == (share.value >= 0.5)


def test_levels_are_not_censored():
    # wait:/utilization: missing means "no work to measure", not "later than every run"
    values = np.array([1.0, 2.0, 3.0, np.nan, np.nan])
    level = summarise(values, censored=False)
    assert (level.n, level.missing, level.p90, level.max) == (3, 2, 3.0, 3.0)
    assert summarise(values).p90 == math.inf
