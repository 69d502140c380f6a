"""Escalation: when each class of the accident's timeline is declared in one replication.

A timeline entry is declared at a fixed time (``at``), or a drawn time after the previous
declaration (``after``); and once a class with ``stop`` is declared, the accident may escalate no
further. Nothing in the run changes this, so the whole realised timeline is drawn when the world
is built. Each entry draws from streams of its own (``accident:after:<i>``, ``accident:stop:<i>``),
one number each whether or not the entry is reached, so changing one entry's distribution or stop
probability moves no other number of the replication.
"""

from __future__ import annotations

from ..scenario.distributions import Fixed
from ..scenario.models import Accident
from .streams import Streams


def realised_timeline(accident: Accident, streams: Streams) -> list[tuple[float, str]]:
    """``(t, class)`` of every declaration in this replication, in time order."""
    out: list[tuple[float, str]] = []
    t = 0.0
    stopped = False
    for i, change in enumerate(accident.timeline):
        if change.at is not None:
            t = change.at
        elif isinstance(change.after, Fixed):
            t += change.after.value
        else:
            t += streams.sampler(f"accident:after:{i}", change.after)()
        stops = change.stop > 0 and streams.sampler(f"accident:stop:{i}", None)() < change.stop
        if not stopped:
            out.append((t, change.class_))
        stopped = stopped or stops
    return out
