"""Attribution: each milestone's time split along its critical path, checked by hand and by property."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
from builders import build, mobilising
from conftest import ROOT
from typer.testing import CliRunner

import nukesim
from nukesim.attribution import COMPONENTS, attribution_rows, critical_path, critical_paths
from nukesim.cli import app
from nukesim.metrics import compute_metrics
from nukesim.scenario import load_scenario, milestone_names
from nukesim.sim import simulate

EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))


def rows_of(log, scenario, metric: str) -> dict[tuple[str, str], float]:
    return {(c, w): m for name, c, w, m in attribution_rows(log, scenario) if name == metric}


def channel(delay: float, **extra) -> dict:
    return {"delay": delay, **extra}


def chain_scenario(transit: object = 30, horizon: str = "1d"):
    """Class change at 10; plant 3 min; 2 min to the authority; 5 min there; 1 min to the office,
    where mobilise takes 4 and the deploy order (queued behind it) 50; the one member turns out in
    2 + 3 + 7 min; two vehicles load 4 min each, one after the other; 30 min of transit."""
    return build(
        accident={"site": "plant", "timeline": [{"at": 10, "class": "alert"}]},
        channels={"two": channel(2), "one": channel(1)},
        organisations={
            "plant": {"handlers": [{"on": "class_change", "time": 3,
                                    "send": [{"to": "authority", "kind": "notice"}]}]},
            "authority": {"handlers": [{"on": "notice", "time": 5,
                                        "send": [{"to": "office", "kind": "mobilise"},
                                                 {"to": "office", "kind": "deploy"}]}]},
            "office": {"staff": 1, "handlers": [{"on": "mobilise", "time": 4}, {"on": "deploy", "time": 50}]},
        },
        links=[{"from": "plant", "to": "authority", "channel": "two"},
               {"from": "authority", "to": "office", "channel": "one"}],
        authority={"mobilise": ["authority"], "deploy": ["authority"]},
        team={"organisation": "office", "callout": {"delay": 2}, "units": {"u": {"size": 1}},
              "members": {"all": {"share": 1.0, "acknowledge": 3, "travel": 7}},
              "vehicles": {"count": 2, "load": 4}, "transit": transit},
        horizon=horizon,
    )


def test_a_chain_is_split_into_its_links_exactly():
    s = chain_scenario()
    log = simulate(s, seed=1)
    assert rows_of(log, s, "team_on_site") == {
        ("class_wait", ""): 10.0, ("handling", "plant"): 3.0, ("transmission", "plant->authority"): 2.0,
        ("handling", "authority"): 5.0, ("transmission", "authority->office"): 1.0,
        ("handling", "office"): 4.0,
        ("callout", "u"): 12.0,  # call-out at 25, ready at 37
        ("loading", ""): 8.0,  # the vehicles were loaded at 41 and 45, after the unit
        ("deploy_wait", ""): 30.0,  # the order comes at 75: 4 min queued behind mobilise, 50 handling
        ("transit", ""): 30.0,
    }
    assert compute_metrics(log, s)["team_on_site"] == 105.0
    assert rows_of(log, s, "notified:office") == {
        ("class_wait", ""): 10.0, ("handling", "plant"): 3.0, ("transmission", "plant->authority"): 2.0,
        ("handling", "authority"): 5.0, ("transmission", "authority->office"): 1.0}


def test_steps_follow_each_other_from_zero_to_the_milestone():
    s = chain_scenario()
    steps = critical_path(simulate(s, seed=1), "team_departed", s)
    assert steps[0].start == 0.0 and steps[-1].end == 75.0
    assert all(a.end == b.start for a, b in zip(steps, steps[1:], strict=False))
    assert [x.component for x in steps if x.minutes] == ["class_wait", "handling", "transmission", "handling",
                                                           "transmission", "handling", "callout", "loading",
                                                           "deploy_wait"]


def test_queueing_for_staff_busy_with_other_work():
    # two handlers react to the class change at 10; the one person takes the 20-minute one first
    s = build(
        accident={"site": "plant", "timeline": [{"at": 10, "class": "alert"}]},
        channels={"one": channel(1)},
        organisations={
            "plant": {"staff": 1, "handlers": [{"on": "class_change", "time": 20},
                                               {"on": "class_change", "time": 5,
                                                "send": [{"to": "office", "kind": "mobilise"}]}]},
            "office": {"handlers": [{"on": "mobilise", "time": 4}]},
        },
        links=[{"from": "plant", "to": "office", "channel": "one"}],
        team={"organisation": "office", "units": {"u": {"size": 1}}, "members": {"all": {"share": 1.0}},
              "deploy": {"order": False}},
    )
    log = simulate(s, seed=1)
    assert rows_of(log, s, "callout_started") == {
        ("class_wait", ""): 10.0, ("queueing", "plant"): 20.0, ("handling", "plant"): 5.0,
        ("transmission", "plant->office"): 1.0, ("handling", "office"): 4.0}


def test_a_failed_transmission_with_a_fallback_counts_every_try_on_the_link():
    # flaky fails twice (noticed after 3 min each), then the backup takes 6 min: 12 min on the link
    s = build(
        accident={"site": "plant", "timeline": [{"at": 10, "class": "alert"}]},
        channels={"flaky": channel(1, fails=1.0, detect=3, retries=1), "backup": channel(6)},
        organisations={
            "plant": {"handlers": [{"on": "class_change", "time": 2,
                                    "send": [{"to": "office", "kind": "mobilise"}]}]},
            "office": {"handlers": [{"on": "mobilise", "time": 1}]},
        },
        links=[{"from": "plant", "to": "office", "channel": "flaky", "fallbacks": ["backup"]}],
        team={"organisation": "office", "units": {"u": {"size": 1}}, "members": {"all": {"share": 1.0}},
              "deploy": {"order": False}},
    )
    log = simulate(s, seed=1)
    assert [e.type for e in log if e.type in ("failed", "retried", "rerouted")] == [
        "failed", "retried", "failed", "rerouted"]
    assert rows_of(log, s, "notified:office") == {
        ("class_wait", ""): 10.0, ("handling", "plant"): 2.0, ("transmission", "plant->office"): 12.0}
    assert rows_of(log, s, "callout_started")[("handling", "office")] == 1.0


def test_holding_for_an_approval():
    # the mobilise order reaches hq at 10 and is held until the boss's approval arrives at 30
    s = build(
        accident={"site": "plant", "timeline": [{"at": 10, "class": "alert"}]},
        organisations={
            "plant": {"handlers": [{"on": "class_change", "send": [{"to": "hq", "kind": "mobilise"},
                                                                   {"to": "boss", "kind": "notice"}]}]},
            "boss": {"handlers": [{"on": "notice", "time": 20, "send": [{"to": "hq", "kind": "approval"}]}]},
            "hq": {"handlers": [{"on": "mobilise", "time": 5,
                                 "approval": {"from": "boss", "kind": "approval"}}]},
        },
        links=[{"from": a, "to": b, "channel": "instant"} for a, b in (("plant", "hq"), ("plant", "boss"),
                                                                       ("boss", "hq"))],
        team={"organisation": "hq", "units": {"u": {"size": 1}}, "members": {"all": {"share": 1.0}},
              "deploy": {"order": False}},
    )
    log = simulate(s, seed=1)
    assert rows_of(log, s, "callout_started") == {("class_wait", ""): 10.0, ("holding", "hq"): 20.0,
                                                  ("handling", "hq"): 5.0}


def test_holding_for_the_other_senders_of_a_wait_for():
    # a's report reaches hq at 1, b's at 5: hq's handler, waiting for both, holds a's from 1 to 5
    s = build(
        channels={"instant": channel(0), "one": channel(1), "five": channel(5)},
        organisations={
            "plant": {"handlers": [{"on": "class_change", "send": [{"to": "a", "kind": "notice"},
                                                                   {"to": "b", "kind": "notice"}]}]},
            "a": {"handlers": [{"on": "notice", "send": [{"to": "hq", "kind": "report"}]}]},
            "b": {"handlers": [{"on": "notice", "send": [{"to": "hq", "kind": "report"}]}]},
            "hq": {"handlers": [{"on": "report", "time": 3, "wait_for": {"from": ["a", "b"], "count": 2},
                                 "send": [{"to": "office", "kind": "mobilise"}]}]},
            "office": {"handlers": [{"on": "mobilise"}]},
        },
        links=[{"from": a, "to": b, "channel": ch} for a, b, ch in (
            ("plant", "a", "one"), ("plant", "b", "five"), ("a", "hq", "instant"), ("b", "hq", "instant"),
            ("hq", "office", "instant"))],
        authority={"mobilise": ["hq"], "deploy": ["hq"]},
        team={"organisation": "office", "units": {"u": {"size": 1}}, "members": {"all": {"share": 1.0}},
              "deploy": {"order": False}},
    )
    log = simulate(s, seed=1)
    assert rows_of(log, s, "callout_started") == {("transmission", "plant->a"): 1.0, ("holding", "hq"): 4.0,
                                                  ("handling", "hq"): 3.0}


def test_a_call_out_limited_by_one_unit_follows_its_last_needed_member():
    s = mobilising({"units": {"a": {"size": 1, "members": {"fast": 1.0}},
                              "b": {"size": 1, "members": {"slow": 1.0}}},
                    "members": {"fast": {"acknowledge": 1, "travel": 2},
                                "slow": {"acknowledge": 5, "travel": 10}},
                    "deploy": {"order": False}}, plant_time=4)
    log = simulate(s, seed=1)
    assert rows_of(log, s, "team_mobilized") == {("handling", "plant"): 4.0, ("callout", "b"): 15.0}
    assert rows_of(log, s, "unit_ready:a") == {("handling", "plant"): 4.0, ("callout", "a"): 3.0}
    assert rows_of(log, s, "team_departed") == rows_of(log, s, "team_mobilized")  # no vehicles, no order
    ready = [e for e in log if e.type == "unit_ready"]
    assert [(e.unit, e.actor) for e in ready] == [("a", "a/1"), ("b", "b/1")]
    team_ready = next(e for e in log if e.type == "team_ready")
    assert (team_ready.t, team_ready.unit) == (19.0, "b")


def test_a_missing_milestone_has_no_path_and_no_rows():
    s = chain_scenario(horizon="60m")  # ends before the deploy order at 75
    log = simulate(s, seed=1)
    paths = critical_paths(log, s)
    assert paths["team_departed"] is None and paths["team_on_site"] is None
    assert paths["team_mobilized"] is not None
    assert not rows_of(log, s, "team_departed")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_components_add_up_to_every_milestone_in_every_replication(path: Path):
    scenario, _ = load_scenario(path)
    for r in range(4):
        log = simulate(scenario, seed=11, replication=r)
        metrics = compute_metrics(log, scenario)
        for metric, steps in critical_paths(log, scenario).items():
            value = metrics[metric]
            if steps is None:
                assert math.isnan(value), metric
                continue
            assert abs(sum(s.minutes for s in steps) - value) <= 1e-9, (metric, r)
            assert steps[0].start == 0.0 and steps[-1].end == value
            assert all(s.minutes >= 0 and s.component in COMPONENTS for s in steps), metric
            assert all(a.end == b.start for a, b in zip(steps, steps[1:], strict=False)), metric


def test_explain_summarises_the_replications_with_missing_ones_counted():
    # the team leaves at 75; with 25 min left and a transit of mean 20, some runs end before arrival
    s = chain_scenario(transit={"dist": "exponential", "mean": 20}, horizon="100m")
    result = nukesim.replicate(s, n=40, seed=3, attribution=True)
    frame = nukesim.explain(result)
    assert set(frame["metric"]) <= set(milestone_names(s))
    on_site = frame[frame["metric"] == "team_on_site"]
    values = result.column("team_on_site")
    done = values[~np.isnan(values)]
    assert (on_site["n"] == len(done)).all() and (on_site["missing"] == 40 - len(done)).all()
    assert 0 < len(done) < 40
    # the means add up to the milestone's mean, the shares to one; largest first
    assert abs(on_site["mean"].sum() - done.mean()) < 1e-9
    assert abs(on_site["share"].sum() - 1.0) < 1e-9
    assert list(on_site["mean"]) == sorted(on_site["mean"], reverse=True)


def test_run_out_writes_attribution_csv_that_adds_up_to_replications_csv(tmp_path):
    out = tmp_path / "run"
    minimal = str(ROOT / "scenarios" / "minimal.yaml")
    result = CliRunner().invoke(app, ["run", minimal, "-n", "5", "--seed", "2", "--workers", "1",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out / "attribution.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["replication", "metric", "component", "where", "minutes"]
    totals: dict[tuple[int, str], float] = {}
    for row in rows:
        assert row["component"] in COMPONENTS and float(row["minutes"]) != 0
        key = (int(row["replication"]), row["metric"])
        totals[key] = totals.get(key, 0.0) + float(row["minutes"])
    with open(out / "replications.csv", newline="") as fh:
        for rep in csv.DictReader(fh):
            for metric in ("callout_started", "team_on_site", "notified:team_office"):
                value = float(rep[metric]) if rep[metric] else math.nan
                got = totals.get((int(rep["replication"]), metric), 0.0 if value == 0 else math.nan)
                assert got == pytest.approx(value, abs=1e-9, nan_ok=True), (rep["replication"], metric)


def test_explain_on_the_command_line_prints_the_largest_component_first():
    minimal = str(ROOT / "scenarios" / "minimal.yaml")
    result = CliRunner().invoke(app, ["explain", minimal, "-m", "callout_started", "-n", "30",
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("│")]
    components = [line.split("│")[1].strip() for line in lines]
    assert components[0] == "class_wait" and set(components) <= set(COMPONENTS)
    bad = CliRunner().invoke(app, ["explain", minimal, "-m", "notified:nobody"])
    assert bad.exit_code == 2 and "notified:nobody" in bad.output


def test_the_attribution_is_the_same_whatever_the_number_of_workers():
    scenario, _ = load_scenario(ROOT / "scenarios" / "minimal.yaml")
    one = nukesim.replicate(scenario, n=8, seed=4, workers=1, attribution=True)
    two = nukesim.replicate(scenario, n=8, seed=4, workers=2, attribution=True)
    assert one.attribution == two.attribution and len(one.attribution) == 8
    assert nukesim.explain(one).equals(nukesim.explain(two))
