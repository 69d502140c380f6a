"""Which handlers a message sets going: the one home of the rules the engine and the graph share.

An organisation acts only through its handlers, and a handler may need a class at least so
severe, *k* of *n* listed senders (``wait_for``), to fire once only (``once``), or an approval
received before it runs. The engine (``nukesim.sim``) and the expected-time analysis of the
command graph (``nukesim.graph``) both apply exactly these rules through :func:`dispatch`, so the
estimate and the simulation cannot drift apart. Plain data, no SimPy.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from .models import Scenario


@dataclass(frozen=True, slots=True)
class HandlerPlan:
    """One handler, compiled for the rules: ranks instead of class names, sets instead of lists."""

    index: int
    """Position among the organisation's handlers (names the task in the log)."""
    on: str
    min_rank: int
    wait_count: int
    """0 when the handler does not wait for several senders."""
    wait_from: frozenset[str]
    approval: tuple[str, str] | None
    """``(sender, kind)`` that must have been received before the handler fires."""
    once: bool
    """Fires at most once per replication (a ``wait_for`` handler does anyway: False for it)."""
    time: object
    sends: tuple[tuple[str, str], ...]
    """``(to, kind)`` in the order listed."""
    calls: tuple[bool, ...] = ()
    """Per send: whether its link keeps the sender busy (``occupies``); empty when none does."""


def handler_plans(scenario: Scenario, name: str, calling: frozenset[tuple[str, str]] = frozenset()
                  ) -> dict[str, tuple[HandlerPlan, ...]]:
    """The handlers of organisation ``name`` by the message kind they react to, in scenario order.

    ``calling``: the links ``(from, to)`` whose messages keep the sender busy (the engine's plan
    knows them; the rules here do not need them)."""
    rank = {c: i for i, c in enumerate(scenario.classes)}
    by_kind: dict[str, list[HandlerPlan]] = {}
    for i, h in enumerate(scenario.organisations[name].handlers):
        by_kind.setdefault(h.on, []).append(HandlerPlan(
            index=i,
            on=h.on,
            min_rank=0 if h.class_at_least is None else rank[h.class_at_least],
            wait_count=0 if h.wait_for is None else h.wait_for.count,
            wait_from=frozenset() if h.wait_for is None else frozenset(h.wait_for.from_),
            approval=None if h.approval is None else (h.approval.from_, h.approval.kind),
            once=h.once and h.wait_for is None,
            time=h.time,
            sends=tuple((send.to, send.kind) for send in h.send),
            calls=_calls(name, h.send, calling),
        ))
    return {kind: tuple(hs) for kind, hs in by_kind.items()}


def _calls(name: str, sends, calling: frozenset[tuple[str, str]]) -> tuple[bool, ...]:
    calls = tuple((name, send.to) in calling for send in sends)
    return calls if any(calls) else ()


_PLANS: dict[int, dict[str, dict[str, tuple[HandlerPlan, ...]]]] = {}


def organisation_handler_plans(scenario: Scenario) -> dict[str, dict[str, tuple[HandlerPlan, ...]]]:
    """``handler_plans`` of every organisation, made once per scenario object (the graph analysis
    asks again for every single point of failure it tries)."""
    key = id(scenario)
    plans = _PLANS.get(key)
    if plans is None:
        plans = _PLANS[key] = {name: handler_plans(scenario, name) for name in scenario.organisations}
        weakref.finalize(scenario, _PLANS.pop, key, None)
    return plans


class HandlerState:
    """What one organisation's handlers remember between messages during one run."""

    __slots__ = ("fired", "waits", "first", "seen", "held")

    def __init__(self) -> None:
        self.fired: set[int] = set()
        """``once`` and ``wait_for`` handlers that have fired (or are held for their approval)."""
        self.waits: dict[int, set[str]] = {}
        """Per ``wait_for`` handler: the senders heard so far."""
        self.first: dict[int, object] = {}
        """Per ``wait_for`` handler: the message that started its wait (the one its task handles)."""
        self.seen: set[tuple[str, str]] = set()
        """``(sender, kind)`` received: the approvals given."""
        self.held: dict[tuple[str, str], list[tuple[HandlerPlan, str, object]]] = {}
        """Handlers waiting for an approval: (handler, class, message that set it going)."""


Fired = tuple[HandlerPlan, str, object]
"""A handler set going: the handler, the class it acts on, the message it handles."""


def dispatch(state: HandlerState, handlers: tuple[HandlerPlan, ...] | None, sender: str, kind: str,
             cls: str, rank: int, ref: object, approvals: bool = True) -> list[Fired]:
    """The handlers a message sets going now, as ``(handler, class, message it handles)``.

    First those the message releases as an approval (in the order they were held), then its own
    handlers in scenario order. ``ref`` stands for the message (the engine's message id, the
    graph's arrival); a ``wait_for`` handler handles the message that started its wait, a held
    one the message that set it going. ``approvals=False`` skips the bookkeeping of approvals for
    an organisation none of whose handlers needs one (the engine's fast path).
    """
    out: list[tuple[HandlerPlan, str, object]] = []
    if approvals:
        key = (sender, kind)
        state.seen.add(key)
        released = state.held.pop(key, None)
        if released:
            out.extend(released)
    if not handlers:
        return out
    for h in handlers:
        if rank < h.min_rank:
            continue
        m = ref
        if h.wait_count:
            if h.index in state.fired or sender not in h.wait_from:
                continue
            senders = state.waits.get(h.index)
            if senders is None:
                senders = state.waits[h.index] = set()
                state.first[h.index] = ref
            if sender in senders:
                continue
            senders.add(sender)
            if len(senders) < h.wait_count:
                continue
            state.fired.add(h.index)
            m = state.first[h.index]  # the task handles the message that started the wait
        elif h.once:  # the first matching message sets it going (held or not), and no other
            if h.index in state.fired:
                continue
            state.fired.add(h.index)
        if h.approval is not None and h.approval not in state.seen:
            state.held.setdefault(h.approval, []).append((h, cls, m))
            continue
        out.append((h, cls, m))
    return out
