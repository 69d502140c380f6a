"""Provenance: what it takes to trace a figure back to the run that made it, and to make it again.

Every output folder gets ``provenance.json`` (and ``summary.json`` a ``provenance`` key): the
scenario file's path, name and the SHA-256 of its bytes (so an edited file is noticed), the
overrides, seed and replications, the nukesim version and the command line. A replication is a
pure function of (scenario, seed, replication), so this is enough to reproduce any number — the
report re-simulates single replications from it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

FILE_NAME = "provenance.json"


def file_sha256(path: str | Path) -> str:
    """SHA-256 of the file's bytes, in hex: the same file gives the same hash on every machine."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def nukesim_version() -> str:
    """The installed distribution's version (``unknown`` when run from an uninstalled tree)."""
    try:
        return metadata.version("nukesim")
    except metadata.PackageNotFoundError:
        return "unknown"


def command_line(argv: Sequence[str] | None = None) -> list[str]:
    """The command as the user typed it: ``sys.argv`` with the installed script's (or ``python -m
    nukesim``'s) path shortened to ``nukesim``, so that no machine's folders end up in a report."""
    argv = list(sys.argv if argv is None else argv)
    if argv:
        head = Path(argv[0])
        if head.name == "nukesim" or (head.name == "__main__.py" and head.parent.name == "nukesim"):
            argv[0] = "nukesim"
    return argv


def provenance(scenario_path: str | Path, scenario_name: str, overrides: Sequence[str] = (),
               seed: int = 1, replications: int = 0, command: Sequence[str] | None = None,
               created: datetime | None = None) -> dict:
    """The provenance document (the contract of output folders; see docs/outputs.md).

    ``command`` defaults to this process's command line (``command_line()``); ``created`` to now,
    in UTC.
    """
    when = created or datetime.now(timezone.utc)
    return {
        "nukesim_version": nukesim_version(),
        "command": command_line() if command is None else list(command),
        "scenario": {"path": str(scenario_path), "name": scenario_name,
                     "sha256": file_sha256(scenario_path)},
        "overrides": list(overrides),
        "seed": seed,
        "replications": replications,
        "created": when.isoformat(timespec="seconds"),
    }


def sweep_provenance(sweep_path: str | Path, sweep_sha256: str, scenario_path: str | Path,
                     scenario_name: str, overrides: dict, seed: int, replications: int,
                     points: int, store: str | Path | None = None) -> dict:
    """``sweep --out``'s provenance: the document of ``provenance`` for the swept scenario (its
    base ``set:`` as overrides, ``replications`` over all points) and the sweep file under
    ``"sweep"`` (path, SHA-256 of its text, number of points, and the result store's path, which
    ``nukesim report`` reads when the store is not the folder's ``sweep.sqlite``)."""
    assignments = [f"{path}={value if isinstance(value, str) else json.dumps(value)}"
                   for path, value in overrides.items()]
    doc = provenance(scenario_path, scenario_name, assignments, seed, replications)
    doc["sweep"] = {"path": str(sweep_path), "sha256": sweep_sha256, "points": points}
    if store is not None:
        doc["sweep"]["store"] = str(store)
    return doc


def read_provenance(directory: str | Path) -> dict | None:
    """The folder's provenance document, or ``None`` when it has none (an older run)."""
    path = Path(directory) / FILE_NAME
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def scenario_unchanged(doc: dict) -> str | None:
    """``None`` if the recorded scenario file is still there with the same bytes, else why not."""
    path = Path(doc["scenario"]["path"])
    if not path.exists():
        return f"the scenario file {path} is not there (run the report from where the run was made)"
    if file_sha256(path) != doc["scenario"]["sha256"]:
        return f"the scenario file {path} has changed since the run (its SHA-256 differs)"
    return None
