"""Designs: which points a sweep visits, and the scenario of each point.

A point is a value for every factor, in the factor's own units. Grid and one-at-a-time designs
take each factor's levels; random, Latin hypercube (scipy.stats.qmc), Sobol and Morris (SALib's
samplers) draw coordinates in the unit cube and map each onto the factor's range or list. The
scenario of a point is the base scenario with the factors' overrides applied through the one
override function, so a value that does not fit is reported at the factor's line in the sweep.
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from ..scenario import Override, Scenario, ScenarioError, apply_overrides
from ..scenario.calendar import WEEKDAY_INDEX
from ..scenario.problems import Located
from .spec import Factor, SweepFile

WEEKDAYS = list(WEEKDAY_INDEX)


def point_key(values: dict[str, Any]) -> str:
    """The identity of a point in the store: its factor values as canonical JSON."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)


@dataclass
class DesignTable:
    """The design's rows in design order (a point may repeat, e.g. in a Sobol design)."""

    type: str
    rows: list[dict[str, Any]]
    unit: np.ndarray | None = None
    """Unit-cube coordinates of the rows (sampling designs); what SALib's analyses take."""
    problem: dict | None = None
    changed: list[str | None] = field(default_factory=list)
    """One-at-a-time: the factor each row moves away from the base (None for the base)."""

    @property
    def keys(self) -> list[str]:
        return [point_key(r) for r in self.rows]

    def unique(self) -> dict[str, dict[str, Any]]:
        return {point_key(r): r for r in self.rows}


def salib_problem(factors: list[Factor]) -> dict:
    return {
        "num_vars": len(factors),
        "names": [f.name for f in factors],
        "bounds": [[0.0, 1.0]] * len(factors),
    }


def make_design(sf: SweepFile, base: dict[str, Any]) -> DesignTable:
    """The rows of the sweep's design; ``base`` holds each factor's base value."""
    factors, d = sf.sweep.factors, sf.sweep.design
    k = len(factors)
    if d.type == "grid":
        rows = [
            dict(zip([f.name for f in factors], combo, strict=True))
            for combo in itertools.product(*(f.levels() for f in factors))
        ]
        return DesignTable("grid", rows)
    if d.type == "oat":
        rows, changed = [dict(base)], [None]
        for f in factors:
            for level in f.levels():
                if level != base[f.name]:
                    rows.append({**base, f.name: level})
                    changed.append(f.name)
        return DesignTable("oat", rows, changed=changed)
    problem = salib_problem(factors)
    if d.type == "random":
        unit = np.random.default_rng(d.seed).random((d.points, k))
    elif d.type == "lhs":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=k, rng=np.random.default_rng(d.seed)).random(d.points)
    elif d.type == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(problem, d.samples, calc_second_order=d.second_order, seed=d.seed)
    else:
        from SALib.sample import morris

        unit = morris.sample(problem, d.samples, num_levels=d.levels, seed=d.seed)
    rows = [{f.name: f.at(float(u)) for f, u in zip(factors, row, strict=True)} for row in unit]
    return DesignTable(d.type, rows, unit=unit, problem=problem)


def design_size(sf: SweepFile) -> int:
    """Rows of the design (SALib: N·(k+2) for Sobol, N·(2k+2) with second order; N·(k+1) for Morris)."""
    d, factors = sf.sweep.design, sf.sweep.factors
    k = len(factors)
    sizes = {
        "grid": lambda: math.prod(len(f.levels()) for f in factors),
        "random": lambda: d.points,
        "lhs": lambda: d.points,
        "sobol": lambda: d.samples * (2 * k + 2 if d.second_order else k + 2),
        "morris": lambda: d.samples * (k + 1),
    }
    return sizes[d.type]() if d.type in sizes else -1


# --- base values and overrides --------------------------------------------------------------------


def base_values(sf: SweepFile, scenario: Scenario) -> dict[str, Any]:
    """Each factor's base: as given in the sweep file, else the scenario's own value."""
    data = scenario.model_dump(by_alias=True, mode="json")
    out = {}
    for f in sf.sweep.factors:
        if f.base is not None:
            out[f.name] = f.base
        elif f.wallclock == "hour":
            out[f.name] = scenario.start.hour + scenario.start.minute / 60
        elif f.wallclock == "weekday":
            out[f.name] = WEEKDAYS[scenario.start.weekday()]
        elif f.wallclock == "date":
            out[f.name] = scenario.start.date().isoformat()
        else:
            out[f.name] = _read(data, f.targets[0])
    return out


def _read(data: Any, path: str) -> Any:
    here = data
    for step in path.split("."):
        if step == "*":
            here = next(iter(here.values())) if isinstance(here, dict) else here[0]
        elif isinstance(here, list):
            here = here[int(step)]
        else:
            here = here.get(step) if isinstance(here, dict) else None
        if here is None:
            return None
    return here


def base_scenario(sf: SweepFile, scenario: Scenario) -> Scenario:
    """The scenario with the sweep's base overrides (``set:``), problems at their lines."""
    from ..graph import check_graph

    items = [Override(path, value, *sf.where("set", path)) for path, value in sf.sweep.set.items()]
    return apply_overrides(scenario, items, checks=(check_graph,)) if items else scenario


def point_overrides(sf: SweepFile, base: Scenario, values: dict[str, Any]) -> list[Override]:
    """The overrides that make the point ``values`` from the base scenario."""
    items: list[Override] = []
    start = base.start
    clock = {f.wallclock: f for f in sf.sweep.factors if f.wallclock}
    for f in sf.sweep.factors:
        if f.wallclock:
            continue
        where = sf.where("factors", sf.sweep.factors.index(f), "path" if f.path is not None else "paths")
        items.extend(Override(path, values[f.name], *where) for path in f.targets)
    if clock:
        for part in ("date", "weekday", "hour"):
            f = clock.get(part)
            if f is not None:
                start = _set_clock(sf, f, start, values[f.name])
        f = next(iter(clock.values()))
        items.append(
            Override("start", start.isoformat(), *sf.where("factors", sf.sweep.factors.index(f), "wallclock"))
        )
    return items


def _set_clock(sf: SweepFile, f: Factor, start: datetime, value: Any) -> datetime:
    """``start`` with its hour, weekday (in the same Monday-to-Sunday week) or date replaced,
    in the start's own time zone."""
    try:
        if f.wallclock == "hour":
            if isinstance(value, str) and ":" in value:
                h, m = value.split(":", 1)
                hours = int(h) + int(m) / 60
            else:
                hours = float(value)
            if not 0 <= hours < 24:
                raise ValueError("an hour must be in [0, 24)")
            minutes = round(hours * 60)
            return start.replace(hour=minutes // 60, minute=minutes % 60, second=0, microsecond=0)
        if f.wallclock == "weekday":
            day = WEEKDAYS.index(value.lower()[:3]) if isinstance(value, str) else int(value)
            if not 0 <= day < 7:
                raise ValueError("a weekday is mon … sun, or 0 (Monday) … 6")
            return start + timedelta(days=day - start.weekday())
        d = value if isinstance(value, date) else date.fromisoformat(str(value))
        return start.replace(year=d.year, month=d.month, day=d.day)
    except (ValueError, TypeError, AttributeError) as exc:
        i = sf.sweep.factors.index(f)
        raise ScenarioError(
            [
                Located(
                    *sf.where("factors", i, "values" if f.values is not None else "range"),
                    ("factors", i, "values"),
                    f"{f.name}: cannot use {value!r} as a {f.wallclock}: {exc}",
                )
            ]
        ) from None


def point_scenario(sf: SweepFile, base: Scenario, values: dict[str, Any]) -> Scenario:
    from ..graph import check_graph

    return apply_overrides(base, point_overrides(sf, base, values), checks=(check_graph,))
