"""The sweep's result store: an embedded SQLite database, written as results arrive.

Every finished batch is committed at once, one row per (point, replication) — ``INSERT OR
IGNORE`` on that key, so a batch that arrives twice (Dask may run a task again after a worker
dies) writes once. The store also keeps what the results depend on (the scenario's content
hash, the seed, the base overrides, what each factor sets, the metrics kept) so that a resume
against a changed file is refused with what changed, while more points or more replications
simply add work. ``load_sweep`` reads a store into a pandas DataFrame.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..scenario import Located, ScenarioError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS points (point TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS results (
    point TEXT NOT NULL, replication INTEGER NOT NULL, row BLOB NOT NULL,
    PRIMARY KEY (point, replication)) WITHOUT ROWID;
"""

FINGERPRINT_LABELS = {
    "scenario_sha256": "the scenario file's content",
    "scenario": "the scenario path",
    "seed": "the seed",
    "set": "the base overrides (set:)",
    "factors": "what the factors set",
    "metrics": "the metrics kept",
    "nukesim_version": "the nukesim version (the engine's numbers may differ)",
}


class StoreMismatch(ScenarioError):
    pass


class Store:
    """One sweep's results; a ``Sink`` for ``runner.stream``."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.db = sqlite3.connect(self.path, timeout=30)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")  # a committed batch survives a killed process
            self.db.executescript(_SCHEMA)
            self.db.commit()
        except sqlite3.DatabaseError as exc:
            cannot = isinstance(exc, sqlite3.OperationalError) and any(
                words in str(exc) for words in ("readonly", "read-only", "unable to open"))
            what = ("cannot write to the sweep store (a sweep and its report keep their state in it; "
                    "copy the folder somewhere writable)" if cannot else "not a sweep store (SQLite)")
            raise ScenarioError([Located(str(self.path), 1, 1, (), f"{what}: {exc}")]) from None
        self.metrics: list[str] = json.loads(self.meta("metrics") or "[]")

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def has_results(self) -> bool:
        return self.db.execute("SELECT 1 FROM results LIMIT 1").fetchone() is not None

    def begin(self, fingerprint: dict, info: dict, resume: bool, sweep_file: str) -> None:
        """Record what the results depend on; refuse to mix them with a changed sweep.

        A store with results is only reused with ``resume``; then every fingerprint entry must
        be unchanged (more points and replications are fine, they add rows).
        """
        old = self.meta("fingerprint")
        if old is not None and self.has_results():
            if not resume:
                raise StoreMismatch(
                    [
                        Located(
                            str(self.path),
                            1,
                            1,
                            (),
                            "this store already holds results: "
                            "give --resume to continue or extend it, or another --store",
                        )
                    ]
                )
            changed = describe_changes(json.loads(old), fingerprint)
            if changed:
                raise StoreMismatch(
                    [
                        Located(
                            sweep_file,
                            1,
                            1,
                            (),
                            f"cannot resume from {self.path}: "
                            + "; ".join(changed)
                            + ". Restore the file or start a new "
                            "--store",
                        )
                    ]
                )
        rows = {
            "fingerprint": json.dumps(fingerprint, sort_keys=True),
            "metrics": json.dumps(fingerprint["metrics"]),
            **{k: json.dumps(v) if not isinstance(v, str) else v for k, v in info.items()},
        }
        if self.meta("created") is None:
            rows["created"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", rows.items())
        self.db.commit()
        self.metrics = list(fingerprint["metrics"])

    def add_points(self, keys: Sequence[str]) -> None:
        start = self.db.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM points").fetchone()[0]
        known = {k for (k,) in self.db.execute("SELECT point FROM points")}
        new = [k for k in dict.fromkeys(keys) if k not in known]
        self.db.executemany(
            "INSERT OR IGNORE INTO points VALUES (?, ?)", [(k, start + i) for i, k in enumerate(new)]
        )
        self.db.commit()

    def put(self, point: str, reps: Sequence[int], rows: np.ndarray, extras=None) -> None:
        """Commit a batch's metric rows (a sweep asks its batches for no ``extras``)."""
        rows = np.ascontiguousarray(rows, dtype="<f8")
        self.db.executemany(
            "INSERT OR IGNORE INTO results VALUES (?, ?, ?)",
            [(point, int(r), rows[i].tobytes()) for i, r in enumerate(reps)],
        )
        self.db.commit()

    def rows(self, point: str) -> dict[int, np.ndarray]:
        return {
            r: np.frombuffer(blob, dtype="<f8")
            for r, blob in self.db.execute("SELECT replication, row FROM results WHERE point = ?", (point,))
        }

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT point, COUNT(*) FROM results GROUP BY point"))

    def close(self) -> None:
        """Fold the write-ahead log back in, so the store is one file that readers may open."""
        # if another connection still has it open, the log stays until that one closes
        with contextlib.suppress(sqlite3.OperationalError):
            self.db.execute("PRAGMA journal_mode=DELETE")
        self.db.close()


def describe_changes(old: dict, new: dict) -> list[str]:
    out = []
    for key, label in FINGERPRINT_LABELS.items():
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        if key == "factors":
            for name in sorted(set(a) | set(b)):
                if a.get(name) != b.get(name):
                    out.append(
                        f"factor '{name}' "
                        + (
                            "is new"
                            if name not in a
                            else "was removed"
                            if name not in b
                            else f"now sets {b[name]} (was {a[name]})"
                        )
                    )
        elif key == "scenario_sha256":
            out.append(f"{label} changed (sha256 {a[:12]}… → {b[:12]}…)")
        else:
            out.append(f"{label} changed ({json.dumps(a)} → {json.dumps(b)})")
    return out


def load_sweep(path: str | Path, points: Sequence[str] | None = None):
    """A sweep store as a pandas DataFrame: one row per (point, replication), a column per factor
    (in its own units) and per metric (NaN = missing). ``points``: only these point keys."""
    import pandas as pd

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no sweep store at {path}")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        metrics = json.loads(db.execute("SELECT value FROM meta WHERE key = 'metrics'").fetchone()[0])
        seq = dict(db.execute("SELECT point, seq FROM points"))
        records = []
        keep = None if points is None else set(points)
        for point, rep, blob in db.execute("SELECT point, replication, row FROM results"):
            if keep is not None and point not in keep:
                continue
            values = json.loads(point)
            records.append(
                {
                    "point": seq.get(point, -1),
                    **values,
                    "replication": rep,
                    **dict(zip(metrics, np.frombuffer(blob, dtype="<f8").tolist(), strict=True)),
                }
            )
    finally:
        db.close()
    frame = pd.DataFrame.from_records(records)
    if len(frame):
        frame = frame.sort_values(["point", "replication"], kind="stable").reset_index(drop=True)
    return frame
