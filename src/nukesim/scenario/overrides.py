"""``PATH=VALUE`` overrides: the one way to derive a scenario from another.

``--set team.vehicles.count=20`` on the command line, every point of a sweep and every inject
that changes a parameter go through ``apply_overrides``: the scenario is dumped to plain data,
the value (read as YAML, so ``0.1``, ``20``, ``[a, b]`` and ``{dist: exponential, mean: 5m}`` all
work) replaces the one at the path, and the result is validated again from scratch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .models import Scenario
from .problems import Located, Problem, ScenarioError, did_you_mean
from .references import check_references
from .schema import validate
from .yamlsource import parse_value


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
    overrides: Mapping[str, Any] | Iterable[str],
    checks: Iterable[Callable[[Scenario], list[Problem]]] = (),
) -> Scenario:
    """A new, re-validated scenario with each ``path → value`` applied in order.

    ``checks`` are further checks of the result (the command graph's, from the layer above);
    their problems are located at the ``--set`` that caused them, like the schema's.
    """
    if isinstance(overrides, Mapping):
        items = [(path, value, f"--set {_clip(f'{path}={value}')}") for path, value in overrides.items()]
    else:
        items = [(*parse_assignment(text), f"--set {_clip(text)}") for text in overrides]
    if not items:
        return scenario
    data = scenario.model_dump(by_alias=True, mode="python")
    for path, value, label in items:
        problem = _assign(data, _split(path), value)
        if problem:
            raise ScenarioError([Located(label, 1, 7, problem.path, problem.message)])
    labels = {_split(path): label for path, _, label in items}
    new, problems = validate(Scenario, data)
    if new is not None:
        problems = list(check_references(new))
    if new is not None and not problems:
        problems = [p for check in checks for p in check(new)]
    if problems:
        raise ScenarioError([Located(_label_for(p.path, labels), 1, 7, p.path, p.message)
                             for p in problems])
    return new


def _label_for(path: tuple, labels: dict[tuple, str]) -> str:
    """The ``--set`` whose path the problem lies on; else all of them (the problem came from
    their combination, e.g. a removed link that leaves an organisation unreachable)."""
    for prefix, label in labels.items():
        if path[: len(prefix)] == prefix or prefix[: len(path)] == path:
            return label
    return " ".join(labels.values())


def _assign(data: Any, path: tuple[str | int, ...], value: Any) -> Problem | None:
    if not path:
        return Problem((), "empty path")
    here = data
    for depth, step in enumerate(path):
        last = depth == len(path) - 1
        where = path[: depth + 1]
        if isinstance(here, dict):
            if step not in here:
                return Problem(where, f"no field '{step}' here{did_you_mean(step, map(str, here))}"
                               + ("" if did_you_mean(step, map(str, here)) else
                                  "; known: " + ", ".join(map(str, here))))
            if last:
                here[step] = value
                return None
            if here[step] is None:
                return Problem(where, f"'{step}' is not set; set the whole of it, "
                               f"e.g. {'.'.join(map(str, where))}={{...}}")
            here = here[step]
        elif isinstance(here, list):
            if not isinstance(step, int) or not 0 <= step < len(here):
                return Problem(where, f"'{step}' is not an index of this list of {len(here)}")
            if last:
                here[step] = value
                return None
            here = here[step]
        else:
            return Problem(where, f"cannot go inside a value ({here!r})")
    return None
