"""Replications an analyst can trust: coverage, precision, workers, pairing, the Python API.

The coverage tests run many independent batches of a chain whose answer is known in closed
form — notification of the last of two organisations with exponential handling times of means
10 and 20 minutes is hypoexponential, mean 30 — and count how often the 95 % intervals cover the
truth. The count is Binomial(batches, 0.95); the tolerance is that binomial's 1e-4 tails.
"""

import math

import numpy as np
import pytest
from builders import build
from conftest import SCENARIOS
from scipy import optimize
from scipy import stats as sps

import nukesim
from nukesim.comparison import paired_differences
from nukesim.runner import relative_precision, replicate, replicate_to_precision
from nukesim.stats import mean_ci, percentile_ci

M1, M2 = 10.0, 20.0


def two_step_chain():
    orgs = {
        "plant": {"staff": 1, "handlers": [{"on": "class_change", "time": {"dist": "exponential", "mean": M1},
                                            "send": [{"to": "a", "kind": "notice"}]}]},
        "a": {"staff": 1, "handlers": [{"on": "notice", "time": {"dist": "exponential", "mean": M2},
                                        "send": [{"to": "b", "kind": "notice"}]}]},
        "b": {"staff": 1, "handlers": [{"on": "notice"}]},
    }
    links = [{"from": "plant", "to": "a", "channel": "instant"},
             {"from": "a", "to": "b", "channel": "instant"}]
    return build(organisations=orgs, links=links, horizon="2d")


def hypoexponential_quantile(q: float) -> float:
    l1, l2 = 1 / M1, 1 / M2

    def survival(t):
        return (l2 * math.exp(-l1 * t) - l1 * math.exp(-l2 * t)) / (l2 - l1)

    return optimize.brentq(lambda t: survival(t) - (1 - q), 0, 1000)


def binomial_band(p: float, trials: int) -> tuple[float, float]:
    lo, hi = sps.binom.ppf([5e-5, 1 - 5e-5], trials, p)
    return lo / trials, hi / trials


@pytest.fixture(scope="module")
def chain_batches():
    """300 batches of 40 replications of the chain, as one run of 12,000 (seed 11)."""
    result = replicate(two_step_chain(), 12_000, seed=11)
    return result.column("notified:b").reshape(300, 40)


def test_mean_ci_covers_the_analytic_mean(chain_batches):
    assert not np.isnan(chain_batches).any()
    covered = [lo <= M1 + M2 <= hi for lo, hi in map(mean_ci, chain_batches)]
    lo, hi = binomial_band(0.95, len(covered))
    # skewed data make the t interval a little liberal at n = 40; allow one point below the band
    assert lo - 0.01 <= np.mean(covered) <= hi


def test_percentile_ci_covers_the_analytic_p90(chain_batches):
    truth = hypoexponential_quantile(0.9)
    covered = [lo <= truth <= hi for lo, hi in (percentile_ci(b, 90) for b in chain_batches)]
    lo, _ = binomial_band(0.95, len(covered))
    assert np.mean(covered) >= lo  # order-statistic intervals cover at least the nominal 95 %


def test_precision_stops_when_reached_and_matches_a_plain_run():
    scenario = nukesim.load(SCENARIOS / "minimal.yaml")
    result, reached = replicate_to_precision(scenario, 0.02, seed=3, batch=50)
    metric = "team_mobilized"
    assert list(reached) == [metric]
    assert reached[metric] <= 0.02
    assert relative_precision(result.column(metric)) == pytest.approx(reached[metric])
    assert len(result) > 50, "one batch is not enough for 2 %: the test must exercise growth"
    plain = replicate(scenario, len(result), seed=3)
    np.testing.assert_array_equal(plain.values, result.values)


def test_precision_gives_up_at_the_maximum():
    scenario = nukesim.load(SCENARIOS / "minimal.yaml")
    result, reached = replicate_to_precision(scenario, 0.0001, seed=3, batch=20, max_replications=60)
    assert len(result) == 60
    assert reached["team_mobilized"] > 0.0001


def test_results_are_identical_for_one_and_two_workers():
    scenario = nukesim.load(SCENARIOS / "minimal.yaml")
    one = replicate(scenario, 60, seed=5, workers=1)
    two = replicate(scenario, 60, seed=5, workers=2)
    np.testing.assert_array_equal(one.values, two.values)
    assert one.summary().to_dict() == two.summary().to_dict()


def test_python_api_for_notebooks():
    scenario = nukesim.load(SCENARIOS / "minimal.yaml", ["team.vehicles.count=4"])
    assert scenario.team.vehicles.count == 4
    run = nukesim.simulate(scenario, seed=2)
    assert run.metrics["notified:plant"] == 0.0
    assert len(run.events) > 10
    many = nukesim.replicate(scenario, 30, seed=2)
    frame = many.to_pandas()
    assert frame.shape == (30, len(many.names))
    assert frame.loc[0, "team_mobilized"] == pytest.approx(run.metrics["team_mobilized"], nan_ok=True)
    assert many.summary().metrics["notified:plant"].mean == 0.0


def test_paired_difference_is_much_narrower_than_unpaired_on_china():
    china = nukesim.load(SCENARIOS / "china_national_team.yaml")
    # 25 of 30 vehicles: loading still limits the departure in both variants (with 10, the deploy
    # order often does instead, and the two variants' departures are less alike)
    fewer = nukesim.load(SCENARIOS / "china_national_team.yaml", ["team.vehicles.count=25"])
    a = replicate(china, 150, seed=9)
    b = replicate(fewer, 150, seed=9)
    b_independent = replicate(fewer, 150, seed=10)
    (diff,) = paired_differences(a, b, ["team_departed"])
    paired_half = (diff.mean_diff_ci95[1] - diff.mean_diff_ci95[0]) / 2
    x, y = a.column("team_departed"), b_independent.column("team_departed")
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    unpaired_half = sps.t.ppf(0.975, len(x) + len(y) - 2) * math.sqrt(x.var(ddof=1) / len(x)
                                                                      + y.var(ddof=1) / len(y))
    assert paired_half < 0.25 * unpaired_half
    # common random numbers: the change of vehicles leaves every notification unchanged
    for name in a.names:
        if name.startswith("notified:"):
            np.testing.assert_array_equal(a.column(name), b.column(name))
