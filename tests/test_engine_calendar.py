"""Nights, weekends and shift changes: an alert meets the staffing and turnout of its hour."""

from __future__ import annotations

import numpy as np
import pytest
from builders import build, mobilising, records
from scipy import stats

from nukesim.metrics import compute_metrics
from nukesim.sim import simulate

MONDAY_DAY = "2026-03-16T10:00:00+08:00"
MONDAY_NIGHT = "2026-03-16T02:00:00+08:00"
SATURDAY_DAY = "2026-03-21T10:00:00+08:00"


def turnout(start: str, n: int = 50) -> object:
    member = {"share": 1.0, "reachable": {"day": 0.9, "night": 0.5, "weekend": 0.7},
              "acknowledge": 1, "travel": 3, "slowdown": {"day": 1, "night": 2, "weekend": 1.5}}
    return mobilising({"units": {"u": {"size": n, "ready_at": 0.1}}, "members": {"all": member}},
                      start=start)


def unreachable_share(s, replications: int = 60) -> tuple[int, int, set[float]]:
    unreachable = paged = 0
    assembled_after = set()
    for r in range(replications):
        log = simulate(s, seed=9, replication=r)
        unreachable += len(records(log, "unreachable"))
        paged += len(records(log, "paged"))
        assembled_after |= {rec[0] for rec in records(log, "assembled")}
    return unreachable, paged, assembled_after


def test_night_alert_meets_night_reachability_and_slowdown():
    for start, p_reach, slow in [(MONDAY_NIGHT, 0.5, 2), (MONDAY_DAY, 0.9, 1), (SATURDAY_DAY, 0.7, 1.5)]:
        unreachable, paged, assembled = unreachable_share(turnout(start))
        ci = stats.binomtest(unreachable, paged).proportion_ci(confidence_level=0.9999)
        assert ci.low < 1 - p_reach < ci.high, (start, unreachable / paged)
        assert assembled == {(1 + 3) * slow}, start  # the call-out starts at t = 0


def test_night_staff_make_simultaneous_messages_queue():
    # three handlers fire on the same class change, each needs 10 minutes of one person
    handlers = [{"on": "class_change", "time": 10} for _ in range(3)]
    orgs = {"plant": {"staff": {"day": 3, "night": 1}, "handlers": handlers}}
    s_day = build(start=MONDAY_DAY, organisations=orgs)
    s_night = build(start=MONDAY_NIGHT, organisations=orgs)
    day = compute_metrics(simulate(s_day, seed=1), s_day)
    night = compute_metrics(simulate(s_night, seed=1), s_night)
    assert day["wait:plant"] == 0.0
    assert night["wait:plant"] == 10.0  # waits of 0, 10 and 20 minutes


def test_staff_levels_follow_the_calendar_and_are_logged():
    # Monday 17:00 → day until 18:00, then night (1), then day (3) again at 08:00
    s = build(start="2026-03-16T17:00:00+08:00", horizon="16h",
              organisations={"plant": {"staff": {"day": 3, "night": 1}}})
    log = simulate(s, seed=1)
    assert [(r.t, r.n) for r in records(log, "staff")] == [(0.0, 3), (60.0, 1), (900.0, 3)]
    # nobody works: utilization 0 over 16 h of 3·(60 + 60) + 1·840 staff-minutes
    assert compute_metrics(log, s)["utilization:plant"] == 0.0


def test_a_shrinking_shift_waits_for_work_in_progress():
    # day 3 → night 1 at 18:00 while three 30-minute tasks started at 17:50 are running
    s = build(start="2026-03-16T17:50:00+08:00", horizon="2h",
              organisations={"plant": {"staff": {"day": 3, "night": 1},
                                       "handlers": [{"on": "class_change", "time": 30}] * 3}})
    log = simulate(s, seed=1)
    assert [r[0] for r in records(log, "started")] == [0.0, 0.0, 0.0]
    assert [(r.t, r.n) for r in records(log, "staff")] == [(0.0, 3), (30.0, 1)]
    assert compute_metrics(log, s)["utilization:plant"] == 90.0 / (3 * 30 + 1 * 90)


def test_handover_keeps_staff_from_new_work():
    # shift change at 08:00 with a 20-minute handover; an alert at 07:55 waits until 08:20
    s = build(start="2026-03-16T07:55:00+08:00", horizon="2h",
              calendar={"shift_changes": ["08:00"], "handover": "20m"},
              organisations={"plant": {"staff": 2, "handlers": [{"on": "class_change", "time": 10}]}},
              accident={"site": "plant", "timeline": [{"at": 0, "class": "alert"},
                                                      {"at": 6, "class": "alert"}]})
    log = simulate(s, seed=1)
    starts = [r[0] for r in records(log, "started")]
    assert starts == [0.0, 25.0]
    # the handover blocks both slots; the slot busy until 10 joins it when its task ends
    assert [(r.t, r.n) for r in records(log, "staff")] == [(0.0, 2), (5.0, 1), (10.0, 0), (25.0, 2)]


def test_member_turnout_matches_night_slowdown_in_distribution():
    member = {"share": 1.0, "travel": {"dist": "exponential", "mean": 10}, "slowdown": {"day": 1, "night": 3}}
    s = mobilising({"units": {"u": {"size": 1}}, "members": {"all": member}}, start=MONDAY_NIGHT)
    t = np.array([compute_metrics(simulate(s, seed=2, replication=r), s)["unit_ready:u"]
                  for r in range(800)])
    assert not np.isnan(t).any()
    assert stats.kstest(t, "expon", args=(0, 30)).pvalue > 0.001


# --- handling times by period (organisations.<org>.slowdown) ---------------------------------------


def test_slowdown_multiplies_handling_by_the_factor_of_the_period_the_task_starts_in():
    # Monday 17:50: day until 18:00 (t = 10). A task started at 0 keeps its day time though it runs
    # into the night; the one queued behind it starts at 20, at night, and takes twice as long.
    s = build(start="2026-03-16T17:50:00+08:00", horizon="3h",
              organisations={"plant": {"staff": 1, "slowdown": {"night": 2},
                                       "handlers": [{"on": "class_change", "time": 20}]}},
              accident={"site": "plant", "timeline": [{"at": 0, "class": "alert"},
                                                      {"at": 15, "class": "alert"}]})
    log = simulate(s, seed=1)
    assert [r[0] for r in records(log, "started")] == [0.0, 20.0]
    assert [r[0] for r in records(log, "finished")] == [20.0, 60.0]


def test_slowdown_by_period_day_night_and_weekend_defaults():
    org = {"staff": 1, "slowdown": {"night": 1.5}, "handlers": [{"on": "class_change", "time": 10}]}
    for start, took in [(MONDAY_DAY, 10.0), (MONDAY_NIGHT, 15.0), (SATURDAY_DAY, 15.0)]:  # weekend = night
        s = build(start=start, organisations={"plant": org})
        log = simulate(s, seed=1)
        assert records(log, "finished")[0][0] - records(log, "started")[0][0] == took, start


def test_slowdown_leaves_background_work_alone():
    org = {"staff": 1, "slowdown": {"day": 3, "night": 3},
           "background": {"interarrival": 100, "duration": 10}}
    log = simulate(build(start=MONDAY_NIGHT, horizon="5h", organisations={"plant": org}), seed=1)
    assert [r[0] for r in records(log, "finished")] == [110.0, 210.0]


def test_night_handling_times_are_the_drawn_times_scaled_in_distribution():
    # exponential handling, mean 10, at night × 1.7: an exponential of mean 17 (KS test)
    org = {"staff": 1, "slowdown": {"night": 1.7},
           "handlers": [{"on": "class_change", "time": {"dist": "exponential", "mean": 10}}]}
    s = build(start=MONDAY_NIGHT, organisations={"plant": org})
    took = []
    for r in range(600):
        log = simulate(s, seed=3, replication=r)
        took.append(records(log, "finished")[0][0] - records(log, "started")[0][0])
    assert stats.kstest(took, "expon", args=(0, 17)).pvalue > 0.001
    day = build(start=MONDAY_DAY, organisations={"plant": org})  # the same draws by day: factor 1
    for r in range(20):
        log_day, log_night = simulate(day, seed=3, replication=r), simulate(s, seed=3, replication=r)
        t_day = records(log_day, "finished")[0][0]
        assert records(log_night, "finished")[0][0] == pytest.approx(1.7 * t_day)


# --- shift changes go first at their instant (docs/engine.md, "Duty staff") --------------------------
# Each organisation's next staff change is scheduled when the previous one happens, so the 20:00
# handover below is scheduled at 18:00 — after the class change (scheduled at the start) or the
# task end (scheduled at 17:50) that falls at the same instant. It must still go first.

EVENING = "2026-03-16T17:50:00+08:00"  # day (2 on duty) until 18:00, then night (1)
HANDOVER = {"shift_changes": ["20:00"], "handover": "20m"}  # 20:00-20:20, t = 130 … 150


def test_work_arriving_at_a_handover_instant_waits_for_the_handover():
    s = build(start=EVENING, horizon="4h", calendar=HANDOVER,
              organisations={"plant": {"staff": {"day": 2, "night": 1},
                                       "handlers": [{"on": "class_change", "time": 5}]}},
              accident={"site": "plant", "timeline": [{"at": 0, "class": "alert"},
                                                      {"at": 130, "class": "alert"}]})
    log = simulate(s, seed=1)
    assert [r[0] for r in records(log, "started")] == [0.0, 150.0]
    assert [(r.t, r.n) for r in records(log, "staff")] == [(0.0, 2), (10.0, 1), (130.0, 0), (150.0, 1)]


def test_a_task_ending_at_a_handover_instant_gives_its_slot_to_the_handover():
    # a task runs 17:50-20:00; the emergency at 18:05 sets two more going (both handlers match),
    # which wait for the one person on duty; at 20:00 the handover takes that person before the
    # waiting work can: it starts at 20:20
    s = build(start=EVENING, horizon="4h", calendar=HANDOVER,
              organisations={"plant": {"staff": {"day": 2, "night": 1}, "handlers": [
                  {"on": "class_change", "class_at_least": "emergency", "time": 5},
                  {"on": "class_change", "class_at_least": "alert", "time": 130}]}},
              accident={"site": "plant", "timeline": [{"at": 0, "class": "alert"},
                                                      {"at": 15, "class": "emergency"}]})
    log = simulate(s, seed=1)
    assert [(r.t, r.message, r.handler) for r in records(log, "started")] == [(0.0, 1, 1), (150.0, 2, 0),
                                                                               (155.0, 2, 1)]
    assert records(log, "finished")[0][0] == 130.0
