"""The exercise journal: everything needed to rebuild an exercise, written as it happens.

JSON lines, one entry per line, flushed to disk (``fsync``) at each entry, so a crash, a kill or
a power cut loses nothing already written. The first line is the header: the exercise, scenario
and player-script files with their SHA-256, the seed and the player. Then, in order, entries of
two sorts:

* **inputs** — what came from outside the simulation and cannot be recomputed: a live player's
  decision, a controller releasing an inject early or postponing the rest. A resumed exercise
  applies them again at their simulated times;
* **outputs** — what the simulation did that the after-action report shows: each inject
  delivered, each player action (scripted or live), the end. A resumed exercise recomputes them,
  and writes only those after the ones already in the journal;
* **notes** — a controller pausing, resuming or changing the speed: they change the pace, never
  the simulated run.

Every entry carries ``t``, its simulated time in minutes since the initiating event.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

INPUTS = frozenset({"decision", "release", "postpone"})
OUTPUTS = frozenset({"inject", "action", "end"})
NOTES = frozenset({"pause", "resume", "speed"})
VERSION = 1


class JournalError(Exception):
    """A journal that cannot be resumed (unreadable, or for other files than these)."""


class Journal:
    """Appends entries to a journal file, each one flushed to disk before ``write`` returns."""

    def __init__(self, path: str | Path, header: dict | None = None, skip_outputs: int = 0) -> None:
        self.path = Path(path)
        self.skip = skip_outputs
        """Outputs a resumed exercise recomputes that are in the file already."""
        self._fh: IO[str] = open(self.path, "a" if header is None else "w", encoding="utf-8")  # noqa: SIM115
        if header is not None:
            self._put({"journal": VERSION, **header})

    def write(self, entry: dict) -> None:
        if entry["entry"] in OUTPUTS and self.skip:
            self.skip -= 1
            return
        self._put(entry)

    def _put(self, entry: dict) -> None:
        self._fh.write(json.dumps(entry, sort_keys=True) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def read_journal(path: str | Path) -> tuple[dict, list[dict]]:
    """The header and the entries of a journal; a last line cut short by a crash is dropped."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise JournalError(f"{path}: cannot read the journal ({exc.strerror})") from None
    entries = []
    for i, line in enumerate(lines, 1):
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            if i == len(lines):
                break  # the line being written when the exercise stopped
            raise JournalError(f"{path}:{i}: not a journal entry") from None
    if not entries or entries[0].get("journal") != VERSION:
        raise JournalError(f"{path}:1: not an exercise journal (no header)")
    return entries[0], entries[1:]
