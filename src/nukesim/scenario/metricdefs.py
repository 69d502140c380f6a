"""The registry of metrics: every metric a scenario produces, its kind, unit and definition.

One table that the metrics, the summary tables, the statistics, the exports and the command line
all read, instead of each recognising a metric by its name's prefix. It lives in the scenario
layer because the scenario names metrics (objectives refer to them) and that layer must not import
the engine; ``nukesim.metrics`` computes them.

Kinds:

- ``time_to_event``: minutes from t = 0 until something happened; missing when it did not happen
  before the run ended (a censored observation, not zero).
- ``level``: minutes averaged over what happened; missing when there was nothing to average.
- ``share``: a fraction between 0 and 1; missing when there was nothing to measure.
- ``count``: a number of people (members); missing when there was nobody to count (no call-out).

A family may exist only for some scenarios (``base_on_site:<base>`` with bases, the per-class
metrics with ``class_milestones``, ``aboard`` and ``left_behind`` with seats): a scenario without
it has no such column, so nothing it prints changes.

A *milestone* is a time to an event along the chain the attribution explains (``nukesim explain``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Scenario

TIME_TO_EVENT = "time_to_event"
LEVEL = "level"
SHARE = "share"
COUNT = "count"


@dataclass(frozen=True)
class MetricDef:
    """One metric, or one family of metrics (``notified:<org>``)."""

    pattern: str
    """The name, or ``prefix:<organisation>`` / ``prefix:<unit>`` for one metric per each."""
    kind: str
    """``time_to_event``, ``level``, ``share`` or ``count``."""
    unit: str
    """``minutes``, ``share`` or ``members``."""
    milestone: bool
    """A time to an event whose critical path the attribution explains."""
    computed: str
    """How it is computed from the event log (docs/engine.md shows this table)."""
    seats: bool = False
    """Defined only for a team whose vehicles have ``seats``."""

    @property
    def prefix(self) -> str:
        """``notified`` for ``notified:<org>``; the whole name for a single metric."""
        return self.pattern.split(":", 1)[0]

    @property
    def per(self) -> str | None:
        """``organisation``, ``unit``, ``class``, ``organisation@class``, or None for a single metric."""
        if ":" not in self.pattern:
            return None
        return self.pattern.split(":", 1)[1].replace("<", "").replace(">", "")

    @property
    def key(self) -> str:
        """How a name finds its entry: the prefix, and ``@`` for a per-class family."""
        return self.prefix + ("@" if "@" in self.pattern else "")


METRICS: tuple[MetricDef, ...] = (
    MetricDef("callout_started", TIME_TO_EVENT, "minutes", True, "the `callout` record"),
    MetricDef("team_mobilized", TIME_TO_EVENT, "minutes", True,
              "the latest `unit_ready:<unit>`; missing if any unit is"),
    MetricDef("team_departed", TIME_TO_EVENT, "minutes", True, "the `departed` record"),
    MetricDef("team_on_site", TIME_TO_EVENT, "minutes", True, "the `on_site` record"),
    MetricDef("aboard", COUNT, "members", False,
              "with seats: members of the deploying units on their way — the members aboard (`handler`) "
              "of every `vehicle_departed` record; missing without a call-out", seats=True),
    MetricDef("left_behind", COUNT, "members", False,
              "with seats: members of the deploying units who assembled (`assembled`) but were aboard no "
              "vehicle whose doors closed (`vehicle_ready`) before the run ended — no seat left, or "
              "their vehicle still waiting for more; 0 when everyone who came got a seat; missing without a "
              "call-out", seats=True),
    MetricDef("notified:<organisation>", TIME_TO_EVENT, "minutes", True,
              "the first `received` at the organisation"),
    MetricDef("wait:<organisation>", LEVEL, "minutes", False,
              "mean queueing wait over every task queued at the organisation, accident and background "
              "work alike: started − queued, or end of run − queued for a task still waiting when the run "
              "ended (its wait so far, so a saturated organisation is not flattered); missing if no task "
              "was queued"),
    MetricDef("utilization:<organisation>", SHARE, "share", False,
              "busy staff-minutes (started to finished, and `calling` to `calls_done`, or to the end for "
              "work still running) divided "
              "by the integral of the `staff` level over [0, end]"),
    MetricDef("unit_ready:<unit>", TIME_TO_EVENT, "minutes", True, "the unit's `unit_ready` record"),
    MetricDef("base_on_site:<base>", TIME_TO_EVENT, "minutes", True,
              "with `team.bases`: the base's `base_on_site` record (its part of the team on site)"),
    MetricDef("declared:<class>", TIME_TO_EVENT, "minutes", True,
              "the class's declaration: the first `received` of a `class_change` about it at the site "
              "(with `class_milestones`; missing when the accident did not reach the class)"),
    MetricDef("notified:<organisation>@<class>", TIME_TO_EVENT, "minutes", True,
              "the first `received` at the organisation of a message about the class (for the "
              "organisations of `class_milestones`)"),
    MetricDef("since_declared:<organisation>@<class>", TIME_TO_EVENT, "minutes", False,
              "`notified:<organisation>@<class>` − `declared:<class>`: the time from the declaration to "
              "the first message about it at the organisation (the US 15-minute rule); missing when "
              "either is"),
)
"""Every metric, in the order ``metric_names`` lists them."""

_BY_KEY = {m.key: m for m in METRICS}


def metric_def(name: str) -> MetricDef:
    """The registry entry of a metric name (``notified:plant`` → ``notified:<organisation>``).

    Raises ``KeyError`` for a name no scenario can produce.
    """
    return _BY_KEY[name.split(":", 1)[0] + ("@" if "@" in name else "")]


def is_time_to_event(metric: str) -> bool:
    """True for metrics that are the time something happened (missing = not within the horizon),
    false for levels and shares (missing = there was no work to measure)."""
    return metric_def(metric).kind == TIME_TO_EVENT


def is_count(metric: str) -> bool:
    """True for metrics that count people (printed as numbers; an objective's target is a number)."""
    return metric_def(metric).kind == COUNT


def is_share(metric: str) -> bool:
    """True for metrics that are a fraction (printed as such, not as a duration)."""
    return metric_def(metric).kind == SHARE


def is_milestone(metric: str) -> bool:
    """True for the times to an event that the attribution explains."""
    return metric_def(metric).milestone


def metric_names(scenario: Scenario) -> list[str]:
    """Every metric name this scenario can produce (docs/engine.md, "Metrics"), in registry order."""
    names: list[str] = []
    orgs = scenario.class_milestones
    classes = declared_classes(scenario) if orgs else []
    seated = has_seats(scenario)
    for m in METRICS:
        if m.seats and not seated:
            continue
        if m.per == "organisation":
            names += [f"{m.prefix}:{org}" for org in scenario.organisations]
        elif m.per == "unit":
            names += [f"{m.prefix}:{unit}" for unit in scenario.team.units]
        elif m.per == "base":
            names += [f"{m.prefix}:{base}" for base in scenario.team.bases]
        elif m.per == "class":
            names += [f"{m.prefix}:{cls}" for cls in classes]
        elif m.per == "organisation@class":
            names += [f"{m.prefix}:{org}@{cls}" for org in orgs for cls in classes]
        else:
            names.append(m.pattern)
    return names


def has_seats(scenario: Scenario) -> bool:
    """Whether the team's vehicles (or any base's) have ``seats``: the metrics marked ``seats``."""
    team = scenario.team
    return any(v.seats is not None for v in (team.vehicles, *(b.vehicles for b in team.bases.values())))


def declared_classes(scenario: Scenario) -> list[str]:
    """The classes the accident's timeline may declare, each once, in timeline order."""
    return list(dict.fromkeys(c.class_ for c in scenario.accident.timeline))


def milestone_names(scenario: Scenario) -> list[str]:
    """The milestone metrics of this scenario, in ``metric_names`` order."""
    return [name for name in metric_names(scenario) if is_milestone(name)]
