"""The report's plots, each a function from data to an inline SVG (see ``svg.py``).

Times are drawn in hours since the initiating event, with the scenario's wall clock on the top
axis when the scenario is known. Every function returns ``(svg, text alternative)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime

import numpy as np

from ..scenario.durations import format_duration
from ..stats import share_ci
from .svg import plt, to_svg
from .timeaxis import hours_axis, utc_offset, wall_clock_axis

MILESTONES = {"callout_started": "call-out started", "team_mobilized": "team mobilised",
              "team_departed": "team departed", "team_on_site": "team on site"}
COLOURS = {"callout_started": "#7f7f7f", "team_mobilized": "#1f77b4", "team_departed": "#ff7f0e",
           "team_on_site": "#2ca02c"}


def share_by_time(values: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Share of all runs (missing ones included) in which the event happened by each grid time,
    with its 95 % Wilson band (``stats.share_ci``)."""
    n = len(values)
    done = np.sort(values[~np.isnan(values)])
    hits = np.searchsorted(done, grid, side="right")
    bands = np.array([share_ci(int(k), n) for k in hits]) if n else np.full((len(grid), 2), np.nan)
    return hits / max(n, 1), bands[:, 0], bands[:, 1]


def mobilisation_curve(columns: Sequence[tuple[str, Mapping[str, np.ndarray]]], start: datetime | None,
                       horizon_hours: float) -> tuple[str, str]:
    """Share of runs with the call-out started, the team mobilised, departed and on site by each
    hour; ``columns`` is one ``(label, {metric: minutes})`` per variant (two for a comparison)."""
    fig, ax = plt.subplots(figsize=(8, 3.6))
    grid = np.linspace(0, horizon_hours, 400)
    styles = ["-", "--"]
    alt = []
    for (label, cols), style in zip(columns, styles, strict=False):
        for metric, name in MILESTONES.items():
            if metric not in cols:
                continue
            hours = cols[metric] / 60
            share, low, high = share_by_time(hours, grid)
            prefix = f"{label}: " if len(columns) > 1 else ""
            ax.plot(grid, share, style, color=COLOURS[metric], label=f"{prefix}{name}")
            ax.fill_between(grid, low, high, color=COLOURS[metric], alpha=0.15, linewidth=0)
            done = hours[~np.isnan(hours)]
            half = float(np.median(np.where(np.isnan(hours), np.inf, hours))) if len(hours) else math.nan
            alt.append(f"{prefix}{name}: {100 * len(done) / max(len(hours), 1):.0f}% of runs by the horizon"
                       + (f", half of the runs by {format_duration(60 * half)}"
                          if math.isfinite(half) else ""))
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, horizon_hours)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    ax.set_ylabel("share of runs")
    hours_axis(ax, start)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=7, ncol=2 if len(columns) > 1 else 1)
    ax.set_title("Mobilisation curve: share of runs by each hour (band: 95 % Wilson CI)")
    text = "; ".join(alt) + "."
    return to_svg(fig, "Mobilisation curve", text), text


def members_assembled(curves: Mapping[str, np.ndarray], grid_hours: np.ndarray,
                      thresholds: Mapping[str, int], sizes: Mapping[str, int],
                      start: datetime | None, sample: int) -> tuple[str, str]:
    """Members assembled over time per unit: median and 10–90 % band over the sampled runs, with
    the unit's readiness threshold. ``curves[unit]`` has one row per sampled replication."""
    units = list(curves)
    cols = min(3, len(units))
    rows = math.ceil(len(units) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(8, 2.4 * rows + 0.4), squeeze=False, sharex=True)
    alt = []
    for ax, unit in zip(axes.flat, units, strict=False):
        counts = curves[unit]
        median = np.median(counts, axis=0)
        low, high = np.percentile(counts, [10, 90], axis=0)
        ax.fill_between(grid_hours, low, high, color="#1f77b4", alpha=0.25, linewidth=0, label="10–90 %")
        ax.plot(grid_hours, median, color="#1f77b4", label="median")
        ax.axhline(thresholds[unit], color="#d62728", linestyle="--", linewidth=1,
                   label=f"ready at {thresholds[unit]}")
        ax.set_ylim(0, sizes[unit] * 1.05)
        ax.set_title(f"{unit} ({sizes[unit]} members)", fontsize=8)
        ax.set_ylabel("members assembled", fontsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, loc="lower right")
        reach = np.argmax(median >= thresholds[unit]) if (median >= thresholds[unit]).any() else None
        alt.append(f"{unit}: median reaches its threshold of {thresholds[unit]} of {sizes[unit]} "
                   + (f"at {format_duration(60 * grid_hours[reach])}" if reach is not None
                      else "not within the plot"))
    for ax in list(axes.flat)[len(units):]:
        ax.set_visible(False)
    for ax in axes[-1]:
        ax.set_xlabel("hours since the initiating event")
    for ax in axes[0]:
        wall_clock_axis(ax, start, label=False, ticks=2)
    clock = f" (top axes: wall clock, UTC{utc_offset(start)})" if start is not None else ""
    fig.suptitle(f"Members assembled per unit, over {sample} re-simulated runs{clock}", fontsize=10)
    fig.tight_layout()
    text = "; ".join(alt) + "."
    return to_svg(fig, "Members assembled over time", text), text


def notification_boxes(columns: Mapping[str, np.ndarray], start: datetime | None) -> tuple[str, str]:
    """Notification time of each organisation, in chain order (first informed on top)."""
    names = list(columns)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(names) + 1.4))
    data = [columns[n][~np.isnan(columns[n])] / 60 for n in names]
    labels = [f"{n}" + (f" ({int(np.isnan(columns[n]).sum())} missing)" if np.isnan(columns[n]).any() else "")
              for n in names]
    ax.boxplot([d if len(d) else [np.nan] for d in data], orientation="horizontal", whis=(5, 95),
               showfliers=False, tick_labels=labels, medianprops={"color": "#d62728"})
    ax.invert_yaxis()
    hours_axis(ax, start)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Notification time per organisation, in chain order (box 25–75 %, whiskers 5–95 %)")
    alt = "; ".join(f"{n}: median {format_duration(60 * float(np.median(d)))}" if len(d)
                    else f"{n}: never notified"
                    for n, d in zip(names, data, strict=True))
    return to_svg(fig, "Notification time per organisation", alt), alt + "."


def attribution_bars(means: Mapping[str, Mapping[str, float]], components: Sequence[str]) -> tuple[str, str]:
    """Mean minutes of each milestone by component (stacked bars), from attribution.csv."""
    metrics = list(means)
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(metrics) + 1.6))
    left = np.zeros(len(metrics))
    cmap = plt.get_cmap("tab10")
    for i, comp in enumerate(components):
        widths = np.array([means[m].get(comp, 0.0) / 60 for m in metrics])
        if not widths.any():
            continue
        ax.barh(metrics, widths, left=left, color=cmap(i % 10), label=comp)
        left += widths
    ax.invert_yaxis()
    ax.set_xlabel("mean hours of the milestone's time, by component")
    ax.legend(fontsize=7, ncol=3, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("What made it slow: each milestone's time split by component (mean over runs)")
    alt = "; ".join(f"{m}: " + ", ".join(f"{c} {format_duration(v)}" for c, v in sorted(
        means[m].items(), key=lambda kv: -kv[1])[:3]) for m in metrics)
    return to_svg(fig, "Attribution of the milestones", alt), alt + "."
