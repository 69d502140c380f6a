"""The timeline: one replication told as who knew what, and when.

``format_timeline(log, scenario)`` turns an event log into rows ``(time, who, what, detail)`` a
trainer can read aloud: the messages each organisation received (from whom, over which channel),
the failures, retries and reroutes on the way, the work done on them, the call-out, the units
reaching readiness, the vehicles, the departure and the arrival. Member-level events are
summarised per unit ("12 of 95 unreachable"); routine background work, and staff changes after
the last thing that happened, are left out. The rows are
plain strings, so any front end (the CLI prints them with rich) can lay them out.
"""

from __future__ import annotations

from .events import (
    ACCIDENT,
    BACKGROUND,
    BASE_DEPARTED,
    BASE_ON_SITE,
    BASE_READY,
    CALLOUT_STARTED,
    CALLS_BEGIN,
    CALLS_END,
    ENDED,
    INJECT_APPLIED,
    MEMBER_ACKNOWLEDGED,
    MEMBER_ASSEMBLED,
    MEMBER_PAGED,
    MEMBER_UNREACHABLE,
    MESSAGE_FAILED,
    MESSAGE_LOST,
    MESSAGE_RECEIVED,
    MESSAGE_REROUTED,
    MESSAGE_RESENT,
    MESSAGE_RETRIED,
    MESSAGE_SENT,
    OUTAGE_APPLIED,
    PLAYER_ACTED,
    STAFF_CHANGED,
    TASK_FINISHED,
    TASK_QUEUED,
    TASK_STARTED,
    TEAM_DEPARTED,
    TEAM_ON_SITE,
    UNIT_READY,
    VEHICLE_DEPARTED,
    VEHICLE_LOADED,
    VEHICLE_ON_SITE,
    VEHICLE_READY,
    EventLog,
)
from .scenario.durations import format_clock, format_duration
from .scenario.models import Scenario

Row = tuple[str, str, str, str]


def format_time(scenario: Scenario, t: float) -> str:
    """``'52.0m Mon 10:52'``: the time since t = 0 and the wall clock in the start's zone."""
    return f"{format_duration(t)} {format_clock(scenario.start, t)}"


class _Unit:
    __slots__ = ("paged", "pages", "unreachable", "assembled", "last_call", "last_row")

    def __init__(self) -> None:
        self.paged: set[str] = set()
        """Members paged (or called) at least once."""
        self.pages = 0
        """Pages (or calls), re-pages included."""
        self.unreachable: set[str] = set()
        """Members not reached at their latest page (a re-page may reach them yet)."""
        self.assembled = 0
        self.last_call = -1.0
        self.last_row = 0.0


def format_timeline(log: EventLog, scenario: Scenario) -> list[Row]:
    """The rows of the timeline of one replication, in time order."""
    rows: list[tuple[float, float, str, str, str]] = []

    def row(t: float, who: str, what: str, detail: str = "", order: float | None = None) -> None:
        rows.append((t, len(rows) if order is None else order, who, what, detail))

    team = scenario.team
    units = {name: _Unit() for name in team.units}
    sent: dict[int, float] = {}  # message id -> time sent
    queued: dict[int, float] = {}
    started: dict[int, float] = {}
    vehicles: list[float] = []
    departed = None
    end = None
    last = 0.0  # the last time anything happened but routine work and staff changes
    callout_row: int | None = None  # the call-out's row: the members it pages come after it
    staff_rows: list[int] = []
    fleet = team.vehicles.count + sum(b.vehicles.count for b in team.bases.values())
    departed_from: dict[str, float] = {}
    vehicle_left: dict[int, float] = {}
    for e in log:
        t, typ, org, kind, cls = e.t, e.type, e.org, e.kind, e.cls
        if typ != STAFF_CHANGED and typ != ENDED and kind != BACKGROUND:
            last = t
        about = f"{kind} ({cls})" if cls else kind
        if typ == MESSAGE_SENT:
            sent[e.message] = t
            row(t, org, f"sends {about}", f"to {e.receiver}")
        elif typ == MESSAGE_RECEIVED:
            if e.sender == ACCIDENT:
                row(t, org, f"accident at class {cls}", "the emergency class changes at the site")
            else:
                took = t - sent.get(e.message, t)
                row(t, org, f"receives {about}",
                    f"from {e.sender} via {e.channel}, {format_duration(took)} after sending")
        elif typ == MESSAGE_FAILED:
            row(t, org, f"{kind} failed on {e.channel}", f"to {e.receiver}")
        elif typ == MESSAGE_RETRIED:
            row(t, org, f"retries {kind}", f"to {e.receiver} on {e.channel}")
        elif typ == MESSAGE_REROUTED:
            row(t, org, f"reroutes {kind}", f"to {e.receiver} via {e.channel}")
        elif typ == MESSAGE_LOST:
            row(t, org, f"{kind} lost", f"to {e.receiver}: no channel got through")
        elif typ == MESSAGE_RESENT:
            why = "a channel is back" if e.detail == "restored" else "after the resend interval"
            row(t, org, f"sends {kind} again (round {e.n})", f"to {e.receiver} via {e.channel}: {why}")
        elif kind == BACKGROUND and typ in (TASK_QUEUED, TASK_STARTED, TASK_FINISHED):
            continue
        elif typ == TASK_QUEUED:
            queued[e.task] = t
        elif typ == TASK_STARTED:
            started[e.task] = t
            waited = t - queued.get(e.task, t)
            row(t, org, f"works on {about}",
                f"waited {format_duration(waited)} for free staff" if waited else "")
        elif typ == TASK_FINISHED:
            row(t, org, f"done with {about}", f"took {format_duration(t - started.get(e.task, t))}")
        elif typ == STAFF_CHANGED:
            staff_rows.append(len(rows))
            row(t, org, f"{e.n} on duty", "")
        elif typ == CALLS_BEGIN and e.handler < 0:  # a resend round's call (link ``occupies``)
            waited = t - queued.get(e.task, t)
            row(t, org, f"calls again: {about}",
                f"waited {format_duration(waited)} for free staff" if waited else "")
        elif typ == CALLS_BEGIN:
            calls = f"{e.n} call{'s' if e.n != 1 else ''}"
            row(t, org, f"makes the calls of {about}", f"{calls}, one after another")
        elif typ == CALLS_END:
            row(t, org, f"{'call' if e.handler < 0 else 'calls'} of {about} done", "free again")
        elif typ == OUTAGE_APPLIED:
            row(t, org, "unavailable" if e.detail == "begins" else "available again", kind)
        elif typ == INJECT_APPLIED:
            row(t, org, "inject", e.detail)
        elif typ == PLAYER_ACTED:
            row(t, org, f"player: {kind}", f"{e.detail} to {e.receiver}" if e.receiver else e.detail)
        elif typ == CALLOUT_STARTED:
            how = (f"page to all {e.n} members" if e.detail == "page"
                   else f"call tree, each caller calls {team.callout.fanout}; {e.n} members")
            callout_row = len(rows)
            row(t, org, "starts the call-out", how)
        elif typ == MEMBER_PAGED:
            u = units[e.unit]
            u.paged.add(e.actor)
            u.pages += 1
            u.last_call, u.last_row = t, len(rows) - 0.5
        elif typ == MEMBER_UNREACHABLE:
            u = units[e.unit]
            u.unreachable.add(e.actor)
            u.last_call, u.last_row = t, len(rows) - 0.5
        elif typ == MEMBER_ACKNOWLEDGED:
            units[e.unit].unreachable.discard(e.actor)  # reached by a re-page
        elif typ == MEMBER_ASSEMBLED:
            units[e.unit].assembled += 1
        elif typ == UNIT_READY:
            u = units[e.unit]
            row(t, e.unit, "unit ready", f"{e.n} of {team.units[e.unit].size} assembled"
                f" ({len(u.unreachable)} unreachable so far)")
        elif typ == VEHICLE_LOADED:
            vehicles.append(t)
            if len(vehicles) == fleet:
                row(t, org, "vehicles loaded", f"all {len(vehicles)}, the first at "
                    f"{format_time(scenario, vehicles[0])}")
        elif typ == VEHICLE_READY:
            why = {"full": "full", "leave_after": "its leave_after deadline",
                   "leave_by": "the leave_by deadline"}[kind]
            whose = (f" (boarding of {e.actor})" if e.actor else
                     " (members waited for its loading)" if kind != "leave_by" else "")
            row(t, e.detail or org, f"vehicle {e.n} ready to leave", f"{why}, {e.handler} aboard{whose}")
        elif typ == VEHICLE_DEPARTED:
            vehicle_left[e.n] = t
            row(t, e.detail or org, f"vehicle {e.n} leaves for the site, {e.handler} aboard", "")
        elif typ == VEHICLE_ON_SITE:
            row(t, e.detail or org, f"vehicle {e.n} on site",
                f"after {format_duration(t - vehicle_left.get(e.n, t))} in transit")
        elif typ == TEAM_DEPARTED:
            departed = t
            deploy = team.deploy.units
            if e.n:  # seats: the vehicle carrying the last member the units need
                row(t, "team", "departs for the site", f"enough of every unit on its way: {e.actor} "
                    f"in vehicle {e.n}")
                continue
            row(t, "team", "departs for the site", "all units" if deploy == "all" else ", ".join(deploy))
        elif typ == BASE_READY:
            row(t, org, "base ready to leave", f"{e.n} vehicles loaded")
        elif typ == BASE_DEPARTED:
            departed_from[org] = t
            row(t, org, "leaves for the site", "")
        elif typ == BASE_ON_SITE:
            row(t, org, "on site", f"after {format_duration(t - departed_from.get(org, t))} in transit")
        elif typ == TEAM_ON_SITE and e.n:  # seats
            row(t, "team", "on site", f"enough of every unit: {e.actor} in vehicle {e.n}")
        elif typ == TEAM_ON_SITE:
            row(t, "team", "on site",
                f"after {format_duration(t - departed)} in transit" if departed is not None else "")
        elif typ == ENDED:
            end = t
    if end is None:
        end = log.records[-1][0] if log.records else 0.0

    for name, u in units.items():
        size = team.units[name].size
        if u.paged:
            verb = "paged" if team.callout.method == "page" else "called"
            again = u.pages - len(u.paged)
            detail = f"{len(u.unreachable)} of {len(u.paged)} unreachable"
            if again:
                detail += f" ({again} {verb} again)"
            # causes before effects: at the call-out's own instant, after the call-out
            order = u.last_row if callout_row is None else max(u.last_row, callout_row + 0.5)
            row(u.last_call, name, f"{len(u.paged)} of {size} members {verb}", detail, order=order)
    if vehicles and len(vehicles) < fleet:
        row(end, team.organisation, "vehicles not all loaded", f"{len(vehicles)} of {fleet}")
    ready = {e.unit for e in log if e.type == UNIT_READY}
    for name, u in units.items():
        if u.paged and name not in ready:
            row(end, name, "unit not ready", f"{u.assembled} of {team.units[name].size} assembled,"
                f" {len(u.unreachable)} unreachable")
    reason = next((e.detail for e in log if e.type == ENDED), "")
    row(end, "", "end of run", "horizon reached" if reason == "horizon"
        else "team on site and nothing under way")

    # staff changes matter while something is going on, not through the quiet hours after
    quiet = {i for i in staff_rows if rows[i][0] > last}
    rows = [r for i, r in enumerate(rows) if i not in quiet]
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(format_time(scenario, t), who, what, detail) for t, _, who, what, detail in rows]
