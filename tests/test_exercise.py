"""Exercises end to end: scripted players, injects on conditions, scores, the report, validation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nukesim.api import load
from nukesim.cli import app
from nukesim.events import PLAYER_ACTED
from nukesim.exercise import run_exercise
from nukesim.exercise.director import Director
from nukesim.exercise.load import load_exercise
from nukesim.exercise.scoring import percentile_rank, rating
from nukesim.metrics import compute_metrics
from nukesim.sim import simulate

FILES = Path(__file__).parent / "exercise_files"
CHAIN = FILES / "chain_exercise.yaml"


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    out = tmp_path_factory.mktemp("chain")
    return run_exercise(CHAIN, speed=None, out=out), out


def test_a_scripted_exercise_scores_against_hand_computed_values(played):
    result, _ = played
    scenario = load(FILES / "chain.yaml")
    # the plant's handling time is the only draw; the office (played) takes 25 min, doctrine 10 min
    notice = [compute_metrics(simulate(scenario, 5, r), scenario)["notified:office"] for r in range(40)]
    value = notice[0] + 25
    doctrine = np.array(notice) + 10
    expected = 100 * (np.sum(doctrine < value) + 0.5 * np.sum(doctrine == value)) / 40
    call_out, ready = result.score.objectives
    assert call_out.value == pytest.approx(value) and not call_out.met  # target 30 min
    assert call_out.percentile == pytest.approx(expected)
    assert call_out.counterfactual == pytest.approx(notice[0] + 10)
    assert (call_out.rating, ready.rating) == (rating(value, expected)[0],) * 2
    # members acknowledge in 1 min and travel 10: ready 11 min after the call-out, in every run
    assert ready.value == pytest.approx(value + 11) and ready.met
    assert ready.doctrine_p50 == pytest.approx(float(np.quantile(doctrine + 11, 0.5, method="inverted_cdf")))
    by_metric = {m.metric: m for m in result.score.milestones}
    assert by_metric["callout_started"].difference == pytest.approx(15.0)


def test_conditional_injects_come_when_their_condition_is_seen(played):
    result, out = played
    entries = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines()]
    header, rest = entries[0], entries[1:]
    assert header["seed"] == 5 and len(header["exercise_sha256"]) == 64
    notice = next(e.t for e in result.log if e.type == "received" and e.org == "office")
    injects = [(e["number"], e["t"]) for e in rest if e["entry"] == "inject"]
    assert injects == [(1, pytest.approx(notice + 5)), (2, pytest.approx(notice + 7))]
    actions = [e for e in rest if e["entry"] == "action"]
    assert [(a["verb"], a["to"], a["kind"]) for a in actions] == [("send", "team_office", "mobilise")]
    assert rest[-1]["entry"] == "end"


def test_the_after_action_report_has_the_hseep_sections_and_derived_findings(played):
    _, out = played
    md = (out / "aar.md").read_text()
    for section in (
        "## 1. Overview",
        "## 2. Timeline",
        "## 3. Objectives",
        "## 4. Strengths",
        "## 5. Areas for improvement",
        "## 6. Improvement plan",
    ):
        assert section in md
    # the rumour (inject 2) reached the team office at the same time in both runs; the players lost
    # their 15 min after it, on the way to the call-out: said in those words
    assert "Between notified:team_office and callout_started the players lost 15.0m" in md
    assert "inject 1 (surge)" in md and "sends mobilise to team_office" in md
    html = (out / "aar.html").read_text()
    assert html.count("<svg") == 2 and "Improvement plan" in html
    assert 'src="http' not in html and 'href="http' not in html  # self-contained
    assert (out / "events.csv").read_text().startswith("replication,t,type")
    score = json.loads((out / "score.json").read_text())
    assert [o["rating"] for o in score["objectives"]] == ["M", "M"]


def test_percentile_rank_and_ratings_follow_their_definitions():
    d = np.array([1.0, 2.0, 2.0, 3.0, math.nan])
    assert percentile_rank(d, 2.0) == pytest.approx(100 * (1 + 0.5 * 2) / 5)
    assert percentile_rank(d, 0.5) == 0.0
    assert percentile_rank(d, math.nan) == pytest.approx(100 * (4 + 0.5) / 5)  # missing ties with missing
    assert [rating(1.0, p)[0] for p in (0, 50, 50.1, 80, 80.1, 100)] == ["P", "P", "S", "S", "M", "M"]
    assert rating(math.nan, 0)[0] == "U"


def test_controllers_release_early_and_postpone_keeping_the_spacing():
    exercise, _, _ = load_exercise(FILES / "chain_exercise.yaml")
    timed = exercise.model_copy(
        update={
            "msel": [
                exercise.msel[0].model_copy(update={"at": 30.0, "when": None, "delay": 0.0, "number": 1}),
                exercise.msel[0].model_copy(update={"at": 50.0, "when": None, "delay": 0.0, "number": 2}),
            ]
        }
    )
    director = Director(timed)
    director.postpone(15)
    assert director.due == {1: 45.0, 2: 65.0}
    assert director.next_to_release() == 1
    director.release(1, 10.0)
    assert director.next_due() == (10.0, 1)


def test_doctrine_players_give_the_scenarios_own_run(tmp_path):
    result = run_exercise(CHAIN, player="doctrine", speed=None, out=tmp_path, replications=10)
    assert not [e for e in result.log if e.type == PLAYER_ACTED]
    assert result.score.objectives[0].value == pytest.approx(result.score.objectives[0].counterfactual)


def test_validate_accepts_exercises_and_locates_their_mistakes(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(app, ["validate", str(CHAIN)])
    assert ok.exit_code == 0 and "exercise 'Chain drill'" in ok.output
    bad = tmp_path / "bad.yaml"
    text = CHAIN.read_text().replace("scenario: chain.yaml", f"scenario: {FILES / 'chain.yaml'}")
    bad.write_text(
        text.replace("played: [office]", "played: [ofice]").replace(
            "inject: {type: surge, organisation: office", "inject: {type: surge, organisation: offfice"
        )
    )
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert any(
        f"{bad}:4:" in line and "played.0: unknown organisation 'ofice'; did you mean 'office'?" in line
        for line in lines
    ), result.output
    assert any("msel.0.inject.organisation: unknown organisation 'offfice'" in line for line in lines)


def test_every_example_exercise_validates():
    runner = CliRunner()
    files = sorted(str(p) for p in Path("scenarios/exercises").glob("*.yaml"))
    result = runner.invoke(app, ["validate", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok") == len(files)
    assert result.output.count(": ok — exercise") >= 4 and result.output.count(": ok — player script") >= 4


def test_a_scenario_given_as_an_exercise_is_named_for_what_it_is():
    result = CliRunner().invoke(app, ["exercise", "scenarios/minimal.yaml"])
    assert result.exit_code == 2
    assert "this is a scenario file, not an exercise" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_journal_cut_mid_line_by_a_crash_loses_only_that_line(tmp_path):
    from nukesim.exercise.journal import Journal, JournalError, read_journal

    path = tmp_path / "j.jsonl"
    journal = Journal(path, {"seed": 1})
    journal.write({"t": 1.5, "entry": "inject", "number": 1})
    journal.close()
    with open(path, "a") as fh:
        fh.write('{"t": 2.0, "entry": "act')  # the power went off here
    header, entries = read_journal(path)
    assert header["seed"] == 1 and entries == [{"t": 1.5, "entry": "inject", "number": 1}]
    path.write_text('{"t": 1}\n')
    with pytest.raises(JournalError, match="not an exercise journal"):
        read_journal(path)
