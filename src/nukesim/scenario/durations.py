"""Durations as people write them.

Every time in nukesim is a number of minutes since the initiating event. Scenario files may
write a duration as a plain number (minutes) or as text with units — ``"90s"``, ``"15m"``,
``"2h"``, ``"1d 6h"``, ``"1h30m"`` — so that a reader never has to guess the unit.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_UNIT_MINUTES = {
    "s": 1 / 60, "sec": 1 / 60, "secs": 1 / 60, "second": 1 / 60, "seconds": 1 / 60,
    "m": 1.0, "min": 1.0, "mins": 1.0, "minute": 1.0, "minutes": 1.0,
    "h": 60.0, "hr": 60.0, "hrs": 60.0, "hour": 60.0, "hours": 60.0,
    "d": 1440.0, "day": 1440.0, "days": 1440.0,
}
MAX_MINUTES = 10 * 525_600.0
"""Ten years: far beyond any emergency response, and small enough for wall-clock arithmetic."""
_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)\s*")


def parse_duration(value: object) -> float:
    """Return ``value`` in minutes; raise ``ValueError`` with a reader-friendly reason."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '15m' or '2h', got {value!r}")
    if isinstance(value, (int, float)):
        minutes = float(value)
    elif isinstance(value, str):
        minutes = _parse_text(value)
    else:
        raise ValueError(f"expected a duration such as '15m' or '2h', got {value!r}")
    if minutes != minutes or minutes in (float("inf"), float("-inf")):
        raise ValueError(f"a duration must be finite, got {value!r}")
    if minutes < 0:
        raise ValueError(f"a duration cannot be negative, got {value!r}")
    if minutes > MAX_MINUTES:
        raise ValueError(f"a duration must be at most {MAX_MINUTES / 525_600:.0f} years, got {value!r}")
    return minutes


def _parse_text(text: str) -> float:
    stripped = text.strip().lower()
    if stripped.startswith("-"):
        raise ValueError(f"a duration cannot be negative, got {text!r}")
    try:
        return float(stripped)
    except ValueError:
        pass
    total, pos = 0.0, 0
    while pos < len(stripped):
        match = _PART.match(stripped, pos)
        if match is None or match.group(2) not in _UNIT_MINUTES:
            raise ValueError(
                f"cannot read {text!r} as a duration; write e.g. '90s', '15m', '2h' or '1d 6h'"
            )
        total += float(match.group(1)) * _UNIT_MINUTES[match.group(2)]
        pos = match.end()
    if pos == 0:
        raise ValueError(f"cannot read {text!r} as a duration; write e.g. '15m'")
    return total


def format_duration(minutes: float) -> str:
    """Render minutes the way a planner reads them: ``'1d 02:05'``, ``'2:05:30'``, ``'45.5m'``."""
    if minutes != minutes:
        return "—"
    if minutes < 60:
        return f"{minutes:.1f}m"
    seconds = int(round(minutes * 60))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    mins, _ = divmod(rest, 60)
    return f"{days}d {hours:02d}:{mins:02d}" if days else f"{hours}h{mins:02d}m"


def format_time_value(minutes: float | None) -> str:
    """A time in a summary or a table: ``—`` when there is none, ``missing`` beyond the horizon
    (a censored percentile is infinite), else :func:`format_duration`."""
    if minutes is None:
        return "—"
    return "missing" if minutes == float("inf") else format_duration(minutes)


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A non-negative number of minutes, written as a number or as text with units."""


def share_value(value: object) -> object:
    """``"5%"`` → 0.05, the one reading of a percentage (objective targets, sweep shares,
    ``--precision``); anything else is returned as it is, for the caller's own checks."""
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) / 100
        except ValueError:
            return value
    return value
