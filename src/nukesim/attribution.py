"""What made it slow: each milestone's time split along its critical path.

A milestone (``notified:<org>``, ``callout_started``, ``unit_ready:<unit>``, ``team_mobilized``,
``team_departed``, ``team_on_site``; with ``class_milestones``, ``declared:<class>`` and
``notified:<org>@<class>``) happens at the end of a causal chain of records: the class
change reaches the site, a task there sends a message, the message's arrival sets a task going
at the next organisation, … the mobilise task starts the call-out, the member who completes the
limiting unit assembles, the vehicles are loaded, the order comes, the team drives. The typed
event log names every link of that chain (a task's ``message``, a message's ``task``), so the
chain is read back from the log, never guessed; ``critical_path`` returns it as consecutive
:class:`Step` s from t = 0 to the milestone, and so the components add up to the milestone's
time in every replication.

The components (docs/attribution.md):

- ``class_wait``: until the class change that starts the chain reaches the site (scenario input);
- ``queueing``: a task waiting for a free person at its organisation (busy, off duty, handover,
  outage);
- ``handling``: the task being worked on;
- ``holding``: a message waiting at its organisation for the approval or the other ``wait_for``
  senders its handler needs (the chain follows the message the task handles: for ``wait_for`` the
  first of the set);
- ``sending``: a message waiting, after its task was handled, for the sender's earlier calls of
  that task to be over (links that ``occupies`` the sender; zero otherwise);
- ``transmission``: a message on its link — delay, failures, detection, retries, fallbacks, and
  the waits between ``resend`` rounds (and for a person free to make a round's call);
- ``callout``: from the call-out's start until the limiting unit is ready (delay, acknowledgement,
  travel, re-pages);
- ``loading``: vehicles still loading once the first unit was ready, when they were the last
  thing the team waited for;
- ``seat_wait``: with ``vehicles.seats``, a vehicle with members aboard waiting for more until its
  deadline (``leave_after`` from its first boarding, ``leave_by`` from the call-out's start);
- ``deploy_wait``: the team (with seats, the vehicle) ready, waiting for the deploy order;
- ``transit``: the drive to the site (``where``: the base that arrived last, with ``team.bases``).

With ``team.bases`` a departure's path runs through the base that left (or arrived) last: its
``deploy_wait`` from the moment it could leave (as a convoy, when the base ready last was ready),
and that base's last unit or its own ``loading`` (``where``: the base).

With ``vehicles.seats`` a departure's path runs through the vehicle carrying the last member the
units need (``departed``, ``on_site`` and the base records name it): its wait for the order, and
why its doors closed (its last member's assembly or its loading when full; ``seat_wait`` at a
deadline).

A milestone's chain can pass through one organisation or link more than once; ``where`` names the
organisation, the link (``sender->receiver``), the unit, or is empty.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from sys import intern
from typing import IO, TYPE_CHECKING

import numpy as np

from .events import (
    ACCIDENT,
    BASE_DEPARTED,
    BASE_ON_SITE,
    BASE_READY,
    CALLOUT_STARTED,
    CLS,
    DETAIL,
    KIND,
    MESSAGE,
    MESSAGE_RECEIVED,
    MESSAGE_SENT,
    ORG,
    RECEIVER,
    SENDER,
    TASK,
    TASK_FINISHED,
    TASK_QUEUED,
    TASK_STARTED,
    TEAM_DEPARTED,
    TEAM_ON_SITE,
    TEAM_READY,
    UNIT,
    UNIT_READY,
    VEHICLE_DEPARTED,
    VEHICLE_READY,
    EventLog,
    N,
)
from .scenario.metricdefs import milestone_names
from .scenario.problems import unknown
from .stats import mean_ci, share_ci

if TYPE_CHECKING:
    import pandas as pd

    from .scenario.models import Scenario

COMPONENTS = ("class_wait", "queueing", "handling", "sending", "transmission", "holding", "callout",
              "loading", "seat_wait", "deploy_wait", "transit")
"""Every component, in the order a chain passes them."""

CSV_COLUMNS = ("replication", "metric", "component", "where", "minutes")
"""The columns of attribution.csv (one row per replication, metric, component and where)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One piece of a critical path: ``component`` at ``where`` from ``start`` to ``end`` (minutes)."""

    component: str
    where: str
    start: float
    end: float

    @property
    def minutes(self) -> float:
        return self.end - self.start


class _Index:
    """The links of one log's chain, looked up by id: tasks, messages, team milestones."""

    def __init__(self, log: EventLog, scenario: Scenario | None = None) -> None:
        team = None if scenario is None else scenario.team
        self.convoy = team is None or team.departure == "convoy"
        self.base_units: dict[str, list[str]] = {}
        """With ``team.bases``: each base's units."""
        for name, unit in (team.units.items() if team is not None else ()):
            self.base_units.setdefault(unit.base or "", []).append(name)
        self.base_ready: dict[str, tuple[float, str]] = {}
        self.base_departed: dict[str, float] = {}
        self.base_on_site: dict[str, float] = {}
        self.team_ready_base = self.departed_base = self.on_site_base = ""
        self.leave_after: dict[str, float | None] = {}
        """With ``vehicles.seats``: each base's ``leave_after`` ("" for a team without bases)."""
        if team is not None and (team.vehicles.seats is not None
                                 or any(b.vehicles.seats is not None for b in team.bases.values())):
            self.leave_after = {"": team.vehicles.leave_after,
                                **{name: b.vehicles.leave_after for name, b in team.bases.items()}}
        self.vehicle_ready: dict[int, tuple[float, str, str, str]] = {}
        """With seats: vehicle number -> (closed, why, the unit of the member who closed it, base)."""
        self.vehicle_departed: dict[int, float] = {}
        self.milestone_vehicle: dict[tuple[str, str], int] = {}
        """With seats: (record type, base or "") -> the vehicle carrying the member that completed it."""
        self.tasks: dict[int, list] = {}  # task id -> [org, message, queued, started, finished]
        self.messages: dict[int, list] = {}  # message id -> [sender, receiver, task, sent, received]
        self.notified: dict[str, int] = {}  # organisation -> the first message it received
        self.notified_of: dict[tuple[str, str], int] = {}  # (organisation, class) -> the first message
        self.declared: dict[str, int] = {}  # class -> the class change that declared it
        self.callout: tuple[float, int] | None = None
        self.ready: dict[str, float] = {}
        self.team_ready: tuple[float, str] | None = None
        self.departed: float | None = None
        self.on_site: float | None = None
        self._paths: dict[int, tuple] = {}
        for r in log.core:  # the chain never needs the member and vehicle records
            typ, t = r[1], r[0]
            if typ == TASK_QUEUED:
                self.tasks[r[TASK]] = [r[ORG], r[MESSAGE], t, math.nan, math.nan]
            elif typ == TASK_STARTED:
                self.tasks[r[TASK]][3] = t
            elif typ == TASK_FINISHED:
                self.tasks[r[TASK]][4] = t
            elif typ == MESSAGE_SENT:
                self.messages[r[MESSAGE]] = [r[SENDER], r[RECEIVER], r[TASK], t, math.nan]
            elif typ == MESSAGE_RECEIVED:
                m = r[MESSAGE]
                if r[SENDER] == ACCIDENT:
                    self.messages[m] = [ACCIDENT, r[RECEIVER], 0, 0.0, t]
                    self.declared.setdefault(r[CLS], m)
                else:
                    self.messages[m][4] = t
                self.notified.setdefault(r[ORG], m)
                self.notified_of.setdefault((r[ORG], r[CLS]), m)
            elif typ == CALLOUT_STARTED:
                self.callout = (t, r[TASK])
            elif typ == UNIT_READY:
                self.ready.setdefault(r[UNIT], t)
            elif typ == TEAM_READY:
                self.team_ready = (t, r[UNIT])
                self.team_ready_base = r[DETAIL]
            elif typ == TEAM_DEPARTED:
                self.departed = t
                self.departed_base = r[DETAIL]
                self.milestone_vehicle[(typ, "")] = r[N]
            elif typ == TEAM_ON_SITE:
                self.on_site = t
                self.on_site_base = r[DETAIL]
                self.milestone_vehicle[(typ, "")] = r[N]
            elif typ == BASE_READY:
                self.base_ready[r[ORG]] = (t, r[UNIT])
            elif typ == BASE_DEPARTED:
                self.base_departed[r[ORG]] = t
                self.milestone_vehicle[(typ, r[ORG])] = r[N]
            elif typ == BASE_ON_SITE:
                self.base_on_site[r[ORG]] = t
                self.milestone_vehicle[(typ, r[ORG])] = r[N]
            elif typ == VEHICLE_READY:
                self.vehicle_ready[r[N]] = (t, r[KIND], r[UNIT], r[DETAIL])
            elif typ == VEHICLE_DEPARTED:
                self.vehicle_departed[r[N]] = t

    # A path is a tuple of steps ``(component, where, start, end)``, latest first. The paths of
    # the milestones share their beginnings (every team milestone starts with the call-out's
    # chain), so each message's and task's path is built once and kept.

    def message_path(self, m: int) -> tuple:
        """Steps back from message ``m``'s arrival to t = 0."""
        path = self._paths.get(m)
        if path is None:
            sender, receiver, task, sent, received = self.messages[m]
            if sender == ACCIDENT:
                path = (("class_wait", "", 0.0, received),)
            else:
                org, finished = self.tasks[task][0], self.tasks[task][4]
                path = (("transmission", f"{sender}->{receiver}", sent, received),
                        ("sending", org, finished, sent), *self.task_path(task))
            self._paths[m] = path
        return path

    def task_path(self, task: int) -> tuple:
        """Steps back from the end of ``task`` to t = 0."""
        org, m, queued, started, finished = self.tasks[task]
        return (("handling", org, started, finished), ("queueing", org, queued, started),
                ("holding", org, self.messages[m][4], queued), *self.message_path(m))

    def unit_path(self, unit: str) -> tuple:
        assert self.callout is not None
        start, task = self.callout
        return (("callout", unit, start, self.ready[unit]), *self.task_path(task))

    def departure_path(self) -> tuple:
        assert self.team_ready is not None and self.departed is not None
        if self.base_departed:  # team.bases: the departure of the base that left last
            return self.base_departure_path(self.departed_base)
        ready, last = self.team_ready
        wait = ("deploy_wait", "", ready, self.departed)
        if last:
            return (wait, *self.unit_path(last))
        # the vehicles were loaded last; loading began when the first unit was ready
        first = min(self.ready, key=self.ready.__getitem__)
        return (wait, ("loading", "", self.ready[first], ready), *self.unit_path(first))

    def base_departure_path(self, base: str) -> tuple:
        """With ``team.bases``: back from base ``base`` leaving. As a convoy it left when every base
        was ready (the one ready last limits it), else when it was ready itself; then the order."""
        departed = self.base_departed[base]
        limiting = self.team_ready_base if self.convoy else base
        ready, last = self.base_ready[limiting]
        wait = ("deploy_wait", "", ready, departed)
        if last:
            return (wait, *self.unit_path(last))
        # the base's vehicles were loaded last; loading began when its first unit was ready
        first = min((u for u in self.base_units[limiting] if u in self.ready), key=self.ready.__getitem__)
        return (wait, ("loading", limiting, self.ready[first], ready), *self.unit_path(first))

    def vehicle_path(self, n: int) -> tuple:
        """With seats: back from vehicle ``n`` leaving. It waited for the deploy order after its doors
        closed; they closed when it was full (its last member's assembly, or its own loading), or
        ``leave_after`` after its first member boarded (``seat_wait``, then that member's assembly
        or the loading), or at ``leave_by`` after the call-out (``seat_wait`` from the call-out)."""
        assert self.callout is not None
        closed, why, unit, base = self.vehicle_ready[n]
        start, task = self.callout
        head: tuple = (("deploy_wait", "", closed, self.vehicle_departed[n]),)
        if why == "leave_by":
            return (*head, ("seat_wait", base, start, closed), *self.task_path(task))
        boarded = closed
        if why == "leave_after":
            boarded = closed - self.leave_after[base]
            head = (*head, ("seat_wait", base, boarded, closed))
        if unit:
            return (*head, ("callout", unit, start, boarded), *self.task_path(task))
        # the vehicle's loading was last; loading began when the base's first unit was ready
        first = min((u for u in self.base_units[base] if u in self.ready), key=self.ready.__getitem__)
        return (*head, ("loading", base, self.ready[first], boarded), *self.unit_path(first))

    def vehicle_arrival_path(self, typ: str, base: str, arrived: float) -> tuple:
        """With seats: the transit of the vehicle carrying the member who completed ``typ``."""
        n = self.milestone_vehicle[(typ, base)]
        base = self.vehicle_ready[n][3]
        return (("transit", base, self.vehicle_departed[n], arrived), *self.vehicle_path(n))

    def path(self, metric: str, units: Iterable[str]) -> tuple | None:
        """The path of a milestone metric, latest step first; None if it did not happen."""
        prefix, _, name = metric.partition(":")
        if prefix == "notified" and "@" in name:  # the first message about one class
            key = tuple(name.split("@", 1))
            return self.message_path(self.notified_of[key]) if key in self.notified_of else None
        if prefix == "declared":  # the class change itself: all class_wait
            return self.message_path(self.declared[name]) if name in self.declared else None
        if prefix == "notified":
            return self.message_path(self.notified[name]) if name in self.notified else None
        if prefix == "callout_started":
            return None if self.callout is None else self.task_path(self.callout[1])
        if prefix == "unit_ready":
            return self.unit_path(name) if name in self.ready else None
        if prefix == "team_mobilized":
            units = list(units)
            if any(u not in self.ready for u in units):
                return None
            return self.unit_path(max(units, key=self.ready.__getitem__))  # the first of equals
        if prefix == "base_on_site" and self.leave_after:
            return (self.vehicle_arrival_path(BASE_ON_SITE, name, self.base_on_site[name])
                    if name in self.base_on_site else None)
        if prefix in ("team_departed", "team_on_site") and self.leave_after:
            if prefix == "team_departed":
                return None if self.departed is None else self.vehicle_path(
                    self.milestone_vehicle[(TEAM_DEPARTED, "")])
            return None if self.on_site is None else self.vehicle_arrival_path(TEAM_ON_SITE, "", self.on_site)
        if prefix == "base_on_site":
            if name not in self.base_on_site:
                return None
            return (("transit", name, self.base_departed[name], self.base_on_site[name]),
                    *self.base_departure_path(name))
        if prefix == "team_departed":
            return None if self.departed is None else self.departure_path()
        if prefix == "team_on_site":
            if self.on_site is None:
                return None
            if self.base_departed:  # team.bases: the base that arrived last
                base = self.on_site_base
                return (("transit", base, self.base_departed[base], self.on_site),
                        *self.base_departure_path(base))
            return (("transit", "", self.departed, self.on_site), *self.departure_path())
        raise ValueError(f"{metric!r} is not a milestone metric (see nukesim.scenario.metricdefs)")


def critical_path(log: EventLog, metric: str, scenario: Scenario) -> list[Step] | None:
    """The steps from t = 0 to ``metric``'s event, in time order; None if it did not happen."""
    return critical_paths(log, scenario, [metric])[metric]


def critical_paths(log: EventLog, scenario: Scenario, metrics: Iterable[str] | None = None
                   ) -> dict[str, list[Step] | None]:
    """The critical path of every milestone metric (or of ``metrics``); None where it is missing."""
    x = _Index(log, scenario)
    out: dict[str, list[Step] | None] = {}
    for metric in milestone_names(scenario) if metrics is None else metrics:
        path = x.path(metric, scenario.team.units)
        out[metric] = None if path is None else [Step(*step) for step in reversed(path)]
    return out


def attribution_rows(log: EventLog, scenario: Scenario) -> list[tuple[str, str, str, float]]:
    """``(metric, component, where, minutes)`` of one replication: every milestone's path summed
    by component and where, in chain order, zero minutes left out (the rows of attribution.csv)."""
    x = _Index(log, scenario)
    units = scenario.team.units
    rows: list[tuple[str, str, str, float]] = []
    for metric in milestone_names(scenario):
        path = x.path(metric, units)
        if path is None:
            continue
        summed: dict[tuple[str, str], float] = {}
        for component, where, start, end in reversed(path):
            if end != start:
                key = (component, where)
                summed[key] = summed.get(key, 0.0) + (end - start)
        # names interned: a run keeps these rows for every replication, and they repeat
        metric = intern(metric)
        rows += [(metric, c, intern(w), m) for (c, w), m in summed.items() if m != 0.0]
    return rows


# --- over replications --------------------------------------------------------------------------

SUMMARY_COLUMNS = ("metric", "component", "where", "mean", "mean_low", "mean_high", "share", "share_low",
                   "share_high", "on_path", "on_path_low", "on_path_high", "n", "missing")
"""The columns of :func:`summarise_attribution`'s DataFrame."""


def summarise_attribution(rows: Sequence[tuple[int, str, str, str, float]], milestones: dict[str, np.ndarray],
                          replications: Sequence[int]) -> pd.DataFrame:
    """Each (metric, component, where) over the replications, largest mean first within a metric.

    ``rows`` are ``(replication, metric, component, where, minutes)``; ``milestones`` holds each
    milestone metric's value per replication (NaN = missing) in the order of ``replications``.
    Over the ``n`` replications where the milestone happened (a missing one is counted in
    ``missing``, not dropped): ``mean`` minutes (0 where it was not on the path) with its 95 % CI;
    ``share`` of the milestone's time, the mean over those replications with a time above 0; and
    ``on_path``, the share of replications in which it was on the path at all (Wilson interval).
    """
    import pandas as pd

    position = {r: i for i, r in enumerate(replications)}
    grouped: dict[tuple[str, str, str], dict[int, float]] = {}
    for rep, metric, component, where, minutes in rows:
        if metric in milestones:
            per = grouped.setdefault((metric, component, where), {})
            per[position[rep]] = per.get(position[rep], 0.0) + minutes
    order = {c: i for i, c in enumerate(COMPONENTS)}
    out = []
    for metric, values in milestones.items():
        done = ~np.isnan(values)
        n, missing = int(done.sum()), int((~done).sum())
        total = values[done]
        positive = total > 0
        keys = sorted((k for k in grouped if k[0] == metric), key=lambda k: (order[k[1]], k[2]))
        for key in keys:
            minutes = np.zeros(len(values))
            per = grouped[key]
            minutes[list(per)] = list(per.values())
            minutes = minutes[done]
            shares = minutes[positive] / total[positive]
            on = int(np.count_nonzero(np.isin(np.flatnonzero(done), list(per))))
            # minutes and shares are never negative: a t-interval reaching below 0 is cut there
            mean_low, mean_high = mean_ci(minutes) if n else (math.nan, math.nan)
            share_low, share_high = mean_ci(shares) if len(shares) else (math.nan, math.nan)
            mean_low, share_low = max(0.0, mean_low), max(0.0, share_low)
            on_low, on_high = share_ci(on, n)
            out.append((metric, key[1], key[2], float(minutes.mean()) if n else math.nan, mean_low, mean_high,
                        float(shares.mean()) if len(shares) else math.nan, share_low, share_high,
                        on / n if n else math.nan, on_low, on_high, n, missing))
    frame = pd.DataFrame(out, columns=list(SUMMARY_COLUMNS))
    metric_order = {m: i for i, m in enumerate(milestones)}
    frame["_m"] = frame["metric"].map(metric_order)
    frame = frame.sort_values(["_m", "mean"], ascending=[True, False], kind="stable").drop(columns="_m")
    return frame.reset_index(drop=True)


def explain(result, metrics: Iterable[str] | None = None) -> pd.DataFrame:
    """The attribution of a ``Replications`` run with ``attribution=True``, as a DataFrame
    (:data:`SUMMARY_COLUMNS`), for every milestone metric or those in ``metrics``."""
    if result.attribution is None:
        raise ValueError("these replications kept no attribution: run replicate(..., attribution=True)")
    names = milestone_names(result.scenario)
    chosen = names if metrics is None else list(metrics)
    for metric in chosen:
        if metric not in names:
            raise ValueError(unknown("milestone metric", metric, names))
    reps = list(range(result.first, result.first + len(result)))
    rows = [(r, *row) for r in reps for row in result.attribution.get(r, ()) if row[0] in chosen]
    return summarise_attribution(rows, {m: result.column(m) for m in chosen}, reps)


def write_csv(target: str | os.PathLike | IO[str], result) -> None:
    """attribution.csv: one row per replication, milestone, component and where with non-zero
    minutes (``repr`` of the float, exact when read back); a missing milestone has no rows."""
    if isinstance(target, (str, os.PathLike)):
        with open(target, "w", newline="", encoding="utf-8") as fh:
            write_csv(fh, result)
        return
    target.write(CSV_HEADER)
    for r in sorted(result.attribution or {}):
        target.write(csv_lines(r, result.attribution[r]))


CSV_HEADER = ",".join(CSV_COLUMNS) + "\n"
"""The first line of attribution.csv."""


def csv_lines(replication: int, rows: Sequence[tuple[str, str, str, float]]) -> str:
    """One replication's lines of attribution.csv (its ``attribution_rows``): made in the worker
    that ran it, so that ``run --out`` only appends them to the file, in replication order."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(
        (replication, metric, component, where, repr(float(minutes)))
        for metric, component, where, minutes in rows)
    return text.getvalue()
