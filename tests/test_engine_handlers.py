"""Handlers react to what arrives: by kind and class, after several senders, after an approval."""

from __future__ import annotations

import math

from builders import build, records

from nukesim.metrics import compute_metrics
from nukesim.sim import simulate

CLASSES = ["alert", "site", "general"]


def line(a: str, b: str) -> dict:
    return {"from": a, "to": b, "channel": "instant"}


def at(*times_and_classes) -> list[dict]:
    return [{"at": t, "class": c} for t, c in times_and_classes]


def star(hq_handlers: list[dict], delays: dict[str, float], timeline=None) -> object:
    """plant tells a, b and c at once; each relays a ``report`` to hq after its own delay."""
    notices = [{"to": o, "kind": "notice"} for o in delays]
    orgs = {"plant": {"handlers": [{"on": "class_change", "send": notices}]},
            "hq": {"staff": 5, "handlers": hq_handlers}}
    links = []
    for org, delay in delays.items():
        orgs[org] = {"handlers": [{"on": "notice", "time": delay, "send": [{"to": "hq", "kind": "report"}]}]}
        links += [line("plant", org), line(org, "hq")]
    return build(organisations=orgs, links=links, classes=CLASSES,
                 accident={"site": "plant", "timeline": timeline or [{"at": 0, "class": "alert"}]})


def test_wait_for_fires_once_when_the_kth_distinct_sender_arrives():
    s = star([{"on": "report", "wait_for": {"count": 2, "from": ["a", "b", "c"]}}], {"a": 5, "b": 9, "c": 7},
             timeline=at((0, "alert"), (100, "site")))
    log = simulate(s, seed=1)
    assert len(records(log, "received", "hq")) == 6
    assert [r[0] for r in records(log, "started", "hq")] == [7.0]  # a at 5, c at 7: fires once, ever


def test_wait_for_ignores_unlisted_and_repeated_senders():
    s = star([{"on": "report", "wait_for": {"count": 2, "from": ["a", "b"]}}], {"a": 1, "c": 2, "b": 30},
             timeline=at((0, "alert"), (10, "alert")))
    log = simulate(s, seed=1)
    # a reports at 1 and 11, c is not listed: the handler fires when b first reports, at 30
    assert [r[0] for r in records(log, "started", "hq")] == [30.0]


def test_approval_holds_a_handler_until_the_approval_arrives():
    orgs = {
        "plant": {"handlers": [{"on": "class_change", "send": [{"to": "hq", "kind": "request"},
                                                                 {"to": "boss", "kind": "notice"}]}]},
        "boss": {"handlers": [{"on": "notice", "time": 20, "send": [{"to": "hq", "kind": "approval"}]}]},
        "hq": {"handlers": [{"on": "request", "time": 1, "approval": {"from": "boss"}}]},
    }
    links = [line("plant", "hq"), line("plant", "boss"), line("boss", "hq")]
    s = build(organisations=orgs, links=links)
    log = simulate(s, seed=1)
    assert records(log, "received", "hq")[0][0] == 0.0
    assert [(r[0], r[3]) for r in records(log, "queued", "hq")] == [(20.0, "request")]
    # once approved, later requests go straight through
    s2 = build(organisations=orgs, links=links,
               accident={"site": "plant", "timeline": at((0, "alert"), (50, "alert"))})
    assert [r[0] for r in records(simulate(s2, seed=1), "queued", "hq")] == [20.0, 50.0]


def test_class_at_least_filters_by_rank_and_the_class_travels_with_the_message():
    s = star([{"on": "report", "class_at_least": "site", "time": 1}], {"a": 2},
             timeline=at((0, "alert"), (10, "general"), (20, "site")))
    log = simulate(s, seed=1)
    assert [r[4] for r in records(log, "received", "hq")] == ["alert", "general", "site"]
    assert [(r[0], r[4]) for r in records(log, "started", "hq")] == [(12.0, "general"), (22.0, "site")]


def test_every_matching_handler_runs_as_its_own_task_and_sends_concurrently():
    orgs = {"plant": {"staff": 2, "handlers": [
        {"on": "class_change", "time": 3, "send": [{"to": "a", "kind": "x"}, {"to": "b", "kind": "x"}]},
        {"on": "class_change", "time": 8}]},
        "a": {}, "b": {}}
    links = [line("plant", o) for o in "ab"]
    m = compute_metrics(simulate(build(organisations=orgs, links=links), seed=1),
                        build(organisations=orgs, links=links))
    assert m["notified:a"] == m["notified:b"] == 3.0


def test_a_send_without_a_link_is_lost():
    orgs = {"plant": {"handlers": [{"on": "class_change", "send": [{"to": "hq", "kind": "x"}]}]}, "hq": {}}
    log = simulate(build(organisations=orgs), seed=1)
    assert [r[1] for r in log.records if r[3] == "x"] == ["sent", "lost"]
    assert math.isnan(compute_metrics(log, build(organisations=orgs))["notified:hq"])


def test_a_once_handler_fires_on_the_first_matching_message_only():
    timeline = at((0, "alert"), (100, "site"), (200, "general"))
    for once, starts in [(True, [5.0]), (False, [5.0, 105.0, 205.0])]:
        s = star([{"on": "report", "once": once, "time": 1}], {"a": 5}, timeline=timeline)
        log = simulate(s, seed=1)
        assert len(records(log, "received", "hq")) == 3
        assert [r[0] for r in records(log, "started", "hq")] == starts, once


def test_a_once_handler_with_class_at_least_waits_for_that_class_then_fires_once():
    s = star([{"on": "report", "once": True, "class_at_least": "site", "time": 1}], {"a": 5},
             timeline=at((0, "alert"), (100, "site"), (200, "general")))
    assert [(r[0], r[4]) for r in records(simulate(s, seed=1), "started", "hq")] == [(105.0, "site")]


def test_once_is_per_handler_other_handlers_of_the_kind_keep_firing():
    s = star([{"on": "report", "once": True, "time": 1}, {"on": "report", "time": 1}], {"a": 5},
             timeline=at((0, "alert"), (100, "site")))
    started = [(r.t, r.message, r.handler) for r in records(simulate(s, seed=1), "started", "hq")]
    assert started == [(5.0, 3, 0), (5.0, 3, 1), (105.0, 6, 1)]


def test_a_once_handler_held_for_approval_is_released_once():
    orgs = {
        "plant": {"handlers": [{"on": "class_change", "send": [{"to": "hq", "kind": "request"},
                                                                 {"to": "boss", "kind": "notice"}]}]},
        "boss": {"handlers": [{"on": "notice", "time": 20, "send": [{"to": "hq", "kind": "approval"}]}]},
        "hq": {"handlers": [{"on": "request", "time": 1, "once": True, "approval": {"from": "boss"}}]},
    }
    links = [line("plant", "hq"), line("plant", "boss"), line("boss", "hq")]
    # requests at 0 and 5 are held; the approval at 20 releases one task, the request at 50 none
    s = build(organisations=orgs, links=links,
              accident={"site": "plant", "timeline": at((0, "alert"), (5, "alert"), (50, "alert"))})
    queued = records(simulate(s, seed=1), "queued", "hq")
    assert [(r.t, r.message, r.handler) for r in queued] == [(20.0, 2, 0)]


def test_mobilise_once_spares_the_commission_a_second_convening():
    """The commission orders the team out on the first class and does not convene again."""
    def scenario(once: bool):
        orgs = {
            "plant": {"handlers": [{"on": "class_change", "send": [{"to": "commission", "kind": "report"}]}]},
            "commission": {"handlers": [{"on": "report", "once": once, "time": 30,
                                         "send": [{"to": "office", "kind": "mobilise"}]}]},
            "office": {"handlers": [{"on": "mobilise", "time": 2}]},
        }
        return build(organisations=orgs, links=[line("plant", "commission"), line("commission", "office")],
                     accident={"site": "plant", "timeline": at((0, "alert"), (10, "general"))},
                     classes=CLASSES,
                     authority={"mobilise": ["commission"], "deploy": ["commission"]},
                     team={"organisation": "office", "units": {"u": {"size": 1}},
                           "members": {"all": {"share": 1.0}}, "deploy": {"order": False}})
    with_once, without = scenario(True), scenario(False)
    m1 = compute_metrics(simulate(with_once, seed=1), with_once)
    m2 = compute_metrics(simulate(without, seed=1), without)
    assert m1["callout_started"] == m2["callout_started"] == 32.0
    assert m1["wait:commission"] == 0.0 and m2["wait:commission"] == 10.0  # the second report waited 20
    assert len(records(simulate(with_once, seed=1), "sent", "commission")) == 1
    assert len(records(simulate(without, seed=1), "sent", "commission")) == 2
