"""The clock: scheduling at an exact minute, and ahead of ordinary events at the same minute.

SimPy schedules an event ``delay`` after now, at ``now + delay``, and in floating point
``now + (t - now)`` can miss ``t`` by a rounding step: a staff change logged at
``1020.0000000000001`` instead of ``1020.0``, or a unit ready a hair after the member whose
arrival made it ready. ``delay_until`` gives the delay that lands exactly on ``t``.

Events at the same instant run in the order they were scheduled, unless their priority says
otherwise; a shift change must take effect before work that arrives or ends at that very
instant (20:00 is both a handover and, in the China scenario, the off-site class change), and a
``ShiftChange`` is scheduled ahead of ordinary events for that reason.
"""

from __future__ import annotations

import math

import simpy
from simpy.events import URGENT


def delay_until(now: float, t: float) -> float:
    """The delay that takes the clock from ``now`` to exactly ``t`` (``t - now``, nudged by a
    rounding step or two where ``now + (t - now)`` would miss)."""
    delay = t - now
    for _ in range(4):
        reached = now + delay
        if reached == t:
            break
        delay = math.nextafter(delay, math.inf if reached < t else -math.inf)
    return delay


class ShiftChange(simpy.Event):
    """A change of an organisation's staff schedule, ``delay`` from now.

    Like a ``simpy.Timeout``, but scheduled ahead of ordinary events at the same instant, so that
    a shift change (or a handover) takes effect before any work that arrives or ends at the very
    moment it happens. Each organisation has one pending at a time; the next is scheduled when it
    fires.
    """

    def __init__(self, env: simpy.Environment, delay: float, value: object) -> None:
        super().__init__(env)
        self._ok = True
        self._value = value
        env.schedule(self, URGENT, delay)
