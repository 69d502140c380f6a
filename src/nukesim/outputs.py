"""The output folder of ``run --out``: files written as the run goes, all moved in at the end.

Everything goes first into a hidden ``.partial-…`` folder inside the output folder:
``attribution.csv`` and ``events.csv`` line by line while the replications finish (handed over in
replication order by ``nukesim.runner``, so the bytes are the same whatever the number of
workers, and the run holds no attribution in memory), the rest once the run is over. Only when
every file is complete are they moved into place, by renames. An interrupted or failed run
(Ctrl-C, SIGTERM, an error) removes the hidden folder, and the output folder too if the run
created it: there is never a half-written output, and the files of an earlier run stay as they
were. docs/outputs.md describes the files.
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import secrets
import shutil
import signal
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from .attribution import CSV_HEADER, csv_lines
from .events import CSV_COLUMNS, EventLog
from .exports import FORMATS, EventLogExports, finish_exports
from .scenario import Scenario

OWNED = frozenset({*(name for files in FORMATS.values() for name in files), "provenance.json", "report.html",
                   "comparison.json", "attribution.csv"})
"""Files a command may have left in the folder that describe one run: one this run does not write
again is removed, so that a folder never mixes two runs."""


class RunOutput:
    """The files of one run, as a context: ``replication`` takes each replication's kept event log
    and attribution lines as they come (a ``nukesim.runner.Writer``), ``finish`` writes the rest
    and moves everything in. Leaving the context without ``finish`` leaves the folder as it was."""

    def __init__(self, directory: Path, exports: Sequence[str] = (), attribution: bool = True,
                 scenario: Scenario | None = None) -> None:
        self.directory = Path(directory)
        self.exports = list(exports)
        self.attribution = attribution
        self.scenario = scenario
        """The scenario run (the event-log exports' head needs it)."""
        self._created: list[Path] = []
        self._files: dict[str, IO[str]] = {}
        self._logs: EventLogExports | None = None
        self.staging: Path | None = None

    def __enter__(self) -> RunOutput:
        missing = []
        folder = self.directory
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        self._created = missing  # the deepest first: the order in which to remove them again
        try:  # a signal may come at any moment: from here on, leaving clears up
            self.directory.mkdir(parents=True, exist_ok=True)
            while self.staging is None:  # named before it exists, so that a signal cannot lose it
                self.staging = self.directory / f".partial-{secrets.token_hex(6)}"
                try:
                    self.staging.mkdir()
                except FileExistsError:
                    self.staging = None
            self._open("events.csv").write(",".join(CSV_COLUMNS) + "\n")  # the header even with no log
            if self.attribution:
                self._open("attribution.csv").write(CSV_HEADER)
            if self.exports:
                assert self.scenario is not None, "the exports need the scenario"
                self._logs = EventLogExports(self.staging, self.exports, self.scenario)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _open(self, name: str) -> IO[str]:
        assert self.staging is not None
        fh = self._files[name] = open(self.staging / name, "w", newline="", encoding="utf-8")  # noqa: SIM115
        return fh

    def replication(self, r: int, log: EventLog | None, attribution: str | None) -> None:
        """Replication ``r``'s kept log (or None) and attribution.csv lines (or None), in order."""
        if log is not None:
            log.to_csv(self._files["events.csv"], header=False)
            if self._logs is not None:
                self._logs.add(log)
        if attribution is not None and self.attribution:
            self._files["attribution.csv"].write(attribution)

    def add(self, result) -> None:
        """The kept logs and attribution of replications held in memory (``replicate`` without a
        writer), as if they had been handed over one by one."""
        attributed = result.attribution or {}
        for r in sorted({*result.events, *attributed}):
            lines = csv_lines(r, attributed[r]) if r in attributed else None
            self.replication(r, result.events.get(r), lines)

    def finish(self, result, document: dict, provenance: dict | None = None) -> list[str]:
        """Write summary.json (``document``), replications.csv, provenance.json and the exports,
        then move every file into the folder. Returns the names of the files written."""
        assert self.staging is not None
        staging = self.staging
        for fh in self._files.values():
            fh.close()
        if self._logs is not None:
            self._logs, logs = None, self._logs
            logs.close()
        if provenance is not None:
            (staging / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
        (staging / "summary.json").write_text(json.dumps(document, indent=2) + "\n")
        write_rows(staging / "replications.csv", result)
        names = ["summary.json", "replications.csv", "events.csv",
                 *finish_exports(staging, result, self.exports)]
        if self.attribution:
            names.insert(3, "attribution.csv")
        if provenance is not None:
            names.append("provenance.json")
        for stale in OWNED - set(names):  # a report or comparison left by an earlier command, …
            (self.directory / stale).unlink(missing_ok=True)
        for name in names:
            os.replace(staging / name, self.directory / name)  # a rename: the same file system
        self._created = []  # the folder now holds this run: keep it
        return names

    def __exit__(self, *exc: object) -> None:
        # an impatient second Ctrl-C must not leave half of the clearing up undone
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            for fh in self._files.values():
                fh.close()
            if self._logs is not None:
                self._logs.close(finished=False)
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)
            for folder in self._created:  # only folders this run made, and only if still empty
                with contextlib.suppress(OSError):
                    folder.rmdir()
        finally:
            if main:
                signal.signal(signal.SIGINT, previous)


def write_rows(path: Path, result) -> None:
    """replications.csv: a row per replication, a column per metric, ``repr`` of each float."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["replication", *result.names])
        for i, row in enumerate(result.values):
            writer.writerow([result.first + i, *("" if math.isnan(v) else repr(float(v)) for v in row)])
