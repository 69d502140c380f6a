"""Notification through the command graph agrees with theory: chains add, parallel paths race."""

from __future__ import annotations

import numpy as np
from builders import build, records
from scipy import stats

from nukesim.metrics import compute_metrics
from nukesim.sim import simulate


def chain(means: list[float]) -> object:
    """plant → o1 → … → on: each organisation handles with an exponential time, channels instant."""
    names = ["plant", *[f"o{i}" for i in range(1, len(means) + 1)]]
    orgs = {}
    for i, name in enumerate(names):
        handlers = []
        if i < len(means):
            on = "class_change" if i == 0 else "notice"
            handlers = [{"on": on, "time": {"dist": "exponential", "mean": means[i]},
                         "send": [{"to": names[i + 1], "kind": "notice"}]}]
        orgs[name] = {"staff": 1, "handlers": handlers}
    links = [{"from": a, "to": b, "channel": "instant"} for a, b in zip(names, names[1:], strict=False)]
    return build(organisations=orgs, links=links)


def test_chain_notification_time_is_the_sum_of_handling_means():
    means = [3.0, 5.0, 7.0, 2.0]
    s = chain(means)
    last = f"notified:o{len(means)}"
    times = np.array([compute_metrics(simulate(s, seed=11, replication=r), s)[last] for r in range(2000)])
    se = times.std(ddof=1) / np.sqrt(len(times))
    assert abs(times.mean() - sum(means)) < 4 * se
    # and the variance of a sum of independent exponentials is the sum of their variances
    assert abs(times.var(ddof=1) / sum(m * m for m in means) - 1) < 0.15


def parallel(time_a, time_b, delay_a=0.0, delay_b=0.0) -> object:
    """plant → a → d and plant → b → d; d is notified by whichever path is first."""
    channels = {"line_a": {"delay": delay_a}, "line_b": {"delay": delay_b}, "instant": {"delay": 0}}
    orgs = {
        "plant": {"handlers": [{"on": "class_change", "time": 1,
                                "send": [{"to": "a", "kind": "notice"}, {"to": "b", "kind": "notice"}]}]},
        "a": {"handlers": [{"on": "notice", "time": time_a, "send": [{"to": "d", "kind": "notice"}]}]},
        "b": {"handlers": [{"on": "notice", "time": time_b, "send": [{"to": "d", "kind": "notice"}]}]},
        "d": {},
    }
    links = [{"from": "plant", "to": "a", "channel": "instant"},
             {"from": "plant", "to": "b", "channel": "instant"},
             {"from": "a", "to": "d", "channel": "line_a"},
             {"from": "b", "to": "d", "channel": "line_b"}]
    return build(channels=channels, organisations=orgs, links=links)


def test_parallel_paths_with_fixed_times_notify_at_the_faster_one():
    s = parallel(time_a=5, time_b=3, delay_a=2, delay_b=6)  # path a: 1+5+2 = 8, path b: 1+3+6 = 10
    m = compute_metrics(simulate(s, seed=1), s)
    assert m["notified:d"] == 8.0
    s = parallel(time_a=5, time_b=3, delay_a=2, delay_b=3.5)  # path b: 7.5 now wins
    m = compute_metrics(simulate(s, seed=1), s)
    assert m["notified:d"] == 7.5
    assert len(records(simulate(s, seed=1), "received", "d")) == 2  # the slower path still arrives


def test_parallel_paths_race_per_replication_and_in_distribution():
    s = parallel({"dist": "exponential", "mean": 5}, {"dist": "exponential", "mean": 8})
    first = []
    for r in range(1500):
        log = simulate(s, seed=5, replication=r)
        done = {rec[2]: rec[0] for rec in records(log, "finished") if rec[2] in ("a", "b")}
        notified = compute_metrics(log, s)["notified:d"]
        assert notified == min(done["a"], done["b"])  # exactly, in every replication
        first.append(notified - 1.0)
    # the minimum of independent exponentials is exponential with the sum of the rates
    rate = 1 / 5 + 1 / 8
    assert stats.kstest(first, "expon", args=(0, 1 / rate)).pvalue > 0.001
