"""``PATH=VALUE`` overrides: the one way to derive a scenario from another.

``--set team.vehicles.count=20`` on the command line, every point of a sweep and every inject
that changes a parameter go through ``apply_overrides``: the scenario is dumped to plain data,
the value (read as YAML, so ``0.1``, ``20``, ``[a, b]`` and ``{dist: exponential, mean: 5m}`` all
work) replaces the one at the path, and the result is validated again from scratch.

A path segment ``*`` stands for every key (or index) at that level, so
``team.members.*.reachable.night=0.8`` sets the night reachability of every member group at once.
``PATH+=VALUE`` appends VALUE as one more item to the list at PATH (``objectives+={...}`` adds an
objective and keeps the file's); repeat it to append several.
A sweep file's overrides come as ``Override`` items that carry their place in the sweep file, so
that a problem is reported at that line rather than at a ``--set`` pseudo-location.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .models import Scenario
from .problems import Located, Problem, ScenarioError, did_you_mean
from .references import check_references
from .schema import validate
from .yamlsource import parse_value

WILDCARD = "*"
APPEND = "+"
"""A path ending in ``+`` (``PATH+=VALUE``) appends to the list there instead of replacing it."""


@dataclass(frozen=True)
class _Append:
    item: Any


@dataclass(frozen=True)
class Override:
    """``path → value`` and where it was written (a sweep file's line), for located problems."""

    path: str
    value: Any
    file: str
    line: int = 1
    column: int = 1


def parse_assignment(text: str) -> tuple[str, Any]:
    """``"a.b=1"`` → ``("a.b", 1)``; the value is read as a YAML scalar or flow collection."""
    if "=" not in text:
        raise ScenarioError([Located(f"--set {_clip(text)}", 1, 1, (), "expected PATH=VALUE, "
                                     "e.g. team.vehicles.count=20")])
    path, raw = text.split("=", 1)
    try:
        value = parse_value(raw) if raw.strip() else ""
    except ScenarioError as exc:  # located in the value: shift the column past "PATH="
        raise ScenarioError([Located(f"--set {_clip(text)}", 1, len(path) + 1 + p.column, _split(path),
                                     p.message) for p in exc.problems]) from None
    return path.strip(), value


def _clip(text: str, limit: int = 200) -> str:
    """An assignment as quoted in a message: a huge value is cut, not echoed whole."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


def _split(path: str) -> tuple[str | int, ...]:
    return tuple(int(p) if p.isdigit() else p for p in path.split(".") if p != "")


def apply_overrides(
    scenario: Scenario,
    overrides: Mapping[str, Any] | Iterable[str] | Iterable[Override],
    checks: Iterable[Callable[[Scenario], list[Problem]]] = (),
) -> Scenario:
    """A new, re-validated scenario with each ``path → value`` applied in order.

    ``checks`` are further checks of the result (the command graph's, from the layer above);
    their problems are located at the ``--set`` that caused them, like the schema's.
    """
    items: list[tuple[str, Any, tuple[str, int, int]]]
    if isinstance(overrides, Mapping):
        items = [(path, value, (f"--set {_clip(f'{path}={value}')}", 1, 7))
                 for path, value in overrides.items()]
    else:
        items = [(o.path, o.value, (o.file, o.line, o.column)) if isinstance(o, Override)
                 else (*parse_assignment(o), (f"--set {_clip(o)}", 1, 7)) for o in overrides]
    if not items:
        return scenario
    items = [(path.rstrip()[:-1], _Append(value), where) if path.rstrip().endswith(APPEND)
             else (path, value, where) for path, value, where in items]
    data = scenario.model_dump(by_alias=True, mode="python")
    for path, value, where in items:
        problem = _assign(data, _split(path), value)
        if problem:
            raise ScenarioError([Located(*where, problem.path, problem.message)])
    labels = {_split(path): where for path, _, where in items}
    new, problems = validate(Scenario, data)
    if new is not None:
        problems = list(check_references(new))
    if new is not None and not problems:
        problems = [p for check in checks for p in check(new)]
    if problems:
        raise ScenarioError([Located(*_label_for(p.path, labels), p.path, p.message)
                             for p in problems])
    return new


def _covers(prefix: tuple, path: tuple) -> bool:
    """Whether ``path`` lies on ``prefix`` (or ``prefix`` on it), ``*`` matching any one step."""
    return all(a in (b, WILDCARD) for a, b in zip(prefix, path, strict=False))


def _label_for(path: tuple, labels: dict[tuple, tuple[str, int, int]]) -> tuple[str, int, int]:
    """Where the override whose path the problem lies on was written; else all of them (the
    problem came from their combination, e.g. a removed link that leaves an organisation
    unreachable)."""
    for prefix, where in labels.items():
        if _covers(prefix, path):
            return where
    places = list(dict.fromkeys(labels.values()))
    if len(places) == 1:
        return places[0]
    names = (file if file.startswith("--set") else f"{file}:{line}" for file, line, _ in places)
    return (" ".join(names), 1, 7)


def _assign(data: Any, path: tuple[str | int, ...], value: Any, done: tuple = ()) -> Problem | None:
    """Set ``path`` in ``data`` to ``value``; ``*`` sets it under every key (index) of its level."""
    if not path:
        return Problem((), "empty path")
    here = data
    for depth, step in enumerate(path):
        if step == WILDCARD:
            where = (*done, *path[:depth + 1])
            keys = list(here) if isinstance(here, dict) else (
                list(range(len(here))) if isinstance(here, list) else None)
            if keys is None:
                return Problem(where, f"'*' cannot go inside a value ({here!r})")
            if not keys:
                return Problem(where, "'*' matches nothing: there are no entries here")
            rest = path[depth + 1:]
            for key in keys:
                if not rest:
                    problem = _put(here, key, value, (*done, *path[:depth], key))
                    if problem:
                        return problem
                    continue
                problem = _assign(here[key], rest, value, (*done, *path[:depth], key))
                if problem:
                    return problem
            return None
        last = depth == len(path) - 1
        where = (*done, *path[: depth + 1])
        if isinstance(here, dict):
            if step not in here:
                return Problem(where, f"no field '{step}' here{did_you_mean(step, map(str, here))}"
                               + ("" if did_you_mean(step, map(str, here)) else
                                  "; known: " + ", ".join(map(str, here))))
            if last:
                return _put(here, step, value, where)
            if here[step] is None:
                return Problem(where, f"'{step}' is not set; set the whole of it, "
                               f"e.g. {'.'.join(map(str, where))}={{...}}")
            here = here[step]
        elif isinstance(here, list):
            if not isinstance(step, int) or not 0 <= step < len(here):
                return Problem(where, f"'{step}' is not an index of this list of {len(here)}")
            if last:
                return _put(here, step, value, where)
            here = here[step]
        else:
            return Problem(where, f"cannot go inside a value ({here!r})")
    return None


def _put(container: dict | list, key: str | int, value: Any, where: tuple) -> Problem | None:
    """Replace ``container[key]`` by ``value``, or append to it (``PATH+=VALUE``). A copy each
    time: a '*' above may put the value in many places, which must not share it."""
    if not isinstance(value, _Append):
        container[key] = copy.deepcopy(value)
        return None
    target = container[key]
    if target is None:  # an optional list not given in the file: the appended item starts it
        container[key] = target = []
    if not isinstance(target, list):
        return Problem(where, f"'+=' appends to a list, and this is not one ({target!r}); "
                       "use '=' to replace it")
    target.append(copy.deepcopy(value.item))
    return None
