"""Sweeps: designs, located errors, the same numbers as `run` at every point, the store."""

from __future__ import annotations

import math
import textwrap
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from conftest import SCENARIOS
from typer.testing import CliRunner

from nukesim.cli import app
from nukesim.runner import LocalExecutor, replicate, replicate_to_precision
from nukesim.scenario import ScenarioError
from nukesim.sweep import load_sweep
from nukesim.sweep.design import design_size
from nukesim.sweep.execute import prepare, run_sweep
from nukesim.sweep.spec import load_sweep_file
from nukesim.sweep.store import Store

MINIMAL = SCENARIOS / "minimal.yaml"


def sweep_file(tmp_path, body: str, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(f"scenario: {MINIMAL}\n" + textwrap.dedent(body))
    return path


def run(path, store_path, workers: int = 1, resume: bool = False, replications: int | None = None):
    prepared = prepare(path, replications)
    store = Store(store_path)
    executor = LocalExecutor(workers)
    try:
        return run_sweep(prepared, store, executor, resume=resume)
    finally:
        executor.close()
        store.close()


# --- designs -------------------------------------------------------------------------------------

FACTORS = """
factors:
  - {name: a, path: team.vehicles.count, values: [1, 2, 3]}
  - {name: b, path: channels.phone.fails, range: {low: 0.0, high: 0.4, steps: 5}}
  - {name: c, path: team.vehicles.loaders, range: {low: 1, high: 8, log: true, integer: true, steps: 4}}
"""


@pytest.mark.parametrize("design, size", [
    ("{type: grid}", 3 * 5 * 4),
    ("{type: lhs, points: 17, seed: 3}", 17),
    ("{type: random, points: 9}", 9),
    ("{type: sobol, samples: 8}", 8 * (3 + 2)),
    ("{type: sobol, samples: 4, second_order: true}", 4 * (2 * 3 + 2)),
    ("{type: morris, samples: 5, levels: 4}", 5 * (3 + 1)),
])
def test_design_sizes(tmp_path, design, size):
    path = sweep_file(tmp_path, FACTORS + f"design: {design}\nreplications: 2\n")
    prepared = prepare(path)
    assert len(prepared.design.rows) == size == design_size(prepared.file)
    assert prepared.file.sweep.factors[2].levels() == [1, 2, 4, 8]  # log-spaced, rounded


def test_one_at_a_time_moves_one_factor_from_the_base(tmp_path):
    path = sweep_file(tmp_path, FACTORS + "design: {type: oat}\nreplications: 2\n")
    prepared = prepare(path)
    base = prepared.design.rows[0]
    assert base == {"a": 2, "b": 0.1, "c": 2}  # the minimal scenario's own values
    # every level that differs from the base, one factor at a time: 2 + 4 + 3
    assert len(prepared.design.rows) == 1 + 2 + 4 + 3
    assert [r["b"] for r in prepared.design.rows[3:7]] == [0.0, 0.2, 0.3, 0.4]
    for row, changed in zip(prepared.design.rows[1:], prepared.design.changed[1:], strict=True):
        assert [f for f in row if row[f] != base[f]] == [changed]


def test_latin_hypercube_puts_one_point_in_each_stratum(tmp_path):
    path = sweep_file(tmp_path, FACTORS + "design: {type: lhs, points: 10, seed: 1}\nreplications: 2\n")
    unit = prepare(path).design.unit
    for column in unit.T:
        assert sorted(np.floor(column * 10).astype(int)) == list(range(10))


def test_wallclock_factors_move_the_start_in_its_own_time_zone(tmp_path):
    path = sweep_file(tmp_path, """
        factors:
          - {name: hour, wallclock: hour, values: [3, "21:30"]}
          - {name: day, wallclock: weekday, values: [sun]}
        replications: 2
        """)
    starts = sorted(s.start for s in prepare(path).scenarios.values())
    tz = timezone(timedelta(hours=8))  # minimal.yaml starts Monday 2026-03-16 10:00 +08:00
    assert starts == [datetime(2026, 3, 22, 3, 0, tzinfo=tz), datetime(2026, 3, 22, 21, 30, tzinfo=tz)]
    dated = sweep_file(tmp_path, """
        factors:
          - {name: day, wallclock: date, values: [2026-10-01]}
        replications: 2
        """, "d.yaml")
    (start,) = [s.start for s in prepare(dated).scenarios.values()]
    assert start == datetime(2026, 10, 1, 10, 0, tzinfo=tz)


# --- located errors ----------------------------------------------------------------------------------


def validate_output(path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_an_override_that_does_not_apply_is_reported_at_the_sweep_files_line(tmp_path):
    path = sweep_file(tmp_path, """
        set:
          team.vehicles.count: 3
        factors:
          - name: fails
            path: channels.phone.fials
            values: [0.1, 0.2]
        """)
    code, out = validate_output(path)
    assert code == 2
    assert out.strip() == (f"{path}:7:11: channels.phone.fials: no field 'fials' here; did you mean 'fails'?")


def test_a_value_the_scenario_refuses_is_reported_at_the_factor(tmp_path):
    path = sweep_file(tmp_path, """
        factors:
          - name: fails
            path: channels.*.fails
            values: [0.1, 1.5]
        """)
    code, out = validate_output(path)
    assert code == 2
    # '*' reaches every channel: one line per channel, each at the factor's path
    assert out.splitlines() == [f"{path}:5:11: channels.{c}.fails: Input should be less than or equal to 1 "
                                "(got 1.5)" for c in ("phone", "radio")]


def test_sweep_file_fields_are_checked_with_their_place(tmp_path):
    path = sweep_file(tmp_path, """
        factors:
          - {name: a, path: team.vehicles.count, values: [1, 2]}
        design: {type: sobol, samples: 6}
        replicatons: 3
        """)
    with pytest.raises(ScenarioError) as exc:
        load_sweep_file(path)
    lines = str(exc.value).splitlines()
    assert lines[0].startswith(f"{path}:5:9: design: a Sobol design needs 'samples' a power of two")
    assert lines[1] == f"{path}:6:14: replicatons: unknown field 'replicatons'; did you mean 'replications'?"


def test_discovery_without_its_optional_package_is_refused_at_its_line_before_any_run(tmp_path, monkeypatch):
    import importlib.util

    text = """
        factors:
          - {name: a, path: team.vehicles.count, values: [1, 2]}
        discovery:
          - {metric: team_on_site, within: 3h}
        """
    assert load_sweep_file(sweep_file(tmp_path, text)).sweep.discovery  # installed here (the test extra)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ema_workbench" else real(name, *a))
    path = sweep_file(tmp_path, text)
    with pytest.raises(ScenarioError) as exc:
        load_sweep_file(path)
    assert str(exc.value).startswith(f"{path}:6:3: discovery: PRIM scenario discovery needs the optional "
                                     "package ema_workbench")
    assert "pip install 'nukesim[discovery]'" in str(exc.value)


def test_a_base_override_problem_is_located_in_the_set_block(tmp_path):
    path = sweep_file(tmp_path, """
        set:
          team.vehicles.count: -1
        factors:
          - {name: a, path: channels.phone.fails, values: [0.1]}
        """)
    code, out = validate_output(path)
    assert code == 2
    assert out.startswith(f"{path}:4:24: team.vehicles.count: Input should be greater than or equal to 0")


# --- the same numbers as run, common random numbers, the store --------------------------------------

GRID = """
factors:
  - {name: vehicles, path: team.vehicles.count, values: [1, 4]}
  - {name: fails, path: channels.phone.fails, values: [0.0, 0.3]}
replications: 24
"""


def test_every_point_gives_what_run_gives_with_the_same_seed(tmp_path):
    path = sweep_file(tmp_path, GRID)
    result = run(path, tmp_path / "a.sqlite", workers=2)
    prepared = result.prepared
    for key, scenario in prepared.scenarios.items():
        ref = replicate(scenario, 24, seed=1)
        cols = [ref.names.index(m) for m in prepared.metrics]
        assert np.array_equal(ref.values[:, cols], result.values[key], equal_nan=True)
    import nukesim

    frame = nukesim.load_sweep(tmp_path / "a.sqlite")
    assert len(frame) == 4 * 24 and set(frame["vehicles"]) == {1, 4}
    one = run(path, tmp_path / "b.sqlite", workers=1)
    assert all(np.array_equal(one.values[k], result.values[k], equal_nan=True) for k in one.values)


def test_a_factor_that_cannot_act_on_a_metric_has_exactly_zero_effect(tmp_path):
    """Common random numbers: vehicles do not change notification times, to the last bit."""
    from nukesim.sweep.analysis import analyse

    path = sweep_file(tmp_path, """
        factors:
          - {name: vehicles, path: team.vehicles.count, values: [1, 6]}
          - {name: fails, path: channels.phone.fails, values: [0.5]}
        design: {type: oat}
        replications: 30
        objectives:
          - {name: authority, metric: "notified:authority", statistic: p90, target: 30m}
        """)
    a = analyse(run(path, tmp_path / "s.sqlite"))
    by = {(r["factor"], r["value"]): r for r in a.oat}
    vehicles = by[("vehicles", 1)]
    assert (vehicles["mean_diff"], vehicles["ci_low"], vehicles["ci_high"]) == (0.0, 0.0, 0.0)
    fails = by[("fails", 0.5)]
    assert fails["ci_low"] > 0, "a phone failing half the time must delay the authority"


def test_precision_per_point_stops_where_run_precision_stops(tmp_path):
    path = sweep_file(tmp_path, """
        factors:
          - {name: fails, path: channels.phone.fails, values: [0.0, 0.4]}
        precision: {target: 4%, max: 400, batch: 20}
        """)
    result = run(path, tmp_path / "p.sqlite", workers=2)
    for key, scenario in result.prepared.scenarios.items():
        ref, _ = replicate_to_precision(scenario, 0.04, seed=1, batch=20, max_replications=400)
        assert len(result.values[key]) == len(ref) > 20
        cols = [ref.names.index(m) for m in result.prepared.metrics]
        assert np.array_equal(ref.values[:, cols], result.values[key], equal_nan=True)


def test_writes_are_idempotent_per_point_and_replication(tmp_path):
    store = Store(tmp_path / "s.sqlite")
    rows = np.array([[1.0, math.nan], [2.0, 3.0]])
    store.put("p", [0, 1], rows)
    store.put("p", [0, 1], rows + 10)  # the same batch run again (e.g. by Dask): ignored
    got = store.rows("p")
    assert sorted(got) == [0, 1] and got[1].tolist() == [2.0, 3.0] and math.isnan(got[0][1])


def test_extending_a_finished_sweep_runs_only_the_new_work(tmp_path):
    path = sweep_file(tmp_path, GRID)
    db = tmp_path / "s.sqlite"
    first = run(path, db)
    assert first.ran == 4 * 24
    assert run(path, db, resume=True).ran == 0
    more = run(path, db, resume=True, replications=30)
    assert more.ran == 4 * 6
    path.write_text(path.read_text().replace("values: [1, 4]", "values: [1, 4, 8]"))
    wider = run(path, db, resume=True, replications=30)
    assert wider.ran == 2 * 30
    fresh = run(path, tmp_path / "fresh.sqlite", replications=30)
    assert all(np.array_equal(fresh.values[k], wider.values[k], equal_nan=True) for k in fresh.values)


def test_resuming_against_a_changed_file_is_refused_saying_what_changed(tmp_path):
    path = sweep_file(tmp_path, GRID)
    db = tmp_path / "s.sqlite"
    run(path, db)
    with pytest.raises(ScenarioError, match="already holds results: give --resume"):
        run(path, db)
    path.write_text(path.read_text().replace("channels.phone.fails", "channels.radio.fails") + "seed: 9\n")
    with pytest.raises(ScenarioError) as exc:
        run(path, db, resume=True)
    message = str(exc.value)
    assert "the seed changed (1 → 9)" in message
    assert "factor 'fails' now sets ['channels.radio.fails'] (was ['channels.phone.fails'])" in message


# --- analysis ------------------------------------------------------------------------------------------

SENSITIVITY = """
factors:
  - {name: vehicles, path: team.vehicles.count, range: {low: 1, high: 8, integer: true}}
  - {name: fails, path: channels.phone.fails, range: {low: 0.0, high: 0.6}}
design: DESIGN
replications: 12
objectives:
  - {name: authority, metric: "notified:authority", statistic: p90, target: 30m}
"""


@pytest.mark.parametrize("design, inert, active", [
    ("{type: morris, samples: 4, levels: 4, seed: 2}", {"mu_star": 0.0, "sigma": 0.0}, "mu_star"),
    ("{type: sobol, samples: 4, seed: 2}", {"S1": 0.0, "ST": 0.0}, "ST"),
])
def test_indices_of_a_factor_that_cannot_act_are_exactly_zero(tmp_path, design, inert, active):
    """Vehicles cannot change when the authority is notified: on common random numbers every
    elementary effect and every Sobol difference of theirs is exactly 0; the phone's is not."""
    from nukesim.sweep.analysis import analyse

    a = analyse(run(sweep_file(tmp_path, SENSITIVITY.replace("DESIGN", design)), tmp_path / "s.sqlite"))
    rows = a.morris or a.sobol
    by = {r["factor"]: r for r in rows if r["output"] == "notified:authority"}
    assert {k: by["vehicles"][k] for k in inert} == inert
    assert by["fails"][active] > 0
    share = {r["factor"]: r for r in rows if r["output"] == "within 30m:notified:authority"}
    assert share["vehicles"][active] == 0.0


def test_the_cli_writes_the_analysis_and_resumes_with_nothing_to_do(tmp_path):
    path = sweep_file(tmp_path, """
        factors:
          - {name: vehicles, path: team.vehicles.count, values: [1, 3]}
          - {name: fails, path: channels.phone.fails, values: [0.0, 0.3]}
        replications: 10
        """)
    out = tmp_path / "out"
    first = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--workers", "1", "--parquet"])
    assert first.exit_code == 0, first.output
    assert "store: " in first.output and "(40 replications run now)" in first.output
    for name in ("points.csv", "objectives.csv", "results.csv", "analysis.json", "heatmap.svg",
                 "metric_vs_vehicles.svg", "metric_vs_fails.svg"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "heatmap.svg").read_text().lstrip().startswith("<?xml")
    import pandas as pd

    points = pd.read_csv(out / "points.csv")
    frame = load_sweep(out / "sweep.sqlite")
    row = points[(points.vehicles == 3) & (points.fails == 0.3) & (points.metric == "team_mobilized")].iloc[0]
    values = frame[(frame.vehicles == 3) & (frame.fails == 0.3)]["team_mobilized"]
    assert row["n"] + row["missing"] == 10 and row["mean"] == pytest.approx(values.mean())
    assert pd.read_parquet(out / "results.parquet").equals(pd.read_csv(out / "results.csv"))
    (out / "sobol.svg").write_text("from another design")
    again = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out), "--resume"])
    assert again.exit_code == 0 and "(0 replications run now)" in again.output
    assert not (out / "sobol.svg").exists() and not (out / "results.parquet").exists()
    assert (out / "sweep.sqlite").exists()
    refused = CliRunner().invoke(app, ["sweep", str(path), "--out", str(out)])
    assert refused.exit_code == 2 and "give --resume" in refused.output


def test_a_store_that_cannot_be_opened_says_why_and_where(tmp_path):
    garbage = tmp_path / "sweep.sqlite"
    garbage.write_bytes(b"not a database, but a file of the same name " * 100)
    with pytest.raises(ScenarioError, match="not a sweep store") as caught:
        Store(garbage)
    assert str(garbage) in str(caught.value.problems[0])
    nowhere = tmp_path / "no such folder" / "sweep.sqlite"  # as on a read-only or missing medium
    with pytest.raises(ScenarioError, match="cannot write to the sweep store"):
        Store(nowhere)
