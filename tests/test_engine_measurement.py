"""Wait and utilisation over a stated window, a warm-up of routine work before t = 0, and an
organisation with routine work only needing no link."""

from __future__ import annotations

import math

import numpy as np
from builders import build, mobilising, records

from nukesim.graph import check_graph
from nukesim.metrics import compute_metrics
from nukesim.sim import simulate

BUSY_REGISTRY = {"staff": 1, "background": {"interarrival": {"dist": "exponential", "mean": 10},
                                          "duration": {"dist": "exponential", "mean": 8}}}


def with_office(transit: str, **parts):
    """A team ordered out at once; a routine-only registry office (no link) beside it."""
    s = mobilising({"units": {"u": {"size": 1}}, "transit": transit}, **parts)
    data = s.model_dump(by_alias=True)
    data["organisations"]["registry"] = BUSY_REGISTRY
    return build(**{k: data[k] for k in ("organisations", "links", "team", *parts)})


def test_a_routine_only_organisation_needs_no_link():
    assert check_graph(with_office("1h")) == []


def test_over_a_stated_window_a_quicker_team_leaves_utilisation_alone():
    fixed = {"measurement": {"until": "horizon"}}
    for r in range(20):
        slow, quick = with_office("10h", **fixed), with_office("1h", **fixed)
        a = compute_metrics(simulate(slow, seed=2, replication=r), slow)
        b = compute_metrics(simulate(quick, seed=2, replication=r), quick)
        for name in ("utilization:registry", "wait:registry"):
            assert a[name] == b[name]
    # to the end of the run (the default), the window is shorter when the team is quicker
    slow, quick = with_office("10h"), with_office("1h")
    a = [compute_metrics(simulate(slow, seed=2, replication=r), slow) for r in range(20)]
    b = [compute_metrics(simulate(quick, seed=2, replication=r), quick) for r in range(20)]
    assert [m["utilization:registry"] for m in a] != [m["utilization:registry"] for m in b]


def test_a_warm_up_starts_the_window_in_steady_state():
    # M/M/1 with rho = 0.8: the time-average busy fraction in steady state is rho. Measured over
    # [0, 2h], an office that starts empty at t = 0 is busy less; one warmed up for 50 h is not.
    def utilisation(warmup: str) -> np.ndarray:
        s = with_office("1h", measurement={"warmup": warmup, "until": "2h"})
        return np.array([compute_metrics(simulate(s, seed=5, replication=r), s)["utilization:registry"]
                         for r in range(300)])

    warm, cold = utilisation("50h"), utilisation("0m")
    se_warm = warm.std(ddof=1) / math.sqrt(len(warm))
    se_cold = cold.std(ddof=1) / math.sqrt(len(cold))
    assert abs(warm.mean() - 0.8) < 4 * se_warm
    assert cold.mean() < 0.8 - 4 * se_cold


def test_nothing_before_t0_counts_but_routine_work_runs():
    s = with_office("1h", measurement={"warmup": "5h"})
    log = simulate(s, seed=1)
    assert min(e.t for e in log) == -300.0
    m = compute_metrics(log, s)
    assert m["notified:registry"] != m["notified:registry"]  # no message: NaN
    assert 0 < m["utilization:registry"] <= 1
    assert m["callout_started"] == 0.0  # the accident still starts at t = 0


def shift_office(warmup: str, start: str = "2026-03-16T08:00:00+00:00", change: str = "06:00"):
    """An office (day 2, night 1) with a one-hour handover at 06:00, and routine work every 100
    minutes from the start of the run, 10 minutes each; the day starts at 08:00 (t = 0)."""
    s = with_office("1h", measurement={"warmup": warmup}, start=start)
    data = s.model_dump(by_alias=True)
    data["organisations"]["registry"] = {
        "staff": {"day": 2, "night": 1}, "shifts": {"changes": [change], "handover": "1h"},
        "background": {"interarrival": 100, "duration": 10}}
    return build(**{k: data[k] for k in ("organisations", "links", "team", "measurement", "start")})


def test_the_staff_calendar_runs_through_the_warm_up():
    # From 05:00 (t = -180, night: 1 on duty), the 06:00 handover (-120 to -60) leaves nobody; the
    # day shift (2) comes at 08:00 (t = 0). The first routine task, at -80, waits for the handover.
    s = shift_office("3h")
    log = simulate(s, seed=1)
    staff = [(e.t, e.n) for e in records(log, "staff", "registry") if e.t <= 0]
    assert staff == [(-180.0, 1), (-120.0, 0), (-60.0, 1), (0.0, 2)]
    first = [(e.type, e.t) for e in log if e.org == "registry" and e.type in ("queued", "started")][:2]
    assert first == [("queued", -80.0), ("started", -60.0)]


def test_a_handover_begun_before_the_start_still_holds_at_the_start():
    # t = 0 at 00:10: the handover begun at 23:30 the day before runs until 00:30 (t = 20)
    log = simulate(shift_office("0m", "2026-03-17T00:10:00+00:00", "23:30"), seed=1)
    assert [(e.t, e.n) for e in records(log, "staff", "registry")][:2] == [(0.0, 0), (20.0, 1)]
