"""Probability distributions of durations, named by their natural parameters.

A planner knows "median 10 minutes, nine times out of ten under 30", not ``sigma``; each
distribution here is written with the parameters people quote and knows its own mean (used by
the graph analysis) and how to draw samples from a ``numpy.random.Generator`` (used by the
engine). A bare duration (``15m``) is a fixed, deterministic time.

Each class is a frozen pydantic model discriminated by ``dist``::

    {dist: exponential, mean: 10m}
    {dist: lognormal, median: 10m, p90: 30m}
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from .durations import Duration

Z90 = 1.2815515655446004  # standard normal 0.9 quantile


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def mean(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


class Fixed(_Dist):
    """Always the same time."""

    dist: Literal["fixed"] = "fixed"
    value: Duration

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)


class Uniform(_Dist):
    """Any time between ``low`` and ``high``, equally likely."""

    dist: Literal["uniform"]
    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError("uniform needs low <= high")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)


class Triangular(_Dist):
    """Three-point estimate: least, most likely and greatest time."""

    dist: Literal["triangular"]
    low: Duration
    mode: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError("triangular needs low <= mode <= high and low < high")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)


class Exponential(_Dist):
    """Memoryless time with the given mean (Poisson arrivals, M/M/c service)."""

    dist: Literal["exponential"]
    mean_: Duration = Field(alias="mean")
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _positive(self) -> Exponential:
        if self.mean_ <= 0:
            raise ValueError("exponential needs mean > 0")
        return self

    @property
    def mean(self) -> float:
        return self.mean_

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_, size)


class LogNormal(_Dist):
    """Right-skewed time given by its median and its 90th percentile."""

    dist: Literal["lognormal"]
    median: Duration
    p90: Duration

    @model_validator(mode="after")
    def _ordered(self) -> LogNormal:
        if self.median <= 0 or self.p90 <= self.median:
            raise ValueError("lognormal needs 0 < median < p90")
        return self

    @property
    def sigma(self) -> float:
        return math.log(self.p90 / self.median) / Z90

    @property
    def mean(self) -> float:
        return self.median * math.exp(self.sigma**2 / 2)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median), self.sigma, size)


class Normal(_Dist):
    """Normal time truncated at zero (negative draws are redrawn)."""

    dist: Literal["normal"]
    mean_: Duration = Field(alias="mean")
    sd: Duration
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _positive(self) -> Normal:
        if self.sd <= 0:
            raise ValueError("normal needs sd > 0")
        if self.mean_ <= 0:
            raise ValueError("normal (truncated at zero) needs mean > 0")
        return self

    @property
    def mean(self) -> float:
        alpha = -self.mean_ / self.sd
        pdf = math.exp(-alpha * alpha / 2) / math.sqrt(2 * math.pi)
        survival = 0.5 * math.erfc(alpha / math.sqrt(2))
        return self.mean_ + self.sd * pdf / survival

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        out = rng.normal(self.mean_, self.sd, size)
        bad = out < 0
        while bad.any():
            out[bad] = rng.normal(self.mean_, self.sd, int(bad.sum()))
            bad = out < 0
        return out


class Gamma(_Dist):
    """Gamma time given by its mean and standard deviation."""

    dist: Literal["gamma"]
    mean_: Duration = Field(alias="mean")
    sd: Duration
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _positive(self) -> Gamma:
        if self.mean_ <= 0 or self.sd <= 0:
            raise ValueError("gamma needs mean > 0 and sd > 0")
        return self

    @property
    def shape(self) -> float:
        return (self.mean_ / self.sd) ** 2

    @property
    def mean(self) -> float:
        return self.mean_

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.sd**2 / self.mean_, size)


class Empirical(_Dist):
    """Resampling of observed times (for example from past drills)."""

    dist: Literal["empirical"]
    samples: list[Duration] = Field(min_length=1)

    @property
    def mean(self) -> float:
        return sum(self.samples) / len(self.samples)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.samples, dtype=float), size)


def _bare_duration_is_fixed(value: object) -> object:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Distribution = Annotated[
    Fixed | Uniform | Triangular | Exponential | LogNormal | Normal | Gamma | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_bare_duration_is_fixed),
]
"""A duration distribution: a bare duration, or a mapping with ``dist`` and its parameters."""

DISTRIBUTION_NAMES = ("fixed", "uniform", "triangular", "exponential", "lognormal", "normal",
                      "gamma", "empirical")
