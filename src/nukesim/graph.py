"""The command graph: who can tell whom, whether the team can ever be called out, and how fast.

A scenario's organisations and links form a directed graph, but a message crossing a link is not
enough for the team to move: each organisation acts only through its handlers, and a handler
may need a class at least so severe, *k* of *n* senders (``wait_for``) or an approval before it
runs. So the questions that matter are asked of the message flow, not of the drawing:

* **checks** — mistakes that make part of the flow dead: an organisation no link reaches, a
  ``send`` with no link to carry it, a kind the receiver has no handler for, an order from an
  organisation without authority, an approval or ``wait_for`` nobody ever sends, a team that no
  chain of handlers can call out;
* **expected times** — the earliest *expected* time at which each organisation receives each kind
  of message about each class, and the fastest chain of messages to the call-out. Every link costs
  the mean delay of its primary channel plus its own ``delay`` (after the sender's earlier calls
  of the same task, on links that ``occupies`` it), every handler its mean handling
  time (times its organisation's ``slowdown`` for the period it starts in); an ordinary handler
  runs on the earliest message, a ``wait_for`` handler on the *k*-th earliest of its listed
  senders (once, with the class of that message, as in the engine), a ``once`` handler on the
  earliest message of any class, a handler with an approval at the later of its message and the
  approval. With costs that are never negative, delivering messages in time order (Dijkstra's
  idea, where Bellman-Ford would re-relax every rule until nothing changes) settles each time the
  first time it is reached, and is what lets ``wait_for`` and ``once`` fire once as the engine
  does (a ``slowdown`` can make a later copy of a message finish sooner, at the turn of a period;
  the first copy still counts, as a ``once`` handler in the engine would have it). A class change
  given ``after`` the previous one comes at its mean time, and the accident is taken to escalate
  through its whole timeline (``stop`` is ignored). These are means
  throughout: a quick deterministic estimate, not the mean of the simulated minimum (queueing for
  staff, channel failures, retries and shifts are left to the simulation);
* **single points of failure** — organisations, links and channels whose loss alone makes the
  call-out (or a required deploy order) unreachable under those same AND / k-of-n rules.

Everything here is a function of a validated ``Scenario`` whose names resolve (see
``nukesim.scenario.references``); nothing here knows about the engine.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import networkx as nx

from nukesim.scenario.calendar import period_at
from nukesim.scenario.dispatch import HandlerState, dispatch, organisation_handler_plans
from nukesim.scenario.durations import format_duration
from nukesim.scenario.models import CLASS_CHANGE, DEPLOY, MOBILISE, ORDER_KINDS, Scenario
from nukesim.scenario.problems import Problem, did_you_mean

INF = math.inf

# Keys of the propagation. An arrival is "org received `kind` about `class` from `sender`"
# (sender None: the accident itself); a firing is "handler number i of org ran on `class`".
ArrivalKey = tuple[str, str, str, str | None]
FiringKey = tuple[str, int, str]


# --- the graph ------------------------------------------------------------------------------------


def build_graph(scenario: Scenario) -> nx.DiGraph:
    """Organisations as nodes and links as edges, with what a reader or a drawing needs."""
    graph = nx.DiGraph(name=scenario.name, site=scenario.accident.site, team=scenario.team.organisation)
    for name, org in scenario.organisations.items():
        staff = {p: org.staff[p] for p in ("day", "night", "weekend")}
        graph.add_node(name, label=org.label or name, staff=staff)
    kinds = _kinds_by_link(scenario)
    for link in scenario.links:
        graph.add_edge(link.from_, link.to, channel=link.channel, fallbacks=list(link.fallbacks),
                       delay=scenario.channels[link.channel].delay.mean + link.delay.mean,
                       kinds=sorted(kinds.get((link.from_, link.to), ())))
    return graph


def _kinds_by_link(scenario: Scenario) -> dict[tuple[str, str], set[str]]:
    kinds: dict[tuple[str, str], set[str]] = {}
    for name, org in scenario.organisations.items():
        for handler in org.handlers:
            for send in handler.send:
                kinds.setdefault((name, send.to), set()).add(send.kind)
    return kinds


# --- expected times -------------------------------------------------------------------------------


@dataclass
class _Times:
    """Earliest expected times, and what caused each one (to trace the fastest chain back)."""

    arrivals: dict[ArrivalKey, tuple[float, FiringKey | None, str | None]] = field(default_factory=dict)
    """When each message first arrived, the firing that sent it (None: the accident), its channel."""
    fired: dict[FiringKey, tuple[ArrivalKey, float]] = field(default_factory=dict)
    """The arrival that set each handler going, and when the handler finished."""

    def done_on(self, org: str, kind: str, scenario: Scenario) -> tuple[float, FiringKey | None]:
        """Earliest end of any handler of ``org`` on ``kind``: when the organisation has acted."""
        handlers = scenario.organisations[org].handlers
        ends = [(done, key) for key, (_, done) in self.fired.items()
                if key[0] == org and handlers[key[1]].on == kind]
        return min(ends, default=(INF, None), key=lambda pair: pair[0])


def _expected_times(scenario: Scenario, *, without_org: str | None = None,
                    without_link: int | None = None, without_channel: str | None = None,
                    relevant: set[tuple[str, str]] | None = None, goals: frozenset[str] = frozenset(),
                    chains: dict[tuple[str, str], tuple[int, list[tuple[str, float]], bool]] | None = None,
                    until: float = INF) -> _Times:
    """Earliest expected times, optionally with one organisation, link or channel lost.

    With ``relevant`` (``(organisation, kind)`` pairs), messages outside it are not followed;
    with ``until``, class changes from then on do not happen; with ``goals``, propagation stops
    once the team organisation has acted on each of those kinds. The single points of failure
    ask only whether the goals are reached: both leave that answer as it is and spare the rest
    of the network (see ``_relevant``).

    Messages are delivered in time order, as in the engine but with every time at its mean,
    unlimited staff and no failures. The first copy of a message (same organisation, kind, class
    and sender) is the one that counts: a later copy could only set handlers going later, so a
    handler runs at most once per class and a cycle of organisations ends.
    """
    s = scenario
    chains = chains if chains is not None else _chains(s)

    def carrier(org: str, to: str) -> tuple[str, float, bool] | None:
        """The channel that carries a message from ``org`` to ``to``, its mean delay (with the
        link's own), and whether a transmission keeps the sender busy (``occupies``)."""
        found = chains.get((org, to))
        if found is None or found[0] == without_link or without_org in (org, to):
            return None
        return next(((c, d, found[2]) for c, d in found[1] if c != without_channel), None)

    times = _Times()
    queue: list[tuple[float, int, ArrivalKey, FiringKey | None, str | None]] = []
    order = itertools.count()  # ties leave the queue in the order they entered it

    def post(t: float, arrival: ArrivalKey, sent_by: FiringKey | None, channel: str | None) -> None:
        if relevant is None or arrival[:2] in relevant:
            heapq.heappush(queue, (t, next(order), arrival, sent_by, channel))

    team = s.team.organisation
    pending = set(goals)  # goal kinds the team organisation has not acted on yet

    if s.accident.site != without_org:
        for change, at in zip(s.accident.timeline, s.accident.mean_times(), strict=True):
            if at < until:
                post(at, (s.accident.site, CLASS_CHANGE, change.class_, None), None, None)
    plans = organisation_handler_plans(s)
    states = {org: HandlerState() for org in s.organisations}  # what each one's handlers remember

    def fire(org: str, i: int, cls: str, trigger: ArrivalKey, now: float) -> None:
        key = (org, i, cls)
        if key in times.fired:
            return
        organisation = s.organisations[org]
        handler = organisation.handlers[i]
        done = now + handler.time.mean * organisation.slowdown[period_at(s, now)]
        times.fired[key] = (trigger, done)
        if org == team:
            pending.discard(handler.on)
        free = done  # when the sender is free of the handler's earlier calls (links that occupy it)
        for send in handler.send:
            carried = carrier(org, send.to)
            if carried is None:  # without a link the message is lost
                continue
            channel, delay, occupies = carried
            sent = free
            if occupies:
                free += delay
            if send.kind in ORDER_KINDS and org not in getattr(s.authority, send.kind):
                continue  # unified command: an order without authority is not acted on
            post(sent + delay, (send.to, send.kind, cls, org), key, channel)

    rank = {c: i for i, c in enumerate(s.classes)}
    while queue and (pending or not goals):
        now, _, arrival, sender_firing, channel = heapq.heappop(queue)
        if arrival in times.arrivals:
            continue
        times.arrivals[arrival] = (now, sender_firing, channel)
        org, kind, cls, sender = arrival
        # the engine's rules (one function); the arrival that set a handler going *now* is the one
        # its time depends on, so it is the trigger of the fastest chain
        for handler, h_cls, _ in dispatch(states[org], plans[org].get(kind), sender, kind, cls, rank[cls],
                                          arrival):
            fire(org, handler.index, h_cls, arrival, now)
    return times


# --- checks ---------------------------------------------------------------------------------------


def check_graph(scenario: Scenario) -> list[Problem]:
    """Every mistake in the command graph that makes part of the message flow dead."""
    return list(_check(scenario))


def _check(s: Scenario) -> Iterator[Problem]:
    graph = build_graph(s)
    site, team = s.accident.site, s.team.organisation
    reachable = nx.descendants(graph, site) | {site}
    for name, org in s.organisations.items():
        # an organisation with routine work and no handlers needs no link: it is there for its
        # wait and utilisation (a baseline), and no message could ever be meant for it
        if name not in reachable and (org.handlers or org.background is None):
            yield Problem(("organisations", name),
                          f"'{name}' cannot be reached from the accident site '{site}' over any link; "
                          f"add a link to it, or remove it")

    sent: set[tuple[str, str, str]] = set()  # (from, to, kind) that some handler sends
    for name, org in s.organisations.items():
        for handler in org.handlers:
            sent.update((name, x.to, x.kind) for x in handler.send)

    for name, org in s.organisations.items():
        for i, handler in enumerate(org.handlers):
            base = ("organisations", name, "handlers", i)
            for j, send in enumerate(handler.send):
                yield from _check_send(s, graph, name, send.to, send.kind, (*base, "send", j))
            if handler.approval is not None:
                giver, kind = handler.approval.from_, handler.approval.kind
                if (giver, name, kind) not in sent:
                    yield Problem((*base, "approval", "from"),
                                  f"'{giver}' never sends '{kind}' to '{name}', so this handler waits "
                                  f"for its approval forever; give a handler of '{giver}' "
                                  f"send: {{to: {name}, kind: {kind}}}")
            if handler.wait_for is not None:
                listed = list(dict.fromkeys(handler.wait_for.from_))
                silent = [x for x in listed if (x, name, handler.on) not in sent]
                if len(listed) - len(silent) < handler.wait_for.count:
                    for x in silent:
                        j = handler.wait_for.from_.index(x)
                        yield Problem((*base, "wait_for", "from", j),
                                      f"'{x}' never sends '{handler.on}' to '{name}'; only "
                                      f"{len(listed) - len(silent)} of the listed senders ever do, fewer "
                                      f"than count {handler.wait_for.count}, so this handler never runs")

    kinds = {h.on for h in s.organisations[team].handlers}
    if MOBILISE not in kinds:
        yield Problem(("organisations", team, "handlers"),
                      f"the team organisation '{team}' has no handler for '{MOBILISE}', so the call-out "
                      f"can never start; add one: - on: {MOBILISE}")
    if s.team.deploy.order and DEPLOY not in kinds:
        yield Problem(("organisations", team, "handlers"),
                      f"the team organisation '{team}' has no handler for '{DEPLOY}', so the team never "
                      f"departs (team.deploy.order is true); add one: - on: {DEPLOY}")
    times = _expected_times(s)
    told = sorted({org for org, *_ in times.arrivals})
    reach = f"; the accident's messages reach only: {', '.join(told)}" if told else ""
    top = max(s.class_rank(c.class_) for c in s.accident.timeline)
    early = [f"organisations.{org}.handlers.{i} ran on '{cls}'" for org, i, cls in times.fired
             if s.organisations[org].handlers[i].wait_for is not None and s.class_rank(cls) < top]
    if early:
        reach += (f"; note that a wait_for handler runs once, on the first class to complete its count: "
                  f"{', '.join(early)} (class_at_least makes it wait for a higher class)")
    early = [f"organisations.{org}.handlers.{i} ran on '{cls}'" for org, i, cls in times.fired
             if s.organisations[org].handlers[i].once and s.organisations[org].handlers[i].wait_for is None
             and s.class_rank(cls) < top]
    if early:
        reach += (f"; note that a handler with once: true runs on the first class that sets it going: "
                  f"{', '.join(early)} (class_at_least makes it wait for a higher class)")
    yield from _after_horizon(s, times, kinds)
    yield from _instant_loops(s)
    if MOBILISE in kinds and times.done_on(team, MOBILISE, s)[0] == INF:
        yield Problem(("team", "organisation"),
                      f"the call-out can never start: no chain of handlers from the accident at "
                      f"'{site}' leads to '{team}' acting on a '{MOBILISE}' order{reach}")
    if s.team.deploy.order and DEPLOY in kinds and times.done_on(team, DEPLOY, s)[0] == INF:
        yield Problem(("team", "deploy", "order"),
                      f"the team can never depart: no chain of handlers from the accident at "
                      f"'{site}' leads to '{team}' acting on a '{DEPLOY}' order{reach}")


def _after_horizon(s: Scenario, times: _Times, kinds: set[str]) -> Iterator[Problem]:
    """A goal that only a class change at or after the horizon sets going: every run misses it."""
    at = s.accident.mean_times()  # an entry given ``after`` the previous one: at its mean
    late = [i for i, t in enumerate(at) if t >= s.horizon]
    if not late:
        return
    goals = [(MOBILISE, "the call-out can start")]
    if s.team.deploy.order:
        goals.append((DEPLOY, "the team can depart"))
    early = None
    for kind, what in goals:
        if kind not in kinds or times.done_on(s.team.organisation, kind, s)[0] == INF:
            continue
        early = early or _expected_times(s, until=s.horizon)
        if early.done_on(s.team.organisation, kind, s)[0] == INF:
            change = s.accident.timeline[late[0]]
            yield Problem(("accident", "timeline", late[0], "at" if change.at is not None else "after"),
                          f"{what} only after this class change ('{change.class_}' at "
                          f"{format_duration(at[late[0]])}{'' if change.at is not None else ' on average'}), "
                          f"which comes at or after the horizon "
                          f"({format_duration(s.horizon)}): every run would miss it; move the class "
                          f"change earlier or extend the horizon")
            return


def _no_time(dist: object) -> bool:
    """Whether a duration distribution can take exactly zero (with positive probability)."""
    name = getattr(dist, "dist", None)
    if name == "fixed":
        return dist.value == 0  # type: ignore[attr-defined]
    if name in ("uniform", "triangular"):
        return dist.high == 0  # type: ignore[attr-defined]
    if name == "empirical":
        return 0 in dist.samples  # type: ignore[attr-defined]
    if name == "normal":
        return dist.mean_ == 0 and dist.sd == 0  # type: ignore[attr-defined]
    return False


def _instant_link(s: Scenario, link) -> bool:
    """Whether a link can deliver in no time: no delay of its own, and a channel that can, reached
    through channels that can fail and be noticed at once."""
    if not _no_time(link.delay):
        return False
    for name in [link.channel, *link.fallbacks]:
        channel = s.channels[name]
        if _no_time(channel.delay):
            return True
        if channel.fails == 0 or channel.detect > 0:
            return False
    return False


def _instant_loops(s: Scenario) -> Iterator[Problem]:
    """Cycles of handlers and links that can all take no time: the engine would pass messages
    round them for ever without the clock moving. ``once`` and ``wait_for`` handlers run once and
    so end a loop; everything else runs on every message."""
    links = {(link.from_, link.to): link for link in s.links}
    flow = nx.DiGraph()
    for org, o in s.organisations.items():
        for i, h in enumerate(o.handlers):
            if h.once or h.wait_for is not None or not _no_time(h.time):
                continue
            for j, x in enumerate(h.send):
                if x.kind in ORDER_KINDS and org not in getattr(s.authority, x.kind):
                    continue
                if x.to not in s.organisations or (org, x.to) not in links:
                    continue
                if not _instant_link(s, links[(org, x.to)]):
                    continue
                for k, g in enumerate(s.organisations[x.to].handlers):
                    if g.on == x.kind and not g.once and g.wait_for is None and _no_time(g.time):
                        flow.add_edge((org, i), (x.to, k), send=j)
    for component in nx.strongly_connected_components(flow):
        if len(component) < 2 and not any(flow.has_edge(n, n) for n in component):
            continue
        cycle = nx.find_cycle(flow.subgraph(component))
        (org, i), _ = min(cycle)
        start = cycle.index(min(cycle))
        cycle = cycle[start:] + cycle[:start]
        route = " -> ".join([cycle[0][0][0], *(v[0] for _, v in cycle)])
        j = flow.edges[cycle[0]]["send"]
        yield Problem(("organisations", org, "handlers", i, "send", j),
                      f"a loop of messages that takes no time: {route} (each of these handlers can take "
                      f"0 and each link deliver in 0), so a run would never leave that instant; give a "
                      f"handler or a channel a positive time, or make one of these handlers once: true")


def _check_send(s: Scenario, graph: nx.DiGraph, org: str, to: str, kind: str,
                path: tuple) -> Iterator[Problem]:
    if org == to:
        yield Problem((*path, "to"),
                      f"'{org}' sends this '{kind}' to itself; an organisation does its own follow-up "
                      f"in the same handler (add the work to this handler's time), and a link cannot "
                      f"go from an organisation to itself")
        return
    if not graph.has_edge(org, to):
        channel = next(iter(s.channels))
        yield Problem((*path, "to"),
                      f"no link from '{org}' to '{to}' carries this '{kind}'; add one to links, e.g. "
                      f"{{from: {org}, to: {to}, channel: {channel}}}")
    receiver = s.organisations[to]
    handled = {h.on for h in receiver.handlers}
    approvals = {(h.approval.from_, h.approval.kind) for h in receiver.handlers if h.approval}
    if kind not in handled and (org, kind) not in approvals:
        hint = did_you_mean(kind, handled) or (
            f"; it handles: {', '.join(sorted(handled))}" if handled else "; it has no handlers")
        yield Problem((*path, "kind"), f"'{to}' has no handler for '{kind}'{hint}")
    if kind in ORDER_KINDS:
        allowed = getattr(s.authority, kind)
        if org not in allowed:
            yield Problem((*path, "kind"),
                          f"'{org}' has no authority to send '{kind}'; authority.{kind} lists only "
                          f"{', '.join(allowed)}")


# --- analysis -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One message on the fastest expected chain, and the handler it set going."""

    organisation: str
    kind: str
    class_: str
    sender: str | None
    """The organisation that sent it; ``None`` for the accident's own class change."""
    channel: str | None
    received: float
    """Expected minutes since t = 0 at which the message arrived."""
    handler: int
    """Index of the handler it released in ``organisations.<organisation>.handlers``."""
    handled: float
    """Expected minutes since t = 0 at which that handler finished."""


@dataclass(frozen=True)
class SinglePoints:
    """Elements whose loss alone makes a goal (the call-out, or the deploy order) unreachable.

    Empty when the goal is unreachable already: then nothing more can be lost.
    """

    organisations: list[str]
    links: list[tuple[str, str]]
    channels: list[str]
    inherent: list[str]
    """The accident site and the team organisation: losing either always stops the response."""
    dominators: list[str]
    """Organisations on every link path from the site to the team (the pure OR view of the
    graph, ``nx.immediate_dominators``); always among ``organisations``."""


@dataclass(frozen=True)
class Analysis:
    callout: float | None
    """Expected minutes to the start of the call-out; ``None`` if it can never start."""
    deploy_order: float | None
    """Expected minutes until the team organisation has acted on a deploy order, if one is needed."""
    chain: list[Step]
    """The fastest expected chain from the accident to the call-out, in order."""
    notified: dict[str, float | None]
    """Expected first arrival of any message at each organisation (cf. metric ``notified:<org>``)."""
    single_points: SinglePoints
    """What the call-out cannot lose."""
    deploy_single_points: SinglePoints | None
    """What the deploy order cannot lose, when the team must wait for one."""


def analyse(scenario: Scenario) -> Analysis:
    """Expected times, the fastest chain and the single points of failure of the call-out."""
    s = scenario
    team = s.team.organisation
    times = _expected_times(s)
    callout, last = times.done_on(team, MOBILISE, s)
    deploy = times.done_on(team, DEPLOY, s)[0] if s.team.deploy.order else None
    first: dict[str, float] = {}
    for (org, *_), (t, *_) in times.arrivals.items():
        first[org] = min(first.get(org, INF), t)
    notified = {name: _finite(first.get(name, INF)) for name in s.organisations}
    spof = _single_points(s, times)
    return Analysis(callout=_finite(callout), deploy_order=None if deploy is None else _finite(deploy),
                    chain=_chain(times, last), notified=notified, single_points=spof[MOBILISE],
                    deploy_single_points=spof[DEPLOY] if s.team.deploy.order else None)


def _finite(value: float) -> float | None:
    return None if value == INF else value


def _chain(times: _Times, last: FiringKey | None) -> list[Step]:
    """Trace back from the call-out through the arrivals that set each handler going."""
    steps: list[Step] = []
    while last is not None:
        arrival, done = times.fired[last]
        received, sent_by, channel = times.arrivals[arrival]
        steps.append(Step(last[0], arrival[1], arrival[2], arrival[3], channel, received, last[1], done))
        last = sent_by
    return steps[::-1]


def _chains(s: Scenario) -> dict[tuple[str, str], tuple[int, list[tuple[str, float]], bool]]:
    """``(from, to)`` → the link's number, its channels in order with their mean delays (plus the
    link's own), and whether its transmissions keep the sender busy (``occupies``)."""
    return {(link.from_, link.to): (i, [(c, s.channels[c].delay.mean + link.delay.mean)
                                        for c in (link.channel, *link.fallbacks)],
                                    s.channels[link.channel].occupies if link.occupies is None
                                    else link.occupies)
            for i, link in enumerate(s.links)}


def _relevant(s: Scenario) -> set[tuple[str, str]]:
    """``(organisation, kind)`` arrivals from which a chain of handlers can lead to the team
    organisation acting on a mobilise or deploy order (an approval counts as such a link).

    Handlers act only on the kind they are ``on`` (and are released by their approval's kind),
    so an arrival outside this set can set going nothing that reaches the team's orders.
    """
    flow = nx.DiGraph()
    for name, org in s.organisations.items():
        for h in org.handlers:
            sources = [(name, h.on)] + ([(name, h.approval.kind)] if h.approval else [])
            for x in h.send:
                flow.add_edges_from((src, (x.to, x.kind)) for src in sources)
    goals = [(s.team.organisation, k) for k in (MOBILISE, DEPLOY)]
    out: set[tuple[str, str]] = set(goals)
    for goal in goals:
        if goal in flow:
            out |= nx.ancestors(flow, goal)
    return out


def _single_points(s: Scenario, times: _Times) -> dict[str, SinglePoints]:
    """For the mobilise and the deploy order: what the team organisation cannot act on without."""
    site, team = s.accident.site, s.team.organisation
    inherent = list(dict.fromkeys([site, team]))
    goals = frozenset(k for k in (MOBILISE, DEPLOY) if times.done_on(team, k, s)[0] < INF)
    relevant = _relevant(s)
    chains = _chains(s)
    orgs = {o for o, _ in relevant} - set(inherent)
    # Losing an element that no relevant message passes through changes nothing the goals
    # depend on: only the others are recomputed, each until the goals are reached (or cannot be).
    used = [i for i, link in enumerate(s.links)
            if any((link.to, x.kind) in relevant for h in s.organisations[link.from_].handlers
                   if (link.from_, h.on) in relevant for x in h.send if x.to == link.to)]
    channels = {c for i in used for c in (s.links[i].channel, *s.links[i].fallbacks)}

    def reached(**without: object) -> frozenset[str]:
        t = _expected_times(s, relevant=relevant, goals=goals, chains=chains,
                            **without)  # type: ignore[arg-type]
        handlers = s.organisations[team].handlers
        return frozenset(k for k in goals
                         if any(key[0] == team and handlers[key[1]].on == k for key in t.fired))

    def lost_set(names, key):  # type: ignore[no-untyped-def]
        return {name: goals - reached(**{key: name}) for name in names}

    without_org = lost_set([o for o in s.organisations if o in orgs], "without_org")
    without_link = lost_set(used, "without_link")
    without_channel = lost_set([c for c in s.channels if c in channels], "without_channel")
    dominators: list[str] = []
    graph = build_graph(s)
    if site != team and nx.has_path(graph, site, team):
        idom = nx.immediate_dominators(graph, site)
        node = idom[team]
        while node != site:
            dominators.append(node)
            node = idom[node]
        dominators.reverse()

    out = {}
    for kind in (MOBILISE, DEPLOY):
        if times.done_on(team, kind, s)[0] == INF:
            out[kind] = SinglePoints([], [], [], inherent, [])
            continue

        def lost(gone: frozenset[str], kind: str = kind) -> bool:
            return kind in gone

        links = [(s.links[i].from_, s.links[i].to) for i, t in without_link.items() if lost(t)]
        out[kind] = SinglePoints([o for o, t in without_org.items() if lost(t)], links,
                                 [c for c, t in without_channel.items() if lost(t)], inherent, dominators)
    return out


# --- exports --------------------------------------------------------------------------------------


def to_dot(scenario: Scenario) -> str:
    """Graphviz DOT of the command graph: labelled offices, links with channels and mean delays."""
    graph = build_graph(scenario)
    view = nx.DiGraph(name=scenario.name.replace('"', "'"))
    view.graph["node"] = {"shape": "box"}
    for name, data in graph.nodes(data=True):
        staff = data["staff"]
        attrs = {"label": _dot_quote(f"{data['label']}\\nstaff {staff['day']}/{staff['night']}/"
                                     f"{staff['weekend']}")}
        if name == graph.graph["site"]:
            attrs["style"] = "bold"
        if name == graph.graph["team"]:
            attrs["peripheries"] = "2"
        view.add_node(_dot_quote(name), **attrs)
    for u, v, data in graph.edges(data=True):
        channels = ", ".join([data["channel"], *data["fallbacks"]])
        label = f"{channels}\\n~{format_duration(data['delay'])}"
        if data["kinds"]:
            label += "\\n" + ", ".join(data["kinds"])
        view.add_edge(_dot_quote(u), _dot_quote(v), label=_dot_quote(label))
    return nx.nx_pydot.to_pydot(view).to_string()


def _dot_quote(text: str) -> str:
    """A DOT double-quoted string; pydot would split a bare ``a:b`` into node and port."""
    return '"' + text.replace('"', '\\"') + '"'


def to_graphml(scenario: Scenario) -> str:
    """GraphML of the command graph, with list and mapping attributes flattened to scalars."""
    graph = build_graph(scenario)
    flat = nx.DiGraph(name=scenario.name)
    for name, data in graph.nodes(data=True):
        flat.add_node(name, label=data["label"],
                      **{f"staff_{period}": n for period, n in data["staff"].items()})
    for u, v, data in graph.edges(data=True):
        flat.add_edge(u, v, channel=data["channel"], fallbacks=",".join(data["fallbacks"]),
                      delay=float(data["delay"]), kinds=",".join(data["kinds"]))
    return "\n".join(nx.generate_graphml(flat)) + "\n"


def to_json(scenario: Scenario) -> str:
    """The graph (networkx node-link form), the checks' problems and the analysis, in minutes."""
    analysis = analyse(scenario)
    document = {
        "scenario": scenario.name,
        "graph": _node_link(build_graph(scenario)),
        "problems": [{"path": ".".join(str(p) for p in pr.path), "message": pr.message}
                     for pr in check_graph(scenario)],
        "analysis": {
            "callout": analysis.callout,
            "deploy_order": analysis.deploy_order,
            "chain": [{"organisation": st.organisation, "kind": st.kind, "class": st.class_,
                       "sender": st.sender, "channel": st.channel, "received": st.received,
                       "handler": st.handler, "handled": st.handled} for st in analysis.chain],
            "notified": analysis.notified,
            "single_points": _single_points_json(analysis.single_points),
            "deploy_single_points": _single_points_json(analysis.deploy_single_points),
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _single_points_json(sp: SinglePoints | None) -> dict | None:
    if sp is None:
        return None
    return {"organisations": sp.organisations, "links": [{"from": u, "to": v} for u, v in sp.links],
            "channels": sp.channels, "inherent": sp.inherent, "dominators": sp.dominators}


def _node_link(graph: nx.DiGraph) -> dict:
    """networkx's node-link form with edges under ``"edges"`` (networkx >= 3.4 names the key)."""
    try:
        return nx.node_link_data(graph, edges="edges")
    except TypeError:  # networkx < 3.4 knows only ``link=``
        return nx.node_link_data(graph, link="edges")


def describe(scenario: Scenario) -> str:
    """Plain text for ``nukesim graph FILE --format text``: the graph, its checks and analysis."""
    s = scenario
    graph = build_graph(s)
    analysis = analyse(s)
    out = [f"Command graph of '{s.name}': accident at {s.accident.site}, "
           f"team organisation {s.team.organisation}", "", "Organisations (staff day/night/weekend):"]
    width = max(len(n) for n in s.organisations)
    for name, data in graph.nodes(data=True):
        label = f"  {data['label']}" if data["label"] != name else ""
        staff = "/".join(str(n) for n in data["staff"].values())
        out.append(f"  {name:<{width}}  {staff:<8}{label}".rstrip())
    out += ["", "Links (primary channel first, then fallbacks; mean delay of the primary):"]
    if not s.links:
        out.append("  none")
    pairs = [(f"{u} -> {v}", ", ".join([d["channel"], *d["fallbacks"]]), d["delay"])
             for u, v, d in graph.edges(data=True)]
    w1 = max((len(p[0]) for p in pairs), default=0)
    w2 = max((len(p[1]) for p in pairs), default=0)
    out += [f"  {a:<{w1}}  {b:<{w2}}  {format_duration(d)}" for a, b, d in pairs]

    problems = check_graph(s)
    out += ["", f"Checks: {len(problems)} problem(s)" if problems else "Checks: no problems found"]
    out += [f"  {'.'.join(str(p) for p in pr.path)}: {pr.message}" for pr in problems]

    out += ["", "Fastest expected chain to the call-out (every time at its mean: a deterministic estimate,",
            "not the mean of the simulated minimum):"]
    if analysis.callout is None:
        out.append("  the call-out can never start")
    for st in analysis.chain:
        via = "from the accident" if st.sender is None else f"from {st.sender} by {st.channel}"
        on = s.organisations[st.organisation].handlers[st.handler].on
        releases = f" (releases its '{on}' handler)" if on != st.kind else ""
        out.append(f"  {format_duration(st.received):>9}  {st.organisation} receives {st.kind} "
                   f"[{st.class_}] {via}{releases}; handled by {format_duration(st.handled)}")
    if analysis.callout is not None:
        out.append(f"  call-out starts at {format_duration(analysis.callout)}")
    if s.team.deploy.order:
        when = "never" if analysis.deploy_order is None else f"at {format_duration(analysis.deploy_order)}"
        out.append(f"  deploy order acted on {when}")

    goals = [("call-out", analysis.single_points, analysis.callout)]
    if analysis.deploy_single_points is not None:
        goals.append(("deploy order", analysis.deploy_single_points, analysis.deploy_order))
    out += ["", "Single points of failure: losing any one of these alone stops the call-out or the deploy",
            f"order (as losing the accident site {s.accident.site} or the team organisation "
            f"{s.team.organisation} always would):"]
    for goal, sp, when in goals:
        if when is None:
            out.append(f"  {goal}: not assessed, it is unreachable already")
            continue
        out.append(f"  {goal}:")
        out.append(f"    organisations: {', '.join(sp.organisations) or 'none'}")
        out.append(f"    links:         {', '.join(f'{u} -> {v}' for u, v in sp.links) or 'none'}")
        out.append(f"    channels:      {', '.join(sp.channels) or 'none'}")
    return "\n".join(out) + "\n"
