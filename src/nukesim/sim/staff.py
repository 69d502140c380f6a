"""Duty staff: the people on duty at an organisation, as slots that work competes for.

An organisation's staff is one ``simpy.PriorityResource`` with a slot per person at the busiest
moment of the day. When fewer people are on duty (a night shift, a handover, an outage) the spare
slots are taken by *off-duty blockers*: requests at a priority above any work (-1), so they are
granted before queued work, but never preempt it — a shift that shrinks while people are busy
shrinks as they finish. Accident work asks at priority 0 and routine background work at 1.

The staff level logged (``staff`` records) is the number of slots not blocked: the people who are
on duty and free to take work or already working. It changes when the blockers actually take or
give back their slots, so work in progress never exceeds the level.
"""

from __future__ import annotations

import simpy

from ..events import STAFF_CHANGED

OFF_DUTY = -1
ACCIDENT_WORK = 0
BACKGROUND_WORK = 1


class DutyStaff:
    """The staff slots of one organisation and the blockers that follow its schedule."""

    __slots__ = ("name", "env", "slots", "capacity", "_records", "_scheduled", "_outages",
                 "_blockers", "_granted", "_counted", "_level", "_last")

    def __init__(self, env: simpy.Environment, name: str, capacity: int, initial: int,
                 records: list[tuple]) -> None:
        self.name = name
        self.env = env
        self.capacity = capacity
        self.slots = simpy.PriorityResource(env, capacity)
        self._records = records
        self._last = -1
        self._scheduled = initial
        self._outages = 0
        self._blockers: list[simpy.resources.resource.PriorityRequest] = []
        self._granted = 0
        self._counted: set[simpy.Event] = set()
        self._level = -1
        self._apply()

    @property
    def level(self) -> int:
        """Slots not blocked: the people on duty now, working or free to work."""
        return self.capacity - self._granted

    def set_scheduled(self, staff: int) -> None:
        """The schedule says ``staff`` people are on duty from now."""
        self._scheduled = staff
        self._apply()

    def outage(self, begins: bool) -> None:
        """An outage of the organisation begins or ends: while one lasts, every slot is blocked."""
        self._outages += 1 if begins else -1
        self._apply()

    def _apply(self) -> None:
        want = self.capacity if self._outages else self.capacity - self._scheduled
        blockers = self._blockers
        while len(blockers) < want:
            req = self.slots.request(priority=OFF_DUTY)
            blockers.append(req)
            if req.triggered:  # a free slot: blocked at once
                self._counted.add(req)
                self._granted += 1
            else:
                req.callbacks.append(self._on_granted)
        while len(blockers) > want:
            req = blockers.pop()  # the latest first: those still waiting, then the granted ones
            if req in self._counted:
                self._counted.discard(req)
                self._granted -= 1
            if req.triggered:
                self.slots.release(req)
            else:
                req.cancel()
        self._record()

    def _on_granted(self, req: simpy.Event) -> None:
        if req in self._blockers and req not in self._counted:
            self._counted.add(req)
            self._granted += 1
            self._record()

    def _record(self) -> None:
        level = self.capacity - self._granted
        if level == self._level:
            return
        self._level = level
        now, records = self.env.now, self._records
        record = (now, STAFF_CHANGED, self.name, "", "", level, "")
        if self._last >= 0 and records[self._last][0] == now:
            records[self._last] = record  # several slots changed at this instant: one record
        else:
            self._last = len(records)
            records.append(record)
