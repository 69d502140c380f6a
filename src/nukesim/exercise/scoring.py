"""Scoring an exercise: the players' run against doctrine.

For each objective, the players' value (the metric in the played run), whether it met the
target, and where it falls among ``N`` doctrine runs of the same scenario with the same MSEL —
replications 0 … N-1 of the exercise's seed, the injects delivered by the same rules. Its
*percentile* is the share of doctrine runs that did better (an earlier time), ties counting
half, a missing value (never within the horizon) counting as later than any time:

    percentile = 100 × (#{doctrine < players} + ½ #{doctrine = players}) / N

The HSEEP rating follows from it by fixed thresholds (``RATINGS``): a team as fast as the
median doctrine run or faster performed *without challenges*; up to the 80th percentile *with
some challenges*; slower *with major challenges*; and a milestone never reached is *unable to
be performed*. The thresholds are a convention of this project, stated in docs/exercises.md.

The counterfactual is replication 0 with doctrine in place of the players — the same seed, so
the same channel failures, handling times and member responses wherever the players' choices
did not change them — compared milestone by milestone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..metrics import compute_metrics
from ..scenario.metricdefs import milestone_names
from ..scenario.models import Scenario
from ..stats import censored_percentile
from .models import Exercise

RATINGS = (
    (50.0, "P", "performed without challenges"),
    (80.0, "S", "performed with some challenges"),
    (100.0, "M", "performed with major challenges"),
)
UNABLE = ("U", "unable to be performed")


def percentile_rank(doctrine: np.ndarray, value: float) -> float:
    """Share (in %) of doctrine values better (smaller) than ``value``, ties half; NaN = never."""
    d = np.where(np.isnan(doctrine), np.inf, doctrine)
    v = math.inf if math.isnan(value) else value
    return 100.0 * (np.count_nonzero(d < v) + 0.5 * np.count_nonzero(d == v)) / len(d)


def rating(value: float, percentile: float) -> tuple[str, str]:
    """The HSEEP rating (code, words) of a value at ``percentile`` of the doctrine runs."""
    if math.isnan(value):
        return UNABLE
    for limit, code, words in RATINGS:
        if percentile <= limit:
            return code, words
    return RATINGS[-1][1:]


@dataclass
class ObjectiveScore:
    name: str
    metric: str
    capability: str
    target: float
    value: float
    """The players' value (NaN: never within the horizon)."""
    met: bool
    percentile: float
    rating: str
    rating_words: str
    doctrine_p50: float
    doctrine_p90: float
    counterfactual: float
    doctrine_missing: int


@dataclass
class Milestone:
    metric: str
    players: float
    doctrine: float
    """The counterfactual: the same seed, doctrine in place of the players."""

    @property
    def difference(self) -> float:
        """Players minus doctrine (minutes; positive: the players were later)."""
        return self.players - self.doctrine


@dataclass
class Score:
    objectives: list[ObjectiveScore]
    milestones: list[Milestone]
    replications: int


def doctrine_values(
    exercise: Exercise, scenario: Scenario, replications: int, seed: int
) -> dict[str, np.ndarray]:
    """Every metric of ``replications`` doctrine runs with the exercise's MSEL (no players)."""
    from .session import Session

    rows = [
        compute_metrics(Session(exercise, scenario, seed=seed, replication=r).run(), scenario)
        for r in range(replications)
    ]
    return {m: np.array([row[m] for row in rows]) for m in rows[0]}


def score(
    exercise: Exercise, scenario: Scenario, played: dict[str, float], doctrine: dict[str, np.ndarray]
) -> Score:
    """The objectives' scores and the milestone comparison (``doctrine`` from ``doctrine_values``;
    its replication 0 is the counterfactual)."""
    objectives = []
    for o in exercise.objectives:
        d = doctrine[o.metric]
        v = played[o.metric]
        pct = percentile_rank(d, v)
        code, words = rating(v, pct)
        objectives.append(
            ObjectiveScore(
                name=o.name,
                metric=o.metric,
                capability=o.capability,
                target=o.target,
                value=v,
                met=not math.isnan(v) and v <= o.target,
                percentile=pct,
                rating=code,
                rating_words=words,
                doctrine_p50=float(censored_percentile(d, 50)),
                doctrine_p90=float(censored_percentile(d, 90)),
                counterfactual=float(d[0]),
                doctrine_missing=int(np.count_nonzero(np.isnan(d))),
            )
        )
    milestones = [Milestone(m, played[m], float(doctrine[m][0])) for m in milestone_names(scenario)]
    return Score(objectives, milestones, len(next(iter(doctrine.values()))))
