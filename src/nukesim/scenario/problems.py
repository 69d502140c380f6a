"""Problems in a user's input, located in their file.

Every mistake a user can make in a scenario, sweep or exercise file becomes a ``Problem``: the
path of the field (``organisations.province.handlers.0.send.1.to``) and what is wrong with it.
A ``ScenarioError`` carries all problems of a file at once and prints each as
``FILE:LINE:COL: field.path: message`` — the one shape users and editors learn to read.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

PathPart = str | int
Path = tuple[PathPart, ...]


@dataclass(frozen=True)
class Problem:
    path: Path
    message: str


@dataclass(frozen=True)
class Located:
    file: str
    line: int
    column: int
    path: Path
    message: str

    def __str__(self) -> str:
        dotted = ".".join(str(p) for p in self.path) or "(top level)"
        return f"{self.file}:{self.line}:{self.column}: {dotted}: {self.message}"


@dataclass
class SourceMap:
    """Where each value of a loaded document stood in its file."""

    file: str
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: Path) -> tuple[int, int]:
        """Line and column of the deepest part of ``path`` that the file contains."""
        for end in range(len(path), -1, -1):
            found = self.positions.get(tuple(path[:end]))
            if found is not None:
                return found
        return (1, 1)

    def located(self, problems: Iterable[Problem]) -> list[Located]:
        out = []
        for p in problems:
            line, col = self.locate(p.path)
            out.append(Located(self.file, line, col, p.path, p.message))
        return sorted(out, key=lambda lp: (lp.line, lp.column))


class ScenarioError(Exception):
    """A user's input is wrong; ``str()`` gives one located line per problem."""

    def __init__(self, problems: Sequence[Located]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(name: object, choices: Iterable[str]) -> str:
    """``"; did you mean 'province'?"`` when a close name exists, else ``""``."""
    close = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def unknown(what: str, name: object, choices: Iterable[str]) -> str:
    choices = list(choices)
    hint = did_you_mean(name, choices)
    if not hint and choices and len(choices) <= 12:
        hint = "; known: " + ", ".join(sorted(choices))
    return f"unknown {what} '{name}'{hint}"
