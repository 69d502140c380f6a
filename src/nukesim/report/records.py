"""The report's one reader of event records.

Everything the report draws from an event log goes through :func:`read`, which picks the few
fields it needs *by name* from a record. The stable fields are ``t``, ``type`` and ``org``; which
field names a message, a task or a member's unit is being reworked (typed records with named
fields), so that knowledge lives here and nowhere else in the report.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..events import ACCIDENT, BACKGROUND, MEMBER_TYPES, Event


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


_MESSAGE = frozenset({"sent", "received", "failed", "retried", "rerouted", "lost"})
_TASK = frozenset({"queued", "started", "finished"})


def read(raw: tuple) -> Record:
    """A record of the event log (a tuple in ``Event`` field order) as the report needs it."""
    e = Event._make(raw[: len(Event._fields)])
    typ = e.type
    named = raw._asdict() if hasattr(raw, "_asdict") else {}
    if typ in _MESSAGE:
        ident = named.get("message", e.ref)
        if typ == "sent":
            peer = named.get("receiver", e.info)
        elif typ == "received":
            peer = named.get("sender", "" if e.info == ACCIDENT else e.info.partition(" via ")[0])
        else:
            peer = ""
        return Record(e.t, typ, e.org, ident, peer, False)
    if typ in _TASK:
        return Record(e.t, typ, e.org, named.get("task", e.ref), "", e.kind == BACKGROUND)
    if typ in MEMBER_TYPES:
        return Record(e.t, typ, e.org, None, named.get("unit", e.info), False)
    return Record(e.t, typ, e.org, None, "", False)
