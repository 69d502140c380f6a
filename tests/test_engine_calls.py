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


def test_every_resend_round_is_a_call_that_needs_a_free_person():
    # The plant (one person) phones the authority at 0 over a line that is down until 100; each
    # failure is noticed after 2 min and the call tried again 30 min later. Round 1 (due at 32)
    # finds the person free; round 2 (due at 64) waits for the 30-min task that started at 40,
    # until 70; at 100 the line is back and round 3 goes at once, delivered at 101.
    s = build(channels={"line": {"delay": 1, "detect": 2, "occupies": True}},
              organisations={"plant": {"staff": 1, "handlers": [
                  {"on": "class_change", "once": True, "send": [{"to": "authority", "kind": "notice"}]},
                  {"on": "class_change", "class_at_least": "emergency", "time": 30}]},
                  "authority": {}},
              links=[{"from": "plant", "to": "authority", "channel": "line", "resend": {"after": "30m"}}],
              accident={"site": "plant", "timeline": [{"at": 0, "class": "alert"},
                                                       {"at": 40, "class": "emergency"}]},
              outages=[{"target": "line", "start": 0, "end": 100}])
    log = simulate(s, seed=1)
    assert [(e.t, e.n, e.detail) for e in records(log, "resent")] == [
        (32.0, 1, "after"), (70.0, 2, "after"), (100.0, 3, "restored")]
    calls = [(e.t, e.type) for e in log if e.type in ("calling", "calls_done")]
    assert calls == [(0.0, "calling"), (2.0, "calls_done"), (32.0, "calling"), (34.0, "calls_done"),
                     (70.0, "calling"), (72.0, "calls_done"), (100.0, "calling"), (101.0, "calls_done")]
    m = compute_metrics(log, s)
    assert m["notified:authority"] == 101.0
    assert m["utilization:plant"] == (2 + 2 + 30 + 2 + 1) / log.end  # the calls and the task
    assert m["wait:plant"] == 6.0 / 5  # five pieces of work; round 2 waited 64 -> 70
    steps = critical_paths(log, s, ["notified:authority"])["notified:authority"]
    assert {(st.component, st.where): st.minutes for st in steps if st.minutes} == {
        ("transmission", "plant->authority"): 101.0}


def test_a_played_organisations_resend_rounds_are_calls_too():
    from nukesim.sim import World
    from nukesim.sim.responders import Action, Decision

    class Sender:
        def decide(self, world, message):
            return Decision((Action("send", "authority", "notice"),), 0)

    s = build(channels={"line": {"delay": 1, "detect": 2, "occupies": True}},
              organisations={"plant": {"staff": 1, "handlers": [
                  {"on": "class_change", "send": [{"to": "authority", "kind": "notice"}]}]}, "authority": {}},
              links=[{"from": "plant", "to": "authority", "channel": "line", "resend": {"after": "30m"}}],
              outages=[{"target": "line", "start": 0, "end": 50}])
    world = World(s, seed=1)
    world.play("plant", Sender())
    log = world.run()
    assert [(e.t, e.n) for e in records(log, "calling")] == [(32.0, 1), (50.0, 1)]  # the rounds
    assert compute_metrics(log, s)["notified:authority"] == 51.0
