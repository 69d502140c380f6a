"""Provenance: every output folder says which scenario bytes, overrides, seed and program made it."""

import hashlib
import json
import shutil
from datetime import datetime, timezone

from conftest import SCENARIOS
from typer.testing import CliRunner

from nukesim.cli import app
from nukesim.provenance import command_line, provenance, scenario_unchanged

runner = CliRunner()


def test_provenance_hashes_the_files_bytes_and_records_the_run(tmp_path):
    path = tmp_path / "s.yaml"
    shutil.copy(SCENARIOS / "minimal.yaml", path)
    when = datetime(2026, 3, 16, 2, 0, tzinfo=timezone.utc)
    doc = provenance(path, "Minimal", ["horizon=2d"], 7, 40, command=["nukesim", "run"], created=when)
    assert doc["scenario"] == {"path": str(path), "name": "Minimal",
                               "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    assert (doc["overrides"], doc["seed"], doc["replications"]) == (["horizon=2d"], 7, 40)
    assert doc["command"] == ["nukesim", "run"]
    assert doc["created"] == "2026-03-16T02:00:00+00:00"
    assert doc["nukesim_version"]
    assert scenario_unchanged(doc) is None
    path.write_bytes(path.read_bytes() + b"\n# an edit\n")
    assert "has changed" in scenario_unchanged(doc)
    path.unlink()
    assert "not there" in scenario_unchanged(doc)


def test_run_out_writes_provenance_json_and_the_same_under_summary(tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(SCENARIOS / "minimal.yaml"), "-n", "12", "--seed", "5",
                                 "--set", "horizon=2d", "--out", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "provenance.json").read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["provenance"] == doc
    # the public keys of summary.json are unchanged
    assert {"scenario", "seed", "replications", "metrics", "objectives"} <= set(summary)
    assert (doc["seed"], doc["replications"], doc["overrides"]) == (5, 12, ["horizon=2d"])
    assert doc["scenario"]["sha256"] == hashlib.sha256((SCENARIOS / "minimal.yaml").read_bytes()).hexdigest()
    assert doc["command"] == command_line()  # this process's command line (pytest's, under CliRunner)


def test_the_command_names_the_installed_script_without_its_folder():
    assert command_line(["/opt/venv/bin/nukesim", "run", "x.yaml"]) == ["nukesim", "run", "x.yaml"]
    assert command_line(["/opt/lib/nukesim/__main__.py", "graph"]) == ["nukesim", "graph"]
    assert command_line(["run_sim.py", "-n", "5"]) == ["run_sim.py", "-n", "5"]


def test_compare_out_writes_both_variants_with_their_provenance(tmp_path):
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(SCENARIOS / "minimal.yaml"),
                                 "--set-b", "channels.phone.fails=0.5", "-n", "20", "--workers", "1",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    top = json.loads((out / "provenance.json").read_text())
    assert top["overrides"] == [] and top["b"]["overrides"] == ["channels.phone.fails=0.5"]
    b = json.loads((out / "b" / "provenance.json").read_text())
    assert b["overrides"] == ["channels.phone.fails=0.5"]
    comparison = json.loads((out / "comparison.json").read_text())
    assert comparison["provenance"] == top
    a = json.loads((out / "a" / "summary.json").read_text())
    assert a["replications"] == 20 and (out / "b" / "replications.csv").exists()


def test_compare_set_changes_both_variants_and_set_b_only_b(tmp_path):
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(SCENARIOS / "minimal.yaml"), "--set", "horizon=2d",
                                 "--set-b", "channels.phone.fails=0.5", "-n", "20", "--workers", "1",
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    a = json.loads((out / "a" / "provenance.json").read_text())
    b = json.loads((out / "b" / "provenance.json").read_text())
    assert a["overrides"] == ["horizon=2d"]
    assert b["overrides"] == ["horizon=2d", "channels.phone.fails=0.5"]
    with_set_only = runner.invoke(app, ["compare", str(SCENARIOS / "minimal.yaml"), "--set", "horizon=2d"])
    assert with_set_only.exit_code == 2 and "--set-b" in with_set_only.output
