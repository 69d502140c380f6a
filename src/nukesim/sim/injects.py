"""Applying injects to a running world: the engine side of ``nukesim.scenario.injects``.

``schedule`` gives an inject now or at a later simulated time; a scheduled inject is an event
ahead of every other event at its instant (``INJECT_PRIORITY``), so an inject given at ``t`` and
one applied live after ``World.advance_to(t)`` change the run alike. Each inject is logged: an
outage by its ``outage`` records (``begins``/``ends``, as a scenario file's outage), every other
inject by an ``inject`` record naming its type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import simpy

from ..events import INJECT_APPLIED
from ..scenario.injects import (
    ChannelFails,
    ChannelRecovers,
    ClassChangeInject,
    LinkCut,
    LinkRestored,
    MembersUnavailable,
    OrganisationAvailable,
    OrganisationUnavailable,
    Report,
    Surge,
    VehiclesLost,
)
from ..scenario.models import BACKGROUND
from .clock import delay_until
from .staff import BACKGROUND_WORK

if TYPE_CHECKING:
    from .world import World

INJECT_PRIORITY = -1
"""Ahead of SimPy's URGENT (0) and NORMAL (1): an inject at ``t`` acts before anything else at ``t``."""


class _At(simpy.Event):
    """A callback at an exact time, ahead of every other event at that instant."""

    def __init__(self, env: simpy.Environment, delay: float, value: object) -> None:
        super().__init__(env)
        self._ok = True
        self._value = value
        env.schedule(self, INJECT_PRIORITY, delay)


def schedule(world: World, inject, at: float | None) -> None:
    """Apply ``inject`` now (``at`` None or not after now), or at simulated time ``at``."""
    now = world.env.now
    if at is None or at <= now:
        apply(world, inject)
    else:
        _At(world.env, delay_until(now, at), inject).callbacks.append(lambda ev: apply(world, ev.value))


def _later(world: World, minutes: float, action) -> None:
    now = world.env.now
    _At(world.env, delay_until(now, now + minutes), None).callbacks.append(lambda _: action())


def _record(world: World, inject, org: str = "", kind: str = "", cls: str = "", receiver: str = "",
            channel: str = "", unit: str = "", n: int = 0, message: int = 0, sender: str = "") -> None:
    world.record((world.env.now, INJECT_APPLIED, org, kind, cls, message, 0, -1, sender, receiver, channel,
                  "", unit, n, inject.type))


def apply(world: World, inject) -> None:
    """Make the change ``inject`` describes, now."""
    if isinstance(inject, OrganisationUnavailable):
        world.outage(inject.organisation, "organisation", True)
        if inject.for_ is not None:
            _later(world, inject.for_, lambda: world.outage(inject.organisation, "organisation", False))
    elif isinstance(inject, OrganisationAvailable):
        if world.orgs[inject.organisation].staff.out_of_service:
            world.outage(inject.organisation, "organisation", False)
    elif isinstance(inject, ChannelFails):
        world.outage(inject.channel, "channel", True)
        if inject.for_ is not None:
            _later(world, inject.for_, lambda: world.outage(inject.channel, "channel", False))
    elif isinstance(inject, ChannelRecovers):
        if world.channel_down(inject.channel):
            world.outage(inject.channel, "channel", False)
    elif isinstance(inject, LinkCut):
        _cut(world, inject, True)
        if inject.for_ is not None:
            _later(world, inject.for_, lambda: _cut(world, inject, False))
    elif isinstance(inject, LinkRestored):
        _cut(world, inject, False)
    elif isinstance(inject, ClassChangeInject):
        _class_change(world, inject)
    elif isinstance(inject, Report):
        _report(world, inject)
    elif isinstance(inject, Surge):
        _surge(world, inject)
    elif isinstance(inject, MembersUnavailable):
        _record(world, inject, org=world.scenario.team.organisation, unit=inject.unit,
                n=world.scenario.team.units[inject.unit].size if inject.count == "all" else inject.count)
        world.team.lose_members(inject.unit, inject.count)
    elif isinstance(inject, VehiclesLost):
        _record(world, inject, org=world.scenario.team.organisation, n=inject.count)
        world.team.lose_vehicles(inject.count)
    else:  # pragma: no cover - the scenario layer's union lists every type
        raise TypeError(f"not an inject: {inject!r}")


def _cut(world: World, inject: LinkCut | LinkRestored, begins: bool) -> None:
    key = (inject.from_, inject.to)
    link = world.link(*key)
    if link is None or (not begins and not link.cut):
        return
    link.cut += 1 if begins else -1
    _record(world, inject, org=inject.from_, receiver=inject.to,
            kind="begins" if begins else "ends", sender=inject.from_)


def _class_change(world: World, inject: ClassChangeInject) -> None:
    rank = world.plan.rank
    before = world.current_class
    what = "escalates" if not before or rank[inject.class_] > rank[before] else (
        "de-escalates" if rank[inject.class_] < rank[before] else "confirms")
    _record(world, inject, org=world.scenario.accident.site, kind=what, cls=inject.class_)
    world.deliver_class_change(inject.class_)


def _report(world: World, inject: Report) -> None:
    cls = inject.class_ or world.current_class or world.scenario.classes[0]
    ref = world.next_message_id()
    _record(world, inject, org=inject.to, kind=inject.kind, cls=cls, receiver=inject.to, message=ref,
            sender=inject.from_, channel=inject.note)
    world.deliver(inject.to, inject.kind, cls, inject.from_, "inject", ref)


def _surge(world: World, inject: Surge) -> None:
    org = world.orgs[inject.organisation]
    _record(world, inject, org=org.name, n=inject.tasks)
    for _ in range(inject.tasks):
        world.queue_task((org, BACKGROUND, "", world.next_task_id(), 0, -1, inject.duration, None),
                         BACKGROUND_WORK)
