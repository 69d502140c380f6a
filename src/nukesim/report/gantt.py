"""A Gantt chart of one replication: who was busy with what, and what was on its way.

Rows, top to bottom: each organisation in chain order — its handling of accident messages (solid),
the wait for free staff before it (pale), the messages in flight towards it (thin, hatched) and
the failures (×), retries (▸), reroutes (◆) and losses (■) of messages it sent — then the team:
the call-out and each unit's assembly up to its readiness, the vehicles' loading, and the transit
from departure to arrival on site. Routine background work is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..events import (
    CALLOUT_STARTED,
    ENDED,
    MESSAGE_FAILED,
    MESSAGE_LOST,
    MESSAGE_RECEIVED,
    MESSAGE_REROUTED,
    MESSAGE_RETRIED,
    MESSAGE_SENT,
    TASK_FINISHED,
    TASK_QUEUED,
    TASK_STARTED,
    TEAM_DEPARTED,
    TEAM_ON_SITE,
    UNIT_READY,
    VEHICLE_LOADED,
)
from ..scenario.durations import format_duration
from .records import Record
from .svg import plt, to_svg
from .timeaxis import hours_axis

MARKERS = {MESSAGE_FAILED: ("x", "#d62728", "message failed"),
           MESSAGE_RETRIED: (">", "#ff7f0e", "retried"),
           MESSAGE_REROUTED: ("D", "#9467bd", "rerouted"),
           MESSAGE_LOST: ("s", "#000000", "lost")}


def gantt(records: Iterable[Record], organisations: Sequence[str], units: Sequence[str],
          start: datetime | None, title: str) -> tuple[str, str]:
    """The chart of one replication's records (see the module docstring) and its text alternative."""
    rows = [*organisations, *(f"unit {u}" for u in units), "vehicles", "transit"]
    y = {name: i for i, name in enumerate(rows)}
    handling, waiting, flight, marks, bars = [], [], [], [], []
    sent: dict[int, tuple[float, str]] = {}
    queued: dict[int, float] = {}
    started: dict[int, float] = {}
    callout = departed = end = None
    vehicles: list[float] = []
    ready: dict[str, float] = {}
    for r in records:
        h = r.t / 60
        if r.type == MESSAGE_SENT:
            sent[r.ident] = (h, r.peer)
        elif r.type == MESSAGE_RECEIVED and r.ident in sent and r.org in y:
            flight.append((r.org, sent[r.ident][0], h))
        elif r.type in MARKERS and r.org in y:
            marks.append((r.org, h, r.type))
        elif r.type == TASK_QUEUED and not r.background:
            queued[r.ident] = h
        elif r.type == TASK_STARTED and not r.background:
            started[r.ident] = h
            if r.org in y and r.ident in queued and h > queued[r.ident]:
                waiting.append((r.org, queued[r.ident], h))
        elif r.type == TASK_FINISHED and not r.background and r.ident in started and r.org in y:
            handling.append((r.org, started[r.ident], h))
        elif r.type == CALLOUT_STARTED:
            callout = h
        elif r.type == UNIT_READY:
            ready.setdefault(r.org, h)
        elif r.type == VEHICLE_LOADED:
            vehicles.append(h)
        elif r.type == TEAM_DEPARTED:
            departed = h
        elif r.type == TEAM_ON_SITE:
            bars.append(("transit", departed if departed is not None else h, h, "#2ca02c"))
        elif r.type == ENDED:
            end = h
    if callout is not None:
        for u in units:
            bars.append((f"unit {u}", callout, ready.get(u, end or callout), "#1f77b4" if u in ready
                         else "#bbbbbb"))
    if vehicles:
        bars.append(("vehicles", min(vehicles), max(vehicles), "#8c564b"))

    last = max([b[2] for b in bars] + [h for _, _, h in handling] + [h for _, _, h in flight] + [0.1])
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.6))
    for org, a, b in waiting:
        ax.barh(y[org], b - a, left=a, height=0.5, color="#aec7e8")
    for org, a, b in handling:
        ax.barh(y[org], b - a, left=a, height=0.5, color="#1f77b4")
    for org, a, b in flight:
        ax.barh(y[org] + 0.33, b - a, left=a, height=0.14, color="#ffbb78", hatch="///", edgecolor="#ff7f0e",
                linewidth=0)
    for row, a, b, colour in bars:
        ax.barh(y[row], max(b - a, last / 400), left=a, height=0.5, color=colour)
    for org, h, typ in marks:
        marker, colour, _ = MARKERS[typ]
        ax.plot(h, y[org] - 0.3, marker=marker, color=colour, markersize=5, linestyle="")
    if callout is not None:
        ax.axvline(callout, color="#7f7f7f", linestyle=":", linewidth=1)
        ax.annotate("call-out", (callout, -0.6), fontsize=7, color="#555555")
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_ylim(len(rows) - 0.4, -0.9)
    ax.set_xlim(0, last * 1.03)
    hours_axis(ax, start)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title, fontsize=9)
    handles = [Patch(color="#1f77b4", label="handling / assembly"),
               Patch(color="#aec7e8", label="waiting for staff"),
               Patch(facecolor="#ffbb78", edgecolor="#ff7f0e", hatch="///", label="message in flight"),
               Patch(color="#8c564b", label="vehicles loading"), Patch(color="#2ca02c", label="transit"),
               *(Line2D([], [], marker=m, color=c, linestyle="", label=lbl)
                 for m, c, lbl in MARKERS.values())]
    ax.legend(handles=handles, fontsize=6.5, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.22),
              frameon=False)
    failures = sum(1 for m in marks if m[2] == MESSAGE_FAILED)
    alt = (f"{len(handling)} handling tasks, {len(flight)} messages, {failures} failed transmissions; "
           + (f"call-out at {format_duration(60 * callout)}; " if callout is not None else "no call-out; ")
           + "; ".join(f"unit {u} ready at {format_duration(60 * ready[u])}" for u in units if u in ready)
           + (f"; departed at {format_duration(60 * departed)}" if departed is not None
              else "; never departed") + ".")
    return to_svg(fig, title, alt), alt
