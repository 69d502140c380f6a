"""The HTML report: self-contained, complete, and showing the run's own numbers."""

import json
import math
import re
import shutil
from html.parser import HTMLParser

import numpy as np
import pytest
from conftest import ROOT, SCENARIOS
from typer.testing import CliRunner

from nukesim.cli import app
from nukesim.report import render_report, write_report
from nukesim.report.figures import share_by_time
from nukesim.report.resim import typical_replication
from nukesim.scenario.durations import format_difference, format_duration
from nukesim.stats import share_ci

runner = CliRunner()
RUN_SECTIONS = ("provenance", "objectives", "kpi", "mobilisation", "members", "notification", "timeline",
                "graph")
FIGURES = ("mobilisation", "members", "notification", "timeline", "graph")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run of a copy of the minimal scenario, with its report."""
    base = tmp_path_factory.mktemp("report")
    scenario = base / "minimal.yaml"
    shutil.copy(SCENARIOS / "minimal.yaml", scenario)
    out = base / "out"
    result = runner.invoke(app, ["run", str(scenario), "-n", "40", "--seed", "3", "--workers", "1",
                                 "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    return out


def external_references(html: str) -> list[str]:
    """Anything a browser would fetch from outside the file."""
    attribute = r"""\b(?:src|href|xlink:href|action|poster|data)\s*=\s*["']?\s*(?!#)([^"'\s>]+)"""
    found = re.findall(attribute, html)
    found = [f for f in found if not f.startswith("#")]
    found += re.findall(r"@import[^;]*", html)
    found += [u for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", html) if not u.startswith("#")]
    found += re.findall(r"<(?:script|link|iframe|object|embed|img)\b[^>]*>", html)
    return found


class Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.ids += [v for k, v in attrs if k == "id"]


def test_the_reference_check_catches_external_references():
    for bad in ('<img src="https://example.org/a.png">', '<a href="http://x.org">x</a>',
                "<style>@import 'x.css';</style>", "<div style=\"background: url(https://x/y.png)\">",
                '<script>1</script>', '<use xlink:href="other.svg#a"/>'):
        assert external_references(bad), bad
    assert not external_references('<use xlink:href="#f1-m0"/><a href="#kpi">k</a><g clip-path="url(#f1-p)">')


def test_report_has_every_section_and_plot_and_no_external_reference(run_dir):
    html = (run_dir / "report.html").read_text()
    assert external_references(html) == []
    parser = Ids()
    parser.feed(html)
    for section in RUN_SECTIONS:
        assert section in parser.ids, section
    for fig in FIGURES:
        block = re.search(rf'<figure id="fig-{fig}".*?</figure>', html, re.S)
        assert block, fig
        assert "<svg" in block.group(0) and "<title" in block.group(0) and "<desc" in block.group(0)
        assert 'role="img"' in block.group(0)
    assert len(parser.ids) == len(set(parser.ids)), "an id is used twice (two figures would clash)"
    assert (run_dir / "attribution.csv").exists() and "attribution" in parser.ids  # run --out writes it
    assert "@media print" in html


def test_kpi_table_and_objectives_show_the_numbers_of_summary_json(run_dir):
    html = (run_dir / "report.html").read_text()
    summary = json.loads((run_dir / "summary.json").read_text())
    m = summary["metrics"]["team_mobilized"]
    row = re.search(r"<tr><td>team_mobilized</td>(.*?)</tr>", html).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[:3] == [str(m["n"]), str(m["missing"]), format_duration(m["mean"])]
    assert cells[3] == f"{format_duration(m['ci95'][0])} – {format_duration(m['ci95'][1])}"
    assert cells[4:6] == [format_duration(m["p50"]), format_duration(m["p90"])]
    for o in summary["objectives"]:
        verdict = "undecided" if not o["decided"] else "met" if o["met"] else "not met"
        assert re.search(rf"<td>{re.escape(o['name'])}</td>.*?{verdict}", html, re.S)
    assert summary["provenance"]["scenario"]["sha256"] in html


def test_typical_replication_is_closest_to_the_median():
    numbers = np.array([10, 11, 12, 13])
    assert typical_replication(numbers, np.array([5.0, np.nan, 9.0, 7.5]), 8.0) == 13
    assert typical_replication(numbers, np.array([5.0, 7.0, 9.0, 7.0]), 8.0) == 11  # first of ties
    assert typical_replication(numbers, np.array([np.nan] * 4), None) is None


def test_share_by_time_counts_missing_runs_and_uses_wilson():
    share, low, high = share_by_time(np.array([1.0, 2.0, np.nan, 4.0]), np.array([0.0, 1.5, 5.0]))
    assert list(share) == [0.0, 0.25, 0.75]
    assert (low[2], high[2]) == share_ci(3, 4)
    assert low[0] == 0.0 and math.isclose(high[0], share_ci(0, 4)[1])


def test_attribution_section_appears_only_with_attribution_csv(run_dir, tmp_path):
    out = tmp_path / "with"
    shutil.copytree(run_dir, out)
    (out / "attribution.csv").unlink()
    parser = Ids()
    parser.feed(render_report(out))
    assert "attribution" not in parser.ids  # no attribution.csv, no section: never faked
    happened = [r for r, v in _column(out, "team_mobilized") if not math.isnan(v)]
    assert len(happened) >= 2
    first, second = happened[:2]
    (out / "attribution.csv").write_text(
        "replication,metric,component,where,minutes\n"
        f"{first},team_mobilized,handling,authority,30\n"
        f"{second},team_mobilized,handling,authority,50\n"
        f"{first},team_mobilized,transmission,plant->authority,12\n")
    html = render_report(out)
    parser = Ids()
    parser.feed(html)
    assert "attribution" in parser.ids and "fig-attribution" in parser.ids
    n = len(happened)  # the mean is over every run in which the milestone happened
    assert f"<td>team_mobilized</td><td>handling</td><td>authority</td><td>{80 / n:.1f}</td>" in html
    assert f"<td>transmission</td><td>plant-&gt;authority</td><td>{12 / n:.1f}</td>" in html
    assert external_references(html) == []


def _column(directory, metric):
    import csv

    with open(directory / "replications.csv") as fh:
        rows = list(csv.DictReader(fh))
    return [(int(r["replication"]), float(r[metric]) if r[metric] else math.nan) for r in rows]


def test_a_changed_scenario_file_is_said_not_faked(run_dir, tmp_path):
    out = tmp_path / "stale"
    shutil.copytree(run_dir, out)
    scenario = run_dir.parent / "minimal.yaml"
    original = scenario.read_bytes()
    try:
        scenario.write_bytes(original + b"\n# edited after the run\n")
        html = write_report(out).read_text()
    finally:
        scenario.write_bytes(original)
    assert "has changed since the run" in html
    assert 'id="fig-timeline"' not in html and 'id="fig-members"' not in html
    assert 'id="fig-mobilisation"' in html  # drawn from replications.csv alone


def test_compare_report_shows_both_variants_and_the_differences(tmp_path):
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(SCENARIOS / "minimal.yaml"),
                                 "--set-b", "channels.phone.fails=0.5", "-n", "20", "--workers", "1",
                                 "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert external_references(html) == []
    comparison = json.loads((out / "comparison.json").read_text())
    d = next(x for x in comparison["differences"] if x["metric"] == "team_mobilized")
    assert format_difference(d["mean_diff"], d["mean_diff_ci95"]) in html
    (objective,) = comparison["objectives"]
    difference = objective["difference"]
    assert 'id="objective-differences"' in html
    assert f"<td>{format_difference(difference['value'])}" in html  # B − A, then its interval
    for section in ("differences", "objectives", "kpi", "mobilisation", "details"):
        assert f'id="{section}"' in html
    assert html.count('id="fig-timeline"') == 2 and html.count('id="fig-graph"') == 2


def test_report_options_and_folders_are_checked(tmp_path):
    no_out = runner.invoke(app, ["run", str(SCENARIOS / "minimal.yaml"), "-n", "2", "--report"])
    assert no_out.exit_code == 2 and "--out" in no_out.output
    empty = runner.invoke(app, ["report", str(tmp_path)])
    assert empty.exit_code == 2 and "summary.json" in empty.output
    assert not (tmp_path / "report.html").exists()


def test_graph_svg_is_a_standalone_drawing(tmp_path):
    result = runner.invoke(app, ["graph", str(SCENARIOS / "minimal.yaml"), "--format", "svg"])
    assert result.exit_code == 0
    svg = result.stdout
    assert svg.startswith("<svg") and "<title" in svg and "authority" in svg
    assert [r for r in external_references(svg)] == []


@pytest.mark.slow
def test_templates_ship_in_the_installed_package(tmp_path):
    """A wheel installed elsewhere renders the report: the templates are package data."""
    import os
    import subprocess
    import sys

    wheels, site, tree = tmp_path / "wheels", tmp_path / "site", tmp_path / "tree"
    # a clean copy: a build/ left in the checkout could hold templates the package config forgot
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", ".venv", ".git", "out", "test-artefacts", "__pycache__", ".*_cache"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels),
                    str(tree)], check=True, cwd=tmp_path)
    wheel = next(wheels.glob("nukesim-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(wheel)], check=True, cwd=tmp_path)
    out = tmp_path / "out"
    CliRunner().invoke(app, ["run", str(SCENARIOS / "minimal.yaml"), "-n", "5", "--out", str(out)])
    code = ("import sys, nukesim.report as r; assert r.__file__.startswith(sys.argv[1]), r.__file__; "
            "print(r.render_report(sys.argv[2])[:15])")
    done = subprocess.run([sys.executable, "-c", code, str(site), str(out)], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("<!DOCTYPE html>")


def test_a_new_run_into_the_folder_removes_the_old_report(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("an old run's report")
    (out / "comparison.json").write_text("{}")
    result = runner.invoke(app, ["run", str(SCENARIOS / "minimal.yaml"), "-n", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert not (out / "report.html").exists() and not (out / "comparison.json").exists()


def test_header_shows_the_precision_reached_and_says_when_not():
    from types import SimpleNamespace

    from nukesim.report.build import provenance_rows

    summary = {"scenario": "S", "seed": 1, "replications": 300,
               "precision": {"target": 0.01, "reached": {"team_mobilized": 0.0234}, "met": False}}
    run = SimpleNamespace(summary=summary, provenance=None, scenario=None)
    rows = dict(provenance_rows(run))
    assert rows["precision"] == "target ±1%; reached team_mobilized ±2.34% (NOT reached)"
    assert rows["content hash (SHA-256)"] == "not recorded"  # a folder of an older nukesim


def test_the_report_shows_an_objective_that_rounds_to_its_target_as_finely_as_the_cli():
    from nukesim.report.build import objective_rows

    o = {"name": "Ready in 2 h", "metric": "team_mobilized", "statistic": "p90", "target": 120.0,
         "value": 120.4, "ci95": [118.0, None], "met": False, "decided": False}
    (row,) = objective_rows({"objectives": [o]})
    assert (row["target"], row["value"], row["ci"]) == ("2h00.00m", "2h00.40m", "1h58.00m – missing")


def test_a_count_of_people_reads_as_a_number_in_the_report():
    from nukesim.report.build import fmt, objective_rows

    shown = (fmt("left_behind", 0.675), fmt("left_behind", 2.0), fmt("team_on_site", 2.0))
    assert shown == ("0.68", "2", "2.0m")
    (row,) = objective_rows({"objectives": [{"name": "few left", "metric": "left_behind", "statistic": "p90",
                                             "target": 2.0, "value": 3.0, "ci95": [2.0, 4.0], "met": False,
                                             "decided": False}]})
    assert (row["target"], row["value"], row["ci"]) == ("2", "3", "2 – 4")
