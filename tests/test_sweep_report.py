"""The HTML report of a sweep: self-contained, the sweep's own numbers, honest about gaps."""

from __future__ import annotations

import json
import math
import re
import sqlite3
import textwrap
from html import unescape

import pandas as pd
import pytest
from conftest import SCENARIOS
from test_report import Ids, external_references
from typer.testing import CliRunner

from nukesim.cli import app
from nukesim.report.build import fmt
from nukesim.scenario.durations import format_difference, format_duration, format_time_value

runner = CliRunner()
MINIMAL = SCENARIOS / "minimal.yaml"
FACTORS = """
factors:
  - {name: vehicles, path: team.vehicles.count, values: [1, 3]}
  - {name: fails, path: channels.phone.fails, values: [0.0, 0.4]}
"""


def make_sweep(tmp_path, design: str, replications: int, name: str = "s"):
    """A small sweep of the minimal scenario, run with ``--out --report``; returns (file, folder)."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"scenario: {MINIMAL}\n" + textwrap.dedent(FACTORS) + f"design: {design}\n"
                    f"replications: {replications}\n")
    out = tmp_path / name
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1", "--report"])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    return path, out


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    return make_sweep(tmp_path_factory.mktemp("sweepreport"), "{type: grid}", 6)


def cells(row_html: str) -> list[str]:
    return [unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row_html, re.S)]


def test_the_report_is_self_contained_with_every_section_and_plot(grid):
    _, out = grid
    html = (out / "report.html").read_text()
    assert external_references(html) == []
    parser = Ids()
    parser.feed(html)
    assert len(parser.ids) == len(set(parser.ids)), "an id is used twice"
    for section in ("provenance", "factors", "points", "best-worst", "plots", "objectives", "metrics"):
        assert section in parser.ids, section
    # the sweep's own figures, the same ones it writes as files, inline with a text alternative
    for name in ("heatmap", "metric_vs_vehicles", "metric_vs_fails"):
        assert (out / f"{name}.svg").exists()
        block = re.search(rf'<figure id="fig-{name.replace("_", "-")}".*?</figure>', html, re.S)
        assert block, name
        assert 'role="img"' in block.group(0) and "<desc" in block.group(0)
        assert "Text description" in block.group(0)


def test_the_header_says_where_the_numbers_came_from(grid):
    path, out = grid
    html = (out / "report.html").read_text()
    import hashlib

    assert hashlib.sha256(path.read_text().encode()).hexdigest() in html
    assert hashlib.sha256(MINIMAL.read_bytes()).hexdigest() in html
    provenance = dict(re.findall(r'<tr><th scope="row">(.*?)</th><td[^>]*>(.*?)</td></tr>', html))
    assert provenance["design"] == "grid: 4 points"
    assert provenance["seed"] == "1" and provenance["replications per point"] == "6"
    db = sqlite3.connect(out / "sweep.sqlite")
    command = json.loads(db.execute("SELECT value FROM meta WHERE key = 'command'").fetchone()[0])
    db.close()
    assert unescape(provenance["command"]) == " ".join(command)  # the command the store recorded
    factors = re.search(r'<table class="provenance factors">(.*?)</table>', html, re.S).group(1)
    assert "channels.phone.fails" in factors and "0, 0.4" in unescape(factors)


def test_every_metric_of_every_point_is_the_number_of_points_csv(grid):
    _, out = grid
    html = (out / "report.html").read_text()
    points = pd.read_csv(out / "points.csv")
    blocks = re.findall(r'<summary id="metrics-(\d+)">Point \d+: (.*?)</summary>(.*?)</details>', html, re.S)
    assert len(blocks) == 4
    shown = 0
    for _, label, body in blocks:
        values = dict(part.split("=") for part in label.split(", "))
        mine = points[(points.vehicles == int(values["vehicles"])) & (points.fails == float(values["fails"]))]
        for row in re.findall(r"<tr><td>.*?</tr>", body, re.S):
            metric, n, missing, mean, ci, p50, p90, _ = cells(row)
            csv = mine[mine.metric == metric].iloc[0]
            assert (int(n), int(missing)) == (csv.n, csv.missing)
            nan = pd.isna

            def show(v, metric=metric):
                return fmt(metric, None if pd.isna(v) else float(v))
            assert mean == show(csv["mean"])
            assert ci == ("—" if nan(csv.ci_low) else f"{show(csv.ci_low)} – {show(csv.ci_high)}")
            if not nan(csv.p50):
                assert (p50, p90) == (show(csv.p50), show(csv.p90))
            shown += 1
    assert shown == len(points)


def test_objectives_per_point_and_best_and_worst_are_those_of_the_sweep(grid):
    _, out = grid
    html = (out / "report.html").read_text()
    objectives = pd.read_csv(out / "objectives.csv")
    blocks = re.findall(r'<h3 id="objectives-\d+">Point \d+: (.*?)</h3>\s*'
                        r'<table class="objectives">(.*?)</table>', html, re.S)
    assert len(blocks) == 4
    for label, body in blocks:
        values = dict(part.split("=") for part in label.split(", "))
        rows = objectives[(objectives.vehicles == int(values["vehicles"]))
                          & (objectives.fails == float(values["fails"]))]
        shown = [cells(r) for r in re.findall(r"<tr><td>.*?</tr>", body, re.S)]
        assert [c[0] for c in shown] == list(rows.objective)
        for c, (_, o) in zip(shown, rows.iterrows(), strict=True):
            assert re.sub(r"<.*?>", "", c[6]).startswith(o.verdict)
            if not pd.isna(o.value):
                assert c[4] == format_duration(o.value)
    analysis = json.loads((out / "analysis.json").read_text())
    table = re.search(r'<table class="best-worst">(.*?)</table>', html, re.S).group(1)
    for bw, row in zip(analysis["best_worst"], re.findall(r"<tr><td>.*?</tr>", table, re.S), strict=True):
        c = cells(row)
        assert c[0] == bw["objective"] and [int(x) for x in c[2:5]] == [bw["met"], bw["not met"],
                                                                        bw["undecided"]]
        for cell, value in ((c[6], bw["best"]["value"]), (c[8], bw["worst"]["value"])):
            assert cell == ("missing" if value is None else format_time_value(value))  # beyond the horizon


def test_one_at_a_time_effects_are_those_of_oat_csv(tmp_path):
    _, out = make_sweep(tmp_path, "{type: oat}", 5)
    html = (out / "report.html").read_text()
    oat = pd.read_csv(out / "oat.csv")
    table = re.search(r'<table class="oat">(.*?)</table>', html, re.S).group(1)
    rows = [cells(r) for r in re.findall(r"<tr><td>.*?</tr>", table, re.S)]
    assert len(rows) == len(oat) > 0
    for c, (_, r) in zip(rows, oat.iterrows(), strict=True):
        ci = None if pd.isna(r.ci_low) else (r.ci_low, r.ci_high)
        mean = None if pd.isna(r.mean_diff) else r.mean_diff
        assert (c[0], c[3], int(c[4])) == (r.factor, r.metric, r.pairs)
        assert c[5] == format_difference(mean, ci)
    assert 'id="fig-tornado"' in html


def test_morris_indices_are_those_of_morris_csv(tmp_path):
    _, out = make_sweep(tmp_path, "{type: morris, samples: 2, levels: 4}", 4)
    html = (out / "report.html").read_text()
    morris = pd.read_csv(out / "morris.csv")
    table = re.search(r'<table class="morris">(.*?)</table>', html, re.S).group(1)
    rows = [cells(r) for r in re.findall(r"<tr><td>.*?</tr>", table, re.S)]
    assert len(rows) == len(morris) > 0
    for c, (_, r) in zip(rows, morris.iterrows(), strict=True):
        assert (c[0], c[1]) == (r.output, r.factor)
        if r.output == "team_mobilized":  # an effect on a time, in the one duration format
            assert c[2] == format_duration(r.mu_star) and c[5] == format_duration(r.sigma)
        else:
            assert c[2] == f"{r.mu_star:.3g}"
    assert 'id="fig-morris"' in html


def test_a_partial_sweep_says_which_points_are_incomplete(grid, tmp_path):
    path, done = grid
    out = tmp_path / "partial"
    out.mkdir()
    (out / "sweep.sqlite").write_bytes((done / "sweep.sqlite").read_bytes())
    db = sqlite3.connect(out / "sweep.sqlite")  # as a sweep killed part-way leaves it
    first, second = [p for (p,) in db.execute("SELECT point FROM points ORDER BY seq")][2:4]
    db.execute("DELETE FROM results WHERE point = ?", (first,))
    db.execute("DELETE FROM results WHERE point = ? AND replication >= 2", (second,))
    db.commit()
    db.close()
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text()
    assert "This sweep is incomplete: 2 of 4 points" in html
    statuses = re.findall(r'<td class="not-met">(.*?)</td>', html)
    assert statuses == ["not started", "incomplete: 2 of 6"]
    assert "point 3 (vehicles=3, fails=0.4): 2 of 6 replications" in html
    assert external_references(html) == []


def test_a_folder_that_is_no_output_or_a_changed_sweep_is_a_clear_error(grid, tmp_path):
    neither = runner.invoke(app, ["report", str(tmp_path)])
    assert neither.exit_code == 2 and "neither a run, a comparison nor a sweep folder" in neither.output
    assert not (tmp_path / "report.html").exists()
    path, out = grid
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "sweep.sqlite").write_bytes((out / "sweep.sqlite").read_bytes())
    original = path.read_text()
    try:
        path.write_text(original.replace("0.4]", "0.5]"))
        changed = runner.invoke(app, ["report", str(copy)])
    finally:
        path.write_text(original)
    assert changed.exit_code == 2 and "has changed since the sweep" in changed.output
    assert not (copy / "report.html").exists()
    no_out = runner.invoke(app, ["sweep", str(path), "--report"])
    assert no_out.exit_code == 2 and "--out" in no_out.output


def test_a_store_kept_elsewhere_is_found_through_the_provenance(grid, tmp_path):
    path, _ = grid
    store, out = tmp_path / "elsewhere.sqlite", tmp_path / "out"
    first = runner.invoke(app, ["sweep", str(path), "-n", "3", "--store", str(store), "--out", str(out),
                                "--workers", "1", "--report"])
    assert first.exit_code == 0, first.output
    assert not (out / "sweep.sqlite").exists() and (out / "report.html").exists()
    again = runner.invoke(app, ["report", str(out)])
    assert again.exit_code == 0, again.output
    html = (out / "report.html").read_text()
    assert f'<th scope="row">result store</th><td class="">{store}</td>' in html
    assert '<td class="">3</td></tr>' in html  # replications per point: the -n given, not the file's
    # a later analysis into the folder without --report removes the report of the older numbers
    later = runner.invoke(app, ["sweep", str(path), "-n", "4", "--store", str(store), "--out", str(out),
                                "--resume"])
    assert later.exit_code == 0, later.output
    assert not (out / "report.html").exists()


def test_a_precision_sweep_replays_its_stages_from_the_store(tmp_path):
    """Each point stopped at its own count; the report finds the same counts and calls them complete."""
    path = tmp_path / "p.yaml"
    path.write_text(f"scenario: {MINIMAL}\nfactors:\n"
                    "  - {name: fails, path: channels.phone.fails, values: [0.0, 0.9]}\n"
                    "  - {name: delay, path: channels.phone.delay, values: [1m, 30m]}\n"
                    "precision: {target: 10%, max: 80, batch: 10}\n")
    out = tmp_path / "p"
    result = runner.invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    counts = pd.read_csv(out / "points.csv").drop_duplicates(["fails", "delay"])["replications"].tolist()
    assert len(set(counts)) > 1  # the points did stop at different counts
    assert runner.invoke(app, ["report", str(out)]).exit_code == 0
    html = (out / "report.html").read_text()
    table = re.search(r'<table class="points">(.*?)</table>', html, re.S).group(1)
    rows = [cells(row) for row in re.findall(r"<tr><td>.*?</tr>", table, re.S)]
    assert [int(c[3]) for c in rows] == counts and {c[4] for c in rows} == {"complete"}


def test_sobol_indices_are_those_of_sobol_csv(tmp_path):
    _, out = make_sweep(tmp_path, "{type: sobol, samples: 4}", 4)
    html = (out / "report.html").read_text()
    sobol = pd.read_csv(out / "sobol.csv")
    table = re.search(r'<table class="sobol">(.*?)</table>', html, re.S).group(1)
    rows = [cells(r) for r in re.findall(r"<tr><td>.*?</tr>", table, re.S)]
    assert len(rows) == len(sobol) > 0
    for c, (_, r) in zip(rows, sobol.iterrows(), strict=True):
        assert c[:2] == [r.output, r.factor]
        for cell, k in zip(c[2:], ("S1", "S1_conf", "ST", "ST_conf"), strict=True):
            if pd.isna(r[k]):
                assert cell == "—"
            else:  # to the 3 figures shown; a factor without effect gives float noise (1e-15) that
                # the store's row order moves in its last digits
                assert math.isclose(float(cell), r[k], rel_tol=5e-3, abs_tol=1e-12), (k, cell, r[k])
