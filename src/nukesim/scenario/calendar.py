"""Wall-clock time inside the simulation: day, night, weekend and shift changes.

The scenario starts at a real date and time; simulated minutes map onto that clock in the
start's time zone. This module answers two questions, for the engine and for analysis alike:
which period (day, night, weekend) a simulated minute falls in, and how many duty staff an
organisation has at every moment of the horizon.
"""

from __future__ import annotations

import math
from datetime import timedelta

from .models import PERIODS, Calendar, Organisation, Scenario, in_window

WEEKDAY_INDEX = {d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
MINUTES_PER_DAY = 1440
HANDOVER_BEGINS = -1
HANDOVER_ENDS = -2
"""Markers among the staff levels of ``staff_schedule``'s events (a level is never negative)."""


def period_at(scenario: Scenario, t: float) -> str:
    """``"day"``, ``"night"``, ``"weekend"`` (or, with ``calendar.late_night``, ``"late_night"`` or
    ``"weekend_night"``) at ``t`` minutes after the start."""
    return _period(scenario.calendar, scenario.start + timedelta(minutes=t))


def _period(cal: Calendar, when) -> str:
    day = when.date()
    weekend = (when.weekday() in {WEEKDAY_INDEX[d] for d in cal.weekend} and day not in cal.workdays
               or day in cal.holidays)
    minute = when.hour * 60 + when.minute + when.second / 60
    if cal.late_night is not None and in_window(minute, cal.late_night):
        return "weekend_night" if weekend else "late_night"
    if weekend:
        return "weekend"
    return "day" if cal.day[0] <= minute < cal.day[1] else "night"


def run_start(scenario: Scenario) -> float:
    """When a run's clock starts: t = 0, or earlier by the ``measurement.warmup`` (as ``0.0 - warmup``,
    so that no warm-up is 0.0, not -0.0). The calendar runs from then, warm-up included."""
    return 0.0 - scenario.measurement.warmup


def period_changes(scenario: Scenario) -> list[tuple[float, str]]:
    """``(t, period)`` at the start of the run (0, or minus the warm-up) and at every change of
    period before the horizon."""
    return _period_changes(scenario.calendar, scenario.start, scenario.horizon, run_start(scenario))


def _minutes_after_midnight(start) -> float:
    """Where t = 0 falls in its local day: day ``d`` starts at ``d * MINUTES_PER_DAY - offset``."""
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    return (start - midnight).total_seconds() / 60


def _first_day(offset: float, begin: float) -> int:
    """The local day (0: the day of t = 0) on which ``begin`` falls, less one: a handover that
    began the day before may still be running at ``begin``."""
    return math.floor((begin + offset) / MINUTES_PER_DAY) - 1


def _period_changes(cal: Calendar, start, horizon: float, begin: float = 0.0) -> list[tuple[float, str]]:
    out = [(begin, _period(cal, start + timedelta(minutes=begin)))]
    offset = _minutes_after_midnight(start)
    bounds = sorted({0.0, cal.day[0], cal.day[1], *(cal.late_night or ())})
    day = _first_day(offset, begin)
    while True:
        for b in bounds:
            t = day * MINUTES_PER_DAY + b - offset
            if t <= begin:
                continue
            if t >= horizon:
                return out
            p = _period(cal, start + timedelta(minutes=t))
            if p != out[-1][1]:
                out.append((t, p))
        day += 1


def staff_schedule(scenario: Scenario, org: Organisation) -> list[tuple[float, int]]:
    """``(t, staff on duty)`` at the start of the run (0, or minus the warm-up) and at every change
    before the horizon.

    Staff follow the period, during a warm-up as after t = 0. For ``handover`` minutes after each
    shift change (the organisation's own ``shifts``, else the calendar's) only
    ``during_handover`` of them (none, by default) are free for accident work; then the new
    period's staff take over.
    """
    cal = scenario.calendar
    if org.shifts is not None:
        changes_at, handover, during = org.shifts.changes, org.shifts.handover, org.shifts.during_handover
    else:
        changes_at, handover, during = cal.shift_changes, cal.handover, 0
    changes = period_changes(scenario)
    level = {p: org.staff[p] for p in PERIODS}
    events: list[tuple[float, int]] = [(t, level[p]) for t, p in changes]
    if changes_at and handover > 0:
        begin = run_start(scenario)
        offset = _minutes_after_midnight(scenario.start)
        day = _first_day(offset, begin)
        while day * MINUTES_PER_DAY - offset < scenario.horizon:
            for sc in changes_at:
                t0 = day * MINUTES_PER_DAY + sc - offset
                t1 = t0 + handover
                if t1 <= begin or t0 >= scenario.horizon:
                    continue
                events.append((max(t0, begin), HANDOVER_BEGINS))
                events.append((t1, HANDOVER_ENDS))
            day += 1
    return _resolve(events, during)


def _resolve(events: list[tuple[float, int]], during_handover: int) -> list[tuple[float, int]]:
    """Merge period levels and handover windows into one step function."""
    events.sort(key=lambda e: (e[0], e[1] < 0))
    out: list[tuple[float, int]] = []
    current, handovers = 0, 0
    for t, value in events:
        if value == HANDOVER_BEGINS:
            handovers += 1
        elif value == HANDOVER_ENDS:
            handovers -= 1
        else:
            current = value
        staff = min(current, during_handover) if handovers > 0 else current
        if out and out[-1][0] == t:
            out.pop()  # several changes at one instant: the last one holds
        if not out or out[-1][1] != staff:
            out.append((t, staff))
    return out
