"""The event log: the one thing a simulation writes.

Everything that happens in a replication — a message sent, a call failing, a clerk starting on a
notice, a member assembling, the team leaving — is one record ``(t, type, org, kind, cls, ref,
info)``. Every metric, the timeline and every export are functions of this log, so nothing is
counted twice in two places.

Recording must cost next to nothing (a replication may be one of millions), so the engine appends
plain tuples in :class:`Event` field order to ``EventLog.records``; iterating an ``EventLog``
yields them as named :class:`Event` tuples for readers who prefer ``e.t`` to ``e[0]``. The
records nobody may ask for — hundreds of member records per call-out — are built only when
``records`` is first read. The
meaning of ``org``, ``kind``, ``ref`` and ``info`` for each type is listed in docs/engine.md.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
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
    ref: int
    """Message id, task id, member number or a count, depending on the type."""
    info: str
    """Type-specific detail (receiver, channel, sender, …)."""


# Messages ---------------------------------------------------------------------------------------
MESSAGE_SENT = "sent"
MESSAGE_RECEIVED = "received"
MESSAGE_FAILED = "failed"
MESSAGE_RETRIED = "retried"
MESSAGE_REROUTED = "rerouted"
MESSAGE_LOST = "lost"
# Work at an organisation ------------------------------------------------------------------------
TASK_QUEUED = "queued"
TASK_STARTED = "started"
TASK_FINISHED = "finished"
STAFF_CHANGED = "staff"
# The team ---------------------------------------------------------------------------------------
CALLOUT_STARTED = "callout"
MEMBER_PAGED = "paged"
MEMBER_UNREACHABLE = "unreachable"
MEMBER_ACKNOWLEDGED = "acknowledged"
MEMBER_ASSEMBLED = "assembled"
UNIT_READY = "unit_ready"
VEHICLE_LOADED = "vehicle_loaded"
TEAM_DEPARTED = "departed"
TEAM_ON_SITE = "on_site"
# The run ----------------------------------------------------------------------------------------
INJECT_APPLIED = "inject"
OUTAGE_APPLIED = "outage"
ENDED = "ended"


EVENT_TYPES = (
    MESSAGE_SENT, MESSAGE_RECEIVED, MESSAGE_FAILED, MESSAGE_RETRIED, MESSAGE_REROUTED, MESSAGE_LOST,
    TASK_QUEUED, TASK_STARTED, TASK_FINISHED, STAFF_CHANGED,
    CALLOUT_STARTED, MEMBER_PAGED, MEMBER_UNREACHABLE, MEMBER_ACKNOWLEDGED, MEMBER_ASSEMBLED,
    UNIT_READY, VEHICLE_LOADED, TEAM_DEPARTED, TEAM_ON_SITE,
    INJECT_APPLIED, OUTAGE_APPLIED, ENDED,
)
MEMBER_TYPES = frozenset({MEMBER_PAGED, MEMBER_UNREACHABLE, MEMBER_ACKNOWLEDGED, MEMBER_ASSEMBLED})

CSV_COLUMNS = ("replication", *Event._fields)


class EventLog:
    """The records of one replication, in time order, and what produced them.

    The engine can hand over part of a log unbuilt: ``more`` is then a function that returns the
    remaining records (the team's member and vehicle records), called the first time
    ``records`` is read. A run of replications reads only the metrics, and no metric needs those
    records, so most of them are never built (see docs/performance.md).
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
