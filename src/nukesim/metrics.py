"""Metrics: the numbers planners ask for, computed from an event log and nothing else.

``compute_metrics(log, scenario)`` reads one replication's log in a single pass and returns every
metric the scenario defines (``nukesim.scenario.metric_names``, from the metric registry
``nukesim.scenario.metricdefs``), in that order. A metric whose
event did not happen before the run ended is ``NaN`` — *missing*, to be counted as such by the
statistics, never dropped. See docs/engine.md for the exact definitions.
"""

from __future__ import annotations

import math
import weakref

from .events import (
    ACCIDENT,
    BASE_ON_SITE,
    CALLOUT_STARTED,
    CALLS_BEGIN,
    CALLS_END,
    CLS,
    ENDED,
    HANDLER,
    MEMBER_ASSEMBLED,
    MESSAGE_RECEIVED,
    ORG,
    SENDER,
    STAFF_CHANGED,
    TASK,
    TASK_FINISHED,
    TASK_QUEUED,
    TASK_STARTED,
    TEAM_DEPARTED,
    TEAM_ON_SITE,
    UNIT,
    UNIT_READY,
    VEHICLE_DEPARTED,
    VEHICLE_READY,
    EventLog,
    N,
)
from .scenario.metricdefs import metric_names
from .scenario.models import Scenario

NAN = float("nan")
ABOARD = HANDLER
"""Where a vehicle's ``vehicle_ready`` and ``vehicle_departed`` records hold the members aboard."""

_EMPTY: dict[int, dict[str, float]] = {}
"""Per scenario (by id, while it lives): every metric name with NaN, copied for each replication
(listing the names takes longer than the rest of a replication's set-up)."""


def _empty(scenario: Scenario) -> dict[str, float]:
    key = id(scenario)
    empty = _EMPTY.get(key)
    if empty is None:
        empty = _EMPTY[key] = dict.fromkeys(metric_names(scenario), NAN)
        weakref.finalize(scenario, _EMPTY.pop, key, None)
    return dict(empty)

_WANTED = frozenset({MESSAGE_RECEIVED, TASK_QUEUED, TASK_STARTED, TASK_FINISHED, STAFF_CHANGED,
                     CALLOUT_STARTED, UNIT_READY, TEAM_DEPARTED, TEAM_ON_SITE, ENDED, CALLS_BEGIN,
                     CALLS_END, BASE_ON_SITE})
_FIRST_ONLY = {CALLOUT_STARTED: "callout_started", TEAM_DEPARTED: "team_departed",
               TEAM_ON_SITE: "team_on_site"}


def _per_class(log: EventLog, scenario: Scenario, out: dict[str, float]) -> None:
    """``declared:<class>``, ``notified:<org>@<class>`` and ``since_declared:<org>@<class>``.

    A pass of its own over the received messages, made only for a scenario that asks for these
    metrics (``class_milestones``), so that other scenarios pay nothing for them.
    """
    site, wanted = scenario.accident.site, set(scenario.class_milestones)
    declared: dict[str, float] = {}
    first: dict[tuple[str, str], float] = {}
    for r in log.core:
        if r[1] != MESSAGE_RECEIVED:
            continue
        org, cls, t = r[ORG], r[CLS], r[0]
        if org == site and r[SENDER] == ACCIDENT:
            declared.setdefault(cls, t)
        if org in wanted:
            first.setdefault((org, cls), t)
    for cls, t in declared.items():
        out[f"declared:{cls}"] = t
    for (org, cls), t in first.items():
        out[f"notified:{org}@{cls}"] = t
        if cls in declared:
            out[f"since_declared:{org}@{cls}"] = t - declared[cls]


def _seats(log: EventLog, scenario: Scenario, out: dict[str, float]) -> None:
    """``aboard`` and ``left_behind``, for a team whose vehicles have seats.

    A pass of its own, made only for such a team: it counts the deploying units' ``assembled``
    records, which are member records (built on demand, not in ``log.core``), so other scenarios
    never build them for their metrics.
    """
    team = scenario.team
    deploying = set(team.units if team.deploy.units == "all" else team.deploy.units)
    aboard = seated = assembled = 0
    called = False
    for r in log.records:
        typ = r[1]
        if typ == CALLOUT_STARTED:
            called = True
        elif typ == MEMBER_ASSEMBLED:
            assembled += r[UNIT] in deploying
        elif typ == VEHICLE_READY:
            seated += r[ABOARD]
        elif typ == VEHICLE_DEPARTED:
            aboard += r[ABOARD]
    if not called:  # nobody was called: nothing to count (missing, not a flattering 0)
        return
    out["aboard"] = float(aboard)
    out["left_behind"] = float(assembled - seated)


def _windowed(log: EventLog, scenario: Scenario, out: dict[str, float], a: float, b: float) -> None:
    """``wait:`` and ``utilization:`` over the window ``[a, b]`` (``measurement``).

    The wait of each task queued in the window: until it started, or until ``b`` if it had not by
    then. Busy staff-minutes and the integral of the staff level, each clipped to the window.
    """
    for org in scenario.organisations:
        out[f"wait:{org}"] = out[f"utilization:{org}"] = NAN
    queued: dict[int, tuple[str, float]] = {}
    running: dict[int, tuple[str, float]] = {}
    waits: dict[str, list[float]] = {}
    busy: dict[str, float] = {}
    staff: dict[str, list[float]] = {}  # org -> [last t, last level, integral over the window]

    def overlap(start: float, stop: float) -> float:
        return max(0.0, min(stop, b) - max(start, a))

    for r in log.core:
        typ, t = r[1], r[0]
        if typ == TASK_QUEUED:
            if a <= t < b:
                queued[r[TASK]] = (r[ORG], t)
        elif typ in (TASK_STARTED, CALLS_BEGIN):
            if r[TASK] in queued:  # a task, or a resend round's call (``calling``)
                org, q = queued.pop(r[TASK])
                acc = waits.setdefault(org, [0.0, 0])
                acc[0] += min(t, b) - q
                acc[1] += 1
            running[r[TASK]] = (r[ORG], t)
        elif typ in (TASK_FINISHED, CALLS_END):
            org, started = running.pop(r[TASK])
            busy[org] = busy.get(org, 0.0) + overlap(started, t)
        elif typ == STAFF_CHANGED:
            level = staff.get(r[ORG])
            if level is None:
                staff[r[ORG]] = [t, r[N], 0.0]
            else:
                level[2] += level[1] * overlap(level[0], t)
                level[0], level[1] = t, r[N]
    for org, q in queued.values():
        acc = waits.setdefault(org, [0.0, 0])
        acc[0] += b - q
        acc[1] += 1
    for org, (total, count) in waits.items():
        out[f"wait:{org}"] = total / count
    for org, started in running.values():
        busy[org] = busy.get(org, 0.0) + overlap(started, b)
    for org, (t, level, integral) in staff.items():
        capacity = integral + level * overlap(t, b)
        if capacity > 0:
            out[f"utilization:{org}"] = busy.get(org, 0.0) / capacity


def compute_metrics(log: EventLog, scenario: Scenario) -> dict[str, float]:
    """Every metric of ``scenario`` for one replication, ``NaN`` where it did not happen."""
    out = _empty(scenario)
    notified: dict[str, float] = {}
    firsts: dict[str, float] = {}
    queued: dict[int, tuple[str, float]] = {}
    running: dict[int, tuple[str, float]] = {}
    waits: dict[str, list[float]] = {}  # org -> [sum, count]
    busy: dict[str, float] = {}
    staff: dict[str, list[float]] = {}  # org -> [last t, last level, integral]
    end = None
    for r in log.core:  # every record a metric reads (not the member and vehicle records)
        typ = r[1]
        if typ not in _WANTED:
            continue
        t = r[0]
        if typ == MESSAGE_RECEIVED:
            if r[ORG] not in notified:
                notified[r[ORG]] = t
        elif typ == TASK_QUEUED:
            queued[r[TASK]] = (r[ORG], t)
        elif typ == TASK_STARTED:
            org = r[ORG]
            acc = waits.get(org)
            if acc is None:
                acc = waits[org] = [0.0, 0]
            acc[0] += t - queued.pop(r[TASK], (org, t))[1]
            acc[1] += 1
            running[r[TASK]] = (org, t)
        elif typ == TASK_FINISHED:
            org, started = running.pop(r[TASK])
            busy[org] = busy.get(org, 0.0) + (t - started)
        elif typ == STAFF_CHANGED:
            level = staff.get(r[ORG])
            if level is None:
                staff[r[ORG]] = [t, r[N], 0.0]
            else:
                level[2] += level[1] * (t - level[0])
                level[0], level[1] = t, r[N]
        elif typ == CALLS_BEGIN:  # the person stays busy with the task's calls
            q = queued.pop(r[TASK], None)
            if q is not None:  # a resend round's call waited for a free person
                acc = waits.setdefault(q[0], [0.0, 0])
                acc[0] += t - q[1]
                acc[1] += 1
            running[r[TASK]] = (r[ORG], t)
        elif typ == CALLS_END:
            org, started = running.pop(r[TASK])
            busy[org] = busy.get(org, 0.0) + (t - started)
        elif typ == UNIT_READY:
            firsts.setdefault(f"unit_ready:{r[ORG]}", t)
        elif typ == BASE_ON_SITE:
            firsts.setdefault(f"base_on_site:{r[ORG]}", t)
        elif typ == ENDED:
            end = t
        else:
            firsts.setdefault(_FIRST_ONLY[typ], t)
    if end is None:
        end = log.end
    if scenario.class_milestones:
        _per_class(log, scenario, out)
    if "left_behind" in out:  # the scenario's names have it: a team with seats (metricdefs.has_seats)
        _seats(log, scenario, out)

    for org, t in notified.items():
        out[f"notified:{org}"] = t
    for name, t in firsts.items():
        out[name] = t
    units = [out[f"unit_ready:{u}"] for u in scenario.team.units]
    out["team_mobilized"] = NAN if any(math.isnan(t) for t in units) else max(units)
    for org, t in queued.values():  # still waiting when the run ended: the wait so far counts
        acc = waits.setdefault(org, [0.0, 0])
        acc[0] += end - t
        acc[1] += 1
    for org, (total, count) in waits.items():
        out[f"wait:{org}"] = total / count
    for org, started in running.values():  # still at work when the run ended
        busy[org] = busy.get(org, 0.0) + (end - started)
    for org, (t, level, integral) in staff.items():
        capacity = integral + level * (end - t)
        if capacity > 0:
            out[f"utilization:{org}"] = busy.get(org, 0.0) / capacity
    if scenario.window is not None or scenario.measurement.warmup:  # instead: over the window
        window = scenario.window or (0.0, end)
        _windowed(log, scenario, out, window[0], min(window[1], end))
    return out
