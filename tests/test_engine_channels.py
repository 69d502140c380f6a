"""Channels fail, retry and fall back as specified; outages reroute traffic and hold up work."""

from __future__ import annotations

import math

import numpy as np
from builders import build, records
from scipy import stats

from nukesim.metrics import compute_metrics
from nukesim.sim import World, simulate


def link(channels: dict, fallbacks: list[str] | None = None, outages: list | None = None, **extra) -> object:
    """plant sends one notice to authority over ``line`` (and its fallbacks)."""
    orgs = {"plant": {"handlers": [{"on": "class_change", "send": [{"to": "authority", "kind": "notice"}]}]},
            "authority": {}}
    links = [{"from": "plant", "to": "authority", "channel": "line", "fallbacks": fallbacks or []}]
    return build(channels=channels, organisations=orgs, links=links, outages=outages or [], **extra)


def test_failure_share_is_p_and_delay_grows_by_detect_per_failure():
    p, detect, delay = 0.3, 4.0, 1.5
    s = link({"line": {"delay": delay, "fails": p, "detect": detect, "retries": 60}})
    failed = attempts = 0
    delays = []
    for r in range(1500):
        log = simulate(s, seed=21, replication=r)
        n_failed = len(records(log, "failed"))
        failed += n_failed
        attempts += n_failed + 1
        notified = compute_metrics(log, s)["notified:authority"]
        assert notified == delay + detect * n_failed  # exactly, replication by replication
        delays.append(notified)
    ci = stats.binomtest(failed, attempts).proportion_ci(confidence_level=0.9999)
    assert ci.low < p < ci.high
    delays = np.array(delays)
    expected = delay + detect * p / (1 - p)  # failures before success: geometric, mean p/(1-p)
    assert abs(delays.mean() - expected) < 4 * delays.std(ddof=1) / math.sqrt(len(delays))


def test_retries_then_reroute_then_loss():
    s = link({"line": {"delay": 1, "fails": 1.0, "detect": 5, "retries": 2},
              "backup": {"delay": 10, "fails": 1.0, "detect": 3}}, fallbacks=["backup"])
    log = simulate(s, seed=1)
    trail = [(r.t, r.type, r.channel) for r in log if r.type in ("failed", "retried", "rerouted", "lost")]
    assert trail == [(5.0, "failed", "line"), (5.0, "retried", "line"),
                     (10.0, "failed", "line"), (10.0, "retried", "line"),
                     (15.0, "failed", "line"), (15.0, "rerouted", "backup"),
                     (18.0, "failed", "backup"), (18.0, "lost", "backup")]
    assert math.isnan(compute_metrics(log, s)["notified:authority"])


def test_fallback_delivers_after_the_primary_is_exhausted():
    s = link({"line": {"delay": 1, "fails": 1.0, "detect": 5, "retries": 1},
              "backup": {"delay": 10}}, fallbacks=["backup"])
    log = simulate(s, seed=1)
    assert compute_metrics(log, s)["notified:authority"] == 5 + 5 + 10
    received = records(log, "received", "authority")[0]
    assert (received.sender, received.channel) == ("plant", "backup")


def test_channel_outage_reroutes_traffic():
    channels = {"line": {"delay": 1, "detect": 2}, "backup": {"delay": 10}}
    s = link(channels, fallbacks=["backup"], outages=[{"target": "line", "start": 0, "end": 60}])
    log = simulate(s, seed=1)
    assert compute_metrics(log, s)["notified:authority"] == 12.0
    assert [r[1] for r in records(log, "outage")] == ["outage", "outage"]
    # the same through the API injects use
    world = World(link(channels, fallbacks=["backup"]), seed=1)
    world.make_unavailable("line", 0, 60)
    log = world.run()
    assert records(log, "rerouted")[0].channel == "backup"
    assert records(log, "received", "authority")[0][0] == 12.0


def test_channel_outage_without_fallback_delays_until_a_retry_gets_through():
    s = link({"line": {"delay": 1, "detect": 4, "retries": 10}})
    world = World(s, seed=1)
    world.make_unavailable("line", 0, 10)
    log = world.run()
    # attempts at 0, 4, 8 fail (unavailable); the one at 12 gets through
    assert [r[0] for r in records(log, "failed")] == [4.0, 8.0, 12.0]
    assert records(log, "received", "authority")[0][0] == 13.0


def test_organisation_outage_holds_its_work_but_not_its_messages():
    orgs = {"plant": {"handlers": [{"on": "class_change", "time": 5,
                                    "send": [{"to": "authority", "kind": "notice"}]}]},
            "authority": {"staff": 2, "handlers": [{"on": "notice", "time": 7}]}}
    links = [{"from": "plant", "to": "authority", "channel": "instant"}]
    s = build(organisations=orgs, links=links)
    world = World(s, seed=1)
    world.make_unavailable("authority", 2, 30)
    log = world.run()
    assert records(log, "received", "authority")[0][0] == 5.0  # the message arrives…
    assert records(log, "started", "authority")[0][0] == 30.0  # …and waits for the outage to end
    levels = [(r.t, r.n) for r in records(log, "staff", "authority")]
    assert levels == [(0.0, 2), (2.0, 0), (30.0, 2)]
    m = compute_metrics(log, s)
    assert m["wait:authority"] == 25.0
    assert m["utilization:authority"] == 7.0 / (2 * (1440 - 28))


def test_organisation_outage_lets_running_work_finish():
    s = build(organisations={"plant": {"handlers": [{"on": "class_change", "time": 10}]}},
              outages=[{"target": "plant", "start": 5, "end": 20}])
    log = simulate(s, seed=1)
    assert [r[0] for r in records(log, "finished")] == [10.0]
    assert [(r.t, r.n) for r in records(log, "staff")] == [(0.0, 1), (10.0, 0), (20.0, 1)]
