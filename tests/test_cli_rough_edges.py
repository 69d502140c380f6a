"""What a new user tripped over (issue 14): pipes, help, --version, the API's defaults."""

import json
import re
import subprocess
import sys
import warnings

import pytest
from conftest import SCENARIOS
from typer.testing import CliRunner

import nukesim
from nukesim.cli import app

MINIMAL = str(SCENARIOS / "minimal.yaml")
CHINA = str(SCENARIOS / "china_national_team.yaml")


@pytest.mark.parametrize("args", [["graph", CHINA], ["timeline", CHINA],
                                  ["run", MINIMAL, "-n", "4", "--json"]])
def test_a_reader_that_stops_reading_ends_the_command_quietly_as_sigpipe_would(args):
    proc = subprocess.Popen([sys.executable, "-m", "nukesim", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # `… | head` that has read enough
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert err == ""
    assert proc.returncode == 141  # 128 + SIGPIPE, what `yes | head` gives under pipefail


def test_version_prints_the_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"nukesim {nukesim.__version__}"


def test_run_help_shows_the_default_replications_and_no_type_beside_flags():
    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    text = result.stdout
    assert "[default: 200; with --precision, the most, default 100,000]" in text
    assert "<bool>" not in text
    assert re.search(r"--set\s+-s\s+PATH=VALUE", text)


def test_the_api_with_its_defaults_gives_the_numbers_of_the_command_line_with_its_defaults():
    cli = CliRunner().invoke(app, ["run", MINIMAL, "-n", "24", "--json"])
    assert cli.exit_code == 0, cli.output
    api = nukesim.replicate(nukesim.load(MINIMAL), 24).summary().to_dict()
    assert json.loads(cli.stdout) == json.loads(json.dumps(api))
    scenario = nukesim.load(MINIMAL)
    one, first = nukesim.simulate(scenario), nukesim.replicate(scenario, 1)  # replication 0 of seed 1
    assert [one.metrics[name] for name in first.names] == pytest.approx(list(first.values[0]), nan_ok=True)


def test_summary_to_json_is_a_deprecated_name_for_to_dict():
    summary = nukesim.replicate(nukesim.load(MINIMAL), 3, workers=1).summary()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert summary.to_json() == summary.to_dict()
    assert caught and issubclass(caught[0].category, DeprecationWarning)


def test_the_timeline_prints_the_call_out_before_the_members_it_pages_at_the_same_instant():
    from nukesim.timeline import format_timeline

    scenario = nukesim.load(MINIMAL, ["team.callout.delay=0"])  # members paged at the call-out's instant
    rows = format_timeline(nukesim.simulate(scenario).events, scenario)
    callout = next(i for i, r in enumerate(rows) if r[2] == "starts the call-out")
    paged = next(i for i, r in enumerate(rows) if r[2].endswith("members paged"))
    assert rows[callout][0] == rows[paged][0] and callout < paged


def test_the_ci_of_a_mean_of_values_that_cannot_be_negative_starts_at_zero_at_the_lowest():
    import numpy as np

    from nukesim.stats import mean_ci

    low, high = mean_ci(np.array([0.0] * 99 + [0.5]))
    assert low == 0.0 and high > 0.005
    assert mean_ci(np.array([-1.0, 0.0, 1.0]))[0] < 0  # a difference can be negative


def test_an_objective_that_rounds_to_its_target_is_shown_precisely_enough_to_see_why():
    from nukesim.cli import _objective_table
    from nukesim.runner import Summary
    from nukesim.stats import ObjectiveResult

    o = ObjectiveResult("Ready in 2 h", "team_mobilized", "p90", 120.0, 120.4, (118.0, 125.3), False, False)
    table = _objective_table(Summary("s", 1, 100, {}, [o]))
    cells = [str(c._cells[0]) for c in table.columns]
    assert cells[3:6] == ["2h00.00m", "2h00.40m", "1h58.00m – 2h05.30m"]  # 2h00m would hide it


def test_compare_reports_the_difference_of_shares_done_and_each_variants_objectives():
    result = CliRunner().invoke(app, ["compare", MINIMAL, "--set-b", "start=2026-03-16T03:00:00+08:00",
                                      "-n", "200", "--json", "--workers", "1"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    team = next(d for d in doc["differences"] if d["metric"] == "team_mobilized")
    # paired share: (done in B) − (done in A), from the missing counts of the same 200 runs
    assert team["done_diff"] == pytest.approx((team["missing_a"] - team["missing_b"]) / 200)
    low, high = team["done_diff_ci95"]
    assert low < team["done_diff"] < high < 0  # at night fewer runs mobilise, clearly
    (objective,) = doc["objectives"]
    assert objective["b"]["met"] is False and objective["b"]["decided"] is True


def test_the_p90_difference_has_an_interval_when_a_few_runs_are_missing():
    import numpy as np

    from nukesim.stats import censored_percentile, paired_percentile_diff_ci

    rng = np.random.default_rng(3)
    x = rng.exponential(10, 400)
    y = x + 5
    x[:24], y[:32] = np.nan, np.nan  # 6 % and 8 % missing: the p90 is defined in both

    def point(x, y):
        return censored_percentile(y, 90) - censored_percentile(x, 90)

    low, high = paired_percentile_diff_ci(x, y, 90, seed=1)
    assert np.isfinite(low) and low <= point(x, y) <= high  # B near its censored tail: high may be +inf
    x, y = x[24:], y[24:]  # 0 % and 2 % missing
    low, high = paired_percentile_diff_ci(x, y, 90, seed=1)
    assert np.isfinite(high) and low <= point(x, y) <= high
