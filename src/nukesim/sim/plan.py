"""The plan: a scenario compiled once into the lookups the engine needs at every event.

A ``Scenario`` is written for people (nested models, names everywhere). A replication wants
"which handlers of this organisation react to this kind?", "which channels does this link try,
in what order?", "which members belong to which unit and group?" answered in a dictionary look-up.
``plan_for(scenario)`` builds those answers once per scenario object and keeps them while the
scenario lives, so millions of replications of one scenario pay for it once.
"""

from __future__ import annotations

import math
import weakref
from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np

from ..scenario.calendar import period_changes, staff_schedule
from ..scenario.dispatch import HandlerPlan, handler_plans
from ..scenario.distributions import Fixed
from ..scenario.metricdefs import has_seats
from ..scenario.models import PERIODS, Scenario, Team

__all__ = ["HandlerPlan", "Plan", "plan_for"]


@dataclass(frozen=True, slots=True)
class OrganisationPlan:
    name: str
    handlers: dict[str, tuple[HandlerPlan, ...]]
    """Handlers by the message kind they react to, in scenario order."""
    schedule: tuple[tuple[float, int], ...]
    """Staff on duty as a step function ``(t, staff)`` starting at 0."""
    capacity: int
    background: object
    needs_approvals: bool
    slowdown: tuple[float, ...] | None
    """Factor on handling times by period (in ``PERIODS`` order); None when it is 1 throughout."""


@dataclass(frozen=True, slots=True)
class ChannelPlan:
    name: str
    delay: object
    fails: float
    detect: float
    attempts: int


@dataclass(frozen=True, slots=True)
class LinkPlan:
    stream: str
    channels: tuple[ChannelPlan, ...]
    delay: object = None
    """The link's own delay distribution, added to the channel's; None when it is 0."""
    resend_after: float = 0.0
    """Minutes from a failed round to the next; 0: no resend, the message is lost."""
    resend_rounds: float = 0.0
    """Rounds after the first, at most (``inf``: until the horizon)."""
    occupies: bool = False
    """A transmission keeps one of the sender's staff busy until it is delivered or given up."""


@dataclass(frozen=True, slots=True)
class BasePlan:
    """Where some of the team's units assemble, load and leave from (the whole team without bases)."""

    name: str
    """The base's name; "" for the single assembly point of a team without ``bases``."""
    units: tuple[int, ...]
    deploy_units: tuple[int, ...]
    """The deploying units stationed here (none: the base does not travel)."""
    vehicles: object
    transit: object
    vehicles_stream: str
    transit_stream: str
    seat_transit_stream: str = "vehicle_transit"
    """With ``vehicles.seats``: each vehicle's own transit, the j-th vehicle the j-th draw."""


@dataclass(frozen=True, slots=True)
class TeamPlan:
    organisation: str
    units: tuple[str, ...]
    sizes: tuple[int, ...]
    needed: tuple[int, ...]
    """Members that must have assembled for each unit to be ready: ceil(ready_at × size)."""
    deploy_units: tuple[int, ...]
    groups: tuple[str, ...]
    group_of: tuple[int, ...]
    """Per member (in member order): index of its group."""
    unit_of: tuple[int, ...]
    member_ids: tuple[str, ...]
    member_numbers: tuple[int, ...]
    """Per member: its number within its unit (1-based, as in its id)."""
    reachable: tuple[tuple[float, ...], ...]
    """Per group: probability of being reached by period (in ``PERIODS`` order)."""
    slowdown: tuple[tuple[float, ...], ...]
    member_heads: tuple[tuple[str, str, int, str], ...]
    """Per member: the fields of its records after the time and type (id, group, number, unit)."""
    unit_bounds: tuple[tuple[int, int], ...]
    """Per unit: its members as the range ``start:stop`` of member order (units are filled in order)."""
    unit_groups: tuple[tuple[str, int, int, int], ...]
    """Per unit and member group with members: ``(unit:group, group index, start, stop)``, its
    members as a range of member order (a unit is filled group by group). Each is a part with
    random streams of its own, so resizing one unit never moves another unit's draws."""
    # The same as numpy arrays (read-only), so that a call-out does not convert them every time.
    group_of_array: np.ndarray = field(compare=False)
    reachable_array: np.ndarray = field(compare=False)
    """Shape (groups, periods)."""
    slowdown_array: np.ndarray = field(compare=False)
    bases: tuple[BasePlan, ...] = ()
    """The bases in scenario order; one (named "") for a team without ``bases``."""
    convoy: bool = True
    """All bases leave together (``departure: convoy``), or each when ready."""
    travel_slowdown: tuple[tuple[float, ...], ...] = ()
    """Per group: the factor on travel by period (1 throughout for a group without ``slow_travel``)."""
    travel_slowdown_array: np.ndarray | None = field(default=None, compare=False)
    """Shape (groups, periods); None when every group's travel is slowed like its acknowledgement."""
    seated: bool = False
    """Vehicles with ``seats``: each leaves when full or at its deadline (``sim/seats.py``)."""


@dataclass(frozen=True, slots=True)
class Plan:
    organisations: dict[str, OrganisationPlan]
    links: dict[tuple[str, str], LinkPlan]
    rank: dict[str, int]
    team: TeamPlan
    period_times: tuple[float, ...]
    period_index: tuple[int, ...]
    """Per period change: the index of the new period in ``PERIODS`` (0 day, 1 night, 2 weekend,
    3 late night, 4 weekend night)."""
    recallers: frozenset[str] = frozenset()
    """Organisations that send over a link that both ``occupies`` them and ``resend``s: a resend
    round is a call their staff must make."""

    def period_at(self, t: float) -> int:
        """Index of the calendar period at ``t`` in ``PERIODS``."""
        return self.period_index[bisect_right(self.period_times, t) - 1]


_PLANS: dict[int, Plan] = {}


def plan_for(scenario: Scenario) -> Plan:
    """The compiled plan of ``scenario``, made on first use and kept while the scenario lives."""
    key = id(scenario)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = compile_plan(scenario)
        weakref.finalize(scenario, _PLANS.pop, key, None)
    return plan


def compile_plan(s: Scenario) -> Plan:
    rank = {c: i for i, c in enumerate(s.classes)}
    links = {}
    for link in s.links:
        channels = tuple(
            ChannelPlan(name, s.channels[name].delay, s.channels[name].fails, s.channels[name].detect,
                        1 + s.channels[name].retries)
            for name in [link.channel, *link.fallbacks]
        )
        resend = link.resend
        own = None if isinstance(link.delay, Fixed) and link.delay.value == 0 else link.delay
        links[(link.from_, link.to)] = LinkPlan(
            f"link:{link.from_}->{link.to}", channels, own,
            0.0 if resend is None else resend.after,
            0.0 if resend is None else math.inf if resend.attempts is None else float(resend.attempts),
            s.channels[link.channel].occupies if link.occupies is None else link.occupies)
    calling = frozenset(key for key, plan in links.items() if plan.occupies)
    orgs = {name: _organisation(s, name, calling) for name in s.organisations}
    changes = period_changes(s)
    return Plan(
        organisations=orgs,
        links=links,
        rank=rank,
        team=_team(s),
        period_times=tuple(t for t, _ in changes),
        period_index=tuple(PERIODS.index(p) for _, p in changes),
        recallers=frozenset(sender for (sender, _), link in links.items()
                            if link.occupies and link.resend_after),
    )


def _organisation(s: Scenario, name: str,
                  calling: frozenset[tuple[str, str]] = frozenset()) -> OrganisationPlan:
    org = s.organisations[name]
    schedule = tuple(staff_schedule(s, org))
    slowdown = tuple(org.slowdown[p] for p in PERIODS)
    return OrganisationPlan(
        name=name,
        handlers=handler_plans(s, name, calling),
        schedule=schedule,
        capacity=max(1, max(level for _, level in schedule)),
        background=org.background,
        needs_approvals=any(h.approval is not None for h in org.handlers),
        slowdown=None if all(f == 1.0 for f in slowdown) else slowdown,
    )


def split_by_share(size: int, shares: list[float]) -> list[int]:
    """``size`` members split by ``shares`` with largest-remainder rounding (ties: first group)."""
    quotas = [round(size * share, 9) for share in shares]
    counts = [math.floor(q) for q in quotas]
    # only a group with a share takes a remainder (a unit's own mix gives the others 0)
    order = sorted((g for g, share in enumerate(shares) if share > 0),
                   key=lambda g: (-(quotas[g] - counts[g]), g))
    for g in order[: size - sum(counts)]:
        counts[g] += 1
    return counts


def unit_shares(team: Team) -> dict[str, list[float]]:
    """Per unit: the share of each member group (in the order of ``team.members``), 0 if none.

    A unit's own ``members`` mix, or else the groups' ``share``.
    """
    groups = list(team.members)
    default = [team.members[g].share or 0.0 for g in groups]
    return {name: default if unit.members is None else [unit.members.get(g, 0.0) for g in groups]
            for name, unit in team.units.items()}


def _team(s: Scenario) -> TeamPlan:
    team = s.team
    groups = list(team.members)
    shares = unit_shares(team)
    group_of, unit_of, ids, numbers = [], [], [], []
    unit_groups = []
    for u, (unit_name, unit) in enumerate(team.units.items()):
        n = 0
        for g, count in enumerate(split_by_share(unit.size, shares[unit_name])):
            if count:
                unit_groups.append((f"{unit_name}:{groups[g]}", g, len(ids), len(ids) + count))
            for _ in range(count):
                n += 1
                group_of.append(g)
                unit_of.append(u)
                ids.append(f"{unit_name}/{n}")
                numbers.append(n)
    units = tuple(team.units)
    deploy = units if team.deploy.units == "all" else tuple(team.deploy.units)
    reachable = tuple(tuple(team.members[g].reachable[p] for p in PERIODS) for g in groups)
    slowdown = tuple(tuple(team.members[g].slowdown[p] for p in PERIODS) for g in groups)
    travel_slowdown = tuple(row if team.members[g].slow_travel else (1.0,) * len(PERIODS)
                            for g, row in zip(groups, slowdown, strict=True))
    bounds, start = [], 0
    for u in team.units.values():
        bounds.append((start, start + u.size))
        start += u.size
    return TeamPlan(
        organisation=team.organisation,
        units=units,
        sizes=tuple(u.size for u in team.units.values()),
        # a small tolerance so that 0.7 × 10 = 7.000000000000001 needs 7, not 8
        needed=tuple(max(1, math.ceil(u.ready_at * u.size - 1e-9)) for u in team.units.values()),
        deploy_units=tuple(units.index(u) for u in deploy),
        groups=tuple(groups),
        group_of=tuple(group_of),
        unit_of=tuple(unit_of),
        member_ids=tuple(ids),
        member_numbers=tuple(numbers),
        reachable=reachable,
        slowdown=slowdown,
        member_heads=tuple(zip(ids, [groups[g] for g in group_of], numbers, [units[x] for x in unit_of],
                               strict=True)),
        unit_bounds=tuple(bounds),
        unit_groups=tuple(unit_groups),
        group_of_array=_frozen(np.asarray(group_of, dtype=np.intp)),
        reachable_array=_frozen(np.asarray(reachable, dtype=float).reshape(len(groups), len(PERIODS))),
        slowdown_array=_frozen(np.asarray(slowdown, dtype=float).reshape(len(groups), len(PERIODS))),
        travel_slowdown=travel_slowdown,
        bases=_bases(team, units, deploy),
        convoy=team.departure == "convoy",
        travel_slowdown_array=None if travel_slowdown == slowdown else _frozen(
            np.asarray(travel_slowdown, dtype=float).reshape(len(groups), len(PERIODS))),
        seated=has_seats(s),
    )


def _bases(team: Team, units: tuple[str, ...], deploy: tuple[str, ...]) -> tuple[BasePlan, ...]:
    if not team.bases:  # one assembly point: the streams of before, so the numbers are the same
        return (BasePlan("", tuple(range(len(units))), tuple(units.index(u) for u in deploy), team.vehicles,
                         team.transit, "vehicles", "transit"),)
    return tuple(
        BasePlan(name, tuple(x for x, u in enumerate(units) if team.units[u].base == name),
                 tuple(units.index(u) for u in deploy if team.units[u].base == name), base.vehicles,
                 team.transit if base.transit is None else base.transit, f"vehicles:{name}",
                 f"transit:{name}", f"vehicle_transit:{name}")
        for name, base in team.bases.items())


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array
