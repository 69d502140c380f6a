"""Duty staff as a queue: Poisson background work on c people agrees with M/M/c theory."""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import build
from scipy import stats

from nukesim.metrics import compute_metrics
from nukesim.sim import simulate


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue Wq of an M/M/c queue (Erlang C formula)."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def office(lam: float, mu: float, c: int, horizon: str) -> object:
    background = {"interarrival": {"dist": "exponential", "mean": 1 / lam},
                  "duration": {"dist": "exponential", "mean": 1 / mu}}
    return build(horizon=horizon, organisations={"plant": {"staff": c, "background": background}})


def replication_means(s, replications: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    waits, utils = [], []
    for r in range(replications):
        m = compute_metrics(simulate(s, seed=seed, replication=r), s)
        waits.append(m["wait:plant"])
        utils.append(m["utilization:plant"])
    return np.array(waits), np.array(utils)


def assert_within(samples: np.ndarray, expected: float, k: float = 4.0) -> None:
    """The mean of independent replications is within k standard errors of theory (t quantile
    of the same tail probability as k normal standard deviations, for few replications)."""
    n = len(samples)
    half = stats.t.ppf(stats.norm.cdf(k), n - 1) * samples.std(ddof=1) / math.sqrt(n)
    assert abs(samples.mean() - expected) < half, (samples.mean(), expected, half)


@pytest.mark.parametrize("lam,mu,c", [(1.4, 1.0, 2), (0.5, 1 / 1.6, 1)])
def test_mmc_wait_and_utilization(lam, mu, c):
    s = office(lam, mu, c, horizon="3d")
    waits, utils = replication_means(s, replications=100)
    assert_within(waits, erlang_c_wait(lam, mu, c))
    assert_within(utils, lam / (c * mu))


@pytest.mark.slow
@pytest.mark.parametrize("lam,mu,c", [(2.7, 1.0, 3), (0.9, 1.0, 1), (4.0, 1.0, 8)])
def test_mmc_wait_and_utilization_long(lam, mu, c):
    s = office(lam, mu, c, horizon="20d")
    waits, utils = replication_means(s, replications=20)
    assert_within(waits, erlang_c_wait(lam, mu, c))
    assert_within(utils, lam / (c * mu))


def test_accident_work_goes_before_queued_background_work():
    """Priority 0 beats priority 1 in the queue, but never interrupts work already started."""
    s = build(organisations={"plant": {
        "staff": 1,
        "background": {"interarrival": 1, "duration": 10},
        "handlers": [{"on": "class_change", "time": 4}],
    }}, accident={"site": "plant", "timeline": [{"at": 5, "class": "alert"}]}, horizon="30m")
    log = simulate(s, seed=1)
    accident = [r for r in log.records if r[3] == "class_change" and r[1] in ("queued", "started")]
    # background task 1 runs 1..11 and others queue behind it; the class change at 5 goes next
    assert [(r[1], r[0]) for r in accident] == [("queued", 5.0), ("started", 11.0)]
    started = [r[0] for r in log.records if r[1] == "started" and r[3] == "background"]
    assert started[:3] == [1.0, 15.0, 25.0]
