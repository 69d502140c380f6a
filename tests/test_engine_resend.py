"""A link's ``resend`` tries the channel list again; messages held in an outage go when it ends;
a link's own ``delay`` adds to the channel's."""

from __future__ import annotations

import math

import numpy as np
from builders import build, records

from nukesim.metrics import compute_metrics
from nukesim.sim import simulate


def notice(channels: dict, link_extra: dict | None = None, outages: list | None = None) -> object:
    """plant sends one notice to authority over ``line``."""
    orgs = {"plant": {"handlers": [{"on": "class_change", "send": [{"to": "authority", "kind": "notice"}]}]},
            "authority": {}}
    links = [{"from": "plant", "to": "authority", "channel": "line", **(link_extra or {})}]
    return build(channels=channels, organisations=orgs, links=links, outages=outages or [])


def test_without_resend_a_message_failing_in_an_outage_is_lost_for_good():
    s = notice({"line": {"delay": 1, "detect": 2}}, outages=[{"target": "line", "start": 0, "end": 120}])
    log = simulate(s, seed=1)
    assert [e.type for e in log if e.type in ("failed", "lost")] == ["failed", "lost"]
    assert math.isnan(compute_metrics(log, s)["notified:authority"])


def test_a_message_held_by_an_outage_goes_out_when_the_channel_comes_back():
    # fails at 0, noticed at 2; rounds at 2 + 30 = 32, 34 + 30 = 64, 96, next due at 128 — but the line
    # is back at 100: the held message goes at once, and arrives one minute later
    s = notice({"line": {"delay": 1, "detect": 2}}, {"resend": {"after": "30m"}},
               outages=[{"target": "line", "start": 0, "end": 100}])
    log = simulate(s, seed=1)
    resent = [(e.t, e.n, e.detail) for e in records(log, "resent")]
    assert resent == [(32.0, 1, "after"), (64.0, 2, "after"), (96.0, 3, "after"), (100.0, 4, "restored")]
    assert compute_metrics(log, s)["notified:authority"] == 101.0
    assert not records(log, "lost")


def test_resend_gives_up_after_its_rounds():
    s = notice({"line": {"delay": 1, "fails": 1.0, "detect": 2, "retries": 1}},
               {"resend": {"after": "10m", "attempts": 2}})
    log = simulate(s, seed=1)
    # each round: two attempts of 2 min; then 10 min until the next round
    assert [e.t for e in records(log, "resent")] == [14.0, 28.0]
    assert [e.t for e in records(log, "lost")] == [32.0]
    assert math.isnan(compute_metrics(log, s)["notified:authority"])


def test_resend_rounds_are_geometric():
    # every round fails with probability p; round k (from 0) delivers at k·(detect + after) + delay
    p, detect, after, delay = 0.6, 2.0, 10.0, 1.0
    s = notice({"line": {"delay": delay, "fails": p, "detect": detect}}, {"resend": {"after": after}})
    rounds = []
    for r in range(2000):
        t = compute_metrics(simulate(s, seed=3, replication=r), s)["notified:authority"]
        k = (t - delay) / (detect + after)
        assert k == round(k)  # exactly on a round's time
        rounds.append(k)
    rounds = np.array(rounds)
    expected = p / (1 - p)  # failures before the first success
    assert abs(rounds.mean() - expected) < 4 * rounds.std(ddof=1) / math.sqrt(len(rounds))


def test_a_links_delay_adds_to_the_channels_and_moves_no_other_draw():
    channels = {"line": {"delay": {"dist": "uniform", "low": 1, "high": 3}}}
    plain = notice(channels)
    slow = notice(channels, {"delay": {"dist": "uniform", "low": 10, "high": 20}})
    for r in range(50):
        a = compute_metrics(simulate(plain, seed=5, replication=r), plain)["notified:authority"]
        b = compute_metrics(simulate(slow, seed=5, replication=r), slow)["notified:authority"]
        assert 1 <= a <= 3 and 10 <= b - a <= 20
    fixed = notice(channels, {"delay": "7m"})
    for r in range(5):
        a = compute_metrics(simulate(plain, seed=5, replication=r), plain)["notified:authority"]
        assert compute_metrics(simulate(fixed, seed=5, replication=r), fixed)["notified:authority"] == a + 7


def test_the_graph_adds_a_links_delay_to_its_channels():
    from nukesim.graph import analyse

    s = notice({"line": {"delay": {"dist": "uniform", "low": 1, "high": 3}}}, {"delay": "7m"})
    assert analyse(s).notified["authority"] == 2 + 7


def test_resend_without_a_limit_is_bounded_by_the_horizon():
    from nukesim.scenario import Scenario, check_references, validate

    data = notice({"line": {"fails": 1.0}}, {"resend": {"after": "10m"}}).model_dump(by_alias=True)
    data["links"][0]["resend"]["after"] = "0.0001m"
    s, problems = validate(Scenario, data)
    assert s is not None, problems
    assert [p.path for p in check_references(s)] == [("links", 0, "resend", "after")]
