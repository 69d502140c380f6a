"""B − A of an objective in `compare`: paired intervals that keep their promise (issue 14)."""

import json
import math

import numpy as np
import pytest
from conftest import SCENARIOS
from scipy import stats as sps
from typer.testing import CliRunner

import nukesim
from nukesim.cli import app
from nukesim.comparison import objective_differences
from nukesim.runner import Replications
from nukesim.scenario.durations import format_difference
from nukesim.stats import paired_percentile_diff_ci, paired_share_diff_ci, percentile_ci

MINIMAL = str(SCENARIOS / "minimal.yaml")
LEVEL_BAND = 3.3  # standard errors of a coverage estimate: a false alarm once in a thousand runs


def _coverage_floor(batches: int, level: float = 0.95) -> float:
    return level - LEVEL_BAND * math.sqrt(level * (1 - level) / batches)


def _paired_normals(rng, n: int, rho: float) -> np.ndarray:
    return rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)


def test_the_share_difference_interval_reproduces_newcombes_published_example():
    # Fagerland, Lydersen & Laake (2017), ch. 8: Cavo et al. (2012), 59 both, 6 first only,
    # 16 second only, 80 neither; Newcombe square-and-add: -0.0621 (-0.1186 to -0.0046)
    first = np.array([1] * 59 + [1] * 6 + [0] * 16 + [0] * 80, dtype=bool)
    second = np.array([1] * 59 + [0] * 6 + [1] * 16 + [0] * 80, dtype=bool)
    low, high = paired_share_diff_ci(second, first)  # B − A with B = the first
    assert first.mean() - second.mean() == pytest.approx(-0.0621, abs=5e-5)
    assert (low, high) == pytest.approx((-0.1186, -0.0046), abs=5e-5)


def test_the_share_difference_interval_is_not_a_point_when_every_run_agrees():
    same = np.array([True] * 190 + [False] * 10)
    low, high = paired_share_diff_ci(same, same)
    assert low < 0 < high  # a Wald or bootstrap interval would be [0, 0]
    assert paired_share_diff_ci(np.ones(50, bool), np.ones(50, bool))[0] < 0


def test_the_share_difference_interval_covers_the_true_difference_of_paired_shares():
    rng = np.random.default_rng(14)
    za, zb = sps.norm.ppf(0.85), sps.norm.ppf(0.90)  # shares of 85 % and 90 %, strongly paired
    batches, hits = 2000, 0
    for _ in range(batches):
        z = _paired_normals(rng, 200, 0.8)
        low, high = paired_share_diff_ci(z[:, 0] < za, z[:, 1] < zb)
        hits += low <= 0.05 <= high
    assert _coverage_floor(batches) <= hits / batches <= 0.99  # measured: 0.96


def test_the_p90_difference_interval_covers_the_truth_with_missing_runs_and_uses_the_pairing():
    # exponential times with means 60 and 48 min, paired by a Gaussian copula; runs past 210 min
    # are missing (3 % of A, 1 % of B): the p90s are 60·ln 10 and 48·ln 10
    rng = np.random.default_rng(90)
    true = (48 - 60) * math.log(10)
    batches, hits, paired, unpaired = 200, 0, [], []
    for seed in range(batches):
        u = sps.norm.cdf(_paired_normals(rng, 100, 0.8))
        a, b = -60 * np.log1p(-u[:, 0]), -48 * np.log1p(-u[:, 1])
        a[a > 210], b[b > 210] = np.nan, np.nan
        low, high = paired_percentile_diff_ci(a, b, 90, seed=seed)
        hits += low <= true <= high
        wa, wb = (np.subtract(*percentile_ci(v, 90)[::-1]) for v in (a, b))
        if math.isfinite(high - low + wa + wb):
            paired.append(high - low)
            unpaired.append(math.hypot(wa, wb))  # the width two independent intervals would give
    assert hits / batches >= _coverage_floor(batches)  # measured: 0.99 (conservative)
    assert len(paired) > batches / 2
    assert np.mean(paired) < 0.8 * np.mean(unpaired)  # measured: 0.69


def test_the_p90_difference_of_a_fixed_shift_is_exactly_the_shift():
    a = np.random.default_rng(1).exponential(30, 100)
    assert paired_percentile_diff_ci(a, a + 5, 90) == pytest.approx((5.0, 5.0))
    a[:50] = np.nan  # the p90 of A is missing: no interval
    assert all(math.isnan(c) for c in paired_percentile_diff_ci(a, a + 5, 90))


def _replications(a: np.ndarray, b: np.ndarray, objectives: list[str]) -> tuple[Replications, Replications]:
    """A and B of the minimal scenario with hand-made team_mobilized columns and objectives."""
    scenario = nukesim.load(MINIMAL, ["objectives=[]", *(f"objectives+={o}" for o in objectives)])
    make = lambda v: Replications(scenario, 1, ["team_mobilized"], v.reshape(-1, 1))  # noqa: E731
    return make(a), make(b)


OBJECTIVES = [
    "{name: p90, metric: team_mobilized, statistic: p90, target: 2h}",
    "{name: mean, metric: team_mobilized, statistic: mean, target: 2h}",
    "{name: share, metric: team_mobilized, statistic: share, target: 90%, within: 100m}",
    "{name: max, metric: team_mobilized, statistic: max, target: 4h}",
]


def test_objective_differences_are_b_minus_a_with_the_interval_of_each_statistic():
    rng = np.random.default_rng(5)
    x = rng.normal(90, 15, 300)
    y = x - 8 + rng.normal(0, 4, 300)
    ra, rb = _replications(x, y, OBJECTIVES)
    diffs = {d.name: d for d in objective_differences(ra, rb, seed=3)}
    for d in diffs.values():
        assert d.diff == pytest.approx(d.b.value - d.a.value)
    assert diffs["p90"].diff_ci95 == paired_percentile_diff_ci(x, y, 90, seed=3)
    assert diffs["p90"].method == "paired bootstrap"
    # the mean's interval is the paired t interval: scipy's own ttest_rel agrees
    t = sps.ttest_rel(y, x).confidence_interval(0.95)
    assert diffs["mean"].diff_ci95 == pytest.approx((t.low, t.high))
    assert diffs["share"].diff_ci95 == paired_share_diff_ci(x <= 100, y <= 100)
    assert diffs["share"].diff == pytest.approx(np.mean(y <= 100) - np.mean(x <= 100))
    assert diffs["max"].method == "none" and all(math.isnan(c) for c in diffs["max"].diff_ci95)


def test_a_missing_run_counts_as_later_than_all_in_a_percentile_and_as_not_met_in_a_share():
    x = np.linspace(30, 90, 200)
    y = x - 10
    y[:30] = np.nan  # 15 % of B never mobilised: B's p90 is beyond the horizon
    ra, rb = _replications(x, y, OBJECTIVES)
    diffs = {d.name: d for d in objective_differences(ra, rb)}
    assert diffs["p90"].b.value == math.inf and math.isnan(diffs["p90"].diff_ci95[0])
    assert diffs["share"].diff == pytest.approx(-30 / 200)  # the 30 earliest runs were all within 100m
    low, high = diffs["share"].diff_ci95
    assert low < -30 / 200 < high < 0
    assert math.isnan(diffs["mean"].diff) and math.isnan(diffs["mean"].diff_ci95[0])
    doc = diffs["p90"].to_dict()
    assert doc["difference"] == {"value": None, "ci95": [None, None], "method": "paired bootstrap"}


def test_an_objective_defined_differently_in_b_has_no_difference():
    x = np.linspace(30, 90, 50)
    ra, _ = _replications(x, x, OBJECTIVES[:1])
    _, rb = _replications(x, x, ["{name: p90, metric: team_mobilized, statistic: p95, target: 2h}"])
    (d,) = objective_differences(ra, rb)
    assert d.method == "not comparable" and math.isnan(d.diff)


def test_compare_prints_and_writes_the_objective_difference():
    args = ["compare", MINIMAL, "--set-b", "organisations.authority.handlers.1.time=5m", "-n", "100",
            "--workers", "1"]
    doc = json.loads(CliRunner().invoke(app, [*args, "--json"]).stdout)
    (objective,) = doc["objectives"]
    diff = objective["difference"]
    assert diff["method"] == "paired bootstrap"
    assert diff["value"] == pytest.approx(objective["b"]["value"] - objective["a"]["value"])
    assert diff["ci95"][0] <= diff["value"] <= diff["ci95"][1] < 0  # the faster call-out helps
    table = CliRunner().invoke(app, args, env={"COLUMNS": "250"}).stdout
    assert "B−A (95% CI)" in table
    assert format_difference(diff["value"], diff["ci95"]) in table
