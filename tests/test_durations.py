"""Durations are read the way people write them, and nothing else is accepted."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nukesim.scenario.durations import format_duration, parse_duration

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


def test_format_is_readable():
    assert format_duration(45.5) == "45.5m"
    assert format_duration(125.0) == "2h05m"
    assert format_duration(1440 + 125) == "1d 02:05"
    assert format_duration(math.nan) == "—"
