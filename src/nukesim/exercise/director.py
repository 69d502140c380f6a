"""The exercise director: the MSEL's injects, delivered when their time or condition comes.

Timed injects are due at their scenario time; a conditional one is armed when its condition is
seen in the event log (the call-out starts, another inject is delivered, the first message of a
kind reaches an organisation) and is due ``delay`` after that. Controllers may release the next
inject at once, or postpone every inject still due, keeping their spacing. The director only
says what is due when; the session delivers it at that simulated time.
"""

from __future__ import annotations

import math

from ..events import CALLOUT_STARTED, KIND, MESSAGE_RECEIVED, ORG
from .models import Exercise, InjectDelivered, MessageReaches, MselEntry


class Director:
    def __init__(self, exercise: Exercise) -> None:
        self.entries: dict[int, MselEntry] = {e.number: e for e in exercise.msel}
        self.due: dict[int, float] = {e.number: e.at for e in exercise.msel if e.at is not None}
        """Injects due, by number: their delivery time."""
        self.waiting: dict[int, MselEntry] = {e.number: e for e in exercise.msel if e.when is not None}
        """Conditional injects not armed yet."""
        self.delivered: dict[int, float] = {}
        self._scanned = 0

    def next_due(self) -> tuple[float, int | None]:
        """The next inject to deliver: (time, number), earliest first then lowest number."""
        if not self.due:
            return math.inf, None
        n = min(self.due, key=lambda k: (self.due[k], k))
        return self.due[n], n

    def delivered_now(self, number: int, t: float) -> MselEntry:
        """Inject ``number`` has been delivered at ``t``: arm those that wait for it."""
        self.due.pop(number, None)
        self.waiting.pop(number, None)
        self.delivered[number] = t
        for n, e in list(self.waiting.items()):
            if isinstance(e.when, InjectDelivered) and e.when.inject_delivered == number:
                self._arm(n, t)
        return self.entries[number]

    def _arm(self, number: int, t: float) -> None:
        entry = self.waiting.pop(number)
        self.due[number] = t + entry.delay

    def scan(self, records: list[tuple]) -> None:
        """Arm the conditional injects whose condition the new records show."""
        if not self.waiting:
            self._scanned = len(records)
            return
        for r in records[self._scanned :]:
            typ = r[1]
            if typ != CALLOUT_STARTED and typ != MESSAGE_RECEIVED:
                continue
            for n, e in list(self.waiting.items()):
                when = e.when
                message = (
                    isinstance(when, MessageReaches)
                    and typ == MESSAGE_RECEIVED
                    and r[ORG] == when.message.to
                    and when.message.kind in (None, r[KIND])
                )
                if message or (when == "callout_started" and typ == CALLOUT_STARTED):
                    self._arm(n, r[0])
        self._scanned = len(records)

    def next_to_release(self) -> int | None:
        """The inject a controller's "release the next" means: the next due, else the next waiting."""
        n = self.next_due()[1]
        if n is None and self.waiting:
            n = min(self.waiting)
        return n

    def release(self, number: int, now: float) -> None:
        """A controller releases inject ``number``: it is due now."""
        self.waiting.pop(number, None)
        if number not in self.delivered:
            self.due[number] = now

    def postpone(self, minutes: float) -> list[int]:
        """Every inject still due comes ``minutes`` later (their spacing kept)."""
        for n in self.due:
            self.due[n] += minutes
        return sorted(self.due)
