"""Replications as a stream into a sink: one way to run them, the same results whatever the sink,
the number of workers or the order in which batches finish (nukesim.runner, nukesim.outputs)."""

from __future__ import annotations

import pickle
import random
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from nukesim.api import load
from nukesim.cli import app
from nukesim.runner import Batch, Extras, LocalExecutor, MemorySink, _Point, replicate, run_batch, stream
from nukesim.sweep.store import Store

ROOT = Path(__file__).resolve().parents[1]
MINIMAL = ROOT / "scenarios" / "minimal.yaml"
STREAMED = ("attribution.csv", "events.csv", "replications.csv")


def run_out(out: Path, *args: str) -> None:
    result = CliRunner().invoke(app, ["run", str(MINIMAL), "--out", str(out), *args])
    assert result.exit_code == 0, result.output


def test_run_out_writes_the_same_bytes_with_one_and_two_workers(tmp_path):
    # 64 replications on 2 workers go out in 16 batches of 4, which finish in any order
    for workers in ("1", "2"):
        run_out(tmp_path / workers, "-n", "64", "--seed", "3", "--workers", workers, "--events", "0,5,17,63")
    for name in STREAMED:
        one, two = (tmp_path / w / name for w in ("1", "2"))
        assert one.read_bytes() == two.read_bytes(), name
    lines = (tmp_path / "1" / "attribution.csv").read_text().splitlines()
    assert {int(line.split(",")[0]) for line in lines[1:]} == set(range(64))
    assert not [p for p in (tmp_path / "2").iterdir() if p.name.startswith(".")]


def test_run_out_to_a_precision_attributes_every_replication_it_ran(tmp_path):
    run_out(tmp_path / "p", "--precision", "2%", "--seed", "2", "--workers", "2")
    ran = len((tmp_path / "p" / "replications.csv").read_text().splitlines()) - 1
    assert ran > 100  # more than the first stage: the stages are streamed one after the other
    run_out(tmp_path / "n", "-n", str(ran), "--seed", "2")
    for name in STREAMED:
        assert (tmp_path / "p" / name).read_bytes() == (tmp_path / "n" / name).read_bytes(), name


class Recorder:
    """A writer that notes what it is handed, in the order it is handed."""

    def __init__(self) -> None:
        self.got: list[tuple[int, bool, str | None]] = []

    def replication(self, r, log, attribution):
        self.got.append((r, log is not None, attribution))


def test_writer_gets_replications_in_order_whatever_order_batches_finish():
    scenario = load(MINIMAL)
    blob = pickle.dumps(scenario)
    batches = [Batch("p", blob, 4, tuple(range(lo, lo + 3)), keep=frozenset({1, 7}), attribution="csv")
               for lo in range(0, 12, 3)]
    done = [(b, run_batch(b)) for b in batches]
    in_order = Recorder()
    sink = MemorySink()
    sink.add("p", 0, done[0][1][0].shape[1], 12, in_order)
    for b, (rows, extras) in done:
        sink.put(b.point, b.reps, rows, extras)
    shuffled = Recorder()
    other = MemorySink()
    other.add("p", 0, done[0][1][0].shape[1], 2, shuffled)  # too small: it grows
    order = done + done[1:2]  # one batch twice, as Dask may deliver it
    random.Random(1).shuffle(order)
    for b, (rows, extras) in order:
        other.put(b.point, b.reps, rows, extras)
    assert [r for r, _, _ in shuffled.got] == list(range(12))
    assert shuffled.got == in_order.got
    assert [r for r, kept, _ in shuffled.got if kept] == [1, 7]
    assert np.array_equal(other.values("p"), sink.values("p"), equal_nan=True)


def test_a_run_with_a_writer_keeps_neither_logs_nor_attribution():
    writer = Recorder()
    result = replicate(load(MINIMAL), 30, seed=1, keep_events=[2], attribution=True, to=writer)
    assert result.attribution is None and result.events == {}
    assert [r for r, _, _ in writer.got] == list(range(30))
    held = replicate(load(MINIMAL), 30, seed=1, keep_events=[2], attribution=True)
    assert sorted(held.attribution) == list(range(30)) and list(held.events) == [2]


class Both:
    """A sink that hands every batch to the memory sink and to the SQLite store."""

    def __init__(self, *sinks) -> None:
        self.sinks = sinks

    def put(self, point, reps, rows, extras: Extras | None = None):
        for sink in self.sinks:
            sink.put(point, reps, rows, extras)


class Work:
    """Two points' replications, batch by batch (what ``RunWork`` does for a comparison)."""

    def __init__(self, points: list[_Point]) -> None:
        self.points = points

    def next(self):
        return next((b for p in self.points if (b := p.next()) is not None), None)

    def finished(self):
        return all(p.done for p in self.points)

    def record(self, batch, rows):
        next(p for p in self.points if p.key == batch.point).record(batch)


def test_memory_sink_and_sqlite_store_see_the_same_keys(tmp_path):
    scenario = load(MINIMAL)
    memory, store = MemorySink(), Store(tmp_path / "s.sqlite")
    width = len(replicate(scenario, 1).names)
    points = []
    for key, seed in (("a", 1), ("b", 2)):
        memory.add(key, 0, width, 40)
        points.append(_Point(key, Batch(key, pickle.dumps(scenario), seed, ()), 0, 40, 2, memory, None))
    executor = LocalExecutor(2)
    try:
        stream(executor, Work(points), Both(memory, store))
    finally:
        executor.close()
    for key, seed in (("a", 1), ("b", 2)):
        stored = store.rows(key)
        assert sorted(stored) == list(range(40))
        assert np.array_equal(np.array([stored[r] for r in range(40)]), memory.values(key), equal_nan=True)
        assert np.array_equal(memory.values(key), replicate(scenario, 40, seed).values, equal_nan=True)
    store.close()
