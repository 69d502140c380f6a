"""The command graph: who can tell whom, whether the team can ever be called out, and how fast.

A scenario's organisations and links form a directed graph, but a message crossing a link is not
enough for the team to move: each organisation acts only through its handlers, and a handler
may need a class at least so severe, *k* of *n* senders (``wait_for``) or an approval before it
runs. So the questions that matter are asked of the message flow, not of the drawing:

* **checks** — mistakes that make part of the flow dead: an organisation no link reaches, a
  ``send`` with no link to carry it, a kind the receiver has no handler for, an order from an
  organisation without authority, an approval or ``wait_for`` nobody ever sends, a team that no
  chain of handlers can call out;
* **expected times** — the earliest *expected* time at which each organisation receives each
  kind of message about each class. Every link costs the mean delay of its primary channel and
  every handler its mean handling time; an ordinary handler runs on the earliest message, a
  ``wait_for`` handler on the *k*-th earliest of its listed senders, a handler with an approval
  at the later of its message and the approval. These values are the least fix-point of those
  rules, found by Bellman-Ford-like relaxation from the accident's timeline. They use means
  throughout: a quick deterministic estimate, not the mean of the simulated minimum (queueing
  for staff, channel failures, retries and shifts are left to the simulation);
* **single points of failure** — organisations, links and channels whose loss alone makes the
  call-out (or a required deploy order) unreachable under those same AND / k-of-n rules.

Everything here is a function of a validated ``Scenario`` whose names resolve (see
``nukesim.scenario.references``); nothing here knows about the engine.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import networkx as nx

from nukesim.scenario.durations import format_duration
from nukesim.scenario.models import CLASS_CHANGE, DEPLOY, MOBILISE, ORDER_KINDS, Handler, Scenario
from nukesim.scenario.problems import Problem, did_you_mean

INF = math.inf

# Keys of the relaxation. An arrival is "org received `kind` about `class` from `sender`"
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
                       delay=scenario.channels[link.channel].delay.mean,
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
    """The relaxation's fix-point and, for each value, what set it (to trace the chain back)."""

    arrivals: dict[ArrivalKey, float] = field(default_factory=dict)
    fired: dict[FiringKey, tuple[float, float]] = field(default_factory=dict)  # (ready, done)
    producer: dict[ArrivalKey, FiringKey | None] = field(default_factory=dict)
    critical: dict[FiringKey, ArrivalKey] = field(default_factory=dict)
    channel: dict[ArrivalKey, str | None] = field(default_factory=dict)

    def done_on(self, org: str, kind: str, scenario: Scenario) -> tuple[float, FiringKey | None]:
        """Earliest end of any handler of ``org`` on ``kind``: when the organisation has acted."""
        best: tuple[float, FiringKey | None] = (INF, None)
        for i, handler in enumerate(scenario.organisations[org].handlers):
            if handler.on != kind:
                continue
            for cls in scenario.classes:
                done = self.fired.get((org, i, cls), (INF, INF))[1]
                if done < best[0]:
                    best = (done, (org, i, cls))
        return best

    def reached(self, scenario: Scenario) -> bool:
        """True if the team's call-out, and its deploy order when one is required, can happen."""
        team = scenario.team.organisation
        if self.done_on(team, MOBILISE, scenario)[0] == INF:
            return False
        return not scenario.team.deploy.order or self.done_on(team, DEPLOY, scenario)[0] < INF


def _expected_times(scenario: Scenario, *, without_org: str | None = None,
                    without_link: int | None = None, without_channel: str | None = None) -> _Times:
    """Earliest expected times, optionally with one organisation, link or channel lost."""
    s = scenario
    carrier: dict[tuple[str, str], tuple[str, float]] = {}  # (from, to) -> (channel, mean delay)
    for i, link in enumerate(s.links):
        live = [c for c in (link.channel, *link.fallbacks) if c != without_channel]
        if i != without_link and live and without_org not in (link.from_, link.to):
            carrier[(link.from_, link.to)] = (live[0], s.channels[live[0]].delay.mean)

    times = _Times()
    site = s.accident.site
    if site != without_org:
        for change in s.accident.timeline:
            key = (site, CLASS_CHANGE, change.class_, None)
            if change.at < times.arrivals.get(key, INF):
                times.arrivals[key] = change.at
                times.producer[key], times.channel[key] = None, None

    # Index arrivals by (org, kind, class) -> sender -> time for the handlers' look-ups.
    by_message: dict[tuple[str, str, str], dict[str | None, float]] = {}
    for (org, kind, cls, sender), t in times.arrivals.items():
        by_message.setdefault((org, kind, cls), {})[sender] = t

    firings = [(name, i, h, cls) for name, org in s.organisations.items() if name != without_org
               for i, h in enumerate(org.handlers) for cls in s.classes
               if h.class_at_least is None or s.class_rank(cls) >= s.class_rank(h.class_at_least)]
    changed, passes = True, 0
    while changed and passes <= len(firings) * len(s.organisations) + 1:
        changed, passes = False, passes + 1
        for name, i, handler, cls in firings:
            ready, why = _ready(s, name, handler, cls, by_message)
            if ready == INF:
                continue
            done = ready + handler.time.mean
            fkey = (name, i, cls)
            if done < times.fired.get(fkey, (INF, INF))[1]:
                times.fired[fkey], times.critical[fkey] = (ready, done), why
                changed = True
            done = times.fired[fkey][1]
            for send in handler.send:
                if send.kind in ORDER_KINDS and name not in getattr(s.authority, send.kind):
                    continue  # unified command: an order without authority is not acted on
                if (name, send.to) not in carrier:
                    continue
                channel, delay = carrier[(name, send.to)]
                akey = (send.to, send.kind, cls, name)
                if done + delay < times.arrivals.get(akey, INF):
                    times.arrivals[akey] = done + delay
                    by_message.setdefault((send.to, send.kind, cls), {})[name] = done + delay
                    times.producer[akey], times.channel[akey] = fkey, channel
                    changed = True
    return times


def _ready(s: Scenario, org: str, handler: Handler, cls: str,
           by_message: dict[tuple[str, str, str], dict[str | None, float]]) -> tuple[float, ArrivalKey]:
    """When a handler may start on ``cls``, and which arrival decided it."""
    senders = by_message.get((org, handler.on, cls), {})
    if handler.wait_for is not None:
        listed = sorted((senders.get(x, INF), x) for x in dict.fromkeys(handler.wait_for.from_))
        ready, sender = listed[handler.wait_for.count - 1]
    else:
        ready, sender = min(((t, x) for x, t in senders.items()), default=(INF, None),
                            key=lambda pair: pair[0])
    why: ArrivalKey = (org, handler.on, cls, sender)
    if handler.approval is not None and ready < INF:
        kind, giver = handler.approval.kind, handler.approval.from_
        approved, approved_cls = min(((by_message.get((org, kind, c), {}).get(giver, INF), c)
                                      for c in s.classes), key=lambda pair: pair[0])
        if approved > ready:
            ready, why = approved, (org, kind, approved_cls, giver)
    return ready, why


# --- checks ---------------------------------------------------------------------------------------


def check_graph(scenario: Scenario) -> list[Problem]:
    """Every mistake in the command graph that makes part of the message flow dead."""
    return list(_check(scenario))


def _check(s: Scenario) -> Iterator[Problem]:
    graph = build_graph(s)
    site, team = s.accident.site, s.team.organisation
    reachable = nx.descendants(graph, site) | {site}
    for name in s.organisations:
        if name not in reachable:
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
    told = sorted({org for (org, *_), t in times.arrivals.items()})
    reach = f"; the accident's messages reach only: {', '.join(told)}" if told else ""
    if MOBILISE in kinds and times.done_on(team, MOBILISE, s)[0] == INF:
        yield Problem(("team", "organisation"),
                      f"the call-out can never start: no chain of handlers from the accident at "
                      f"'{site}' leads to '{team}' acting on a '{MOBILISE}' order{reach}")
    if s.team.deploy.order and DEPLOY in kinds and times.done_on(team, DEPLOY, s)[0] == INF:
        yield Problem(("team", "deploy", "order"),
                      f"the team can never depart: no chain of handlers from the accident at "
                      f"'{site}' leads to '{team}' acting on a '{DEPLOY}' order{reach}")


def _check_send(s: Scenario, graph: nx.DiGraph, org: str, to: str, kind: str,
                path: tuple) -> Iterator[Problem]:
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
    """Elements whose loss alone makes the call-out (or a required deploy order) unreachable."""

    organisations: list[str]
    links: list[tuple[str, str]]
    channels: list[str]
    inherent: list[str]
    """The accident site and the team organisation: losing either always stops the response."""
    dominators: list[str]
    """Organisations on every link path from the site to the team (the pure OR view); always
    among ``organisations`` when the call-out is reachable."""


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


def analyse(scenario: Scenario) -> Analysis:
    """Expected times, the fastest chain and the single points of failure of the call-out."""
    s = scenario
    team = s.team.organisation
    times = _expected_times(s)
    callout, last = times.done_on(team, MOBILISE, s)
    deploy = times.done_on(team, DEPLOY, s)[0] if s.team.deploy.order else None
    notified: dict[str, float | None] = {name: None for name in s.organisations}
    for (org, *_), t in times.arrivals.items():
        notified[org] = min(t, notified[org] if notified[org] is not None else INF)
    return Analysis(callout=_finite(callout), deploy_order=_finite(deploy) if deploy is not None else None,
                    chain=_chain(times, last), notified=notified, single_points=_single_points(s, times))


def _finite(value: float) -> float | None:
    return None if value == INF else value


def _chain(times: _Times, last: FiringKey | None) -> list[Step]:
    steps: list[Step] = []
    seen: set[FiringKey] = set()
    while last is not None and last not in seen:
        seen.add(last)
        arrival = times.critical[last]
        org, kind, cls, sender = arrival
        steps.append(Step(org, kind, cls, sender, times.channel[arrival], times.arrivals[arrival],
                          last[1], times.fired[last][1]))
        last = times.producer[arrival]
    return steps[::-1]


def _single_points(s: Scenario, times: _Times) -> SinglePoints:
    site, team = s.accident.site, s.team.organisation
    inherent = list(dict.fromkeys([site, team]))
    if not times.reached(s):
        return SinglePoints([], [], [], inherent, [])
    orgs = [o for o in s.organisations
            if o not in inherent and not _expected_times(s, without_org=o).reached(s)]
    links = [(link.from_, link.to) for i, link in enumerate(s.links)
             if not _expected_times(s, without_link=i).reached(s)]
    channels = [c for c in s.channels if not _expected_times(s, without_channel=c).reached(s)]
    graph = build_graph(s)
    dominators: list[str] = []
    if site != team and nx.has_path(graph, site, team):
        idom = nx.immediate_dominators(graph, site)
        node = idom[team]
        while node != site:
            dominators.append(node)
            node = idom[node]
        dominators.reverse()
    return SinglePoints(orgs, links, channels, inherent, dominators)


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
    sp = analysis.single_points
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
            "single_points": {"organisations": sp.organisations,
                              "links": [{"from": u, "to": v} for u, v in sp.links],
                              "channels": sp.channels, "inherent": sp.inherent,
                              "dominators": sp.dominators},
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


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
    sp = analysis.single_points
    out = [f"Command graph of '{s.name}': accident at {s.accident.site}, "
           f"team organisation {s.team.organisation}", "", "Organisations (staff day/night/weekend):"]
    width = max(len(n) for n in s.organisations)
    for name, data in graph.nodes(data=True):
        label = f"  {data['label']}" if data["label"] != name else ""
        staff = "/".join(str(n) for n in data["staff"].values())
        out.append(f"  {name:<{width}}  {staff:<8}{label}")
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

    out += ["", "Fastest expected chain to the call-out (means of every delay and handling time: a "
                "deterministic estimate, not the mean of the simulated minimum):"]
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

    out += ["", "Single points of failure (their loss alone makes the call-out or the deploy order "
                "unreachable):"]
    if analysis.callout is None or (s.team.deploy.order and analysis.deploy_order is None):
        out.append("  not assessed: the response is unreachable already")
    else:
        out.append(f"  organisations: {', '.join(sp.organisations) or 'none'}")
        out.append(f"  links:         {', '.join(f'{u} -> {v}' for u, v in sp.links) or 'none'}")
        out.append(f"  channels:      {', '.join(sp.channels) or 'none'}")
        roles = {s.accident.site: "accident site", s.team.organisation: "team organisation"}
        out.append("  inherent:      " + ", ".join(f"{o} ({roles[o]})" for o in sp.inherent))
    return "\n".join(out) + "\n"
