"""Every distribution samples what its parameters say: checked against scipy's own.

For each distribution we draw many samples with a fixed seed and compare, at a few points x,
the share of samples at or below x with the exact CDF F(x) from scipy.stats: that share is
Binomial(N, F(x)) / N, so a tolerance of 5 binomial standard errors fails by chance with
probability below 1e-6 per check. The sample mean is compared with the model's ``mean`` within
5 standard errors (from the sample's own standard deviation).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from scipy import stats

from nukesim.scenario.distributions import Distribution

N = 40_000
adapter = TypeAdapter(Distribution)
positive = st.floats(min_value=0.1, max_value=500, allow_nan=False)


def check(dist_spec: dict, frozen) -> None:
    dist = adapter.validate_python(dist_spec)
    rng = np.random.default_rng(12345)
    x = dist.sample(rng, N)
    assert x.shape == (N,)
    assert (x >= 0).all(), "durations are never negative"
    se = x.std(ddof=1) / math.sqrt(N)
    assert abs(x.mean() - dist.mean) <= 5 * se + 1e-9
    assert dist.mean == pytest.approx(frozen.mean(), rel=1e-9)
    for q in (0.1, 0.5, 0.9):
        point = frozen.ppf(q)
        share = (x <= point).mean()
        assert abs(share - q) <= 5 * math.sqrt(q * (1 - q) / N)


@settings(derandomize=True, max_examples=15, deadline=None)
@given(positive, st.floats(min_value=1.05, max_value=8))
def test_lognormal_has_its_median_and_p90(median, ratio):
    p90 = median * ratio
    sigma = math.log(ratio) / stats.norm.ppf(0.9)
    frozen = stats.lognorm(s=sigma, scale=median)
    check({"dist": "lognormal", "median": median, "p90": p90}, frozen)
    assert frozen.ppf(0.9) == pytest.approx(p90)


@settings(derandomize=True, max_examples=15, deadline=None)
@given(positive)
def test_exponential(mean):
    check({"dist": "exponential", "mean": mean}, stats.expon(scale=mean))


@settings(derandomize=True, max_examples=15, deadline=None)
@given(st.floats(0, 100), st.floats(0.1, 100))
def test_uniform(low, width):
    check({"dist": "uniform", "low": low, "high": low + width}, stats.uniform(low, width))


@settings(derandomize=True, max_examples=15, deadline=None)
@given(st.floats(0, 100), st.floats(0.1, 100), st.floats(0, 1))
def test_triangular(low, width, c):
    mode = low + c * width
    check({"dist": "triangular", "low": low, "mode": mode, "high": low + width},
          stats.triang(c, loc=low, scale=width))


@settings(derandomize=True, max_examples=15, deadline=None)
@given(positive, st.floats(0.05, 3))
def test_gamma_from_mean_and_sd(mean, cv):
    sd = mean * cv
    shape = (mean / sd) ** 2
    check({"dist": "gamma", "mean": mean, "sd": sd}, stats.gamma(shape, scale=sd * sd / mean))


@settings(derandomize=True, max_examples=15, deadline=None)
@given(positive, st.floats(0.05, 3))
def test_normal_truncated_at_zero(mean, cv):
    sd = mean * cv
    frozen = stats.truncnorm(-mean / sd, np.inf, loc=mean, scale=sd)
    check({"dist": "normal", "mean": mean, "sd": sd}, frozen)


def test_fixed_and_bare_durations():
    dist = adapter.validate_python("15m")
    assert dist.mean == 15
    assert (dist.sample(np.random.default_rng(0), 5) == 15).all()


def test_empirical_resamples_the_observations():
    dist = adapter.validate_python({"dist": "empirical", "samples": ["10m", "20m", "1h"]})
    x = dist.sample(np.random.default_rng(1), N)
    assert set(np.unique(x)) == {10.0, 20.0, 60.0}
    assert dist.mean == pytest.approx(30.0)
    for value in (10.0, 20.0, 60.0):
        assert abs((x == value).mean() - 1 / 3) <= 5 * math.sqrt(2 / 9 / N)


@pytest.mark.parametrize(
    ("spec", "words"),
    [({"dist": "lognormal", "median": "10m", "p90": "5m"}, "median < p90"),
     ({"dist": "uniform", "low": 5, "high": 1}, "low <= high"),
     ({"dist": "triangular", "low": 1, "mode": 9, "high": 5}, "low <= mode <= high"),
     ({"dist": "exponential", "mean": 0}, "mean > 0"),
     ({"dist": "gamma", "mean": 5, "sd": 0}, "sd > 0"),
     ({"dist": "normal", "mean": 5, "sd": 0}, "sd > 0"),
     ({"dist": "empirical", "samples": []}, "at least 1"),
     ({"dist": "exponential", "mean": "-3m"}, "negative")],
)
def test_impossible_parameters_are_refused(spec, words):
    with pytest.raises(ValidationError, match=words):
        adapter.validate_python(spec)


# Inverse CDFs: the engine draws every distribution as ppf(uniform). Checked point by point
# against scipy.stats' own ppf, vectorised and scalar alike, over the whole of (0, 1) including
# the far tails a long sweep reaches.
PROBABILITIES = np.array([1e-12, 1e-6, 0.001, 0.05, 0.2, 0.37, 0.5, 0.63, 0.9, 0.999, 1 - 1e-9])

INVERSES = [
    ({"dist": "uniform", "low": 2, "high": 7}, stats.uniform(2, 5)),
    ({"dist": "triangular", "low": 1, "mode": 4, "high": 10}, stats.triang(1 / 3, loc=1, scale=9)),
    ({"dist": "triangular", "low": 1, "mode": 1, "high": 10}, stats.triang(0, loc=1, scale=9)),
    ({"dist": "triangular", "low": 1, "mode": 10, "high": 10}, stats.triang(1, loc=1, scale=9)),
    ({"dist": "exponential", "mean": 30}, stats.expon(scale=30)),
    ({"dist": "lognormal", "median": 10, "p90": 25},
     stats.lognorm(s=math.log(2.5) / stats.norm.ppf(0.9), scale=10)),
    ({"dist": "normal", "mean": 10, "sd": 4}, stats.truncnorm(-2.5, np.inf, loc=10, scale=4)),
    ({"dist": "normal", "mean": 2, "sd": 5}, stats.truncnorm(-0.4, np.inf, loc=2, scale=5)),
    ({"dist": "gamma", "mean": 12, "sd": 6}, stats.gamma(4, scale=3)),
    ({"dist": "gamma", "mean": 5, "sd": 10}, stats.gamma(0.25, scale=20)),
]


@pytest.mark.parametrize(("spec", "frozen"), INVERSES, ids=lambda x: str(x) if isinstance(x, dict) else "")
def test_every_distribution_is_its_inverse_cdf(spec, frozen):
    dist = adapter.validate_python(spec)
    expected = frozen.ppf(PROBABILITIES)
    assert np.allclose(dist.ppf(PROBABILITIES), expected, rtol=1e-9, atol=1e-9)
    one = dist.scalar_ppf()
    assert np.allclose([one(float(u)) for u in PROBABILITIES], expected, rtol=1e-9, atol=1e-9)
    assert (dist.ppf(PROBABILITIES) >= 0).all()


def test_empirical_inverse_cdf_is_the_sorted_observations():
    dist = adapter.validate_python({"dist": "empirical", "samples": ["1h", "10m", "20m", "10m"]})
    u = np.array([0.01, 0.24, 0.26, 0.49, 0.51, 0.74, 0.76, 0.99])
    expected = np.quantile([60.0, 10.0, 20.0, 10.0], u, method="inverted_cdf")
    assert (dist.ppf(u) == expected).all()
    one = dist.scalar_ppf()
    assert [one(float(x)) for x in u] == expected.tolist()


def test_fixed_inverse_cdf_is_its_value_and_sampling_is_the_inverse_of_uniforms():
    assert adapter.validate_python("15m").scalar_ppf()(0.3) == 15
    assert (adapter.validate_python("15m").ppf(np.array([0.1, 0.9])) == 15).all()
    dist = adapter.validate_python({"dist": "lognormal", "median": 10, "p90": 25})
    x = dist.sample(np.random.default_rng(5), 10)
    assert np.array_equal(x, dist.ppf(np.random.default_rng(5).random(10)))
