"""Injects: changes to a running world, as plain validated data (no SimPy).

A training exercise's controllers change the world while it runs — the hotline fails, the
commission is unreachable for an hour, the plant escalates, a false alarm reaches the national
office, half of a unit cannot be reached. Each change is one :data:`Inject`, applied through one
engine API (``World.inject``) and logged as a typed record. A scenario file's ``outages`` are the
same injects given at their start (``outage_injects``).

What an outage stops (the one definition, used everywhere): an **organisation** that is
unavailable still *receives* messages — they are logged and wait in its queue — but *handles*
nothing: its people finish the task in hand and take no new work until it ends. A **channel**
that is down fails every attempt started on it, on every link; a **cut link** fails every attempt
between its two organisations, on every channel of the link. The sender notices a failed
attempt after the channel's ``detect`` time and retries or falls back as usual.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from .durations import Duration
from .models import Model, Outage, Scenario


class _Timed(Model):
    for_: Duration | None = Field(default=None, alias="for")
    """How long the change lasts; none: until an inject undoes it (or the end of the run)."""

    @model_validator(mode="after")
    def _positive(self):
        if self.for_ is not None and self.for_ <= 0:
            raise ValueError("'for' must be a positive duration")
        return self


class ChannelFails(_Timed):
    """A channel goes down on every link (``for`` a time, or until ``channel_recovers``)."""

    type: Literal["channel_fails"]
    channel: str


class ChannelRecovers(Model):
    type: Literal["channel_recovers"]
    channel: str


class LinkCut(_Timed):
    """Every channel of one link fails (``for`` a time, or until ``link_restored``)."""

    type: Literal["link_cut"]
    from_: str = Field(alias="from")
    to: str


class LinkRestored(Model):
    type: Literal["link_restored"]
    from_: str = Field(alias="from")
    to: str


class OrganisationUnavailable(_Timed):
    """An organisation handles nothing (it still receives: see the module's outage semantics)."""

    type: Literal["organisation_unavailable"]
    organisation: str


class OrganisationAvailable(Model):
    type: Literal["organisation_available"]
    organisation: str


class ClassChangeInject(Model):
    """The plant's class changes now: an escalation, or a de-escalation, delivered to the site."""

    type: Literal["class_change"]
    class_: str = Field(alias="class")


class Report(Model):
    """A message handed to an organisation as if ``from`` had sent it: a spurious alert, a
    contradictory report. Its handlers (or its player) act on it like on any other message."""

    type: Literal["report"]
    to: str
    from_: str = Field(alias="from")
    kind: str
    class_: str | None = Field(default=None, alias="class")
    """The class it claims; none: the plant's current class."""
    note: Literal["spurious", "contradictory", "true"] = "spurious"


class Surge(Model):
    """A surge of routine work at an organisation: ``tasks`` pieces of ``duration`` each, now."""

    type: Literal["surge"]
    organisation: str
    tasks: int = Field(ge=1, le=10_000)
    duration: Duration

    @model_validator(mode="after")
    def _positive(self):
        if self.duration <= 0:
            raise ValueError("a surge's duration must be positive")
        return self


class MembersUnavailable(Model):
    """Members of the team cannot respond: a whole unit, or ``count`` of it (its last members).

    Before the call-out, they will not be reached; after it has started, those who have not
    assembled yet never do, and the units' readiness is recomputed from that moment.
    """

    type: Literal["members_unavailable"]
    unit: str
    count: int | Literal["all"] = "all"

    @model_validator(mode="after")
    def _positive(self):
        if self.count != "all" and self.count < 1:
            raise ValueError("count must be at least 1, or 'all'")
        return self


class VehiclesLost(Model):
    """Vehicles out of use: the last ``count`` not yet loaded (or loaded, if all are)."""

    type: Literal["vehicles_lost"]
    count: int = Field(ge=1)


Inject = Annotated[
    ChannelFails | ChannelRecovers | LinkCut | LinkRestored | OrganisationUnavailable
    | OrganisationAvailable | ClassChangeInject | Report | Surge | MembersUnavailable | VehiclesLost,
    Field(discriminator="type"),
]
"""Any inject (the ``type`` field says which)."""

INJECT_TYPES = ("channel_fails", "channel_recovers", "link_cut", "link_restored", "organisation_unavailable",
                "organisation_available", "class_change", "report", "surge", "members_unavailable",
                "vehicles_lost")


def outage_inject(scenario: Scenario, outage: Outage) -> ChannelFails | OrganisationUnavailable:
    """A scenario file's outage as the inject it is, given at its start."""
    length = outage.end - outage.start
    if outage.target in scenario.organisations:
        return OrganisationUnavailable(type="organisation_unavailable", organisation=outage.target,
                                       **{"for": length})
    return ChannelFails(type="channel_fails", channel=outage.target, **{"for": length})


def inject_problems(scenario: Scenario, inject: object) -> list[tuple[tuple[str, ...], str]]:
    """Names in ``inject`` the scenario does not know, as ``(field path, message)``."""
    from .problems import did_you_mean

    out: list[tuple[tuple[str, ...], str]] = []
    orgs = list(scenario.organisations)

    def check(field: str, value: str | None, known: list[str], what: str) -> None:
        if value is not None and value not in known:
            out.append(((field,), f"unknown {what} '{value}'{did_you_mean(value, known)}"))

    check("channel", getattr(inject, "channel", None), list(scenario.channels), "channel")
    check("organisation", getattr(inject, "organisation", None), orgs, "organisation")
    check("unit", getattr(inject, "unit", None), list(scenario.team.units), "unit")
    check("class", getattr(inject, "class_", None), list(scenario.classes), "class")
    if isinstance(inject, (LinkCut, LinkRestored, Report)):
        check("to", inject.to, orgs, "organisation")
        check("from", inject.from_, [*orgs, "accident"] if isinstance(inject, Report) else orgs,
              "organisation")
    if isinstance(inject, (LinkCut, LinkRestored)) and not out and \
            not any(lk.from_ == inject.from_ and lk.to == inject.to for lk in scenario.links):
        out.append((("to",), f"there is no link from '{inject.from_}' to '{inject.to}'"))
    if isinstance(inject, MembersUnavailable) and inject.unit in scenario.team.units \
            and inject.count != "all":
        size = scenario.team.units[inject.unit].size
        if inject.count > size:
            out.append((("count",), f"unit '{inject.unit}' has only {size} members"))
    return out
