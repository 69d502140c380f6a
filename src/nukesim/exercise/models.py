"""Exercise files and player scripts: plain validated data, like scenarios.

An exercise names its scenario, the organisations the trainees play, its objectives, its pace
and its Master Scenario Events List (MSEL) — numbered injects, each with when it is delivered
(a scenario time, or a condition: the call-out starts, another inject was delivered, a message
reaches an organisation; plus a delay), the HSEEP columns (from → to, delivery method,
description, expected player action, objective, controller) and the change it makes (an
inject of ``nukesim.scenario.injects``). A player script says, per played organisation, what a
scripted player does with each message and how long it takes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from ..scenario.durations import Duration
from ..scenario.injects import Inject
from ..scenario.models import Model

# --- when an inject is delivered ------------------------------------------------------------------


class InjectDelivered(Model):
    inject_delivered: int
    """The MSEL number of the inject whose delivery starts the delay."""


class MessageTo(Model):
    to: str
    kind: str | None = None
    """Only a message of this kind (any kind if none)."""


class MessageReaches(Model):
    message: MessageTo
    """The first message (of ``kind``) that reaches ``to`` starts the delay."""


Condition = Literal["callout_started"] | InjectDelivered | MessageReaches


class MselEntry(Model):
    """One row of the Master Scenario Events List."""

    number: int = Field(ge=1)
    at: Duration | None = None
    """Scenario time of delivery (minutes since the initiating event); or give ``when``."""
    when: Condition | None = None
    """A condition that starts ``delay``: ``callout_started``, ``{inject_delivered: N}`` or
    ``{message: {to: ORG, kind: KIND}}``."""
    delay: Duration = 0.0
    """Time from the condition to the delivery."""
    inject: Inject
    from_: str = Field(default="exercise control", alias="from")
    to: str = ""
    """Who receives it (a played organisation, a simulated one, or everyone)."""
    method: str = "simulated"
    """Delivery method: phone, fax, email, radio, in person, simulated (the engine's change only)…"""
    description: str = ""
    expected_action: str = ""
    objective: str | None = None
    """The name of the exercise objective this inject tests."""
    controller: str = ""

    @model_validator(mode="after")
    def _one_trigger(self) -> MselEntry:
        if (self.at is None) == (self.when is None):
            raise ValueError("give an inject either 'at' (a scenario time) or 'when' (a condition)")
        if self.at is not None and self.delay:
            raise ValueError("'delay' goes with 'when'; with 'at', put the time in 'at'")
        return self


class ExerciseObjective(Model):
    """What the exercise tests: a metric of the played run against a target."""

    name: str
    metric: str
    target: Duration
    """Met when the metric happened within this time."""
    capability: str = ""
    """The capability it tests (HSEEP core capability, or the Chinese evaluation element)."""


class Exercise(Model):
    name: str
    description: str = ""
    scenario: str
    """Path of the scenario file, relative to the exercise file."""
    set: dict[str, object] = {}
    """Overrides of the scenario (``PATH: VALUE``, as ``--set PATH=VALUE``): a night start, a
    smaller duty staff… applied before the exercise begins."""
    seed: int = Field(default=0, ge=0)
    played: list[str] = []
    """Organisations the trainees play (the rest follow doctrine)."""
    speed: float = Field(default=60.0, gt=0)
    """Pace: simulated minutes per real minute (1 = real time)."""
    replications: int = Field(default=100, ge=10, le=100_000)
    """Doctrine runs with the same injects that the players' values are ranked in."""
    script: str | None = None
    """A player script (relative path) used when no --player is given and the session is not
    interactive."""
    objectives: list[ExerciseObjective] = []
    msel: list[MselEntry] = []

    @model_validator(mode="after")
    def _numbers(self) -> Exercise:
        numbers = [e.number for e in self.msel]
        twice = sorted({n for n in numbers if numbers.count(n) > 1})
        if twice:
            raise ValueError(f"MSEL numbers must be distinct; {', '.join(map(str, twice))} used twice")
        names = [o.name for o in self.objectives]
        if len(set(names)) != len(names):
            raise ValueError("objective names must be distinct")
        return self


# --- player scripts -------------------------------------------------------------------------------


class ScriptSend(Model):
    send: str
    """The message kind."""
    to: str


Verb = Literal["doctrine", "acknowledge", "hold", "callout", "deploy"]


class ScriptRule(Model):
    """What the player does with messages that match."""

    on: str | None = None
    """Message kind (any if none)."""
    from_: str | None = Field(default=None, alias="from")
    class_: str | None = Field(default=None, alias="class")
    times: int | None = Field(default=None, ge=1)
    """Only the first N matching messages (every one if none)."""
    after: Duration = 0.0
    """How long the player takes (from the moment a person takes the message on)."""
    do: Verb | list[Verb | ScriptSend] = "doctrine"
    """``doctrine`` (what the handlers would do), ``acknowledge``, ``hold``, or a list of sends
    (``{send: KIND, to: ORG}``), ``callout`` and ``deploy``."""


class OrganisationScript(Model):
    rules: list[ScriptRule] = []
    default: ScriptRule = ScriptRule()
    """For a message no rule matches."""


class PlayerScript(Model):
    """Per played organisation, its rules: a scripted player, deterministic."""

    organisations: dict[str, OrganisationScript]
