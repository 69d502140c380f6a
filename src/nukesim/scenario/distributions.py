"""Probability distributions of durations, named by their natural parameters.

A planner knows "median 10 minutes, nine times out of ten under 30", not ``sigma``; each
distribution here is written with the parameters people quote and knows its own mean (used by
the graph analysis) and how to draw samples from a ``numpy.random.Generator`` (used by the
engine). A bare duration (``15m``) is a fixed, deterministic time.

Every distribution is drawn by inverse transform: ``ppf(u)`` turns uniform numbers into
durations (vectorised, for the call-out's blocks of members) and ``scalar_ppf()`` gives the same
function for one float at a time (for the engine's one-at-a-time draws, where a numpy call would
cost more than the arithmetic). One uniform per draw, whatever the distribution, means a draw is
a fixed position of its stream: no rejection step can shift the numbers after it.

Each class is a frozen pydantic model discriminated by ``dist``::

    {dist: exponential, mean: 10m}
    {dist: lognormal, median: 10m, p90: 30m}
"""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from scipy.special import gammaincinv, ndtri

from .durations import Duration

Z90 = 1.2815515655446004  # standard normal 0.9 quantile
_STANDARD_NORMAL = NormalDist()


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    def mean(self) -> float:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover - every subclass overrides
        """The inverse CDF: the durations at probabilities ``u`` (uniform numbers in [0, 1))."""
        raise NotImplementedError

    def scalar_ppf(self) -> Callable[[float], float]:  # pragma: no cover - every subclass overrides
        """``ppf`` for one float in (0, 1), with its constants worked out once."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws: ``ppf`` of as many uniform numbers from ``rng``."""
        return self.ppf(rng.random(size))


class Fixed(_Dist):
    """Always the same time."""

    dist: Literal["fixed"] = "fixed"
    value: Duration

    @property
    def mean(self) -> float:
        return self.value

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value)

    def scalar_ppf(self) -> Callable[[float], float]:
        value = self.value
        return lambda u: value

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value)  # nothing to draw


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

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + u * (self.high - self.low)

    def scalar_ppf(self) -> Callable[[float], float]:
        low, width = self.low, self.high - self.low
        return lambda u: low + u * width


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

    def ppf(self, u: np.ndarray) -> np.ndarray:
        low, mode, high = self.low, self.mode, self.high
        c = (mode - low) / (high - low)
        u = np.asarray(u, dtype=float)
        left = low + np.sqrt(u * (high - low) * (mode - low))
        right = high - np.sqrt((1 - u) * (high - low) * (high - mode))
        return np.where(u < c, left, right)

    def scalar_ppf(self) -> Callable[[float], float]:
        low, high = self.low, self.high
        c = (self.mode - low) / (high - low)
        a, b = (high - low) * (self.mode - low), (high - low) * (high - self.mode)
        sqrt = math.sqrt
        return lambda u: low + sqrt(u * a) if u < c else high - sqrt((1 - u) * b)


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

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_ * np.log1p(-np.asarray(u, dtype=float))

    def scalar_ppf(self) -> Callable[[float], float]:
        mean, log1p = -self.mean_, math.log1p
        return lambda u: mean * log1p(-u)


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

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.median * np.exp(self.sigma * ndtri(u))

    def scalar_ppf(self) -> Callable[[float], float]:
        median, sigma, exp, z = self.median, self.sigma, math.exp, _STANDARD_NORMAL.inv_cdf
        return lambda u: median * exp(sigma * z(u))


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

    @property
    def _below_zero(self) -> float:
        """The probability the untruncated normal gives below zero: the truncation cuts it off."""
        return _STANDARD_NORMAL.cdf(-self.mean_ / self.sd)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        lo = self._below_zero
        return np.maximum(self.mean_ + self.sd * ndtri(lo + np.asarray(u, dtype=float) * (1 - lo)), 0.0)

    def scalar_ppf(self) -> Callable[[float], float]:
        mean, sd, lo, z = self.mean_, self.sd, self._below_zero, _STANDARD_NORMAL.inv_cdf
        return lambda u: max(mean + sd * z(lo + u * (1 - lo)), 0.0)


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

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return gammaincinv(self.shape, u) * (self.sd**2 / self.mean_)

    def scalar_ppf(self) -> Callable[[float], float]:
        shape, scale = self.shape, self.sd**2 / self.mean_
        return lambda u: float(gammaincinv(shape, u)) * scale


class Empirical(_Dist):
    """Resampling of observed times (for example from past drills)."""

    dist: Literal["empirical"]
    samples: list[Duration] = Field(min_length=1)

    @property
    def mean(self) -> float:
        return sum(self.samples) / len(self.samples)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        xs = np.sort(np.asarray(self.samples, dtype=float))
        return xs[np.minimum((np.asarray(u) * len(xs)).astype(np.intp), len(xs) - 1)]

    def scalar_ppf(self) -> Callable[[float], float]:
        xs = sorted(float(x) for x in self.samples)
        n = len(xs)
        return lambda u: xs[min(int(u * n), n - 1)]


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
