"""Wall-clock periods and staff schedules follow the scenario's calendar and time zone."""

import pytest

from nukesim.scenario import apply_overrides
from nukesim.scenario.calendar import period_at, period_changes, staff_schedule


def test_periods_follow_local_time(minimal):
    # minimal starts Monday 2026-03-16 10:00 +08:00, working hours 08:00-18:00
    assert period_at(minimal, 0) == "day"
    assert period_at(minimal, 8 * 60 - 1) == "day"        # 17:59
    assert period_at(minimal, 8 * 60) == "night"          # 18:00
    assert period_at(minimal, 22 * 60) == "day"           # Tuesday 08:00
    saturday = apply_overrides(minimal, ["start=2026-03-21T10:00+08:00", "horizon=3d"])
    assert period_at(saturday, 0) == "weekend"
    # Monday 00:00 is 38 h after Saturday 10:00: a weekday night
    assert period_at(saturday, 38 * 60) == "night"
    assert period_changes(saturday) == [(0.0, "weekend"), (2280.0, "night"), (2760.0, "day"),
                                        (3360.0, "night"), (4200.0, "day")]


def test_holidays_count_as_weekend(minimal):
    holiday = apply_overrides(minimal, {"calendar.holidays": ["2026-03-16"]})
    assert period_at(holiday, 0) == "weekend"
    assert period_at(holiday, 14 * 60) == "night"  # Tuesday 00:00


def test_staff_schedule_steps_with_periods_and_handover(minimal):
    s = apply_overrides(minimal, {"calendar.shift_changes": ["08:00", "20:00"], "calendar.handover": "15m"})
    schedule = staff_schedule(s, s.organisations["authority"])  # day 3, night 1
    assert schedule == [(0.0, 3), (480.0, 1), (600.0, 0), (615.0, 1), (1320.0, 0), (1335.0, 3)]


def test_time_of_day_fields_read_quoted_and_unquoted_yaml(minimal):
    s = apply_overrides(minimal, ["calendar.shift_changes=[07:30, '19:30']", "calendar.day=06:00-20:00"])
    assert s.calendar.shift_changes == [450.0, 1170.0]
    assert s.calendar.day == (360.0, 1200.0)


@pytest.mark.parametrize(("assignment", "words"), [("calendar.day=18:00-08:00", "start before"),
                                                    ("calendar.shift_changes=['25:00']", "time of day")])
def test_bad_calendar(minimal, assignment, words):
    from nukesim.scenario import ScenarioError

    with pytest.raises(ScenarioError, match=words):
        apply_overrides(minimal, [assignment])


def test_an_organisation_can_have_its_own_shifts(minimal):
    s = apply_overrides(minimal, {
        "calendar.shift_changes": ["08:00", "20:00"], "calendar.handover": "15m",
        "organisations.authority.shifts": {"changes": ["09:00"], "handover": "30m", "during_handover": 1},
    })
    # authority: day 3 / night 1; its own handover at 09:00 (t = 1380) keeps one person free
    assert staff_schedule(s, s.organisations["authority"]) == [(0.0, 3), (480.0, 1), (1320.0, 3),
                                                               (1380.0, 1), (1410.0, 3)]
    # the plant (2 at all times) follows the calendar: nobody free during its 15-minute handovers
    assert staff_schedule(s, s.organisations["plant"]) == [(0.0, 2), (600.0, 0), (615.0, 2),
                                                           (1320.0, 0), (1335.0, 2)]


def test_coinciding_changes_leave_no_repeated_steps(minimal):
    s = apply_overrides(minimal, {"calendar.shift_changes": ["18:00"], "calendar.handover": "1h",
                                  "organisations.plant.staff": {"day": 2, "night": 2}})
    schedule = staff_schedule(s, s.organisations["plant"])
    assert schedule == [(0.0, 2), (480.0, 0), (540.0, 2)]


def test_make_up_workdays_are_weekdays_and_holidays_weekends(minimal):
    # 2026-02-14 is a Saturday worked in China before the Spring Festival holiday of 15-23 February
    s = apply_overrides(minimal, ["start=2026-02-14T10:00+08:00", "calendar.workdays=[2026-02-14]",
                                  "calendar.holidays=[2026-02-16]"])
    assert period_at(s, 0) == "day"                  # Saturday, worked
    assert period_at(s, 24 * 60) == "weekend"        # Sunday 15th
    assert period_at(s, 48 * 60) == "weekend"        # Monday 16th, a holiday
    assert period_at(s, 72 * 60) == "day"            # Tuesday 17th
