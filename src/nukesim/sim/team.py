"""The rescue team: call-out, units, vehicles, departure and transit.

Once the duty officer starts the call-out, nothing outside the team changes how its members
respond, so the whole call-out is computed at that moment with numpy — who is reached, when each
member acknowledges and assembles — instead of running hundreds of member processes. Only what
the rest of the model must wait for becomes a simulation event: each unit reaching its threshold,
the team ready to leave, the departure and the arrival on site. Member and vehicle records join
the log when it is read, and only those that happened before the end; a run of replications,
which reads metrics alone, never builds them.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from ..events import (
    BASE_DEPARTED,
    BASE_ON_SITE,
    BASE_READY,
    CALLOUT_STARTED,
    MEMBER_ACKNOWLEDGED,
    MEMBER_ASSEMBLED,
    MEMBER_PAGED,
    MEMBER_UNREACHABLE,
    TEAM_DEPARTED,
    TEAM_ON_SITE,
    TEAM_READY,
    UNIT_READY,
    VEHICLE_DEPARTED,
    VEHICLE_LOADED,
    VEHICLE_ON_SITE,
    VEHICLE_READY,
)
from ..scenario.distributions import Fixed
from .clock import delay_until
from .plan import BasePlan, Plan, TeamPlan
from .seats import Boarding, board
from .streams import Streams

if TYPE_CHECKING:
    from ..scenario.models import Team, Vehicles
    from .world import World


class CallOutResult:
    """What a call-out started at ``start`` leads to: unit ready times, and member records.

    The member records (several hundred tuples) are built only when first asked for: a run of
    replications computes metrics, which never read them (but a team with seats, for ``left_behind``).
    """

    __slots__ = ("ready", "completed_by", "assembled", "_records", "_build", "_dropped")

    def __init__(self, ready: tuple[list[float | None], list[int]], records: list[tuple] | None = None,
                 build: Callable[[], list[tuple]] | None = None, assembled: np.ndarray | None = None) -> None:
        self.ready, self.completed_by = ready
        """Per unit: when it reached its threshold, or None if too few members can assemble; and
        the member (index in member order, -1 if none) whose assembly made it ready."""
        self.assembled = assembled
        """Per member: when it assembles (inf if never)."""
        self._records = records
        self._build = build
        self._dropped: list[tuple[frozenset[str], float]] = []

    @property
    def records(self) -> list[tuple]:
        """Member records (paged, unreachable, acknowledged, assembled), not in time order."""
        if self._records is None:
            self._records, self._build = self._build(), None
        if self._dropped:
            for members, after in self._dropped:
                self._records = [r for r in self._records if r[0] <= after or r[2] not in members]
            self._dropped = []
        return self._records

    def drop(self, members: frozenset[str], after: float) -> None:
        """Members made unavailable at ``after`` (an inject): none of their records after it."""
        self._dropped.append((members, after))


REPAGE_OFFSET = 2**64
"""Where a member group's re-page numbers start in its stream (numbers drawn before them): far
beyond the first page's three per member, so that turning re-paging on moves no other draw."""


def member_draws(tp: TeamPlan, team: Team, streams: Streams,
                 repages: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Per member: a uniform for reachability, acknowledge and travel times before slowdown, and
    (``repages`` > 0) a row of reachability uniforms for its re-pages, one per try.

    Each unit's members of each group (``tp.unit_groups``) draw from one stream of their own,
    ``members:<unit>:<group>``: three numbers per member in member order (reach, acknowledge,
    travel; the times by the group's inverse CDFs), then, from number ``REPAGE_OFFSET`` on,
    ``repages`` per member. The j-th member of a unit's group gets the same numbers whatever the
    unit's size: resizing a unit, or changing its mix, moves no other unit's numbers, nor those of
    the members its groups keep.
    """
    n = len(tp.member_ids)
    drawn = np.empty((n, 3))
    again = np.empty((n, repages)) if repages else None
    for part, _g, start, stop in tp.unit_groups:
        rng = streams.rng(f"members:{part}")
        rng.random(out=drawn[start:stop])
        if again is not None:
            rng.bit_generator.advance(REPAGE_OFFSET - 3 * (stop - start))
            rng.random(out=again[start:stop])
    ack, travel = np.empty(n), np.empty(n)
    group_of = tp.group_of_array
    for g, name in enumerate(tp.groups):
        members = np.flatnonzero(group_of == g)
        if len(members):
            group = team.members[name]
            ack[members] = group.acknowledge.ppf(drawn[members, 1])
            travel[members] = group.travel.ppf(drawn[members, 2])
    return drawn[:, 0], ack, travel, again


def _per_part(tp: TeamPlan, streams: Streams, name: str, dist, rows: int = 0) -> np.ndarray:
    """Draws of ``dist`` per member (``rows`` > 0: a row per try), each unit's group from its own
    stream ``<name>:<unit>:<group>``, member by member (a member's tries one after another)."""
    n = len(tp.member_ids)
    if isinstance(dist, Fixed):  # nothing to draw: no stream is used
        return np.full((rows, n) if rows else n, dist.value)
    out = np.empty((rows, n)) if rows else np.empty(n)
    for part, _g, start, stop in tp.unit_groups:
        k = stop - start
        rng = streams.rng(f"{name}:{part}")
        if rows:
            out[:, start:stop] = dist.sample(rng, k * rows).reshape(k, rows).T
        else:
            out[start:stop] = dist.sample(rng, k)
    return out


def call_out(plan: Plan, team: Team, streams: Streams, start: float, cls: str,
             lost: np.ndarray | None = None) -> CallOutResult:
    """Every member's response to a call-out the duty officer starts at ``start``.

    ``lost`` (an inject): members, as a mask in member order, that no page or call reaches.
    """
    tp = plan.team
    repage = team.callout.repage
    u, ack, travel, repages = member_draws(tp, team, streams, 0 if repage is None else repage.attempts)
    if lost is not None:
        u[lost] = 2.0  # above any probability: never reached
    first = start + team.callout.delay
    if team.callout.method == "page":
        if repage is None:
            build, assembled = _page(plan, tp, u, ack, travel, first, cls)
        else:
            again = repages.T  # a row per try
            if lost is not None:
                again[:, lost] = 2.0
            build, assembled = _page_again(plan, tp, u, ack, travel, first, cls, repage.after, again)
        return CallOutResult(_ready_times(tp, assembled), build=build, assembled=assembled)
    per_call = team.callout.per_call
    calls = _per_part(tp, streams, "callout", per_call)
    again = None
    if repage is not None:
        k = repage.attempts
        recalls = _per_part(tp, streams, "callout:repage", per_call, k)
        again_u = repages.T
        if lost is not None:
            again_u[:, lost] = 2.0
        again = (repage.after, again_u.tolist(), recalls.tolist())
    records, assembled = _tree(plan, tp, u, ack, travel, calls, team.callout.fanout, first, cls, again)
    return CallOutResult(_ready_times(tp, assembled), records, assembled=assembled)


def _page(plan: Plan, tp: TeamPlan, u, ack, travel, t: float, cls: str):
    """Everyone paged at ``t``: when each member assembles (inf if never), and how to build the records."""
    period = plan.period_at(t)
    reached = u < tp.reachable_array[tp.group_of_array, period]
    slow = tp.slowdown_array[tp.group_of_array, period]
    t_ack = t + ack * slow
    if tp.travel_slowdown_array is not None:
        slow = tp.travel_slowdown_array[tp.group_of_array, period]
    t_asm = t_ack + travel * slow
    assembled = np.where(reached, t_asm, np.inf)
    return partial(_page_records, tp, t, cls, reached, t_ack, t_asm), assembled


def member_heads(tp: TeamPlan, cls: str) -> list[tuple]:
    """Per member: the fields of its records after the time and type (they differ only by those)."""
    return [(m, g, cls, 0, 0, -1, "", "", "", m, un, n, "") for m, g, n, un in tp.member_heads]


def _page_records(tp: TeamPlan, t: float, cls: str, reached, t_ack, t_asm) -> list[tuple]:
    heads = member_heads(tp, cls)
    records = [(t, MEMBER_PAGED) + h for h in heads]
    append = records.append
    for h, ok, ta, tm in zip(heads, reached.tolist(), t_ack.tolist(), t_asm.tolist(), strict=True):
        if ok:
            append((ta, MEMBER_ACKNOWLEDGED) + h)
            append((tm, MEMBER_ASSEMBLED) + h)
        else:
            append((t, MEMBER_UNREACHABLE) + h)
    return records


def _page_again(plan: Plan, tp: TeamPlan, u, ack, travel, t: float, cls: str, after: float,
                again: np.ndarray):
    """Everyone paged at ``t``; whoever was not reached, paged again ``after`` later, and again.

    ``again[k - 1]`` holds each member's uniform for the k-th re-page, at ``t + k · after``. The
    period of the page that reaches a member sets the slowdown of its acknowledgement and travel.
    """
    group_of = tp.group_of_array
    period = plan.period_at(t)
    reached = u < tp.reachable_array[group_of, period]
    slow = tp.slowdown_array[group_of, period]  # a fresh array: fancy indexing copies
    travel_slow = tp.travel_slowdown_array
    tslow = None if travel_slow is None else travel_slow[group_of, period]
    page = np.full(len(u), t)
    tries = np.zeros(len(u), dtype=np.intp)
    """Re-pages each member got: the one that reached it, or every one when none did."""
    for k in range(1, len(again) + 1):
        waiting = ~reached
        if not waiting.any():
            break
        t_k = t + k * after
        p = plan.period_at(t_k)
        now = waiting & (again[k - 1] < tp.reachable_array[group_of, p])
        tries[waiting] = k
        page[now] = t_k
        slow[now] = tp.slowdown_array[group_of[now], p]
        if tslow is not None:
            tslow[now] = travel_slow[group_of[now], p]
        reached |= now
    t_ack = page + ack * slow
    t_asm = t_ack + travel * (slow if tslow is None else tslow)
    assembled = np.where(reached, t_asm, np.inf)
    return partial(_page_again_records, tp, t, after, cls, reached, tries, t_ack, t_asm), assembled


def _page_again_records(tp: TeamPlan, t: float, after: float, cls: str, reached, tries, t_ack,
                        t_asm) -> list[tuple]:
    heads = member_heads(tp, cls)
    records = [(t, MEMBER_PAGED) + h for h in heads]
    append = records.append
    for h, ok, k, ta, tm in zip(heads, reached.tolist(), tries.tolist(), t_ack.tolist(), t_asm.tolist(),
                                strict=True):
        if k:
            append((t, MEMBER_UNREACHABLE) + h)
            for i in range(1, k + 1):
                t_i = t + i * after
                append((t_i, MEMBER_PAGED) + h)
                if i < k or not ok:
                    append((t_i, MEMBER_UNREACHABLE) + h)
        if ok:
            append((ta, MEMBER_ACKNOWLEDGED) + h)
            append((tm, MEMBER_ASSEMBLED) + h)
        elif not k:
            append((t, MEMBER_UNREACHABLE) + h)
    return records


def _tree(plan: Plan, tp: TeamPlan, u, ack, travel, calls, fanout: int, t0: float, cls: str,
          again: tuple[float, list[list[float]], list[list[float]]] | None = None):
    """The call tree: node 0 is the duty officer, node j ≥ 1 is member j - 1 (member order).

    Node j's list is nodes fanout·j + 1 … fanout·j + fanout. A caller works through its list one
    call after another; a reached member starts on its own list once it has acknowledged; the
    list of a member who cannot be reached goes to the end of the caller's list.

    With ``again = (after, uniforms, call lengths)`` (``team.callout.repage``) the caller also
    calls an unreachable member again, ``after`` minutes after the failed call ended, up to
    ``len(uniforms)`` times: when free, the caller makes a due call again before the next call of
    its list, and waits for the next one due when its list is done. A member reached on such a
    call acknowledges and assembles; its list is the caller's already.
    """
    n = len(tp.member_ids)
    u, ack, travel, calls = u.tolist(), ack.tolist(), travel.tolist(), calls.tolist()
    reach, slowdown, group_of = tp.reachable, tp.slowdown, tp.group_of
    travel_slowdown = tp.travel_slowdown
    heads = member_heads(tp, cls)
    period_at = plan.period_at
    after, again_u, again_calls = again if again is not None else (0.0, [], [])
    attempts = len(again_u)
    assembled = [float("inf")] * n
    records: list[tuple] = []
    callers = [(t0, 0)]
    while callers:
        t, node = callers.pop()
        todo = deque(range(fanout * node + 1, min(fanout * node + fanout, n) + 1))
        due: list[tuple[float, int, int]] = []  # calls to make again: (not before, member, try), a heap
        while todo or due:
            if due and (not todo or due[0][0] <= t):
                not_before, m, k = heapq.heappop(due)
                start = max(t, not_before)
                t = start + again_calls[k - 1][m]
                uniform = again_u[k - 1][m]
                j = 0  # its list is taken over already
            else:
                m = todo.popleft() - 1
                start, t = t, t + calls[m]
                uniform, k, j = u[m], 0, m + 1
            g, p = group_of[m], period_at(start)
            head = heads[m]
            records.append((start, MEMBER_PAGED) + head)
            if uniform < reach[g][p]:
                t_ack = t + ack[m] * slowdown[g][p]
                assembled[m] = t_ack + travel[m] * travel_slowdown[g][p]
                records.append((t_ack, MEMBER_ACKNOWLEDGED) + head)
                records.append((assembled[m], MEMBER_ASSEMBLED) + head)
                if j:
                    callers.append((t_ack, j))
            else:
                records.append((t, MEMBER_UNREACHABLE) + head)
                if j:
                    todo.extend(range(fanout * j + 1, min(fanout * j + fanout, n) + 1))
                if k < attempts:
                    heapq.heappush(due, (t + after, m, k + 1))
    return records, np.asarray(assembled)


def _ready_times(tp: TeamPlan, assembled: np.ndarray) -> tuple[list[float | None], list[int]]:
    """Per unit: when its ``need``-th member assembled (None if never), and which member that was."""
    ready: list[float | None] = []
    by: list[int] = []
    for (start, stop), need in zip(tp.unit_bounds, tp.needed, strict=True):
        times = assembled[start:stop]
        if np.count_nonzero(np.isfinite(times)) < need:
            ready.append(None)
            by.append(-1)
        else:  # the unreachable (inf) sort last, after the need-th
            i = int(np.argpartition(times, need - 1)[need - 1])
            ready.append(float(times[i]))
            by.append(start + i)
    return ready, by


def load_vehicles(vehicles: Vehicles, streams: Streams, start: float,
                  stream: str = "vehicles") -> list[float]:
    """When each vehicle is loaded, loading from ``start`` with ``loaders`` at once, in order."""
    v = vehicles
    if v.count == 0:
        return []
    loads = (np.full(v.count, v.load.value) if isinstance(v.load, Fixed)
             else v.load.sample(streams.rng(stream), v.count)).tolist()
    free = [start] * min(v.loaders, v.count)
    done = []
    for load in loads:
        t = heapq.heappop(free) + load
        done.append(t)
        heapq.heappush(free, t)
    return done


def _records_until(result: CallOutResult, vehicles: list[tuple[float, str]], org: str, cls: str,
                   end: float) -> list[tuple]:
    kept = [r for r in result.records if r[0] <= end]
    kept.extend((t, VEHICLE_LOADED, org, "", cls, 0, 0, -1, "", "", "", "", "", i, base)
                for i, (t, base) in enumerate(vehicles, 1) if t <= end)
    return kept


class _Base:
    """One base during a replication: when it is ready to leave, and whether it has left."""

    __slots__ = ("plan", "ready", "last_ready", "departed", "arrived")

    def __init__(self, plan: BasePlan) -> None:
        self.plan = plan
        self.ready: float | None = None
        """When its deploying units are ready and its vehicles loaded (None: not yet, or never)."""
        self.last_ready = ""
        """Its deploying unit ready last, or "" when its last vehicle was loaded after it."""
        self.departed = False
        self.arrived = False


class TeamMobilisation:
    """The team inside a running world: from the mobilise order to the arrival on site.

    The team leaves from its bases (one assembly point without ``team.bases``): each base loads its
    own vehicles from the moment its first unit is ready, and is ready to leave once its deploying
    units are ready and its vehicles loaded. As a convoy, every base leaves when all are ready (and
    the order is in); ``per_base``, each leaves when it is. The team has departed when its last base
    has left, and is on site when its last base has arrived. With ``vehicles.seats`` the vehicles
    leave one by one instead, each when full or at its deadline (``sim/seats.py``), and the team
    has departed (is on site) when its units' needed members have.
    """

    def __init__(self, world: World) -> None:
        self.world = world
        self.plan = world.plan.team
        self.team = world.scenario.team
        self.callout_started = False
        self.order_needed = self.team.deploy.order
        self.deploy_ordered = False
        self.deploy_task = 0
        """The task whose end gave the deploy order."""
        self.ready_to_leave = False
        self.departed = False
        self.cls = ""
        self.result: CallOutResult | None = None
        self.vehicles: list[tuple[float, str]] = []
        """When each vehicle is loaded, and at which base ("" without bases)."""
        self.bases = [_Base(b) for b in self.plan.bases if b.deploy_units]
        """The bases that travel (those with deploying units)."""
        self.named = bool(self.team.bases)
        """Whether to log each base's records (not for the one assembly point of a team without bases)."""
        self.on_the_way = 0
        self.loaded: dict[str, list[float]] = {}
        """Per base: when each of its vehicles is loaded."""
        self.lost: np.ndarray | None = None
        """Members made unavailable by injects (a mask in member order); None: nobody."""
        self.vehicles_lost = 0
        """Vehicles taken out of use by injects before the call-out."""
        self.generation = 0
        """Bumped when injects change the call-out's outcome: events scheduled before are void."""
        self.units_done: set[int] = set()
        """Units that have become ready."""
        self.seated = self.plan.seated
        """Vehicles with ``seats``: each leaves when full or at its deadline (``sim/seats.py``); the
        state of the boarding is made at the call-out (``_seats``), so other teams pay nothing."""

    def mobilise(self, cls: str, task: int = 0) -> None:
        """The team's organisation has acted on a mobilise order (``task``): start the call-out (once)."""
        if self.callout_started:
            return
        self.callout_started = True
        self.cls = cls
        world, env, tp = self.world, self.world.env, self.plan
        now = env.now
        world.record((now, CALLOUT_STARTED, tp.organisation, "", cls, 0, task, -1, "", "", "", "", "",
                      len(tp.member_ids), self.team.callout.method))
        self.result = result = call_out(world.plan, self.team, world.streams, now, cls, self.lost)
        ready = result.ready
        order = sorted((t, x) for x, t in enumerate(ready) if t is not None)
        for t, x in order:
            world.pending += 1
            env.timeout(delay_until(now, t), (x, 0)).callbacks.append(self._unit_ready)
        for base in self.plan.bases:
            firsts = [ready[x] for x in base.units if ready[x] is not None]
            if firsts:  # else no unit of the base can ever be ready: nothing is loaded there
                self.loaded[base.name] = load_vehicles(base.vehicles, world.streams, min(firsts),
                                                       base.vehicles_stream)
        if self.vehicles_lost:
            self._drop_vehicles(self.vehicles_lost, now)
        self._list_vehicles()
        if self.seated:
            self._seats(now)
            self._board(now)
        else:
            self._schedule_bases(now)

    def _list_vehicles(self) -> None:
        self.vehicles = [(t, base.name) for base in self.plan.bases for t in self.loaded.get(base.name, ())]

    def _schedule_bases(self, now: float) -> None:
        """Schedule when each travelling base is ready to leave, if every one ever can be."""
        tp, ready, env = self.plan, self.result.ready, self.world.env
        leaving = []
        for base in tp.bases:
            if not base.deploy_units or base.name not in self.loaded:
                continue
            loaded = self.loaded[base.name]
            deploy_ready = [ready[x] for x in base.deploy_units]
            if None in deploy_ready:
                return  # a unit the team needs can never be ready: it cannot leave
            leave = max([*deploy_ready, *loaded])
            last = max(base.deploy_units, key=lambda x: ready[x])
            leaving.append((leave, tp.units[last] if not loaded or ready[last] >= max(loaded) else ""))
        if not self.bases or len(leaving) < len(self.bases):
            return
        for b, (leave, last) in zip(self.bases, leaving, strict=True):
            if b.ready is not None:
                continue  # ready already (an inject came later)
            b.last_ready = last
            env.timeout(delay_until(now, max(leave, now)), (b, self.generation)).callbacks.append(
                self._base_ready)

    def records_until(self, end: float) -> Callable[[], list[tuple]] | None:
        """A function that builds the member and vehicle records up to ``end``; None before a call-out.

        It holds the call-out's results, not the world, so a log kept for later does not keep the
        whole replication alive.
        """
        if self.result is None:
            return None
        return partial(_records_until, self.result, self.vehicles, self.plan.organisation, self.cls, end)

    def deploy(self, task: int = 0) -> None:
        """The team's organisation has acted on a deploy order (task ``task``)."""
        if not self.deploy_ordered:
            self.deploy_task = task
        self.deploy_ordered = True
        self._maybe_depart()

    def _unit_ready(self, event) -> None:
        x, generation = event.value
        if generation != self.generation:
            return  # an inject changed the call-out since this was scheduled
        self.units_done.add(x)
        tp, world = self.plan, self.world
        need = tp.needed[x]
        by = self.result.completed_by[x]
        world.record((world.env.now, UNIT_READY, tp.units[x], "", self.cls, 0, 0, -1, "", "", "",
                      tp.member_ids[by], tp.units[x], need, ""))
        world.pending -= 1
        world.check_end()

    def _base_ready(self, event) -> None:
        base, generation = event.value
        if generation != self.generation:
            return
        world = self.world
        now = world.env.now
        base.ready = now
        if self.named:
            world.record((now, BASE_READY, base.plan.name, "", self.cls, 0, 0, -1, "", "", "", "",
                          base.last_ready, sum(1 for _, b in self.vehicles if b == base.plan.name),
                          base.plan.name))
        if all(b.ready is not None for b in self.bases):
            self.ready_to_leave = True
            last = max(self.bases, key=lambda b: b.ready)  # the first of equals
            world.record((now, TEAM_READY, self.plan.organisation, "", self.cls, 0, 0, -1, "", "", "", "",
                          last.last_ready, len(self.vehicles), last.plan.name))
        self._maybe_depart()

    def _maybe_depart(self) -> None:
        if self.seated:
            if self.result is not None:  # else the order came before the call-out: nobody aboard yet
                self._depart_vehicles()
            return
        if self.departed or (self.order_needed and not self.deploy_ordered):
            return
        if self.plan.convoy:
            if self.ready_to_leave:
                for base in self.bases:
                    self._depart(base)
        else:
            for base in self.bases:
                if base.ready is not None and not base.departed:
                    self._depart(base)

    def _depart(self, base: _Base) -> None:
        base.departed = True
        world = self.world
        now = world.env.now
        task = self.deploy_task if self.order_needed else 0
        if self.named:
            world.record((now, BASE_DEPARTED, base.plan.name, "", self.cls, 0, task, -1, "", "", "", "", "",
                          0, base.plan.name))
        if all(b.departed for b in self.bases):
            self.departed = True
            world.record((now, TEAM_DEPARTED, self.plan.organisation, "", self.cls, 0, task, -1, "", "", "",
                          "", "", 0, base.plan.name))
        self.on_the_way += 1
        transit = world.streams.sampler(base.plan.transit_stream, base.plan.transit)()
        world.env.timeout(transit, base).callbacks.append(self._on_site)

    def _on_site(self, event) -> None:
        base = event.value
        base.arrived = True
        world = self.world
        now = world.env.now
        if self.named:
            world.record((now, BASE_ON_SITE, base.plan.name, "", self.cls, 0, 0, -1, "", "", "", "", "", 0,
                          base.plan.name))
        if all(b.arrived for b in self.bases):
            world.record((now, TEAM_ON_SITE, self.plan.organisation, "", self.cls, 0, 0, -1, "", "", "",
                          "", "", 0, base.plan.name))
            world.on_site = True
            world.check_end()

    # --- injects (nukesim.sim.injects) -------------------------------------------------------------

    def lose_members(self, unit: str, count: int | str) -> None:
        """Members of ``unit`` (its last ``count``, or all) can no longer respond, from now.

        Before the call-out they will not be reached. After it has started, those who have not
        assembled yet never do: the units' readiness, the loading and the departure are worked
        out again from this moment (the numpy call-out stands; only its outcome is cut).
        """
        tp = self.plan
        x = tp.units.index(unit)
        start, stop = tp.unit_bounds[x]
        first = start if count == "all" else max(start, stop - int(count))
        if self.result is None:
            if self.lost is None:
                self.lost = np.zeros(len(tp.member_ids), dtype=bool)
            self.lost[first:stop] = True
            return
        now = self.world.env.now
        assembled = self.result.assembled.copy()
        gone = [m for m in range(first, stop) if assembled[m] > now]
        if not gone:
            return
        assembled[gone] = np.inf
        self.result.assembled = assembled
        self.result.drop(frozenset(tp.member_ids[m] for m in gone), now)
        old = list(self.result.ready)
        ready, by = _ready_times(tp, assembled)
        for u in self.units_done:  # a unit that is ready stays ready
            ready[u], by[u] = old[u], self.result.completed_by[u]
        self.result.ready, self.result.completed_by = ready, by
        for base in tp.bases:  # a base whose loading has not started starts it with its first unit
            before = [old[u] for u in base.units if old[u] is not None]
            after = [ready[u] for u in base.units if ready[u] is not None]
            if base.name in self.loaded and before and min(before) > now:
                if after:
                    shift = min(after) - min(before)
                    self.loaded[base.name] = [t + shift for t in self.loaded[base.name]]
                else:
                    del self.loaded[base.name]
        self._list_vehicles()
        self._reschedule(now, old)

    def lose_vehicles(self, count: int) -> None:
        """``count`` vehicles out of use from now: the last to be loaded go first."""
        if self.result is None:
            self.vehicles_lost += count
            return
        if self.seated:  # the vehicles whose doors have not closed yet; the others are on their way
            self._lose_open_vehicles(count)
            return
        if self.ready_to_leave:
            return  # the team is ready: what it has loaded leaves with it
        now = self.world.env.now
        self._drop_vehicles(count, now)
        self._list_vehicles()
        self._reschedule(now, list(self.result.ready))

    def _drop_vehicles(self, count: int, now: float) -> None:
        every = sorted(((t, name) for name, ts in self.loaded.items() for t in ts), reverse=True)
        for t, name in every[:count]:
            self.loaded[name].remove(t)

    def _reschedule(self, now: float, old: list[float | None]) -> None:
        """Void the events scheduled before an inject and schedule them again from ``now``."""
        world = self.world
        self.generation += 1
        for x, t in enumerate(old):
            if t is not None and x not in self.units_done:
                world.pending -= 1
        for x, t in enumerate(self.result.ready):
            if t is not None and x not in self.units_done:
                world.pending += 1
                world.env.timeout(delay_until(now, max(t, now)), (x, self.generation)).callbacks.append(
                    self._unit_ready)
        if self.seated:
            self._board(now)
        elif not self.ready_to_leave:
            self._schedule_bases(now)
        world.check_end()

    # --- seats (``vehicles.seats``, sim/seats.py) ----------------------------------------------------

    def _seats(self, now: float) -> None:
        """The state of the boarding, from the call-out at ``now``."""
        self.callout_time = now
        self.closed: set[tuple[str, int]] = set()
        """The vehicles (base, index among its vehicles) whose doors have closed."""
        self.aboard: set[int] = set()
        """The members aboard a closed vehicle (their seats are taken for good)."""
        self.gone: set[tuple[str, int]] = set()
        """Vehicles taken out of use by an inject after the call-out."""
        self.waiting: list[Boarding] = []
        """Closed vehicles waiting for the deploy order."""
        self.seat_transit: dict[str, list[float]] = {}
        """Per base, each vehicle's transit (stream ``vehicle_transit[:<base>]``)."""
        self.left = [0] * len(self.plan.units)
        self.arrived = [0] * len(self.plan.units)
        """Per unit, its members who have left, and who have arrived."""

    def _base_vehicles(self) -> list[tuple[BasePlan, int, list[float]]]:
        """Per base: the number before its first vehicle's, and its vehicles' loaded times."""
        out, offset = [], 0
        for base in self.plan.bases:
            loaded = self.loaded.get(base.name, [])
            out.append((base, offset, loaded))
            offset += len(loaded)
        return out

    def _board(self, now: float) -> None:
        """Who boards which vehicle, and when each vehicle's doors close; schedule the closings.

        Worked out again from ``now`` after an inject: the closed vehicles and their members
        stand; the open ones are boarded again with the members and vehicles still there.
        """
        tp, world = self.plan, self.world
        assembled = self.result.assembled.tolist()  # plain floats: record times are never numpy's
        for base, offset, loaded in self._base_vehicles():
            if not base.deploy_units or not loaded:
                continue
            v = base.vehicles
            if base.name not in self.seat_transit:  # the j-th vehicle of the base: the j-th draw
                transit = (np.full(v.count, base.transit.value) if isinstance(base.transit, Fixed)
                           else base.transit.sample(world.streams.rng(base.seat_transit_stream), v.count))
                self.seat_transit[base.name] = transit.tolist()
            members = [m for x in base.deploy_units for m in range(*tp.unit_bounds[x])
                       if assembled[m] < math.inf and m not in self.aboard]
            members.sort(key=lambda m: (assembled[m], m))
            vehicles = [(t, offset + j + 1) for j, t in enumerate(loaded)
                        if (base.name, j) not in self.closed and (base.name, j) not in self.gone]
            leave_by = None if v.leave_by is None else self.callout_time + v.leave_by
            for b in board(vehicles, members, assembled, v.seats, v.leave_after, leave_by, base.name):
                if b.closes < math.inf:
                    closes = world.env.timeout(delay_until(now, max(b.closes, now)), (b, self.generation))
                    closes.callbacks.append(self._vehicle_ready)

    def _vehicle_ready(self, event) -> None:
        b, generation = event.value
        if generation != self.generation:
            return  # an inject changed the boarding since this was scheduled
        tp, world = self.plan, self.world
        offset = next(o for base, o, _ in self._base_vehicles() if base.name == b.base)
        self.closed.add((b.base, b.number - offset - 1))
        self.aboard.update(b.aboard)
        actor = tp.member_ids[b.actor] if b.actor >= 0 else ""
        unit = tp.units[tp.unit_of[b.actor]] if b.actor >= 0 else ""
        world.record((world.env.now, VEHICLE_READY, tp.organisation, b.why, self.cls, 0, 0, len(b.aboard), "",
                      "", "", actor, unit, b.number, b.base))
        self.waiting.append(b)
        self._depart_vehicles()

    def _depart_vehicles(self) -> None:
        """The closed vehicles leave, once the deploy order is in (if one is needed)."""
        if self.order_needed and not self.deploy_ordered:
            return
        waiting, self.waiting = self.waiting, []
        for b in waiting:
            self._depart_vehicle(b)

    def _tally(self, counts: list[int], b: Boarding) -> tuple[int, int]:
        """Count ``b``'s members in ``counts`` per unit; the last of them (and its unit) to bring its
        unit's count to the members it needs, or (-1, -1)."""
        tp, last = self.plan, (-1, -1)
        for m in b.aboard:
            x = tp.unit_of[m]
            counts[x] += 1
            if counts[x] == tp.needed[x]:
                last = (x, m)
        return last

    def _complete(self, counts: list[int], units) -> bool:
        needed = self.plan.needed
        return all(counts[x] >= needed[x] for x in units)

    def _depart_vehicle(self, b: Boarding) -> None:
        """A vehicle leaves. The team (a base) has departed when every deploying unit (of the base)
        has its needed members on their way: the vehicle carrying the last of them."""
        tp, world = self.plan, self.world
        now = world.env.now
        task = self.deploy_task if self.order_needed else 0
        world.record((now, VEHICLE_DEPARTED, tp.organisation, "", self.cls, 0, task, len(b.aboard), "", "",
                      "", "", "", b.number, b.base))
        self._milestone(self.left, b, BASE_DEPARTED, TEAM_DEPARTED, task)
        offset = next(o for base, o, _ in self._base_vehicles() if base.name == b.base)
        transit = self.seat_transit[b.base][b.number - offset - 1]
        world.env.timeout(transit, b).callbacks.append(self._vehicle_on_site)

    def _vehicle_on_site(self, event) -> None:
        b = event.value
        tp, world = self.plan, self.world
        world.record((world.env.now, VEHICLE_ON_SITE, tp.organisation, "", self.cls, 0, 0, -1, "", "", "", "",
                      "", b.number, b.base))
        if self._milestone(self.arrived, b, BASE_ON_SITE, TEAM_ON_SITE, 0):
            world.on_site = True
            world.check_end()

    def _milestone(self, counts: list[int], b: Boarding, base_type: str, team_type: str, task: int) -> bool:
        """Count a vehicle's members (left or arrived); log the base's and the team's record when
        this vehicle completes them. Whether it completed the team."""
        tp, world = self.plan, self.world
        now = world.env.now
        base = next(p for p in tp.bases if p.name == b.base)
        done_base = self._complete(counts, base.deploy_units)
        done_team = self._complete(counts, tp.deploy_units)
        x, m = self._tally(counts, b)
        if x < 0:
            return False
        actor, unit = tp.member_ids[m], tp.units[x]
        if self.named and not done_base and self._complete(counts, base.deploy_units):
            world.record((now, base_type, b.base, "", self.cls, 0, task, -1, "", "", "", actor, unit,
                          b.number, b.base))
        if not done_team and self._complete(counts, tp.deploy_units):
            if team_type == TEAM_DEPARTED:
                self.departed = True
            world.record((now, team_type, tp.organisation, "", self.cls, 0, task, -1, "", "", "", actor, unit,
                          b.number, b.base))
            return True
        return False

    def _lose_open_vehicles(self, count: int) -> None:
        """With seats: ``count`` vehicles whose doors have not closed are out of use from now, the
        last loaded first; a vehicle not loaded yet is never loaded. The rest board again."""
        now = self.world.env.now
        open_ = sorted(((t, base.name, j) for base, _, loaded in self._base_vehicles()
                        for j, t in enumerate(loaded)
                        if (base.name, j) not in self.closed and (base.name, j) not in self.gone),
                       reverse=True)
        for t, name, j in open_[:count]:
            self.gone.add((name, j))
            if t > now:
                self.loaded[name][j] = math.inf  # never loaded: no record
        self._list_vehicles()
        self._reschedule(now, list(self.result.ready))
