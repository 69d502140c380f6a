"""A sweep survives being killed, and gives the same numbers on a Dask cluster."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
from conftest import SCENARIOS

from nukesim.runner import DaskExecutor, LocalExecutor
from nukesim.sweep.execute import prepare, run_sweep
from nukesim.sweep.store import Store

SWEEP = f"""
scenario: {SCENARIOS / "minimal.yaml"}
factors:
  - {{name: vehicles, path: team.vehicles.count, values: [1, 3]}}
  - {{name: fails, path: channels.phone.fails, values: [0.0, 0.2, 0.4]}}
replications: 250
"""


def sweep(path, store_path, executor, resume=False):
    store = Store(store_path)
    try:
        return run_sweep(prepare(path), store, executor, resume=resume)
    finally:
        store.close()


def stored(db) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            return con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet


def test_a_sweep_killed_with_sigkill_resumes_to_the_same_numbers(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(SWEEP))
    db = tmp_path / "killed.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "nukesim", "sweep", str(path), "--store", str(db),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)
    total = 6 * 250
    try:
        deadline = time.monotonic() + 60
        while stored(db) < 50 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its workers, mid-sweep
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done_before = stored(db)
    assert 0 < done_before < total, "the kill must land mid-sweep"

    executor = LocalExecutor(2)
    try:
        resumed = sweep(path, db, executor, resume=True)
        whole = sweep(path, tmp_path / "whole.sqlite", executor)
    finally:
        executor.close()
    assert resumed.ran == total - done_before
    for key, values in whole.values.items():
        assert np.array_equal(values, resumed.values[key], equal_nan=True)
    assert stored(db) == total


@pytest.mark.slow
def test_a_dask_cluster_gives_the_local_numbers_to_the_last_bit(tmp_path):
    distributed = pytest.importorskip("distributed")
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(SWEEP).replace("250", "200"))
    local = LocalExecutor(1)
    try:
        expected = sweep(path, tmp_path / "local.sqlite", local)
    finally:
        local.close()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        executor = DaskExecutor(cluster.scheduler_address)
        try:
            got = sweep(path, tmp_path / "dask.sqlite", executor)
        finally:
            executor.close()
    for key, values in expected.values.items():
        assert np.array_equal(values, got.values[key], equal_nan=True)


def test_a_local_sweep_does_not_import_dask(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(SWEEP).replace("250", "4"))
    args = ["sweep", str(path), "--store", str(tmp_path / "x.sqlite"), "--workers", "2"]
    code = ("import sys\nfrom nukesim.cli import app\n"
            f"try:\n    app({args!r})\n"
            "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_ctrl_c_twice_during_a_sweep_ends_promptly_with_the_resume_hint_and_no_traceback(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(SWEEP).replace("250", "20000"))
    db = tmp_path / "x.sqlite"
    proc = subprocess.Popen([sys.executable, "-m", "nukesim", "sweep", str(path), "--store", str(db),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while stored(db) < 50 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends: the whole foreground group
        time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)  # an impatient second one
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("Ctrl-C left the sweep hanging")
    assert proc.returncode in (130, -signal.SIGINT), err  # the second Ctrl-C may come after the hint
    assert "continue with --resume" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_sweep_out_writes_provenance_of_the_sweep_and_its_scenario(tmp_path):
    import json

    from nukesim.provenance import file_sha256

    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(SWEEP).replace("250", "3") + "set: {horizon: 2d}\n")
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "nukesim", "sweep", str(path), "--out", str(out), "--workers", "1"],
                   check=True, capture_output=True)
    doc = json.loads((out / "provenance.json").read_text())
    assert doc["scenario"]["sha256"] == file_sha256(SCENARIOS / "minimal.yaml")
    assert doc["sweep"] == {"path": str(path), "sha256": file_sha256(path), "points": 6,
                            "store": str(out / "sweep.sqlite")}
    assert doc["overrides"] == ["horizon=2d"] and doc["seed"] == 1 and doc["replications"] == 6 * 3
    assert doc["command"][-4:] == ["--out", str(out), "--workers", "1"]
    assert json.loads((out / "analysis.json").read_text())["provenance"] == doc
