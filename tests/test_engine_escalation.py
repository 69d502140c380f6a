"""Uncertain escalation: class changes at drawn times after the previous one, and a probability
that the accident escalates no further at a class."""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import build
from scipy import stats

from nukesim.scenario import Scenario, validate
from nukesim.sim import simulate

CLASSES = ["alert", "site", "general"]


def escalating(timeline: list[dict]) -> Scenario:
    orgs = {"plant": {"handlers": [{"on": "class_change", "time": {"dist": "exponential", "mean": 5}}]}}
    return build(classes=CLASSES, organisations=orgs, accident={"site": "plant", "timeline": timeline})


def declared(log) -> list[tuple[float, str]]:
    return [(e.t, e.cls) for e in log if e.type == "received" and e.sender == "accident"]


def test_after_counts_from_the_previous_declaration():
    s = escalating([{"at": "10m", "class": "alert"}, {"after": "30m", "class": "site"},
                    {"after": "1h", "class": "general"}])
    assert declared(simulate(s, seed=1)) == [(10.0, "alert"), (40.0, "site"), (100.0, "general")]


def test_drawn_times_follow_their_distribution_and_each_entry_has_its_own_stream():
    a = escalating([{"at": 0, "class": "alert"},
                    {"after": {"dist": "uniform", "low": 20, "high": 60}, "class": "site"},
                    {"after": {"dist": "exponential", "mean": 30}, "class": "general"}])
    b = escalating([{"at": 0, "class": "alert"},
                    {"after": {"dist": "uniform", "low": 20, "high": 60}, "class": "site"},
                    {"after": {"dist": "exponential", "mean": 90}, "class": "general"}])
    site, gaps = [], []
    for r in range(800):
        da, db = declared(simulate(a, seed=4, replication=r)), declared(simulate(b, seed=4, replication=r))
        assert da[1] == db[1]  # the last entry's distribution changed; the one before did not move
        site.append(da[1][0])
        gaps.append(da[2][0] - da[1][0])
    site, gaps = np.array(site), np.array(gaps)
    assert stats.kstest(site, stats.uniform(20, 40).cdf).pvalue > 1e-3
    assert abs(gaps.mean() - 30) < 4 * 30 / math.sqrt(len(gaps))


def test_the_accident_stops_escalating_with_the_stated_probability():
    p, n = 0.3, 1500
    s = escalating([{"at": 0, "class": "alert"}, {"at": "1h", "class": "site", "stop": p},
                    {"at": "2h", "class": "general"}])
    plain = escalating([{"at": 0, "class": "alert"}, {"at": "1h", "class": "site"},
                        {"at": "2h", "class": "general"}])
    stopped = 0
    for r in range(n):
        log = simulate(s, seed=9, replication=r)
        classes = [c for _, c in declared(log)]
        assert classes in (["alert", "site"], ["alert", "site", "general"])
        stopped += classes == ["alert", "site"]
        # the stop draw has its own stream: the plant's handling of the first two classes is unchanged
        tasks = [e.t for e in log if e.type == "finished" and e.cls != "general"]
        assert tasks == [e.t for e in simulate(plain, seed=9, replication=r)
                         if e.type == "finished" and e.cls != "general"]
    ci = stats.binomtest(stopped, n).proportion_ci(confidence_level=0.9999)
    assert ci.low < p < ci.high


@pytest.mark.parametrize("timeline, message", [
    ([{"class": "alert"}], "either 'at'"),
    ([{"at": 0, "after": "5m", "class": "alert"}], "either 'at'"),
    ([{"after": "5m", "class": "alert"}, {"at": "1h", "class": "site"}], "give the later entries 'after'"),
])
def test_a_timeline_entry_needs_one_time(timeline, message):
    data = {"name": "x", "start": "2026-03-16T10:00:00+00:00", "horizon": "1d",
            "accident": {"site": "plant", "timeline": timeline}}
    _, problems = validate(Scenario, data)
    assert any(message in p.message for p in problems), problems


def test_the_graph_takes_each_drawn_declaration_at_its_mean():
    from nukesim.graph import analyse

    orgs = {"plant": {"handlers": [{"on": "class_change", "class_at_least": "general", "time": 5,
                                    "send": [{"to": "office", "kind": "mobilise"}]}]},
            "office": {"handlers": [{"on": "mobilise", "time": 2}]}}
    links = [{"from": "plant", "to": "office", "channel": "instant"}]
    s = build(classes=CLASSES, organisations=orgs, links=links,
              accident={"site": "plant", "timeline": [
                  {"at": "10m", "class": "alert"},
                  {"after": {"dist": "exponential", "mean": 30}, "class": "site", "stop": 0.5},
                  {"after": {"dist": "uniform", "low": 20, "high": 40}, "class": "general"}]},
              team={"organisation": "office", "units": {"u": {"size": 1}}, "members": {"all": {"share": 1.0}},
                    "deploy": {"order": False}})
    assert analyse(s).callout == 10 + 30 + 30 + 5 + 2
