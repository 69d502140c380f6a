"""End to end: the report renders in a real browser (headless Chromium, no network), without errors.

The screenshot is kept as a test artefact: in ``$NUKESIM_TEST_ARTEFACTS`` or ``test-artefacts/``
at the repository root (its path is printed; ``pytest -s`` shows it).
"""

import os
import shutil
from pathlib import Path

import pytest
from browser import find_chromium, render
from conftest import ROOT, SCENARIOS
from typer.testing import CliRunner

from nukesim.cli import app

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian package 'chromium'; "
                       ".ci/run installs it)"),
]
ARTEFACTS = Path(os.environ.get("NUKESIM_TEST_ARTEFACTS", ROOT / "test-artefacts"))

# what the browser laid out: every section, and each figure's drawing with a real size
LAYOUT = """JSON.stringify({
  sections: [...document.querySelectorAll('section, header')].map(s => s.id),
  figures: [...document.querySelectorAll('figure svg')].map(s => {
    const r = s.getBoundingClientRect(); return [s.closest('figure').id, r.width, r.height]; }),
  title: document.title})"""


def test_browser_reports_console_errors_and_failed_loads(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><p>x</p><script>console.error("deliberate")</script>'
                    '<img src="missing.png">')
    problems, _ = render(CHROMIUM, page, tmp_path / "profile")
    assert any("deliberate" in p for p in problems)
    assert any("missing.png" in p or "ERR_FILE_NOT_FOUND" in p for p in problems)


def test_report_renders_in_chromium_without_errors(tmp_path):
    import json

    import matplotlib.image

    scenario = tmp_path / "china.yaml"
    shutil.copy(SCENARIOS / "china_national_team.yaml", scenario)
    out = tmp_path / "china"
    result = CliRunner().invoke(app, ["run", str(scenario), "-n", "200", "--out", str(out), "--report"])
    assert result.exit_code == 0, result.output
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "report.png"
    problems, layout = render(CHROMIUM, out / "report.html", tmp_path / "profile", shot, LAYOUT)
    print(f"\nscreenshot of the report: {shot}")
    assert problems == []
    layout = json.loads(layout)
    assert layout["title"].startswith("nukesim report")
    for section in ("provenance", "objectives", "kpi", "attribution", "mobilisation", "members",
                    "notification", "timeline", "graph"):
        assert section in layout["sections"]
    drawn = {fig: (w, h) for fig, w, h in layout["figures"]}
    assert set(drawn) == {"fig-attribution", "fig-mobilisation", "fig-members", "fig-notification",
                          "fig-timeline", "fig-graph"}
    assert all(w > 300 and h > 150 for w, h in drawn.values()), drawn
    image = matplotlib.image.imread(shot)
    assert image.shape[1] == 1200 and image.shape[0] > 3000
    assert image[..., :3].std() > 0.05  # not a blank page



def test_sweep_report_renders_in_chromium_without_errors(tmp_path):
    import json

    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(f"scenario: {SCENARIOS / 'minimal.yaml'}\nfactors:\n"
                     "  - {name: vehicles, path: team.vehicles.count, values: [1, 3]}\n"
                     "  - {name: fails, path: channels.phone.fails, values: [0.0, 0.4]}\n"
                     "replications: 10\n")
    out = tmp_path / "sweep"
    result = CliRunner().invoke(app, ["sweep", str(sweep), "--out", str(out), "--workers", "1", "--report"])
    assert result.exit_code == 0, result.output
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTEFACTS / "sweep-report.png"
    problems, layout = render(CHROMIUM, out / "report.html", tmp_path / "profile", shot, LAYOUT)
    print(f"\nscreenshot of the sweep report: {shot}")
    assert problems == []
    layout = json.loads(layout)
    assert layout["title"].startswith("nukesim sweep report")
    for section in ("provenance", "factors", "points", "best-worst", "plots", "objectives", "metrics"):
        assert section in layout["sections"]
    drawn = {fig: (w, h) for fig, w, h in layout["figures"]}
    assert set(drawn) == {"fig-metric-vs-vehicles", "fig-metric-vs-fails", "fig-heatmap"}
    assert all(w > 150 and h > 100 for w, h in drawn.values()), drawn
