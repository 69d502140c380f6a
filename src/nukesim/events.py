"""The event log: the one thing a simulation writes.

Everything that happens in a replication — a message sent, a call failing, a clerk starting on a
notice, a member assembling, the team leaving — is one record with the named fields of
:class:`Event`. Every metric, the timeline, the attribution and every export are functions of
this log, so nothing is counted twice in two places.

Records are typed: each field means one thing whatever the record's type, and the causal links
are fields of their own — a task names the message that set it going (``message``), a message
the task that sent it (``task``), a member record its member (``actor``) and unit (``unit``) — so
a reader follows them without parsing text. :data:`EVENT_TYPES` lists every type and the fields
it uses; a field a type does not use holds its empty value (``""``, 0, or -1 for ``handler``).

Recording must cost next to nothing (a replication may be one of millions), so the engine appends
plain tuples in :class:`Event` field order to a list (the log's ``core``), and hands over the
member and vehicle records as a function that builds them (see :class:`EventLog`); iterating an ``EventLog``
yields them as named :class:`Event` tuples for readers who prefer ``e.t`` to ``e[0]``, and
:data:`FIELD` gives each field's position for readers of the plain tuples. The records nobody may
ask for — hundreds of member records per call-out — are built only when ``records`` is first read.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import IO, NamedTuple

# ``kind`` of routine tasks and sender of the accident's class changes: names the scenario
# language reserves, defined there so that both sides agree.
from .scenario.models import ACCIDENT as ACCIDENT
from .scenario.models import BACKGROUND as BACKGROUND


class Event(NamedTuple):
    """One thing that happened, at ``t`` minutes after the initiating event."""

    t: float
    type: str
    org: str
    """The organisation concerned; a member id (``unit/n``) or a unit name for team events."""
    kind: str
    """Message kind; ``background`` for routine tasks; the member group for member events."""
    cls: str
    """Emergency class the message or task is about (empty for background work)."""
    message: int
    """Message id (from 1): the message itself, or the one that set a task going; 0 for none."""
    task: int
    """Task id (from 1): the task itself, the task that sent a message, or the task whose end
    started the call-out or gave the deploy order; 0 for none."""
    handler: int
    """Index of the handler a task runs, among its organisation's handlers; -1 for none. With seats,
    a vehicle's ``vehicle_ready`` and ``vehicle_departed`` records hold the members aboard here
    (documented in :data:`EVENT_TYPES`): ``n`` already names the vehicle, and no record that
    uses a handler is a vehicle's."""
    sender: str
    """Who sent the message (``accident`` for class changes)."""
    receiver: str
    """Whom the message is for."""
    channel: str
    """The channel of a delivery, a failed attempt, a retry, or the next channel of a reroute."""
    actor: str
    """The member (``unit/n``) a member record is about, or who completed a unit."""
    unit: str
    """The unit a member belongs to, the unit that became ready, or that held the team back."""
    n: int
    """A count: staff level, members called out, member number, members needed, vehicles."""
    detail: str
    """A word about the record: call-out method, outage begins/ends, why the run ended."""


FIELD = {name: i for i, name in enumerate(Event._fields)}
"""Position of each field in a record tuple: ``record[FIELD["message"]]``."""

T, TYPE, ORG, KIND, CLS, MESSAGE, TASK, HANDLER, SENDER, RECEIVER, CHANNEL, ACTOR, UNIT, N, DETAIL = range(15)
"""The same positions as constants, for the readers that loop over every record."""

EMPTY = Event(0.0, "", "", "", "", 0, 0, -1, "", "", "", "", "", 0, "")
"""Every field at its empty value."""


# Messages ---------------------------------------------------------------------------------------
MESSAGE_SENT = "sent"
MESSAGE_RECEIVED = "received"
MESSAGE_FAILED = "failed"
MESSAGE_RETRIED = "retried"
MESSAGE_REROUTED = "rerouted"
MESSAGE_LOST = "lost"
MESSAGE_RESENT = "resent"
# Work at an organisation ------------------------------------------------------------------------
TASK_QUEUED = "queued"
TASK_STARTED = "started"
TASK_FINISHED = "finished"
STAFF_CHANGED = "staff"
CALLS_BEGIN = "calling"
CALLS_END = "calls_done"
# The team ---------------------------------------------------------------------------------------
CALLOUT_STARTED = "callout"
MEMBER_PAGED = "paged"
MEMBER_UNREACHABLE = "unreachable"
MEMBER_ACKNOWLEDGED = "acknowledged"
MEMBER_ASSEMBLED = "assembled"
UNIT_READY = "unit_ready"
VEHICLE_LOADED = "vehicle_loaded"
VEHICLE_READY = "vehicle_ready"
VEHICLE_DEPARTED = "vehicle_departed"
VEHICLE_ON_SITE = "vehicle_on_site"
TEAM_READY = "team_ready"
BASE_READY = "base_ready"
BASE_DEPARTED = "base_departed"
BASE_ON_SITE = "base_on_site"
TEAM_DEPARTED = "departed"
TEAM_ON_SITE = "on_site"
# The run ----------------------------------------------------------------------------------------
INJECT_APPLIED = "inject"
PLAYER_ACTED = "player"
OUTAGE_APPLIED = "outage"
ENDED = "ended"


@dataclass(frozen=True)
class EventType:
    """One type of record: what it says happened, and what each field it uses means for it."""

    name: str
    what: str
    fields: dict[str, str]
    """Field name → its meaning in this type; fields not listed hold their empty value."""


_MESSAGE = {"org": "sender", "kind": "message kind", "cls": "class", "message": "message id",
            "task": "task that sent it", "sender": "sender", "receiver": "receiver"}
_TASK = {"org": "organisation", "kind": "kind handled, or `background`",
         "cls": "class (empty for background)", "message": "message that set it going (0 for background)",
         "task": "task id",
         "handler": "handler index (-1 for background work, and for a resend round's call)"}
_MEMBER = {"org": "member id", "kind": "member group", "cls": "class", "actor": "member id",
           "unit": "the member's unit", "n": "member number within its unit"}
_TEAM = {"org": "team organisation", "cls": "class"}
_SEATED = {"actor": "with seats: the member whose leaving (arrival) completed its unit's need last",
           "unit": "with seats: that member's unit", "n": "with seats: the vehicle carrying that member"}


_ABOARD = "members aboard (not a handler: vehicle records have none; metrics `aboard`, `left_behind`)"


def _types(*types: EventType) -> dict[str, EventType]:
    return {t.name: t for t in types}


EVENT_TYPES: dict[str, EventType] = _types(
    EventType(MESSAGE_SENT, "a message leaves its sender", _MESSAGE),
    EventType(MESSAGE_RECEIVED, "a message arrives (a class change arrives at the site from the accident)",
              {**_MESSAGE, "org": "receiver", "task": "task that sent it (0 for a class change)",
               "sender": "sender, or `accident`",
               "channel": "channel it came over (empty for a class change)"}),
    EventType(MESSAGE_FAILED, "the sender notices that an attempt failed",
              {**_MESSAGE, "channel": "channel that failed"}),
    EventType(MESSAGE_RETRIED, "the sender tries the same channel again",
              {**_MESSAGE, "channel": "channel tried again"}),
    EventType(MESSAGE_REROUTED, "the sender falls back to the link's next channel",
              {**_MESSAGE, "channel": "next channel"}),
    EventType(MESSAGE_LOST, "no channel got through (in the last round, with `resend`), or there is no link",
              {**_MESSAGE, "channel": "last channel tried (empty when there is no link)"}),
    EventType(MESSAGE_RESENT, "the sender starts the link's channel list again (link `resend`)",
              {**_MESSAGE, "channel": "first channel of the link", "n": "round (1 for the first resend)",
               "detail": "`after` (its time came) or `restored` (a channel came back from an outage)"}),
    EventType(TASK_QUEUED, "work arrives for the organisation's staff", _TASK),
    EventType(TASK_STARTED, "a person takes the work on", _TASK),
    EventType(TASK_FINISHED, "the work is done (and the handler's messages are sent)", _TASK),
    EventType(CALLS_BEGIN, "the person who handled a task stays on to make its calls, or a person takes on "
              "a resend round's call (links that `occupies`)",
              {**_TASK, "message": "message that set the task going; for a resend round, the message sent "
               "again", "handler": "handler index (-1 for a resend round)", "n": "calls to make"}),
    EventType(CALLS_END, "that person's last call is over: the person is free again", _TASK),
    EventType(STAFF_CHANGED, "the number of people on duty changes",
              {"org": "organisation", "n": "staff level"}),
    EventType(OUTAGE_APPLIED, "an organisation or channel becomes unavailable or available again",
              {"org": "organisation or channel", "kind": "`organisation` or `channel`",
               "detail": "`begins` or `ends`"}),
    EventType(INJECT_APPLIED, "an inject changes the world (nukesim.scenario.injects); an outage logs "
              "`outage` records instead",
              {"org": "organisation concerned (the site for a class change, the team's for members "
                      "and vehicles)", "kind": "message kind of a report; `escalates`/`de-escalates`/"
                      "`confirms` for a class change; `begins`/`ends` for a link cut",
               "cls": "class of a report or class change", "message": "message id of a report",
               "sender": "who a report claims sent it; the link's sender", "receiver": "whom it concerns",
               "channel": "a report's note: `spurious`, `contradictory` or `true`",
               "unit": "unit whose members are unavailable", "n": "members, vehicles or surge tasks",
               "detail": "the inject's type"}),
    EventType(PLAYER_ACTED, "a player's action on a message (training exercises)",
              {"org": "played organisation", "kind": "`send`, `acknowledge`, `hold`, `callout`, `deploy`, "
                      "or `refused` (no authority)", "cls": "class", "message": "message it answers",
               "task": "the player's task", "receiver": "to whom it sends",
               "detail": "message kind sent, or why it was refused"}),
    EventType(CALLOUT_STARTED, "the duty officer starts the call-out",
              {**_TEAM, "task": "the mobilise task whose end started it", "n": "members",
               "detail": "`page` or `tree`"}),
    EventType(MEMBER_PAGED, "a member is paged or called (with `repage`, again for each try)", _MEMBER),
    EventType(MEMBER_UNREACHABLE, "a page or call does not reach the member", _MEMBER),
    EventType(MEMBER_ACKNOWLEDGED, "a member acknowledges", _MEMBER),
    EventType(MEMBER_ASSEMBLED, "a member has assembled", _MEMBER),
    EventType(UNIT_READY, "enough of a unit's members have assembled",
              {"org": "unit", "cls": "class", "actor": "the member whose assembly completed it",
               "unit": "unit", "n": "members needed"}),
    EventType(VEHICLE_LOADED, "a vehicle is loaded",
              {**_TEAM, "n": "vehicle number", "detail": "its base (with team.bases)"}),
    EventType(VEHICLE_READY, "with seats: a vehicle's doors close — it is full, or its deadline came",
              {**_TEAM, "kind": "why: `full`, `leave_after` or `leave_by`",
               "actor": "the member whose boarding closed it: the last aboard when full, the first aboard "
                        "at `leave_after`; empty when the vehicle's loading did, and at `leave_by`",
               "unit": "that member's unit", "handler": _ABOARD, "n": "vehicle number",
               "detail": "its base (with team.bases)"}),
    EventType(VEHICLE_DEPARTED, "with seats: a vehicle leaves (closed, and ordered if an order is needed)",
              {**_TEAM, "task": "the deploy task (0 if none was needed)", "handler": _ABOARD,
               "n": "vehicle number", "detail": "its base (with team.bases)"}),
    EventType(VEHICLE_ON_SITE, "with seats: a vehicle arrives on site",
              {**_TEAM, "n": "vehicle number", "detail": "its base (with team.bases)"}),
    EventType(TEAM_READY, "the deploying units are ready and every vehicle loaded (not with seats)",
              {**_TEAM, "unit": "the unit ready last, or empty when the vehicles were last",
               "n": "vehicles", "detail": "the base ready last (with team.bases)"}),
    EventType(BASE_READY, "with team.bases: the base's deploying units are ready and its vehicles loaded",
              {"org": "base", "cls": "class",
               "unit": "the base's deploying unit ready last, or empty when its vehicles were last",
               "n": "the base's vehicles", "detail": "base"}),
    EventType(BASE_DEPARTED, "with team.bases: the base's part of the team leaves (with seats: the vehicle "
              "carrying the last member its units need)",
              {"org": "base", "cls": "class", "task": "the deploy task (0 if none was needed)",
               **_SEATED, "detail": "base"}),
    EventType(BASE_ON_SITE, "with team.bases: the base's part of the team arrives on site (with seats: "
              "the last member its units need)",
              {"org": "base", "cls": "class", **_SEATED, "detail": "base"}),
    EventType(TEAM_DEPARTED, "the team leaves (ready, and ordered if an order is needed; with bases, "
              "the last base leaves; with seats, the vehicle carrying the last member the units need)",
              {**_TEAM, "task": "the deploy task whose end gave the order (0 if none was needed)",
               **_SEATED, "detail": "the base that left last (with team.bases)"}),
    EventType(TEAM_ON_SITE, "the team arrives on site (with bases, the last base arrives; with seats, the "
              "last member the units need)",
              {**_TEAM, **_SEATED, "detail": "the base that arrived last (with team.bases)"}),
    EventType(ENDED, "the run ends", {"detail": "`horizon` or `done`"}),
)
"""Every record type, in the order of docs/engine.md's table."""

MESSAGE_TYPES = frozenset({MESSAGE_SENT, MESSAGE_RECEIVED, MESSAGE_FAILED, MESSAGE_RETRIED, MESSAGE_REROUTED,
                           MESSAGE_LOST, MESSAGE_RESENT})
TASK_TYPES = frozenset({TASK_QUEUED, TASK_STARTED, TASK_FINISHED})
CALL_TYPES = frozenset({CALLS_BEGIN, CALLS_END})
MEMBER_TYPES = frozenset({MEMBER_PAGED, MEMBER_UNREACHABLE, MEMBER_ACKNOWLEDGED, MEMBER_ASSEMBLED})

CSV_COLUMNS = ("replication", *Event._fields)


class EventLog:
    """The records of one replication, in time order, and what produced them.

    The engine can hand over part of a log unbuilt: ``more`` is then a function that returns the
    remaining records (the team's member and vehicle records), called the first time
    ``records`` is read. A run of replications reads only the metrics, and no metric needs those
    records (but ``left_behind``, for a team with seats), so most of them are never built (see
    docs/performance.md).
    """

    __slots__ = ("core", "_records", "_more", "scenario", "seed", "replication")

    def __init__(self, records: list[tuple], scenario: str, seed: int, replication: int,
                 more: Callable[[], list[tuple]] | None = None) -> None:
        self.core = records
        """The records the log was made with, in time order: all of them, unless ``more`` was
        given — then every record but the member and vehicle records. Metrics read only these."""
        self._records = None if more is not None else records
        self._more = more
        self.scenario = scenario
        self.seed = seed
        self.replication = replication

    @property
    def records(self) -> list[tuple]:
        """Plain tuples in :class:`Event` field order (cheap to record; index them or wrap them).

        Where records built on demand share a time with the others, they come first: a member
        assembling is what makes the unit ready at that instant.
        """
        if self._records is None:
            more = self._more()
            more.sort(key=itemgetter(0))
            more.extend(self.core)
            more.sort(key=itemgetter(0))  # stable, and both halves are already sorted runs
            self._records, self._more = more, None
        return self._records

    def __reduce__(self):
        return (EventLog, (self.records, self.scenario, self.seed, self.replication))

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[Event]:
        make = Event._make
        return (make(r) for r in self.records)

    def __repr__(self) -> str:
        return (f"EventLog({self.scenario!r}, seed={self.seed}, replication={self.replication}, "
                f"{len(self.records)} records)")

    @property
    def end(self) -> float:
        """The time the run ended (the ``ended`` record), or the last record's time."""
        for r in reversed(self.core):
            if r[1] == ENDED:
                return r[0]
        return self.records[-1][0] if self.records else 0.0

    def to_csv(self, target: str | os.PathLike | IO[str], *, header: bool = True) -> None:
        """Write the log as CSV text, the same bytes for the same log on every platform.

        Columns are ``replication`` and the :class:`Event` fields; times are written with
        ``repr`` (the shortest text that reads back as the same float). ``header=False`` appends
        the rows of another replication to a file already started.
        """
        if isinstance(target, (str, os.PathLike)):
            with open(target, "w", newline="", encoding="utf-8") as fh:
                self._write(fh, header)
        else:
            self._write(target, header)

    def _write(self, fh: IO[str], header: bool) -> None:
        writer = csv.writer(fh, lineterminator="\n")
        if header:
            writer.writerow(CSV_COLUMNS)
        rep = self.replication
        writer.writerows((rep, repr(float(r[0])), *r[1:]) for r in self.records)
