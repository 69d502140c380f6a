"""Durations as people write them.

Every time in nukesim is a number of minutes since the initiating event. Scenario files may
write a duration as a plain number (minutes) or as text with units — ``"90s"``, ``"15m"``,
``"2h"``, ``"1d 6h"``, ``"1h30m"`` — so that a reader never has to guess the unit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
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


MINUTES_PER_DAY = 1440
"""Minutes in a day, the largest unit a duration is shown in."""


def format_duration(minutes: float, *, signed: bool = False, fine: bool = False) -> str:
    """The one way nukesim shows a duration: ``45.5m`` under an hour, ``13h43m``, ``1d 0h22m``.

    Units largest first, minutes always two digits after an hour, so that every table reads the
    same and any shown value can be pasted back into a scenario file (:func:`parse_duration`
    reads it). Under an hour to the tenth of a minute (six seconds), from an hour on to the
    minute, both rounded to the nearest; ``fine`` shows minutes to the hundredth (``2h00.90m``),
    for a value that would otherwise read as its target. ``signed`` prefixes ``+`` or ``-`` (a
    difference); a value that rounds to zero is ``0.0m`` without a sign. NaN is ``—``, an infinite
    value ``∞`` (with its sign when ``signed`` or negative).
    """
    if minutes != minutes:
        return "—"
    sign = "-" if minutes < 0 else "+" if signed else ""
    if math.isinf(minutes):
        return sign + "∞"
    digits = 2 if fine else 1
    size = round(abs(minutes), digits)
    if size == 0:
        return f"{0:.{digits}f}m"
    if size < 60:
        return f"{sign}{size:.{digits}f}m"
    step = 10 ** -digits if fine else 1  # the smallest unit shown from an hour on
    units = round(abs(minutes) / step)
    days, rest = divmod(units, round(MINUTES_PER_DAY / step))
    hours, mins = divmod(rest, round(60 / step))
    text = f"{hours}h{mins * step:05.2f}m" if fine else f"{hours}h{mins:02d}m"
    return sign + (f"{days}d {text}" if days else text)


def format_clock(start: datetime, minutes: float) -> str:
    """``'Mon 13:26'``: the wall clock ``minutes`` after ``start``, read as a clock reads — the
    minute it is in (206.6 min after 10:00 is 13:26, while the elapsed time rounds to ``3h27m``)."""
    return f"{start + timedelta(minutes=minutes):%a %H:%M}"


def format_time_value(minutes: float | None) -> str:
    """A time in a summary or a table: ``—`` when there is none, ``missing`` beyond the horizon
    (a censored percentile is infinite), else :func:`format_duration`."""
    if minutes is None:
        return "—"
    return "missing" if minutes == float("inf") else format_duration(minutes)


def format_count(value: float | None) -> str:
    """A count of people in a summary or a table: ``3``, or ``2.4`` for a mean; ``—`` when there is
    none (and ``missing`` for a censored percentile, as for times)."""
    if value is None or value != value:
        return "—"
    if value == float("inf"):
        return "missing"
    return f"{value:.0f}" if value == int(value) else f"{value:.2f}"


def format_count_difference(value: float | None, ci: Sequence[float | None] | None = None) -> str:
    """A difference of counts with its interval: ``-1.50 [-2.10, -0.90]``; ``—`` when there is none."""
    return _with_interval(value, ci, lambda v: f"{v:+.2f}",
                          lambda c: "±∞" if not math.isfinite(c) else f"{c:+.2f}")


def format_difference(value: float | None, ci: Sequence[float | None] | None = None) -> str:
    """A difference of durations with its interval: ``-8.5m [-9.7m, -7.3m]``; an interval side
    that is unbounded is ``±∞``. ``—`` when there is no finite difference (a statistic beyond the
    horizon in a variant); no interval when a bound is unknown (NaN, or None as JSON writes it)."""
    return _with_interval(value, ci, lambda v: format_duration(v, signed=True),
                          lambda c: format_duration(c, signed=True))


def _with_interval(value: float | None, ci: Sequence[float | None] | None, show: Callable[[float], str],
                   bound: Callable[[float], str], finite_bounds: bool = False) -> str:
    """The shape every shown difference has: ``value [low, high]``, ``—`` without a finite value,
    and no interval when a bound is unknown (None or NaN; or, with ``finite_bounds``, unbounded)."""
    if value is None or not math.isfinite(value):
        return "—"
    if ci is not None and all(c is not None and (math.isfinite(c) if finite_bounds else c == c) for c in ci):
        return f"{show(value)} [{bound(ci[0])}, {bound(ci[1])}]"
    return show(value)


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


def objective_format(statistic: str, target: float, values: Iterable[float | None], *, count: bool = False
                     ) -> Callable[[float | None], str]:
    """How to show an objective's target, values and interval bounds (in one variant or more):
    a share in per cent, a time as :func:`format_time_value` does — finer (a hundredth of a
    minute, a thousandth of a per cent) when a value would read as the target but is not it, so
    that "2h00m, not met" never appears (120.4 min shows as 2h00.40m); a ``count`` of people as
    :func:`format_count` does (it never reads as its target unless it is it)."""
    if count and statistic != "share":
        return format_count
    if statistic == "share":
        def usual(v: float | None) -> str:
            return "—" if v is None or not math.isfinite(v) else f"{100 * v:.1f}%"

        def fine(v: float | None) -> str:
            return "—" if v is None or not math.isfinite(v) else f"{100 * v:.3f}%"
    else:
        usual = format_time_value

        def fine(v: float | None) -> str:
            return usual(v) if v is None or not math.isfinite(v) else format_duration(v, fine=True)
    close = any(v is not None and v != target and usual(v) == usual(target) for v in values)
    return fine if close else usual


def format_share_difference(value: float | None, ci: Sequence[float | None] | None = None) -> str:
    """A difference of shares in percentage points: ``+4.5% [+2.1, +6.9]`` (the interval's
    bounds in points too); ``—`` when there is none."""
    return _with_interval(value, ci, lambda v: f"{100 * v:+.1f}%", lambda c: f"{100 * c:+.1f}",
                          finite_bounds=True)
