"""Time axes: hours since the initiating event, with the scenario's wall clock alongside."""

from __future__ import annotations

from datetime import datetime

from matplotlib.ticker import FuncFormatter, MaxNLocator

from ..scenario.durations import format_clock

HOURS_LABEL = "hours since the initiating event (t = 0)"


def hours_axis(ax, start: datetime | None) -> None:
    """Label the x axis in hours and, when the start is known, add the wall clock on top."""
    ax.set_xlabel(HOURS_LABEL)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=10, steps=[1, 2, 3, 6, 10]))
    wall_clock_axis(ax, start)


def wall_clock_axis(ax, start: datetime | None, label: bool = True, ticks: int = 6) -> None:
    """The wall clock on the top axis (nothing when the start is not known)."""
    if start is None:
        return
    top = ax.secondary_xaxis("top")
    top.xaxis.set_major_locator(MaxNLocator(nbins=ticks, steps=[1, 2, 3, 6, 10]))
    top.xaxis.set_major_formatter(FuncFormatter(lambda h, _: wall_clock(start, h)))
    if label:
        top.set_xlabel(f"wall clock (UTC{utc_offset(start)})", fontsize=8)
    top.tick_params(labelsize=7)


def wall_clock(start: datetime, hours: float) -> str:
    return format_clock(start, hours * 60)


def utc_offset(start: datetime) -> str:
    """``'+08:00'``; empty for a time without a zone."""
    off = start.strftime("%z")
    return f"{off[:3]}:{off[3:]}" if off else ""
