"""Responders: who decides what an organisation does with a message.

By default an organisation follows doctrine — the scenario's handlers, chosen by the rules of
``nukesim.scenario.dispatch``. ``World.play(org, responder)`` hands the decisions to a
:class:`Responder` instead: a scripted or a human player. The engine still applies everything
else the same way whoever decides:

* **staff** — each message that reaches a played organisation is a task for its duty staff
  (queued behind accident work, blocked by outages and shifts); the player sees it when a person
  takes it on, and the task ends when the player has decided (a scripted player says how long it
  took; a human's thinking time passes on the simulated clock);
* **channels** — what the player sends goes over the organisation's links like any message;
* **authority** — an order (``mobilise``, ``deploy``) from an organisation without authority is
  refused and logged, never sent; the team's organisation can start the call-out only on a
  ``mobilise`` order, and release the team only on a ``deploy`` order, from an organisation that
  has the authority.

Every action is a ``player`` record in the event log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from ..events import PLAYER_ACTED, TASK_FINISHED, TASK_STARTED
from ..scenario.dispatch import dispatch
from ..scenario.models import DEPLOY, MOBILISE, ORDER_KINDS
from .staff import ACCIDENT_WORK

if TYPE_CHECKING:
    from .world import World, _Organisation

SEND, ACKNOWLEDGE, HOLD, CALLOUT, DEPLOY_TEAM, REFUSED = "send", "acknowledge", "hold", "callout", "deploy", \
    "refused"


@dataclass(frozen=True)
class Action:
    """One thing a player does: send a message (``to``, ``kind``), acknowledge, hold, or, at the
    team's organisation, start the call-out or release the team."""

    verb: str
    to: str = ""
    kind: str = ""

    def __str__(self) -> str:
        return f"send {self.kind} to {self.to}" if self.verb == SEND else self.verb


@dataclass(frozen=True)
class Decision:
    """A player's answer to a message: what they do, and how long it took them (minutes)."""

    actions: tuple[Action, ...]
    minutes: float = 0.0


@dataclass
class PlayerMessage:
    """A message as a player sees it, with what doctrine would do and what they may do."""

    org: str
    kind: str
    cls: str
    sender: str
    message: int
    task: int
    received: float
    started: float = 0.0
    doctrine: tuple[Action, ...] = ()
    """What the scenario's handlers would do with it (sends, and the call-out or release)."""
    allowed: tuple[Action, ...] = field(default_factory=tuple)
    """Every action the organisation's links, handlers and authority allow here."""


class Responder(Protocol):
    """Decides for a played organisation."""

    def decide(self, world: World, message: PlayerMessage) -> Decision | None:
        """The decision now, or None to answer later through ``World.decide(message.task, …)``."""


def take_over(world: World, organisation: str, responder: Responder) -> None:
    org = world.orgs[organisation]
    org.responder = _Played(world, org, responder)
    org.staff._start = org.responder.start


def may_order(world: World, org: str, kind: str) -> bool:
    """Unified command: whether ``org`` has the authority to give order ``kind``."""
    return kind not in ORDER_KINDS or org in getattr(world.scenario.authority, kind)


def repertoire(world: World, org: str) -> tuple[Action, ...]:
    """What an organisation can send at all: each ``(to, kind)`` its handlers send, in order."""
    seen: dict[Action, None] = {}
    for h in world.scenario.organisations[org].handlers:
        for s in h.send:
            seen.setdefault(Action(SEND, s.to, s.kind))
    return tuple(seen)


class _Played:
    """The engine side of a played organisation."""

    def __init__(self, world: World, org: _Organisation, responder: Responder) -> None:
        self.world = world
        self.org = org
        self.responder = responder
        self.normal_start = org.staff._start
        self.repertoire = repertoire(world, org.name)

    def arrives(self, world: World, org: _Organisation, kind: str, cls: str, ref: int, sender: str) -> None:
        """A message reaches the played organisation: doctrine's view is kept, and a task queued."""
        fired = dispatch(org.state, org.plan.handlers.get(kind), sender, kind, cls, world.plan.rank[cls], ref,
                         org.plan.needs_approvals)
        doctrine: list[Action] = []
        for h, _, _ in fired:
            doctrine.extend(Action(SEND, to, k) for to, k in h.sends)
            if org.name == world.team.plan.organisation and h.on in (MOBILISE, DEPLOY):
                doctrine.append(Action(CALLOUT if h.on == MOBILISE else DEPLOY_TEAM))
        allowed = list(self.repertoire)
        team_org = org.name == world.team.plan.organisation
        if team_org and kind in (MOBILISE, DEPLOY) and may_order(world, sender, kind):
            allowed.append(Action(CALLOUT if kind == MOBILISE else DEPLOY_TEAM))
        allowed += [Action(ACKNOWLEDGE), Action(HOLD)]
        world.inflight += 1
        task = world.next_task_id()
        pm = PlayerMessage(org.name, kind, cls, sender, ref, task, world.env.now,
                           doctrine=tuple(dict.fromkeys(doctrine)), allowed=tuple(allowed))
        world.queue_task((org, kind, cls, task, ref, -1, 0.0, pm), ACCIDENT_WORK)

    def start(self, task: tuple) -> None:
        """A person takes a task on: routine work as usual; a message goes to the player."""
        pm = task[7] if task.__class__ is tuple else None  # else a resend round's call (world.py)
        if not isinstance(pm, PlayerMessage):
            self.normal_start(task)
            return
        world = self.world
        now = world.env.now
        pm.started = now
        world.record((now, TASK_STARTED, pm.org, pm.kind, pm.cls, pm.message, pm.task, -1, "", "", "", "", "",
                      0, ""))
        world.decisions[pm.task] = task
        decision = self.responder.decide(world, pm)
        if decision is not None:
            world.env.timeout(max(0.0, decision.minutes), (pm.task, decision)).callbacks.append(
                lambda ev: decided(world, *ev.value))


def decided(world: World, task_id: int, decision: Decision) -> None:
    """The player has decided on task ``task_id``: act, finish the task, free the person."""
    task = world.decisions.pop(task_id, None)
    if task is None:
        raise ValueError(f"task {task_id} is not waiting for a decision")
    org, pm = task[0], task[7]
    now, record = world.env.now, world.record
    team = world.team
    done = []
    for a in decision.actions:
        why = refusal(world, pm, a)
        head = (now, PLAYER_ACTED, pm.org)
        if why:
            record((*head, REFUSED, pm.cls, pm.message, pm.task, -1, "", a.to, "", "", "", 0, why))
        else:
            record((*head, a.verb, pm.cls, pm.message, pm.task, -1, "", a.to, "", "", "", 0, a.kind))
            done.append(a)
    record((now, TASK_FINISHED, pm.org, pm.kind, pm.cls, pm.message, pm.task, -1, "", "", "", "", "", 0, ""))
    org.staff.release()
    for a in done:
        if a.verb == SEND:
            world.send(pm.org, a.to, a.kind, pm.cls, pm.task)
        elif a.verb == CALLOUT:
            team.mobilise(pm.cls, pm.task)
        elif a.verb == DEPLOY_TEAM:
            team.deploy(pm.task)
    world.inflight -= 1
    world.check_end()


def refusal(world: World, pm: PlayerMessage, a: Action) -> str:
    """Why the engine refuses a player's action ("" if it does not): authority and links."""
    if a.verb == SEND:
        if not may_order(world, pm.org, a.kind):
            return f"{pm.org} has no authority to order {a.kind}"
        if (pm.org, a.to) not in world.plan.links:
            return f"{pm.org} has no link to {a.to}"
    elif a.verb in (CALLOUT, DEPLOY_TEAM):
        order = MOBILISE if a.verb == CALLOUT else DEPLOY
        if pm.org != world.team.plan.organisation or pm.kind != order \
                or not may_order(world, pm.sender, order):
            return f"{a.verb} needs a {order} order from an organisation with the authority"
    return ""
