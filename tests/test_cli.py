"""The command line keeps the promises of docs/cli.md and docs/outputs.md: outputs, exit codes,
no tracebacks."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, SCENARIOS
from typer.testing import CliRunner

from nukesim.cli import app

runner = CliRunner()
MINIMAL = str(SCENARIOS / "minimal.yaml")


def invoke(*args):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def test_run_json_follows_the_public_contract():
    result = invoke("run", MINIMAL, "-n", "30", "--seed", "7", "--json", "--workers", "1")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["scenario"], doc["seed"], doc["replications"]) == ("Minimal teaching scenario", 7, 30)
    team = doc["metrics"]["team_mobilized"]
    for key in ("n", "missing", "mean", "std", "ci95", "min", "p5", "p50", "p90", "p95", "max"):
        assert key in team
    assert team["n"] + team["missing"] == 30
    assert team["ci95"][0] <= team["mean"] <= team["ci95"][1]
    (objective,) = doc["objectives"]
    assert {"name", "metric", "statistic", "target", "value", "met"} <= set(objective)
    assert objective["target"] == 120.0


def test_same_seed_same_json_and_workers_do_not_matter():
    a = invoke("run", MINIMAL, "-n", "40", "--seed", "3", "--json", "--workers", "1").stdout
    b = invoke("run", MINIMAL, "-n", "40", "--seed", "3", "--json", "--workers", "2").stdout
    c = invoke("run", MINIMAL, "-n", "40", "--seed", "4", "--json", "--workers", "1").stdout
    assert a == b
    assert a != c


def test_out_writes_summary_replications_and_events(tmp_path):
    out = tmp_path / "run"
    result = invoke("run", MINIMAL, "-n", "12", "--seed", "2", "--out", str(out), "--events", "0,5")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["replications"] == 12
    rows = (out / "replications.csv").read_text().splitlines()
    assert len(rows) == 13 and rows[0].startswith("replication,")
    events = (out / "events.csv").read_text().splitlines()
    assert events[0] == ("replication,t,type,org,kind,cls,message,task,handler,sender,receiver,channel,actor,"
                         "unit,n,detail")
    assert {line.split(",")[0] for line in events[1:]} == {"0", "5"}
    assert not [p for p in out.iterdir() if p.name.startswith(".partial")]


def test_set_changes_the_scenario_and_a_bad_set_is_located():
    result = invoke("run", MINIMAL, "-n", "5", "--json", "--set", "team.units.responders.size=20",
                    "--workers", "1")
    assert result.exit_code == 0
    bad = invoke("run", MINIMAL, "-n", "5", "--set", "team.vehicles.cont=3")
    assert bad.exit_code == 2
    assert "--set team.vehicles.cont=3:1:7: team.vehicles.cont: no field 'cont' here; did you mean 'count'?" \
        in bad.output


def test_precision_option_reports_what_it_reached():
    result = invoke("run", MINIMAL, "--precision", "5%", "--json", "--workers", "1")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["precision"]["target"] == 0.05
    assert doc["precision"]["met"] is True
    assert doc["precision"]["reached"]["team_mobilized"] <= 0.05
    assert doc["replications"] >= 100
    assert invoke("run", MINIMAL, "--precision", "lots").exit_code == 2


def test_timeline_tells_who_knew_what_when():
    result = invoke("timeline", MINIMAL, "--seed", "3")
    assert result.exit_code == 0
    for words in ("receives notification", "starts the call-out", "unit ready", "on site"):
        assert words in result.output


@pytest.mark.parametrize("fmt", ["text", "dot", "graphml", "json"])
def test_graph_formats(fmt):
    result = invoke("graph", MINIMAL, "--format", fmt)
    assert result.exit_code == 0
    assert "authority" in result.output
    if fmt == "json":
        json.loads(result.output)


def test_compare_needs_a_change_and_reports_differences():
    assert invoke("compare", MINIMAL).exit_code == 2
    result = invoke("compare", MINIMAL, "--set-b", "team.vehicles.load=30m", "-n", "40", "--json",
                    "--workers", "1")
    assert result.exit_code == 0, result.output
    diffs = {d["metric"]: d for d in json.loads(result.stdout)["differences"]}
    assert diffs["notified:authority"]["mean_diff"] == 0.0
    assert diffs["team_departed"]["mean_diff"] > 0


def test_missing_file_is_a_user_error():
    result = invoke("run", "no/such/file.yaml")
    assert result.exit_code == 2
    assert "no/such/file.yaml:1:1" in result.output


def test_run_sim_with_no_arguments_runs_the_china_scenario():
    proc = subprocess.run([sys.executable, str(ROOT / "run_sim.py")], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "China national nuclear emergency rescue team" in proc.stdout
    assert "team_mobilized" in proc.stdout


def test_a_graph_broken_by_set_is_located_at_the_set():
    result = invoke("run", MINIMAL, "-n", "3", "--set", "links=[]")
    assert result.exit_code == 2
    assert "--set links=[]:1:7: organisations.authority: 'authority' cannot be reached" in result.output


@pytest.mark.parametrize("option", ["--seed", "--replication"])
def test_negative_seed_or_replication_is_a_usage_error(option):
    result = invoke("timeline", MINIMAL, option, "-1")
    assert result.exit_code == 2


def test_precision_respects_an_explicit_maximum():
    result = invoke("run", MINIMAL, "--precision", "0.01%", "-n", "120", "--json", "--workers", "1")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["replications"] == 120 and doc["precision"]["met"] is False


def test_absurd_durations_are_located_not_crashes(tmp_path):
    text = (SCENARIOS / "minimal.yaml").read_text().replace("horizon: 1d", "horizon: 1e300")
    bad = tmp_path / "huge.yaml"
    bad.write_text(text)
    result = invoke("validate", str(bad))
    assert result.exit_code == 2
    assert "horizon: a duration must be at most 10 years" in result.output


def test_a_rerun_into_the_same_folder_leaves_no_file_of_the_earlier_run(tmp_path):
    out = tmp_path / "run"
    first = invoke("run", MINIMAL, "-n", "3", "--out", str(out), "--export", "xes", "--workers", "1")
    assert first.exit_code == 0
    assert (out / "events.xes").exists()
    assert invoke("run", MINIMAL, "-n", "4", "--out", str(out), "--workers", "1").exit_code == 0
    assert not (out / "events.xes").exists()
    assert json.loads((out / "summary.json").read_text())["replications"] == 4


def test_counts_of_people_read_as_numbers_not_durations():
    result = invoke("run", str(SCENARIOS / "seats_and_deadlines.yaml"), "-n", "40")
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in result.output.splitlines() if line.startswith("│")}
    # n, missing, mean, CI, p50, p90, max: the counts carry no unit; a time beside them does
    assert all(not cell.endswith(("m", "h")) for cell in rows["left_behind"][2:]), rows["left_behind"]
    assert rows["team_on_site"][2].endswith("m")
    assert rows["Nobody left behind, nine runs in ten"][3].endswith("%")  # a share objective on a count
