"""From pydantic's validation errors to problems a planner can act on.

Pydantic reports where a value failed as a ``loc`` tuple that may include internal steps (the
tag of a distribution, a union branch). We walk the user's own data along that tuple to keep
only the steps that exist in their file, and we rewrite the messages that matter most — an
unknown field, an unknown distribution — with a suggestion of what was meant.
"""

from __future__ import annotations

import types
import typing
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .distributions import DISTRIBUTION_NAMES
from .problems import Path, Problem, did_you_mean

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], data: Any) -> tuple[M | None, list[Problem]]:
    """The validated model, or ``None`` and every problem pydantic found."""
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, _most_precise([_problem(model, data, err) for err in _deduplicated(exc.errors())])


def _most_precise(problems: list[Problem]) -> list[Problem]:
    """Drop a problem that another says again at a place inside it.

    A by-period value copies ``night`` into an unwritten ``weekend``: a bad ``night`` fails twice,
    once at its own place and once at the mapping (the copy is not in the file).
    """
    problems = list(dict.fromkeys(problems))
    return [p for p in problems
            if not any(q.message == p.message and len(q.path) > len(p.path) and q.path[:len(p.path)] == p.path
                       for q in problems)]


def _deduplicated(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, out = set(), []
    for err in errors:
        key = (tuple(err["loc"]), err["msg"])
        if key not in seen:
            seen.add(key)
            out.append(err)
    return out


def user_path(data: Any, loc: tuple[Any, ...], name_absent: bool = True) -> Path:
    """The part of ``loc`` that names places in the user's data (drops union and tag steps).

    A last step absent from the data is kept only if ``name_absent`` (a missing or an extra
    field); otherwise it is internal, such as the tag of the distribution that failed.
    """
    path: list[Any] = []
    here = data
    for step in loc:
        in_dict = isinstance(here, dict) and step in here
        in_list = isinstance(here, list) and isinstance(step, int) and 0 <= step < len(here)
        if in_dict or in_list:
            path.append(step)
            here = here[step]
        elif isinstance(step, str) and isinstance(here, dict) and step not in here and \
                step == loc[-1] and name_absent:
            path.append(step)  # a missing or extra field: name it
        # otherwise an internal step (union branch, discriminator tag): skip it
    return tuple(path)


def _problem(model: type[BaseModel], data: Any, err: dict[str, Any]) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    path = user_path(data, loc, name_absent=kind in ("missing", "extra_forbidden"))
    msg = err["msg"]
    if kind == "extra_forbidden":
        field = loc[-1]
        allowed = fields_at(model, loc[:-1])
        msg = f"unknown field '{field}'{did_you_mean(field, allowed)}"
        if allowed and not did_you_mean(field, allowed):
            msg += "; allowed: " + ", ".join(sorted(allowed))
    elif kind == "missing":
        msg = f"missing required field '{loc[-1]}'"
    elif kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag", "")
        msg = f"unknown distribution '{tag}'{did_you_mean(tag, DISTRIBUTION_NAMES)}; " \
              f"known: {', '.join(DISTRIBUTION_NAMES)}"
    elif kind == "union_tag_not_found":
        msg = "a distribution needs 'dist' (one of " + ", ".join(DISTRIBUTION_NAMES) + \
              ") or a plain duration such as '10m'"
    elif kind == "timezone_aware":
        msg = "a time zone is needed, e.g. 2026-03-18T15:00:00+08:00 (Beijing) or ...-05:00"
    elif kind in ("int_type", "float_type") and isinstance(err.get("input"), bool):
        what = "a whole number" if kind == "int_type" else "a number"
        msg = f"expected {what}, got {str(err['input']).lower()} (true and false are not numbers)"
        return Problem(path, msg)
    elif kind in ("less_than_equal", "too_long") and _limit(err) > 1:
        got = err.get("input")
        size = f"{len(got):,} entries" if kind == "too_long" and hasattr(got, "__len__") else _number(got)
        return Problem(path, f"{size} is more than nukesim allows here; the limit is "
                       f"{_number(_limit(err))} (see 'Limits' in docs/scenario-format.md)")
    elif kind == "bool_type":
        return Problem(path, f"expected true or false, got {err.get('input')!r}")
    elif kind == "finite_number":
        return Problem(path, f"expected a finite number, got {err.get('input')!r}")
    elif kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    elif kind == "assertion_error":
        msg = msg.removeprefix("Assertion failed, ")
    got = err.get("input")
    if kind not in ("extra_forbidden", "missing", "value_error") and _short(got):
        msg += f" (got {got!r})"
    return Problem(path, msg)


def _number(value: Any) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,g}" if isinstance(value, float) else repr(value)


def _limit(err: dict[str, Any]) -> float:
    """The bound a ``less_than_equal`` or ``too_long`` error names (0 if none)."""
    ctx = err.get("ctx", {})
    bound = ctx.get("le", ctx.get("max_length", 0))
    return bound if isinstance(bound, (int, float)) and not isinstance(bound, bool) else 0


def _short(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and len(repr(value)) <= 40


def fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Field names (as written in files) accepted at ``loc`` inside ``model``, best effort."""
    candidates: list[Any] = [model]
    for step in loc:
        nxt: list[Any] = []
        for tp in candidates:
            nxt.extend(_step(tp, step))
        candidates = nxt
    names: set[str] = set()
    for tp in candidates:
        for m in _models_in(tp):
            names.update(f.alias or n for n, f in m.model_fields.items())
    return sorted(names)


def _models_in(tp: Any) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for a in typing.get_args(tp) for m in _models_in(a)]
    return []


def _step(tp: Any, step: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _step(typing.get_args(tp)[0], step)
    if origin in (typing.Union, types.UnionType):
        out = []
        for a in typing.get_args(tp):
            out.extend(_step(a, step))
        # a union step may itself be the tag name of a branch
        for m in _models_in(tp):
            tag = m.model_fields.get("dist")
            if tag is not None and step in typing.get_args(tag.annotation):
                out.append(m)
        return out
    if origin in (list, tuple) and isinstance(step, int):
        return [typing.get_args(tp)[0]]
    if origin is dict:
        return [typing.get_args(tp)[1]]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, f in tp.model_fields.items():
            if step in (name, f.alias):
                return [f.annotation]
        return []
    return []
