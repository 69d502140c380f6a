"""Seats: members board the vehicles in order of assembly; a vehicle leaves when full or at a deadline.

Without ``seats`` a team leaves as a block once its units are ready and its vehicles loaded. A
planner with buses of 16 seats thinks otherwise: the first members to assemble fill the first
bus, which leaves as soon as it is full — or when its deadline comes, with whoever is aboard —
and the stragglers take the next one. Once the call-out has been computed (every member's
assembly time) and the vehicles' loading, who boards which vehicle and when each vehicle's doors
close is a pure function of those times, computed here at once; only the closings, departures
and arrivals become simulation events (``TeamMobilisation`` in ``team.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FULL = "full"
LEAVE_AFTER = "leave_after"
LEAVE_BY = "leave_by"


@dataclass(slots=True)
class Boarding:
    """One vehicle's boarding: who is aboard, and when and why its doors close."""

    number: int
    """The vehicle's number (1-based, over every base, as in its ``vehicle_loaded`` record)."""
    base: str
    closes: float
    """When it is ready to leave: full, or its deadline came."""
    why: str
    """``full``, ``leave_after`` (that long after its first member boarded) or ``leave_by`` (that long
    after the call-out started)."""
    actor: int
    """The member (index in member order) whose boarding set ``closes`` — the last aboard when full,
    the first aboard at ``leave_after`` — or -1 when the vehicle's own loading did (members were
    waiting for it), and for ``leave_by``."""
    aboard: list[int]
    """Members aboard, in boarding order."""


def board(vehicles: list[tuple[float, int]], members: list[int], assembled, seats: int,
          leave_after: float | None, leave_by: float | None, base: str = "") -> list[Boarding]:
    """The boardings of one base's vehicles.

    ``vehicles``: ``(loaded, number)`` of the vehicles that can still take people; ``members``:
    the members who will board, in order of assembly; ``assembled``: each member's assembly time;
    ``leave_by``: the latest departure as a time (not a duration), or None.

    The vehicles fill one at a time, in the order they are loaded: a member boards the open
    vehicle when it is loaded and the member has assembled. A vehicle closes when its ``seats``
    are taken, or ``leave_after`` after its first member boarded, or at ``leave_by``, whichever
    comes first; the next members board the next vehicle. Nobody boards after ``leave_by``: the
    vehicles still empty then stay, and so do the members not aboard. A vehicle that is neither
    full nor has a deadline waits for more members for ever (it never closes).
    """
    latest = math.inf if leave_by is None else leave_by
    out: list[Boarding] = []
    k, n = 0, len(members)
    for loaded, number in sorted(vehicles):
        if k == n:
            break
        m = members[k]
        first = max(loaded, assembled[m])
        if first > latest:
            break
        deadline = latest if leave_after is None else min(first + leave_after, latest)
        aboard, last = [m], first
        k += 1
        while len(aboard) < seats and k < n:
            t = max(loaded, assembled[members[k]])
            if t > deadline:
                break
            aboard.append(members[k])
            last = t
            k += 1
        if len(aboard) == seats:
            closer = aboard[-1] if assembled[aboard[-1]] >= loaded else -1
            out.append(Boarding(number, base, last, FULL, closer, aboard))
        elif deadline < math.inf:
            after = leave_after is not None and first + leave_after <= latest
            out.append(Boarding(number, base, deadline, LEAVE_AFTER if after else LEAVE_BY,
                                (m if assembled[m] >= loaded else -1) if after else -1, aboard))
        else:
            out.append(Boarding(number, base, math.inf, FULL, -1, aboard))  # waits for ever
    return out
