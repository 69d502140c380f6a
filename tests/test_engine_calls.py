"""Calls that keep the caller busy: a transmission over a link that ``occupies`` the sender holds
one of its staff until delivered or given up, and the calls of a task go one after another."""

from __future__ import annotations

import math

import pytest
from builders import build, records

from nukesim.attribution import critical_paths
from nukesim.metrics import compute_metrics
from nukesim.sim import simulate


def communicator(channels: dict, links_extra: dict | None = None, timeline: list | None = None):
    """One communicator (staff 1) handles each class change in 4 min, then calls a, b and c."""
    orgs = {"plant": {"staff": 1, "handlers": [{"on": "class_change", "time": 4, "send": [
        {"to": "a", "kind": "notice"}, {"to": "b", "kind": "notice"}, {"to": "c", "kind": "notice"}]}]},
        "a": {}, "b": {}, "c": {}}
    extra = links_extra or {}
    links = [{"from": "plant", "to": to, "channel": "phone", **extra.get(to, {})} for to in "abc"]
    return build(channels=channels, organisations=orgs, links=links,
                 accident={"site": "plant", "timeline": timeline or [{"at": 0, "class": "alert"}]},
                 class_milestones=["a", "b", "c"])


def notified(s, seed: int = 1) -> list[float]:
    m = compute_metrics(simulate(s, seed=seed), s)
    return [m[f"notified:{x}"] for x in "abc"]


def test_calls_go_one_after_another_and_keep_the_caller_busy():
    s = communicator({"phone": {"delay": 2, "occupies": True}})
    assert notified(s) == [6.0, 8.0, 10.0]
    m = compute_metrics(simulate(s, seed=1), s)
    log = simulate(s, seed=1)
    assert [(e.t, e.n) for e in records(log, "calling")] == [(4.0, 3)]
    assert [e.t for e in records(log, "calls_done")] == [10.0]
    assert m["utilization:plant"] == pytest.approx(10.0 / log.end)  # handling and calls


def test_without_occupies_every_send_leaves_at_once():
    s = communicator({"phone": {"delay": 2}})
    assert notified(s) == [6.0, 6.0, 6.0]
    assert not records(simulate(s, seed=1), "calling")


def test_a_link_can_say_otherwise_than_its_channel():
    s = communicator({"phone": {"delay": 2, "occupies": True}}, {"b": {"occupies": False}})
    # a is called (2 min); b goes at once when its turn comes, at 6; then c is called from 6 to 8
    assert notified(s) == [6.0, 8.0, 8.0]


def test_a_call_that_fails_keeps_the_caller_until_given_up():
    s = communicator({"phone": {"delay": 2, "occupies": True}, "dead": {"fails": 1.0, "detect": 3,
                                                                       "occupies": True}},
                     {"a": {"channel": "dead", "fallbacks": []}})
    a, b, c = notified(s)
    assert math.isnan(a) and (b, c) == (9.0, 11.0)  # a: no answer noticed after 3 min, at 7


def test_work_waits_for_the_caller():
    s = communicator({"phone": {"delay": 2, "occupies": True}},
                     timeline=[{"at": 0, "class": "alert"}, {"at": 1, "class": "emergency"}])
    log = simulate(s, seed=1)
    started = [e.t for e in records(log, "started", "plant")]
    assert started == [0.0, 10.0]  # the second declaration waits for the first one's calls


def test_the_wait_for_earlier_calls_is_attributed_to_sending():
    s = communicator({"phone": {"delay": 2, "occupies": True}})
    log = simulate(s, seed=1)
    m = compute_metrics(log, s)
    for name, steps in critical_paths(log, s, ["notified:c", "notified:c@alert"]).items():
        assert math.fsum(st.minutes for st in steps) == m[name]
        parts = {(st.component, st.where): st.minutes for st in steps if st.minutes}
        assert parts == {("handling", "plant"): 4.0, ("sending", "plant"): 4.0,
                         ("transmission", "plant->c"): 2.0}


def test_the_graph_counts_the_earlier_calls():
    from nukesim.graph import analyse

    s = communicator({"phone": {"delay": 2, "occupies": True}}, {"b": {"occupies": False}})
    assert analyse(s).notified == {"plant": 0.0, "a": 6.0, "b": 8.0, "c": 8.0}
