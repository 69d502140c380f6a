"""Late night and weekend nights: a period of their own, with by-period values that default to
the night's and the weekend's; a long journey need not be slowed by the hour."""

from __future__ import annotations

import pytest
from builders import build, mobilising, records

from nukesim.scenario import Scenario, validate
from nukesim.scenario.calendar import period_at, period_changes
from nukesim.sim import simulate

SUNDAY_3AM = "2026-03-22T03:00:00+08:00"
MONDAY_3AM = "2026-03-16T03:00:00+08:00"
MONDAY_10PM = "2026-03-16T22:00:00+08:00"
SLOWDOWN = {"day": 1, "night": 1.25, "weekend": 1.2, "late_night": 1.55, "weekend_night": 1.5}


def turnout(start: str, calendar: dict, member: dict | None = None):
    member = {"share": 1.0, "acknowledge": 2, "travel": 10, "slowdown": SLOWDOWN, **(member or {})}
    return mobilising({"units": {"u": {"size": 3}}, "members": {"all": member}}, start=start,
                      calendar=calendar)


def slowed(factor: float) -> float:
    """Acknowledgement (2 min) and travel (10 min) both slowed, as the engine computes it."""
    return 2 * factor + 10 * factor


def assembled(s) -> set[float]:
    return {e.t for e in records(simulate(s, seed=1), "assembled")}


@pytest.mark.parametrize("start, period", [(MONDAY_3AM, "late_night"), (MONDAY_10PM, "night"),
                                           (SUNDAY_3AM, "weekend_night"),
                                           ("2026-03-22T12:00:00+08:00", "weekend")])
def test_a_late_night_window_is_a_period_of_its_own(start, period):
    s = turnout(start, {"late_night": "00:00-06:00"})
    assert period_at(s, 0) == period
    assert assembled(s) == {slowed(SLOWDOWN[period])}


def test_without_a_window_late_night_values_are_never_used():
    s = turnout(SUNDAY_3AM, {})
    assert period_at(s, 0) == "weekend"
    assert assembled(s) == {slowed(1.2)}


def test_late_night_values_default_to_the_night_and_the_weekend():
    s = turnout(SUNDAY_3AM, {"late_night": "00:00-06:00"}, {"slowdown": {"night": 1.4, "weekend": 1.1}})
    assert assembled(s) == {slowed(1.1)}  # weekend_night = weekend
    s = turnout(MONDAY_3AM, {"late_night": "00:00-06:00"}, {"slowdown": {"night": 1.4, "weekend": 1.1}})
    assert assembled(s) == {slowed(1.4)}  # late_night = night


def test_a_window_past_midnight_takes_the_date_of_the_moment():
    s = turnout("2026-03-22T23:30:00+08:00", {"late_night": "23:00-05:00"})  # Sunday 23:30
    assert [p for _, p in period_changes(s)][:3] == ["weekend_night", "late_night", "night"]
    assert [t for t, _ in period_changes(s)][:3] == [0.0, 30.0, 330.0]  # Monday 00:00, 05:00


def test_slow_travel_false_slows_the_acknowledgement_only():
    s = turnout(MONDAY_3AM, {"late_night": "00:00-06:00"}, {"slow_travel": False})
    assert assembled(s) == {2 * 1.55 + 10}


def test_late_night_must_not_overlap_working_hours():
    data = build().model_dump(by_alias=True)
    data["calendar"]["late_night"] = "06:00-09:00"  # the working day starts at 08:00
    _, problems = validate(Scenario, data)
    assert any("must not overlap" in p.message for p in problems), problems
