"""The sweep file: which scenario, which factors, which design, how many replications.

A sweep file is YAML read by the same safe loader as scenarios and validated by pydantic, so a
mistake is reported as ``FILE:LINE:COL: field.path: message``. Factors name override paths (the
``--set`` language, ``*`` included) or a wall-clock part of the scenario's ``start`` (hour,
weekday, date); their values are a list or a range. See docs/sweeps.md.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path as FsPath
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from ..scenario.durations import Duration, share_value
from ..scenario.models import Model, Objective
from ..scenario.problems import Problem, ScenarioError, SourceMap
from ..scenario.schema import validate
from ..scenario.yamlsource import parse_yaml, read_text

WALLCLOCK = ("hour", "weekday", "date")
DESIGNS = ("grid", "oat", "random", "lhs", "sobol", "morris")




Share = Annotated[float, Field(gt=0.0, lt=1.0)]


class Range(Model):
    """Values from ``low`` to ``high``: ``steps`` levels for grid and one-at-a-time designs,
    anywhere in between for the sampling designs; ``log`` spaces them on a log scale."""

    low: float
    high: float
    steps: int = Field(5, ge=2, le=1000)
    log: bool = False
    integer: bool = False

    @model_validator(mode="after")
    def _order(self) -> Range:
        if self.high <= self.low:
            raise ValueError("a range needs high > low")
        if self.log and self.low <= 0:
            raise ValueError("a log range needs low > 0")
        return self


class Factor(Model):
    """One thing varied: one or several override paths set together, or a wall-clock part."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    path: str | None = None
    paths: list[str] | None = Field(None, min_length=1)
    wallclock: Literal["hour", "weekday", "date"] | None = None
    values: list[Any] | None = Field(None, min_length=1)
    range: Range | None = None
    base: Any = None
    """The value of the base point (one-at-a-time design); default: the scenario's own value."""

    @model_validator(mode="after")
    def _one_target_one_domain(self) -> Factor:
        targets = sum(x is not None for x in (self.path, self.paths, self.wallclock))
        if targets != 1:
            raise ValueError("give exactly one of 'path', 'paths' or 'wallclock'")
        if (self.values is None) == (self.range is None):
            raise ValueError("give exactly one of 'values' (a list) or 'range' ({low, high})")
        if self.wallclock == "date" and self.range is not None:
            raise ValueError("a date factor takes a list of dates in 'values'")
        if self.values is not None and len({repr(v) for v in self.values}) != len(self.values):
            raise ValueError("the values of a factor must all differ")
        return self

    @property
    def targets(self) -> list[str]:
        if self.wallclock:
            return ["start"]
        return [self.path] if self.path is not None else list(self.paths or [])

    def levels(self) -> list[Any]:
        """The values of a grid or one-at-a-time design."""
        if self.values is not None:
            return list(self.values)
        r = self.range
        import numpy as np

        xs = np.geomspace(r.low, r.high, r.steps) if r.log else np.linspace(r.low, r.high, r.steps)
        if r.integer:
            return list(dict.fromkeys(int(round(x)) for x in xs))
        return [float(f"{x:.12g}") for x in xs]  # 0.3, not 0.30000000000000004

    def at(self, u: float) -> Any:
        """The value at ``u`` in [0, 1] of the factor's domain (sampling designs)."""
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        r = self.range
        import math

        x = (
            math.exp(math.log(r.low) + u * (math.log(r.high) - math.log(r.low)))
            if r.log
            else r.low + u * (r.high - r.low)
        )
        return int(round(x)) if r.integer else float(x)


class Design(Model):
    type: Literal["grid", "oat", "random", "lhs", "sobol", "morris"] = "grid"
    points: int | None = Field(None, ge=1, le=1_000_000)
    """Points of a random or Latin hypercube design."""
    samples: int | None = Field(None, ge=1, le=1_000_000)
    """SALib's N: base samples of a Sobol design (a power of two), trajectories of a Morris design."""
    levels: int = Field(4, ge=2, le=100)
    """Morris grid levels (even)."""
    second_order: bool = False
    seed: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _sizes(self) -> Design:
        if self.type in ("random", "lhs") and self.points is None:
            raise ValueError(f"a {self.type} design needs 'points'")
        if self.type in ("sobol", "morris") and self.samples is None:
            raise ValueError(f"a {self.type} design needs 'samples' (SALib's N)")
        if self.type == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"a Sobol design needs 'samples' a power of two (SALib), got {self.samples}")
        if self.type == "morris" and self.levels % 2:
            raise ValueError("a Morris design needs an even number of 'levels'")
        return self


class Precision(Model):
    """Add replications at each point until the CI half-width is within ``target`` × mean."""

    target: Share
    max: int = Field(1000, ge=2, le=1_000_000)
    batch: int = Field(50, ge=2, le=100_000)

    _share = field_validator("target", mode="before")(classmethod(lambda cls, v: share_value(v)))


class Discovery(Model):
    """PRIM scenario discovery: which factor combinations make ``metric`` miss ``within`` in
    more than ``share`` of a point's runs."""

    metric: str
    within: Duration
    share: Share = 0.1

    _share = field_validator("share", mode="before")(classmethod(lambda cls, v: share_value(v)))


class Sweep(Model):
    name: str | None = None
    scenario: str
    """Path of the scenario file, relative to the sweep file."""
    seed: int = Field(1, ge=0)
    set: dict[str, Any] = Field(default_factory=dict)
    """Base overrides applied at every point (the ``--set`` language)."""
    factors: list[Factor] = Field(min_length=1, max_length=100)
    design: Design = Field(default_factory=Design)
    replications: int | None = Field(None, ge=2, le=1_000_000)
    precision: Precision | None = None
    metrics: list[str] | None = None
    objectives: list[Objective] | None = None
    """Default: the scenario's own objectives."""
    discovery: list[Discovery] = Field(default_factory=list)

    @model_validator(mode="after")
    def _checks(self) -> Sweep:
        names = [f.name for f in self.factors]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"factor names must differ: {', '.join(sorted(dup))} given twice")
        if self.replications is not None and self.precision is not None:
            raise ValueError("give 'replications' or 'precision', not both")
        clocks = [f.wallclock for f in self.factors if f.wallclock]
        if len(clocks) != len(set(clocks)):
            raise ValueError("each wall-clock part (hour, weekday, date) may be one factor only")
        return self


class SweepFile:
    """A validated sweep, where it came from, and where its values stood in the file."""

    def __init__(self, path: FsPath, sweep: Sweep, source: SourceMap, text: str) -> None:
        self.path = path
        self.sweep = sweep
        self.source = source
        self.text = text
        self.sha256 = hashlib.sha256(text.encode()).hexdigest()

    @property
    def scenario_path(self) -> FsPath:
        return (self.path.parent / self.sweep.scenario).resolve()

    def where(self, *path: str | int) -> tuple[str, int, int]:
        line, col = self.source.locate(tuple(path))
        return (str(self.path), line, col)


def is_sweep_data(data: Any) -> bool:
    """A YAML document is a sweep file when it has ``factors`` (a scenario never does)."""
    return isinstance(data, dict) and "factors" in data


def load_sweep_file(path: str | FsPath) -> SweepFile:
    """A validated sweep file, or a ``ScenarioError`` with every located problem."""
    path = FsPath(path)
    text = read_text(path)
    data, source = parse_yaml(text, str(path))
    if not isinstance(data, dict):
        raise ScenarioError(
            source.located([Problem((), "a sweep file must be a mapping (scenario:, factors:, …)")])
        )
    sweep, problems = validate(Sweep, data)
    if sweep is None:
        raise ScenarioError(source.located(problems))
    if sweep.discovery and not discovery_installed():  # say so before a single point runs
        raise ScenarioError(source.located([Problem(("discovery",), DISCOVERY_MISSING)]))
    return SweepFile(path, sweep, source, text)


DISCOVERY_MISSING = ("PRIM scenario discovery needs the optional package ema_workbench, which is not "
                     "installed: pip install 'nukesim[discovery]' (or remove 'discovery:')")


def discovery_installed() -> bool:
    """Whether EMA Workbench (PRIM, an optional dependency) can be imported."""
    return importlib.util.find_spec("ema_workbench") is not None
