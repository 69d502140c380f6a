"""The report's one reader of event records.

Everything the report draws from an event log goes through :func:`read`, which picks the few
fields it needs *by name* from a typed record (see ``nukesim.events.EVENT_TYPES``), so that
knowledge lives here and nowhere else in the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..events import (
    ACCIDENT,
    BACKGROUND,
    MEMBER_TYPES,
    MESSAGE_RECEIVED,
    MESSAGE_SENT,
    MESSAGE_TYPES,
    TASK_TYPES,
    Event,
)


@dataclass(frozen=True, slots=True)
class Record:
    t: float
    type: str
    org: str
    """The organisation concerned; a member id for member records, a unit for ``unit_ready``."""
    ident: int | None
    """The message id of message records, the task id of task records."""
    peer: str
    """Message records: the receiver of ``sent``, the sender of ``received`` (empty for the
    accident); member records: the member's unit."""
    background: bool
    """A routine task, not about the accident."""




def read(raw: tuple) -> Record:
    """A record of the event log (a tuple in ``Event`` field order) as the report needs it."""
    e = Event._make(raw)
    typ = e.type
    if typ in MESSAGE_TYPES:
        peer = e.receiver if typ == MESSAGE_SENT else e.sender if typ == MESSAGE_RECEIVED else ""
        if peer == ACCIDENT:
            peer = ""
        return Record(e.t, typ, e.org, e.message, peer, False)
    if typ in TASK_TYPES:
        return Record(e.t, typ, e.org, e.task, "", e.kind == BACKGROUND)
    if typ in MEMBER_TYPES:
        return Record(e.t, typ, e.org, None, e.unit, False)
    return Record(e.t, typ, e.org, None, "", False)
