"""The scenario: plain, validated, frozen data describing one accident and one response system.

A ``Scenario`` knows nothing of SimPy. It is what a scenario file says, checked field by field
(types, ranges, distribution parameters); cross-references between names are checked by
``references.py`` and the shape of the command graph by ``nukesim.graph``. Every change to a
scenario — a ``--set`` override, a sweep point — makes a new, re-validated ``Scenario``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, ClassVar, Generic, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .distributions import Distribution, Fixed
from .durations import Duration, share_value

CLASS_CHANGE = "class_change"
"""Message kind the accident sends to the plant's own handlers when its class changes."""
MOBILISE = "mobilise"
"""Order kind that starts the team's call-out; only organisations with authority may send it."""
DEPLOY = "deploy"
"""Order kind that releases the team to the site; only organisations with authority may send it."""
ORDER_KINDS = (MOBILISE, DEPLOY)
BACKGROUND = "background"
"""Kind of routine (non-accident) tasks in the event log; no message may be of this kind."""
ACCIDENT = "accident"
"""Sender of the class changes the accident delivers to the site; no organisation may be named so."""

CHINA_CLASSES = ["emergency_standby", "plant_emergency", "site_area_emergency", "offsite_emergency"]
PERIODS = ("day", "night", "weekend", "late_night", "weekend_night")
"""Calendar periods; the last two exist only with ``calendar.late_night`` (else never current)."""


class Model(BaseModel):
    """Base of every scenario model: immutable, unknown fields are errors (not ignored), and
    ``.inf`` or ``.nan`` is no number a scenario can mean."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False)


# --- limits -------------------------------------------------------------------------------------
# What a scenario may ask for, stated at validation (docs/scenario-format.md, "Limits"): far
# beyond any real response system, and small enough that a run fits in memory and finishes.

MAX_NAME = 100
"""Characters in a name (organisation, channel, class, unit, member group, message kind)."""
MAX_ORGANISATIONS = 5_000
MAX_LINKS = 50_000
MAX_CLASSES = 100
MAX_STAFF = 10_000
"""Duty staff of one organisation in one period."""
MAX_TEAM = 10_000
"""Members of the whole team (every unit together); each member is simulated."""
MAX_VEHICLES = 1_000
MAX_RETRIES = 100
"""Retries of a channel, and repage attempts."""
MAX_FACTOR = 100.0
"""A slowdown factor."""
MAX_BACKGROUND = 1_000_000
"""Routine tasks one organisation's background work brings, on average, before the horizon."""
MAX_SHIFT_CHANGES = 48
"""Shift changes a day."""
MAX_OBJECTIVES = 1_000
MAX_OUTAGES = 10_000
YEARS = (1900, 2200)
"""The start's year: the calendar's wall-clock arithmetic stays within what it can represent."""

# --- small value types -------------------------------------------------------------------------
# Strict numbers: ``staff: true`` or ``count: 2.5`` is a mistake, not 1 or 2.

Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]
"""Only true or false: ``once: "no"`` or ``order: 0`` is a mistake, not a yes or a no."""
Real = Annotated[float, Strict()]
Probability = Annotated[float, Strict(), Field(ge=0.0, le=1.0)]


def _time_of_day(value: object) -> float:
    """Minutes after midnight from ``"HH:MM"``, or a number of minutes after midnight (as dumped)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        minutes = float(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*\d{1,2}:\d{2}\s*", value):
        hours, mins = (int(p) for p in value.strip().split(":"))
        if hours > 23 or mins > 59:
            raise ValueError(f"{value!r} is not a time of day")
        minutes = hours * 60.0 + mins
    else:
        raise ValueError(f"expected a time of day such as '08:00', got {value!r}")
    if not 0 <= minutes < 1440:
        raise ValueError(f"expected a time of day such as '08:00', got {value!r}")
    return minutes


TimeOfDay = Annotated[float, BeforeValidator(_time_of_day)]


def _day_hours(value: object) -> tuple[float, float]:
    if isinstance(value, str) and "-" in value:
        start, end = value.split("-", 1)
        return (_time_of_day(start), _time_of_day(end))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return (_time_of_day(value[0]), _time_of_day(value[1]))
    raise ValueError(f"expected working hours such as '08:00-18:00', got {value!r}")


def _optional_hours(value: object) -> tuple[float, float] | None:
    return None if value is None else _day_hours(value)


def in_window(minute: float, window: tuple[float, float]) -> bool:
    """Whether a minute of the day falls in ``[start, end)``, a window that may run past midnight."""
    start, end = window
    return start <= minute < end if start < end else minute >= start or minute < end


T = TypeVar("T")


class ByPeriod(Model, Generic[T]):
    """A value that depends on the calendar period: ``day``, ``night``, ``weekend``, and with a
    ``calendar.late_night`` window ``late_night`` and ``weekend_night``.

    Write a single value for all periods, or a mapping; ``night`` defaults to ``day``,
    ``weekend`` to ``night``, ``late_night`` to ``night`` and ``weekend_night`` to ``weekend``.
    Factors and probabilities also let ``day`` default to 1, so ``slowdown: {night: 1.55}`` reads
    as it sounds.
    """

    day: T
    night: T
    weekend: T
    late_night: T
    weekend_night: T

    _default_day: ClassVar[object] = None

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, data: object) -> object:
        if not isinstance(data, dict):
            return dict.fromkeys(PERIODS, data)
        data = dict(data)
        if "day" not in data and cls._default_day is not None:
            data["day"] = cls._default_day
        if "day" in data:
            data.setdefault("night", data["day"])
        if "night" in data:
            data.setdefault("weekend", data["night"])
            data.setdefault("late_night", data["night"])
        if "weekend" in data:
            data.setdefault("weekend_night", data["weekend"])
        return data

    def __getitem__(self, period: str) -> T:
        return getattr(self, period)


# Named subclasses rather than ``ByPeriod[...]`` in annotations: pickle finds a class by its
# name, and a parametrised generic's name cannot be looked up; scenarios go to worker processes.


class StaffLevels(ByPeriod[Annotated[int, Strict(), Field(ge=0, le=MAX_STAFF)]]):
    """Duty staff by period."""


class PeriodProbabilities(ByPeriod[Probability]):
    """A probability by period (``day`` defaults to 1)."""

    _default_day: ClassVar[object] = 1.0


class PeriodFactors(ByPeriod[Annotated[float, Strict(), Field(gt=0.0, le=MAX_FACTOR)]]):
    """A positive factor by period (``day`` defaults to 1)."""

    _default_day: ClassVar[object] = 1.0


# --- time ---------------------------------------------------------------------------------------


class Calendar(Model):
    """When it is day, night or weekend, and when shifts hand over, in the start's time zone."""

    day: Annotated[tuple[float, float], BeforeValidator(_day_hours)] = (480.0, 1080.0)
    """Weekday working hours, e.g. ``"08:00-18:00"``; the rest of a weekday is night."""
    late_night: Annotated[tuple[float, float] | None, BeforeValidator(_optional_hours)] = None
    """Hours of every day that are ``late_night`` (on a weekday) or ``weekend_night`` (on a weekend
    day or holiday), e.g. ``"00:00-06:00"``; may run past midnight (``"23:00-05:00"``). None: the
    night is one period, as before."""
    weekend: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = ["sat", "sun"]
    holidays: list[date] = []
    """Dates treated as weekend (public holidays)."""
    workdays: list[date] = []
    """Weekend dates worked as weekdays (make-up working days, e.g. China's 调休)."""
    shift_changes: list[TimeOfDay] = Field(default=[], max_length=MAX_SHIFT_CHANGES)
    """Times of day at which duty staff hand over (every organisation without its own ``shifts``)."""
    handover: Duration = 0.0
    """How long a handover keeps the duty staff from accident work."""

    @model_validator(mode="after")
    def _sane(self) -> Calendar:
        if self.day[0] >= self.day[1]:
            raise ValueError("working hours must start before they end, e.g. '08:00-18:00'")
        if self.late_night is not None:
            start, end = self.late_night
            if start == end:
                raise ValueError("late_night must not be empty, e.g. '00:00-06:00'")
            d0, d1 = self.day
            overlaps = start < d1 and d0 < end if start < end else start < d1 or d0 < end
            if overlaps:
                raise ValueError("late_night must not overlap the working hours 'day'")
        if self.handover >= 720:
            raise ValueError("handover must be shorter than 12h")
        return self


class Shifts(Model):
    """One organisation's own shift changes, overriding the calendar's."""

    changes: list[TimeOfDay] = Field(default=[], max_length=MAX_SHIFT_CHANGES)
    """Times of day at which this organisation's duty staff hand over."""
    handover: Duration = 0.0
    """How long each handover lasts."""
    during_handover: Int = Field(default=0, ge=0, le=MAX_STAFF)
    """Staff still free for accident work during a handover (0: the handover stops all work)."""

    @model_validator(mode="after")
    def _sane(self) -> Shifts:
        if self.handover >= 720:
            raise ValueError("handover must be shorter than 12h")
        return self


class ClassChange(Model):
    """One declaration of the timeline: at a fixed time, or a random time after the previous one."""

    at: Duration | None = None
    """Minutes after t = 0 (a fixed time)."""
    after: Distribution | None = None
    """Or: time after the previous entry's declaration (after t = 0 for the first entry), drawn
    afresh in every replication."""
    class_: str = Field(alias="class")
    stop: Probability = 0.0
    """Probability that the accident escalates no further once this class is declared."""

    @model_validator(mode="after")
    def _one_time(self) -> ClassChange:
        if (self.at is None) == (self.after is None):
            raise ValueError("give a class change either 'at' (a time after t = 0) or 'after' (a time, "
                             "or a distribution, after the previous class change)")
        return self


class Accident(Model):
    """Where the accident happens and how its emergency class changes over time."""

    site: str
    """The organisation at the plant that receives each class change first."""
    timeline: list[ClassChange] = Field(min_length=1)

    @field_validator("timeline")
    @classmethod
    def _sorted(cls, timeline: list[ClassChange]) -> list[ClassChange]:
        for i in range(1, len(timeline)):
            if timeline[i].at is None:
                continue
            if timeline[i - 1].at is None:
                raise ValueError(f"entry {i} has 'at' after an entry with 'after': once the timeline has "
                                 f"random times, give the later entries 'after' too")
            if timeline[i].at < timeline[i - 1].at:
                raise ValueError(f"class changes must be in time order; entry {i} (at {timeline[i].at:g}m) "
                                 f"comes before entry {i - 1} (at {timeline[i - 1].at:g}m)")
        return timeline

    def mean_times(self) -> list[float]:
        """Each declaration's time with every ``after`` at its mean (what the graph analysis uses)."""
        out: list[float] = []
        for change in self.timeline:
            out.append(change.at if change.at is not None else (out[-1] if out else 0.0) + change.after.mean)
        return out


# --- communication ------------------------------------------------------------------------------


class Channel(Model):
    """A means of sending a message: its delay, how often it fails and how failure is handled."""

    label: str | None = None
    delay: Distribution = Fixed(value=0.0)
    fails: Probability = 0.0
    """Probability that one transmission fails."""
    detect: Duration = 0.0
    """Time until the sender notices a failed transmission."""
    retries: Int = Field(default=0, ge=0, le=MAX_RETRIES)
    """Extra attempts on this channel before moving to the link's next fallback."""
    occupies: bool = False
    """A person makes the transmission (a phone call, not an automatic alert): a link with this
    channel first keeps one of the sender's staff busy for each transmission, one after another."""


class Resend(Model):
    """Try a link's whole channel list again when every channel has failed (a sender keeps trying)."""

    after: Duration
    """Time from the last failed attempt of a round to the next round."""
    attempts: Int | None = Field(default=None, ge=1, le=MAX_RETRIES)
    """Rounds after the first, at most; none: keep trying until the horizon."""

    @field_validator("after")
    @classmethod
    def _later(cls, after: float) -> float:
        if after <= 0:
            raise ValueError("must be positive: a message is sent again some time after a failed round")
        return after


class Link(Model):
    """A directed communication link between two organisations."""

    from_: str = Field(alias="from")
    to: str
    channel: str
    fallbacks: list[str] = []
    delay: Distribution = Fixed(value=0.0)
    """The link's own delay (distance, relay), added to the channel's on every delivery."""
    resend: Resend | None = None
    """Send a message again when every channel has failed; none: the message is lost (as before)."""
    occupies: bool | None = None
    """Whether a transmission on this link keeps one of the sender's staff busy until it is
    delivered or given up; none: as the link's first channel says (``occupies``)."""


class Send(Model):
    to: str
    kind: str


class WaitFor(Model):
    """Hold the handler until ``count`` distinct organisations of ``from`` have sent this kind."""

    count: Int = Field(ge=1)
    from_: list[str] = Field(alias="from", min_length=1)

    @model_validator(mode="after")
    def _possible(self) -> WaitFor:
        if self.count > len(set(self.from_)):
            senders = len(set(self.from_))
            raise ValueError(f"count {self.count} is more than the {senders} senders listed")
        return self


class Approval(Model):
    """Hold the handler until a message of ``kind`` has arrived from the organisation ``from``."""

    from_: str = Field(alias="from")
    kind: str = "approval"


class Handler(Model):
    """What an organisation does with one kind of message."""

    on: str
    """The message kind handled."""
    time: Distribution = Fixed(value=0.0)
    """Staff time needed to handle the message."""
    class_at_least: str | None = None
    """Only act on messages about this class or a higher one."""
    wait_for: WaitFor | None = None
    approval: Approval | None = None
    once: Bool = False
    """Fire at most once per replication: on the first message that sets the handler going."""
    send: list[Send] = []


class Background(Model):
    """Routine work that arrives at random and competes for the same duty staff."""

    interarrival: Distribution
    duration: Distribution

    @model_validator(mode="after")
    def _arrivals_spaced(self) -> Background:
        if self.interarrival.mean <= 0:
            raise ValueError("background interarrival must have a positive mean (work cannot arrive "
                             "infinitely often)")
        return self


class Organisation(Model):
    label: str | None = None
    staff: StaffLevels = StaffLevels(day=1, night=1, weekend=1)
    shifts: Shifts | None = None
    """This organisation's shift changes; without it, the calendar's ``shift_changes`` apply."""
    background: Background | None = None
    slowdown: PeriodFactors = PeriodFactors(day=1.0, night=1.0, weekend=1.0)
    """Factor on the handling time of each task by the period in which the task starts."""
    handlers: list[Handler] = []

    @model_validator(mode="after")
    def _someone(self) -> Organisation:
        if max(self.staff.day, self.staff.night, self.staff.weekend) == 0:
            raise ValueError("an organisation needs duty staff in at least one period")
        return self


class Authority(Model):
    """Who may order the national team mobilised and deployed (unified command)."""

    mobilise: list[str] = Field(min_length=1)
    deploy: list[str] = Field(min_length=1)


# --- the team -----------------------------------------------------------------------------------


class Repage(Model):
    """Try an unreachable member again: ``after`` minutes later, up to ``attempts`` more times."""

    after: Duration
    """Time from a failed page (or the end of a failed call) to the next try."""
    attempts: Int = Field(default=1, ge=1, le=MAX_RETRIES)
    """Tries after the first, at most."""

    @field_validator("after")
    @classmethod
    def _later(cls, after: float) -> float:
        if after <= 0:
            raise ValueError("must be positive: a member is tried again some time after a failed try")
        return after


class CallOut(Model):
    """How the duty officer reaches the members: one page to all, or a call tree."""

    method: Literal["page", "tree"] = "page"
    delay: Duration = 0.0
    """Time to prepare and send the page, or before the first call."""
    fanout: Int = Field(default=5, ge=1, le=MAX_TEAM)
    """Tree only: how many members each caller calls."""
    per_call: Distribution = Fixed(value=1.0)
    """Tree only: time one call takes, reached or not."""
    repage: Repage | None = None
    """Page again, or call again, a member who could not be reached; none by default."""


Share = Annotated[float, Strict(), Field(gt=0.0, le=1.0)]


def _adds_up_to_one(shares: list[float], what: str) -> None:
    total = sum(shares)
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"{what} must add up to 1, they add up to {total:g}")


class Unit(Model):
    label: str | None = None
    size: Int = Field(ge=1, le=MAX_TEAM)
    ready_at: Real = Field(default=1.0, gt=0.0, le=1.0)
    """Share of the unit that must have assembled for it to be ready."""
    members: dict[str, Share] | None = Field(default=None, min_length=1)
    """This unit's own mix of member groups (group → share); without it, the groups' ``share``."""
    base: str | None = None
    """The base (``team.bases``) the unit assembles at, loads at and travels from."""

    @field_validator("members")
    @classmethod
    def _shares(cls, members: dict[str, float] | None) -> dict[str, float] | None:
        if members is not None:
            _adds_up_to_one(list(members.values()), "the unit's member shares")
        return members


class MemberGroup(Model):
    """Members who respond alike: on base, living nearby, far away…"""

    share: Share | None = None
    """Fraction of every unit without a ``members`` mix of its own; none: only in units that list it."""
    reachable: PeriodProbabilities = PeriodProbabilities(day=1.0, night=1.0, weekend=1.0)
    acknowledge: Distribution = Fixed(value=0.0)
    travel: Distribution = Fixed(value=0.0)
    slowdown: PeriodFactors = PeriodFactors(day=1.0, night=1.0, weekend=1.0)
    """Factor on acknowledgement and travel times by period (night turnout is slower)."""
    slow_travel: bool = True
    """Whether ``slowdown`` stretches travel too; false for a long rail or air journey, whose
    timetable does not depend on the hour the member was woken (acknowledgement is still slowed)."""


class Vehicles(Model):
    count: Int = Field(default=0, ge=0, le=MAX_VEHICLES)
    load: Distribution = Fixed(value=0.0)
    """Time to load one vehicle."""
    loaders: Int = Field(default=1, ge=1, le=MAX_VEHICLES)
    """Vehicles that can be loaded at once (loading crews or bays)."""
    seats: Int | None = Field(default=None, ge=1, le=MAX_TEAM)
    """People one vehicle carries: members board in order of assembly and each vehicle leaves when
    full or at its deadline (``sim/seats.py``); none: the team leaves as one once ready (as before)."""
    leave_after: Duration | None = None
    """With ``seats``: a vehicle leaves at the latest this long after its first member boarded."""
    leave_by: Duration | None = None
    """With ``seats``: every vehicle with anyone aboard leaves at the latest this long after the
    call-out started; nobody boards later."""

    @model_validator(mode="after")
    def _seated(self) -> Vehicles:
        if self.seats is None:
            for name in ("leave_after", "leave_by"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} is a deadline for vehicles with seats; give seats too "
                                     f"(people one vehicle carries), or remove {name}")
        elif self.count == 0:
            raise ValueError("seats needs vehicles to sit in: give count (the number of vehicles)")
        return self


class Base(Model):
    """A base the team's forces are stationed at: its own vehicles and its own transit to the site."""

    label: str | None = None
    vehicles: Vehicles = Vehicles()
    """The vehicles loaded at this base (none by default)."""
    transit: Distribution | None = None
    """From this base to the site; none: the team's ``transit``."""


class Deploy(Model):
    """When the team leaves: the listed units ready, vehicles loaded and, if required, the order."""

    order: Bool = True
    """Wait for a ``deploy`` order acted on by the team's organisation."""
    units: list[str] | Literal["all"] = "all"


class Team(Model):
    organisation: str
    """The organisation whose duty officer starts the call-out on a ``mobilise`` order."""
    callout: CallOut = CallOut()
    # ``members`` before ``units``: the check of the units reads the validated member groups
    members: dict[str, MemberGroup] = Field(min_length=1)
    units: dict[str, Unit] = Field(min_length=1)
    vehicles: Vehicles = Vehicles()
    deploy: Deploy = Deploy()
    transit: Distribution = Fixed(value=0.0)
    bases: dict[str, Base] = Field(default={}, max_length=MAX_TEAM)
    """Several bases, each unit at one (``units.<u>.base``); none: one assembly point, as before."""
    departure: Literal["convoy", "per_base"] = "convoy"
    """With bases: all leave together once every base is ready (``convoy``), or each base as soon
    as it is ready (``per_base``); the team is on site when the last base has arrived."""

    @field_validator("members")
    @classmethod
    def _shares(cls, members: dict[str, MemberGroup]) -> dict[str, MemberGroup]:
        shares = [g.share for g in members.values() if g.share is not None]
        if shares:
            _adds_up_to_one(shares, "member group shares")
        return members

    @field_validator("units")
    @classmethod
    def _not_too_many(cls, units: dict[str, Unit]) -> dict[str, Unit]:
        total = sum(u.size for u in units.values())
        if total > MAX_TEAM:
            raise ValueError(f"the units have {total:,} members in all; the limit is {MAX_TEAM:,} "
                             "(each member is simulated)")
        return units

    @field_validator("units")
    @classmethod
    def _mixed(cls, units: dict[str, Unit], info: ValidationInfo) -> dict[str, Unit]:
        members = info.data.get("members")
        if members is None or any(g.share is not None for g in members.values()):
            return units
        bare = [name for name, u in units.items() if u.members is None]
        if bare:
            raise ValueError(f"no member group has a share, so every unit needs a members mix of its own; "
                             f"{', '.join(bare)} {'has' if len(bare) == 1 else 'have'} none")
        return units

    @property
    def size(self) -> int:
        return sum(u.size for u in self.units.values())


# --- outcomes -----------------------------------------------------------------------------------


def _counts(metric: object) -> bool:
    """Whether an objective's metric counts people (its target is a number, not a duration)."""
    from .metricdefs import is_count

    try:
        return isinstance(metric, str) and is_count(metric)
    except KeyError:  # an unknown metric: check_references names it
        return False


class Objective(Model):
    """A target on a metric: ``p90`` of ``team_mobilized`` within ``12h``; or a share of runs."""

    name: str
    metric: str
    statistic: Literal["mean", "p50", "p90", "p95", "max", "share"]
    target: Real
    """A duration for time statistics (met when at most the target); a number of members for a
    metric that counts them (``left_behind``); a fraction for ``share``."""
    within: Duration | None = None
    """``share`` only: count a run as done if the metric happened within this time (for a count:
    if it was at most this many)."""

    @model_validator(mode="before")
    @classmethod
    def _target_units(cls, data: object) -> object:
        if not isinstance(data, dict) or "target" not in data:
            return data
        data = dict(data)
        target = data["target"]
        if data.get("statistic") == "share":
            data["target"] = share_value(target)
            if _counts(data.get("metric")) and isinstance(data.get("within"), str):
                raise ValueError(f"{data['metric']} counts members: 'within' is a number of members, "
                                 f"not {data['within']!r}")
        elif _counts(data.get("metric")):
            if isinstance(target, bool) or not isinstance(target, (int, float)) or target < 0:
                raise ValueError(f"{data['metric']} counts members: the target is a number of members, "
                                 f"not {target!r}")
        else:
            from .durations import parse_duration

            data["target"] = parse_duration(target)
        return data

    @model_validator(mode="after")
    def _share_range(self) -> Objective:
        if self.statistic == "share" and not 0 <= self.target <= 1:
            raise ValueError("a share target is a fraction between 0 and 1 (or a percentage)")
        if self.within is not None and self.statistic != "share":
            raise ValueError("'within' applies only to the 'share' statistic")
        return self


class Outage(Model):
    """An organisation or channel unavailable for a period (the API injects use, in a file)."""

    target: str
    start: Duration
    end: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Outage:
        if self.end <= self.start:
            raise ValueError("an outage must end after it starts")
        return self


class Measurement(Model):
    """Over which window ``wait:`` and ``utilization:`` are measured, and a warm-up before t = 0."""

    warmup: Duration = 0.0
    """Routine (background) work runs this long before t = 0, so the accident meets queues in
    their steady state, with the staff calendar (periods, shift changes) running from then too;
    nothing before t = 0 counts in any metric."""
    until: Literal["end", "horizon"] | Duration = "end"
    """End of the window that starts at t = 0: ``end`` of the run (as before: it comes sooner when
    the team is quicker), the ``horizon``, or a duration (the run goes on at least that long)."""

    @field_validator("until", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        if value in ("end", "horizon"):
            return value
        from .durations import parse_duration

        return parse_duration(value)


class Scenario(Model):
    """One accident, one response system, one horizon."""

    name: str
    description: str = ""
    start: AwareDatetime
    """Wall-clock time of the initiating event, with its time zone (t = 0)."""
    horizon: Duration
    """Simulated time after which anything not done counts as missing."""
    classes: list[str] = Field(default_factory=lambda: list(CHINA_CLASSES), min_length=1,
                               max_length=MAX_CLASSES)
    """Emergency classes from least to most severe."""
    calendar: Calendar = Calendar()
    accident: Accident
    channels: dict[str, Channel] = Field(min_length=1)
    organisations: dict[str, Organisation] = Field(min_length=1, max_length=MAX_ORGANISATIONS)
    links: list[Link] = Field(default=[], max_length=MAX_LINKS)
    authority: Authority
    team: Team
    objectives: list[Objective] = Field(default=[], max_length=MAX_OBJECTIVES)
    outages: list[Outage] = Field(default=[], max_length=MAX_OUTAGES)
    measurement: Measurement = Measurement()
    """The window of ``wait:`` and ``utilization:``, and the warm-up of routine work."""
    class_milestones: list[str] = Field(default=[], max_length=MAX_ORGANISATIONS)
    """Organisations whose first receipt about each declared class is a metric of its own
    (``notified:<org>@<class>``, ``since_declared:<org>@<class>``, with ``declared:<class>``)."""

    @field_validator("start")
    @classmethod
    def _representable(cls, start: datetime) -> datetime:
        if not YEARS[0] <= start.year <= YEARS[1]:
            raise ValueError(f"the start must lie between the years {YEARS[0]} and {YEARS[1]}, "
                             f"got {start.year}")
        return start

    @model_validator(mode="after")
    def _horizon(self) -> Scenario:
        if self.horizon <= 0:
            raise ValueError("horizon must be positive")
        until = self.measurement.until
        if isinstance(until, float) and not 0 < until <= self.horizon:
            raise ValueError("measurement.until must be after t = 0 and at most the horizon")
        if len(set(self.classes)) != len(self.classes):
            raise ValueError("classes must be distinct")
        return self

    @property
    def window(self) -> tuple[float, float] | None:
        """``(0, t)`` over which wait and utilisation are measured; None: to the end of the run."""
        until = self.measurement.until
        return None if until == "end" else (0.0, self.horizon if until == "horizon" else until)

    def class_rank(self, name: str) -> int:
        """Position of a class in the severity order (0 = least severe)."""
        return self.classes.index(name)
