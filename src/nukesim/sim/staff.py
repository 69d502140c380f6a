"""Duty staff: the people on duty at an organisation, as slots that work competes for.

An organisation has a slot per person at the busiest moment of its day. When fewer people are on
duty (a night shift, a handover, an outage) the spare slots are taken by *off-duty blockers*,
which go before any queued work but never interrupt it — a shift that shrinks while people are
busy shrinks as they finish. Work waits in one queue, served first by priority (accident work 0,
routine background work 1), then first come, first served.

This is the behaviour of a ``simpy.PriorityResource`` with blockers requesting at priority -1, and
it was first written that way. It is now a counter and a heap, because a replication of the
China scenario runs some 150 tasks and each SimPy request and release is an event of its own that
the event loop has to schedule and process; here a free person takes work on the spot and only
the end of each task is a simulation event (see docs/performance.md).

The staff level logged (``staff`` records) is the number of slots not blocked: the people who are
on duty and free to take work or already working. It changes when a blocker actually takes or
gives back its slot, so work in progress never exceeds the level.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

from ..events import STAFF_CHANGED

ACCIDENT_WORK = 0
BACKGROUND_WORK = 1


class DutyStaff:
    """The staff slots of one organisation, the work waiting for them and the off-duty blockers."""

    __slots__ = ("name", "env", "capacity", "_start", "_records", "_free", "_queue", "_arrivals",
                 "_blocked", "_wanted", "_scheduled", "_outages", "_level", "_last")

    def __init__(self, env, name: str, capacity: int, initial: int, records: list[tuple],
                 start: Callable[[Any], None]) -> None:
        self.name = name
        self.env = env
        self.capacity = capacity
        self._start = start
        """Called with a piece of work when a person takes it on."""
        self._records = records
        self._free = capacity
        """Slots neither working nor blocked. While any is free, nothing waits."""
        self._queue: list[tuple[int, int, Any]] = []
        """Waiting work as ``(priority, arrival number, work)``: a heap."""
        self._arrivals = 0
        self._blocked = 0
        """Slots held by off-duty blockers."""
        self._wanted = 0
        """Blockers the schedule and outages ask for; those beyond ``_blocked`` wait for a slot."""
        self._scheduled = initial
        self._outages = 0
        self._level = -1
        self._last = -1
        self._apply()

    @property
    def level(self) -> int:
        """Slots not blocked: the people on duty now, working or free to work."""
        return self.capacity - self._blocked

    def take(self, priority: int, work: Any) -> None:
        """``work`` needs a person: one takes it now if free (``start(work)``), or it waits its turn."""
        if self._free:
            self._free -= 1
            self._start(work)
        else:
            self._arrivals += 1
            heappush(self._queue, (priority, self._arrivals, work))

    def release(self) -> None:
        """A person has finished their task: a waiting blocker, or else the next work, takes the slot."""
        if self._wanted > self._blocked:
            self._blocked += 1
            self._record()
        elif self._queue:
            self._start(heappop(self._queue)[2])
        else:
            self._free += 1

    def set_scheduled(self, staff: int) -> None:
        """The schedule says ``staff`` people are on duty from now."""
        self._scheduled = staff
        self._apply()

    def outage(self, begins: bool) -> None:
        """An outage of the organisation begins or ends: while one lasts, every slot is blocked."""
        self._outages += 1 if begins else -1
        self._apply()

    @property
    def out_of_service(self) -> bool:
        """Whether an outage of the organisation is under way."""
        return self._outages > 0

    def _apply(self) -> None:
        self._wanted = want = self.capacity if self._outages else self.capacity - self._scheduled
        if self._blocked > want:  # people come on duty: their slots are free for waiting work
            self._free += self._blocked - want
            self._blocked = want
        elif self._blocked < want:  # people go off duty: the free slots are blocked at once
            take = min(self._free, want - self._blocked)
            self._free -= take
            self._blocked += take
        queue, start = self._queue, self._start
        while self._free and queue:
            self._free -= 1
            start(heappop(queue)[2])
        self._record()

    def _record(self) -> None:
        level = self.capacity - self._blocked
        if level == self._level:
            return
        self._level = level
        now, records = self.env.now, self._records
        record = (now, STAFF_CHANGED, self.name, "", "", 0, 0, -1, "", "", "", "", "", level, "")
        if self._last >= 0 and records[self._last][0] == now:
            records[self._last] = record  # several slots changed at this instant: one record
        else:
            self._last = len(records)
            records.append(record)
