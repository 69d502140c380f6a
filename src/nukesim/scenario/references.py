"""Checks that every name a scenario uses refers to something the scenario defines.

Schema validation checks each field alone; here we check the names that tie fields together —
organisations, channels, classes, units, message kinds, metrics — and suggest the closest
defined name for a misspelt one. The command graph's own checks (reachability, authority) live
in ``nukesim.graph``.
"""

from __future__ import annotations

from collections.abc import Iterator

from .metricdefs import METRICS, metric_names
from .models import ACCIDENT, BACKGROUND, CLASS_CHANGE, MAX_BACKGROUND, MAX_NAME, ORDER_KINDS, Scenario
from .problems import Problem, unknown

RESERVED_ORGANISATIONS = (ACCIDENT,)
"""Names the event log uses for the accident itself."""
RESERVED_KINDS = (BACKGROUND,)
"""The kind of routine (background) tasks in the event log."""
def message_kinds(scenario: Scenario) -> set[str]:
    kinds = {CLASS_CHANGE, *ORDER_KINDS}
    for org in scenario.organisations.values():
        for h in org.handlers:
            kinds.add(h.on)
            kinds.update(s.kind for s in h.send)
    return kinds


def check_references(s: Scenario) -> Iterator[Problem]:
    orgs, channels, classes = list(s.organisations), list(s.channels), s.classes

    def org(path: tuple, name: str) -> Iterator[Problem]:
        if name not in s.organisations:
            yield Problem(path, unknown("organisation", name, orgs))

    def cls(path: tuple, name: str | None) -> Iterator[Problem]:
        if name is not None and name not in classes:
            yield Problem(path, unknown("class", name, classes))

    yield from _long_names(s)
    for name in s.organisations:
        if name in RESERVED_ORGANISATIONS:
            yield Problem(("organisations", name), f"'{name}' is reserved (the event log uses it for "
                          "the accident itself); choose another name")
    for name in s.channels:
        if name in s.organisations:
            yield Problem(("channels", name), f"'{name}' names both a channel and an organisation; an "
                          "outage or inject could not tell which is meant: rename one")
    yield from org(("accident", "site"), s.accident.site)
    for i, change in enumerate(s.accident.timeline):
        yield from cls(("accident", "timeline", i, "class"), change.class_)

    for i, link in enumerate(s.links):
        yield from org(("links", i, "from"), link.from_)
        yield from org(("links", i, "to"), link.to)
        for j, ch in enumerate([link.channel, *link.fallbacks]):
            where = ("links", i, "channel") if j == 0 else ("links", i, "fallbacks", j - 1)
            if ch not in s.channels:
                yield Problem(where, unknown("channel", ch, channels))
            elif ch in [link.channel, *link.fallbacks][:j]:
                yield Problem(where, f"channel '{ch}' is already tried on this link: each channel "
                              "once, in the order to try them")
        if link.from_ == link.to:
            yield Problem(("links", i, "to"), "a link cannot go from an organisation to itself")
    seen: dict[tuple[str, str], int] = {}
    for i, link in enumerate(s.links):
        key = (link.from_, link.to)
        if key in seen:
            yield Problem(("links", i), f"duplicate link {link.from_} -> {link.to} "
                          f"(also links.{seen[key]}); list fallbacks on one link instead")
        seen[key] = i

    kinds = sorted(message_kinds(s))
    for name, o in s.organisations.items():
        for i, h in enumerate(o.handlers):
            base = ("organisations", name, "handlers", i)
            yield from cls((*base, "class_at_least"), h.class_at_least)
            if h.on in RESERVED_KINDS:
                yield Problem((*base, "on"), f"'{h.on}' is reserved for routine work; choose another kind")
            for j, send in enumerate(h.send):
                yield from org((*base, "send", j, "to"), send.to)
                if send.kind in RESERVED_KINDS:
                    yield Problem((*base, "send", j, "kind"),
                                  f"'{send.kind}' is reserved for routine work; choose another kind")
                if send.kind == CLASS_CHANGE:
                    yield Problem((*base, "send", j, "kind"),
                                  f"'{CLASS_CHANGE}' is sent only by the accident itself")
            if h.wait_for is not None:
                for j, sender in enumerate(h.wait_for.from_):
                    yield from org((*base, "wait_for", "from", j), sender)
            if h.approval is not None:
                yield from org((*base, "approval", "from"), h.approval.from_)
                if h.approval.kind not in kinds:
                    yield Problem((*base, "approval", "kind"),
                                  unknown("message kind", h.approval.kind, kinds))

    for order in ("mobilise", "deploy"):
        for i, name in enumerate(getattr(s.authority, order)):
            yield from org(("authority", order, i), name)

    yield from org(("team", "organisation"), s.team.organisation)
    for unit_name, unit in s.team.units.items():
        for group in unit.members or ():
            if group not in s.team.members:
                yield Problem(("team", "units", unit_name, "members", group),
                              unknown("member group", group, s.team.members))
    yield from _check_bases(s)
    if s.team.deploy.units != "all":
        for i, unit in enumerate(s.team.deploy.units):
            if unit not in s.team.units:
                yield Problem(("team", "deploy", "units", i),
                              unknown("unit", unit, s.team.units))

    for i, name in enumerate(s.class_milestones):
        yield from org(("class_milestones", i), name)
    metrics = metric_names(s)
    for i, obj in enumerate(s.objectives):
        if obj.metric not in metrics:
            prefix, _, rest = obj.metric.partition(":")
            who = rest.partition("@")[0]
            if "@" in rest and who in s.organisations and who not in s.class_milestones:
                yield Problem(("objectives", i, "metric"),
                              f"per-class metric {obj.metric!r} needs '{who}' in class_milestones")
            elif any(m.seats and m.pattern == obj.metric for m in METRICS):
                yield Problem(("objectives", i, "metric"),
                              f"metric {obj.metric!r} counts seats: it needs vehicles with seats "
                              f"(team.vehicles.seats)")
            else:
                yield Problem(("objectives", i, "metric"), unknown("metric", obj.metric, metrics))
    for name, o in s.organisations.items():
        span = s.horizon + s.measurement.warmup  # routine work runs through the warm-up too
        if o.background is not None and span / o.background.interarrival.mean > MAX_BACKGROUND:
            tasks = span / o.background.interarrival.mean
            yield Problem(("organisations", name, "background", "interarrival"),
                          f"about {tasks:,.0f} routine tasks would arrive before the horizon; the limit "
                          f"is {MAX_BACKGROUND:,} (see 'Limits' in docs/scenario-format.md)")
    for i, link in enumerate(s.links):
        resend = link.resend
        if resend is not None and resend.attempts is None and s.horizon / resend.after > MAX_BACKGROUND:
            yield Problem(("links", i, "resend", "after"),
                          f"a message could be sent again {s.horizon / resend.after:,.0f} times before "
                          f"the horizon; the limit is {MAX_BACKGROUND:,} (give attempts, or a longer "
                          f"'after')")
    for i, outage in enumerate(s.outages):
        if outage.target not in s.organisations and outage.target not in s.channels:
            yield Problem(("outages", i, "target"),
                          unknown("organisation or channel", outage.target, orgs + channels))
        if outage.start >= s.horizon:
            yield Problem(("outages", i, "start"), "the outage starts after the horizon")


def _check_bases(s: Scenario) -> Iterator[Problem]:
    """With ``team.bases``, every unit names one of them and the vehicles are the bases'."""
    team = s.team
    for name, unit in team.units.items():
        if unit.base is not None and unit.base not in team.bases:
            yield Problem(("team", "units", name, "base"),
                          unknown("base", unit.base, team.bases) if team.bases else
                          f"no team.bases are defined; add team.bases.{unit.base} or remove the base")
        elif unit.base is None and team.bases:
            yield Problem(("team", "units", name), f"the team has bases, so every unit needs one; add "
                          f"base: one of {', '.join(team.bases)}")
    if team.bases and team.vehicles.count:
        yield Problem(("team", "vehicles"), "with team.bases, vehicles belong to the bases: move them "
                      "to team.bases.<base>.vehicles")
    if not team.bases and team.departure != "convoy":
        yield Problem(("team", "departure"), "departure: per_base needs team.bases")
    yield from _check_seats(s)


def _check_seats(s: Scenario) -> Iterator[Problem]:
    """With seats at one base, every base the team leaves from has them: vehicles leave one by one
    (full or at a deadline), not as a base or a convoy."""
    team = s.team
    deploy = team.units if team.deploy.units == "all" else team.deploy.units
    leaving = {team.units[u].base for u in deploy if u in team.units and team.units[u].base in team.bases}
    seated = [b for b in team.bases if team.bases[b].vehicles.seats is not None]
    if seated:
        for b in team.bases:
            if b in leaving and b not in seated:
                yield Problem(("team", "bases", b, "vehicles"),
                              f"base {seated[0]!r} has vehicles with seats, so every base the team leaves "
                              f"from needs them (members board vehicles one by one); give {b!r} seats too")


def _long_names(s: Scenario) -> Iterator[Problem]:
    """Empty names, and names longer than ``MAX_NAME``: they would swamp every table, message
    and export."""
    named: list[tuple[tuple, object]] = [(("organisations", n), n) for n in s.organisations]
    named += [(("channels", n), n) for n in s.channels]
    named += [(("classes", i), n) for i, n in enumerate(s.classes)]
    named += [(("team", "units", n), n) for n in s.team.units]
    named += [(("team", "members", n), n) for n in s.team.members]
    named += [(("team", "bases", n), n) for n in s.team.bases]
    for org, o in s.organisations.items():
        for i, h in enumerate(o.handlers):
            named.append((("organisations", org, "handlers", i, "on"), h.on))
            named += [(("organisations", org, "handlers", i, "send", j, "kind"), x.kind)
                      for j, x in enumerate(h.send)]
    for path, name in named:
        if not str(name).strip():
            yield Problem(path, "an empty name; give it a name")
        if len(str(name)) > MAX_NAME:
            yield Problem(path, f"a name of {len(str(name)):,} characters; the limit is {MAX_NAME}")
