"""What a report is made of: an output folder read back, plus re-simulated replications.

A report reads only files (``summary.json``, ``replications.csv``, ``provenance.json``,
``attribution.csv``, ``comparison.json``): the numbers it shows are the numbers the run wrote. What
the files do not hold — one replication's whole event log, the members' assembly over time — it
re-simulates from the scenario recorded in the provenance: a replication is a pure function of
(scenario, seed, replication), so the re-simulated replication *is* the one the run made, as long
as the scenario file is unchanged (checked by its SHA-256).
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..provenance import read_provenance, scenario_unchanged
from ..scenario import Scenario, ScenarioError


class ReportError(Exception):
    """The folder cannot be reported on (not an output folder, unreadable files)."""


@dataclass
class RunData:
    """One run's output folder."""

    directory: Path
    summary: dict
    provenance: dict | None
    names: list[str]
    replication_numbers: np.ndarray
    values: np.ndarray
    """Rows of replications.csv (NaN = missing)."""
    scenario: Scenario | None
    """The scenario re-loaded from the provenance, or ``None`` (then ``why_no_scenario`` says why)."""
    why_no_scenario: str | None
    attribution: list[dict] | None
    """Rows of attribution.csv, when the folder has one."""

    def column(self, metric: str) -> np.ndarray:
        return self.values[:, self.names.index(metric)]


ATTRIBUTION_COLUMNS = ("replication", "metric", "component", "where", "minutes")


def load_run(directory: Path) -> RunData:
    summary_path = directory / "summary.json"
    if not summary_path.exists():
        raise ReportError("no summary.json here: give the folder of `nukesim run … --out DIR`")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        names, numbers, values = _read_replications(directory / "replications.csv")
    except (OSError, ValueError, KeyError) as exc:
        raise ReportError(f"cannot read the run's files: {exc}") from None
    origin = read_provenance(directory) or summary.get("provenance")
    scenario, why = _scenario(origin)
    attribution = _read_attribution(directory / "attribution.csv")
    return RunData(directory, summary, origin, names, numbers, values, scenario, why, attribution)


def _read_replications(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    if not rows or rows[0][0] != "replication":
        raise ValueError(f"{path.name} has no 'replication' header")
    body = rows[1:]
    numbers = np.array([int(r[0]) for r in body], dtype=int)
    values = np.array([[float(v) if v else math.nan for v in r[1:]] for r in body], dtype=float)
    return rows[0][1:], numbers, values.reshape(len(body), len(rows[0]) - 1)


def _read_attribution(path: Path) -> list[dict] | None:
    if not path.exists():
        return None
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != ATTRIBUTION_COLUMNS:
            raise ReportError(f"attribution.csv: expected columns {','.join(ATTRIBUTION_COLUMNS)}")
        return [{**row, "replication": int(row["replication"]), "minutes": float(row["minutes"])}
                for row in reader]


def _scenario(origin: dict | None) -> tuple[Scenario | None, str | None]:
    """The run's scenario, re-loaded with its overrides, if its file is still the same."""
    from ..api import load

    if origin is None:
        return None, "the folder has no provenance.json (a run of an older nukesim)"
    why = scenario_unchanged(origin)
    if why is not None:
        return None, why
    try:
        return load(origin["scenario"]["path"], origin.get("overrides", [])), None
    except ScenarioError as exc:
        return None, f"the scenario no longer loads: {exc.problems[0]}"


def load_comparison(directory: Path) -> tuple[dict, RunData, RunData]:
    """``compare --out``: the differences and both variants' runs."""
    document = json.loads((directory / "comparison.json").read_text(encoding="utf-8"))
    return document, load_run(directory / "a"), load_run(directory / "b")
