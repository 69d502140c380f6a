"""Durations are read the way people write them, and nothing else is accepted."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nukesim.scenario.durations import format_difference, format_duration, parse_duration

UNITS = {"s": 1 / 60, "m": 1.0, "min": 1.0, "h": 60.0, "d": 1440.0}


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("90s", 1.5), ("15m", 15.0), ("2h", 120.0), ("1d 6h", 1800.0), ("1h30m", 90.0), ("0", 0.0),
     (" 2 h ", 120.0), ("1.5h", 90.0), (".5h", 30.0), (45, 45.0), (2.5, 2.5), ("3 minutes", 3.0)],
)
def test_known_durations(text, minutes):
    assert parse_duration(text) == pytest.approx(minutes)


@pytest.mark.parametrize("bad", ["-5m", -1, "15 minutes ago", "m", "", "1x", "abc", True, None, [1],
                                 float("nan"), float("inf"), "1h -5m"])
def test_bad_durations_are_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


@settings(derandomize=True, max_examples=200)
@given(st.floats(min_value=0, max_value=3000, allow_nan=False), st.sampled_from(sorted(UNITS)))
def test_any_number_with_a_unit_scales_by_the_unit(x, unit):
    text = f"{x:.4f}"
    assert parse_duration(f"{text}{unit}") == pytest.approx(float(text) * UNITS[unit], rel=1e-12)


@settings(derandomize=True, max_examples=200)
@given(st.lists(st.tuples(st.integers(0, 900), st.sampled_from(sorted(UNITS))), min_size=1, max_size=4))
def test_parts_add_up(parts):
    text = " ".join(f"{n}{u}" for n, u in parts)
    assert parse_duration(text) == pytest.approx(sum(n * UNITS[u] for n, u in parts))
    assert parse_duration(text) >= 0


def test_durations_beyond_ten_years_are_refused():
    assert parse_duration("3650d") == 3650 * 1440
    with pytest.raises(ValueError, match="at most 10 years"):
        parse_duration("3651d")


def test_format_is_one_scheme_of_units_largest_first():
    assert format_duration(45.5) == "45.5m"
    assert format_duration(125.0) == "2h05m"
    assert format_duration(1440 + 22) == "1d 0h22m"  # not the clock-like "1d 00:22"
    assert format_duration(3 * 1440 + 13 * 60 + 5.6) == "3d 13h06m"  # rounded to the minute
    assert format_duration(math.nan) == "—"


def test_format_rounds_sub_minute_values_to_the_tenth_and_carries_into_the_next_unit():
    assert format_duration(0.4) == "0.4m"
    assert format_duration(0.04) == "0.0m"
    assert format_duration(59.96) == "1h00m"  # not "60.0m"
    assert format_duration(1439.7) == "1d 0h00m"  # not "23h60m"
    assert format_duration(120.9) == "2h01m"  # to the nearest minute, not cut


def test_signed_differences_show_their_sign_and_zero_has_none():
    assert format_duration(-8.54, signed=True) == "-8.5m"
    assert format_duration(17.2, signed=True) == "+17.2m"
    assert format_duration(-1465, signed=True) == "-1d 0h25m"
    assert format_duration(-0.04, signed=True) == "0.0m"  # never "-0.0m"
    assert format_duration(math.inf, signed=True) == "+∞"
    assert format_duration(-math.inf) == "-∞"


def test_fine_shows_the_hundredth_of_a_minute_that_separates_a_value_from_its_target():
    assert format_duration(120.904, fine=True) == "2h00.90m"
    assert format_duration(45.5, fine=True) == "45.50m"
    assert format_duration(1440 + 125.4, fine=True) == "1d 2h05.40m"


def test_differences_with_intervals_read_as_the_durations_beside_them():
    assert format_difference(-8.5, (-9.72, -7.31)) == "-8.5m [-9.7m, -7.3m]"
    assert format_difference(65.0, (58.2, math.inf)) == "+1h05m [+58.2m, +∞]"
    assert format_difference(3.0, (None, 4.0)) == "+3.0m"  # a bound JSON wrote as null is unknown
    assert format_difference(None) == format_difference(math.nan) == "—"


@given(st.floats(min_value=0, max_value=3650 * 1440, allow_nan=False))
def test_a_shown_duration_reads_back_within_its_rounding(minutes):
    shown = format_duration(minutes)
    assert abs(parse_duration(shown) - minutes) <= (0.05 if minutes < 59.95 else 0.5) + 1e-9


def test_no_module_but_durations_formats_a_duration_itself():
    """One format everywhere: a table that built "13h43m" or "1d 00:22" on its own would drift."""
    import re
    from pathlib import Path

    import nukesim

    own = re.compile(r"divmod\(|:02d\}|\.\d+f\} ?(m|min|h)\b")
    package = Path(nukesim.__file__).parent
    offenders = [f"{path.relative_to(package)}:{i}: {line.strip()}"
                 for path in sorted(package.rglob("*.py")) if path.name != "durations.py"
                 for i, line in enumerate(path.read_text().splitlines(), 1) if own.search(line)]
    assert offenders == []


def test_the_run_summary_shows_days_and_sub_minute_values_in_the_one_format():
    from nukesim.cli import _summary_table
    from nukesim.runner import Summary
    from nukesim.stats import summarise

    m = summarise([0.04, 30.0, 1440 + 22.0])
    cells = [str(c._cells[0]) for c in _summary_table(Summary("s", 1, 3, {"team_on_site": m}, [])).columns]
    assert cells[0] == "team_on_site" and cells[-1] == "1d 0h22m" and cells[3] == format_duration(m.mean)


def test_the_wall_clock_reads_the_minute_it_is_in():
    from datetime import datetime, timedelta, timezone

    from nukesim.scenario.durations import format_clock

    start = datetime(2026, 3, 16, 10, 0, tzinfo=timezone(timedelta(hours=8)))  # a Monday
    assert (format_duration(206.6), format_clock(start, 206.6)) == ("3h27m", "Mon 13:26")
    assert format_clock(start, 14 * 60 - 0.2) == "Mon 23:59"
    assert format_clock(start, 14 * 60) == "Tue 00:00"


def test_a_count_reads_as_a_whole_number_or_with_two_decimals():
    from nukesim.scenario.durations import format_count, format_count_difference

    assert [format_count(v) for v in (None, math.nan, 3.0, 0.675, math.inf)] == ["—", "—", "3", "0.68",
                                                                                "missing"]
    assert format_count_difference(-1.5, (-2.1, math.inf)) == "-1.50 [-2.10, ±∞]"
    assert format_count_difference(math.nan) == "—"
