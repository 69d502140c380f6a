"""Metrics and the timeline are functions of the event log: names, order, missing values, the end."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from builders import build, mobilising

from nukesim.events import EMPTY, Event, EventLog
from nukesim.metrics import compute_metrics
from nukesim.scenario import apply_overrides, load_scenario, metric_names
from nukesim.sim import simulate
from nukesim.timeline import format_timeline

MINIMAL = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.yaml"


@pytest.fixture(scope="module")
def minimal():
    return load_scenario(MINIMAL)[0]


def test_every_metric_name_in_order(minimal):
    m = compute_metrics(simulate(minimal, seed=1), minimal)
    assert list(m) == metric_names(minimal)
    assert all(isinstance(v, float) for v in m.values())


def test_metrics_are_missing_when_the_horizon_is_too_short(minimal):
    short = apply_overrides(minimal, ["horizon=20m"])
    log = simulate(short, seed=1)
    m = compute_metrics(log, short)
    assert log.end == 20.0 and log.records[-1][-1] == "horizon"
    assert m["notified:plant"] == 0.0
    for name in ("callout_started", "unit_ready:responders", "team_mobilized", "team_departed",
                 "team_on_site", "notified:team_office", "wait:team_office"):
        assert math.isnan(m[name]), name
    assert m["utilization:team_office"] == 0.0  # on duty, idle


def test_run_ends_once_the_team_is_on_site_and_nothing_is_under_way(minimal):
    for r in range(20):
        log = simulate(minimal, seed=2, replication=r)
        m = compute_metrics(log, minimal)
        if not math.isnan(m["team_on_site"]):
            assert log.end == m["team_on_site"] and log.records[-1][-1] == "done"
        else:
            assert log.end == minimal.horizon


def test_run_waits_for_later_class_changes_before_ending():
    s = mobilising({"units": {"u": {"size": 1}}},
                   accident={"site": "plant", "timeline": [{"at": 0, "class": "alert"},
                                                           {"at": 300, "class": "emergency"}]})
    log = simulate(s, seed=1)
    assert compute_metrics(log, s)["team_on_site"] == 0.0
    assert log.end == 300.0


def test_utilization_is_busy_time_over_staff_time():
    plant = {"staff": 2, "handlers": [{"on": "class_change", "time": 30}]}
    timeline = [{"at": 0, "class": "alert"}, {"at": 90, "class": "alert"}]
    s = build(horizon="100m", organisations={"plant": plant},
              accident={"site": "plant", "timeline": timeline})
    m = compute_metrics(simulate(s, seed=1), s)
    assert m["utilization:plant"] == pytest.approx((30 + 10) / 200)  # the second task is cut at 100
    assert m["wait:plant"] == 0.0


def test_tasks_still_waiting_at_the_end_count_with_their_wait_so_far():
    # one clerk, three 60-minute tasks at t = 0, horizon 100: waits 0, 60 and 100 (still waiting)
    plant = {"staff": 1, "handlers": [{"on": "class_change", "time": 60}]}
    timeline = [{"at": 0, "class": "alert"}] * 3
    s = build(horizon="100m", organisations={"plant": plant},
              accident={"site": "plant", "timeline": timeline})
    m = compute_metrics(simulate(s, seed=1), s)
    assert m["wait:plant"] == pytest.approx((0 + 60 + 100) / 3)


def test_metrics_read_only_the_log():
    s = build(organisations={"plant": {"staff": 1, "handlers": [{"on": "class_change", "time": 5}]}})
    task = dict(org="plant", kind="class_change", cls="alert", message=1, task=1, handler=0)
    records = [
        EMPTY._replace(t=0.0, type="staff", org="plant", n=1),
        EMPTY._replace(t=0.0, type="received", org="plant", kind="class_change", cls="alert", message=1,
                       sender="accident", receiver="plant"),
        EMPTY._replace(t=0.0, type="queued", **task),
        EMPTY._replace(t=2.0, type="started", **task),
        EMPTY._replace(t=7.0, type="finished", **task),
        EMPTY._replace(t=10.0, type="ended", detail="horizon"),
    ]
    m = compute_metrics(EventLog(records, "hand-made", 0, 0), s)
    assert m["notified:plant"] == 0.0 and m["wait:plant"] == 2.0 and m["utilization:plant"] == 0.5


def test_event_log_iterates_named_events(minimal):
    log = simulate(minimal, seed=1)
    first = next(iter(log))
    assert isinstance(first, Event) and first.t == 0.0 and first.type == "staff"
    assert len(log) == len(list(log))
    assert "records" in repr(log)


def test_timeline_tells_who_knew_what_when(minimal):
    tree = apply_overrides(minimal, ["team.callout.method=tree", "channels.phone.fails=0.6"])

    def text(s, seed):
        rows = format_timeline(simulate(s, seed=seed), s)
        assert all(len(row) == 4 and all(isinstance(x, str) for x in row) for row in rows)
        assert "end of run" in rows[-1][2]
        return "\n".join(" | ".join(row) for row in rows)

    # the first seed whose run shows a failed call, an unreachable member and a call-out
    seed = next(k for k in range(1, 60)
                if all(w in text(tree, k) for w in ("failed on phone", "unreachable", "starts the call-out")))
    for s in (minimal, tree):
        shown = text(s, seed)
        assert "0.0m Mon 10:00 | plant | accident at class alert" in shown
        assert "receives notification (alert) | from plant via" in shown
        assert "members paged" in shown or "members called" in shown
        assert "background" not in shown


SCENARIOS = sorted((MINIMAL.parent).glob("*.yaml"))


@pytest.mark.parametrize("file", SCENARIOS, ids=lambda p: p.name)
def test_metrics_from_the_core_records_equal_metrics_from_the_whole_log(file):
    """``compute_metrics`` reads ``log.core``; member and vehicle records must not matter to it."""
    s = load_scenario(file)[0]
    for r in range(15):
        log = simulate(s, seed=21, replication=r)
        from_core = compute_metrics(log, s)
        whole = EventLog(list(log.records), log.scenario, log.seed, log.replication)  # core = every record
        if any(r[1] == "callout" for r in log.core):  # (an accident may stop before the call-out)
            assert len(whole.core) > len(log.core)  # the member records are there this time
        from_whole = compute_metrics(whole, s)
        assert list(from_core) == list(from_whole)
        for name, value in from_core.items():
            assert value == from_whole[name] or (math.isnan(value) and math.isnan(from_whole[name])), name


def test_an_event_log_pickles_with_all_its_records(minimal):
    import pickle

    log = simulate(minimal, seed=4, replication=2)  # member records not built yet
    copy = pickle.loads(pickle.dumps(log))
    assert copy.records == simulate(minimal, seed=4, replication=2).records
    assert any(r[1] == "assembled" for r in copy.records)
    assert (copy.scenario, copy.seed, copy.replication) == (log.scenario, 4, 2)
    assert repr(compute_metrics(copy, minimal)) == repr(compute_metrics(log, minimal))  # nan-safe
