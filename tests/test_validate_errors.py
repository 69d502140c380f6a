"""`nukesim validate` tells a user exactly where their file is wrong, and never shows a traceback.

Each file in ``tests/broken/`` is a small scenario broken in one way. For each we pin the file,
line, column, field path and the words of the message, and exit code 2. Files that must not be
committed (a 50 MB file, binary garbage, non-UTF-8 text) are written into ``tmp_path``.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nukesim.cli import app

ROOT = Path(__file__).resolve().parents[1]
BROKEN = ROOT / "tests" / "broken"
SCENARIOS = ROOT / "scenarios"


def validate(*files: Path):
    result = CliRunner().invoke(app, ["validate", *map(str, files)])
    text = result.output  # stdout and stderr, interleaved
    assert "Traceback" not in text
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result, text


def problem_lines(text: str, file: Path) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(f"{file}:")]


# (file, line, column — None where it says nothing useful —, field path, words of the message)
CASES = [
    ("unknown_org_send", 21, 21, "organisations.plant.handlers.0.send.0.to",
     ["unknown organisation 'provnce'", "did you mean 'province'?"]),
    ("unknown_org_link", 37, 12, "links.0.from",
     ["unknown organisation 'plnt'", "did you mean 'plant'?"]),
    ("unknown_org_authority", 40, 14, "authority.mobilise.0",
     ["unknown organisation 'provnce'", "did you mean 'province'?"]),
    ("unknown_org_site", 7, 9, "accident.site",
     ["unknown organisation 'plnat'", "did you mean 'plant'?"]),
    ("unknown_channel", 38, 48, "links.1.channel",
     ["unknown channel 'phnoe'", "did you mean 'phone'?"]),
    ("unknown_class", 10, 24, "accident.timeline.1.class",
     ["unknown class 'emergncy'", "did you mean 'emergency'?"]),
    ("unknown_unit", 52, 20, "team.deploy.units.0",
     ["unknown unit 'responder'", "did you mean 'responders'?"]),
    ("unknown_metric", 53, 27, "objectives.0.metric",
     ["unknown metric 'team_mobilised'", "did you mean 'team_mobilized'?"]),
    ("unknown_approval_kind", 27, 39, "organisations.province.handlers.0.approval.kind",
     ["unknown message kind 'go_ahead'", "known:", "notification"]),
    ("misspelt_field", 37, 59, "links.0.fallback",
     ["unknown field 'fallback'", "did you mean 'fallbacks'?"]),
    ("wrong_type_count", 51, 21, "team.vehicles.count", ["valid integer", "'two'"]),
    ("negative_duration", 20, 15, "organisations.plant.handlers.0.time",
     ["cannot be negative", "'-5m'"]),
    ("unreadable_duration", 20, 15, "organisations.plant.handlers.0.time",
     ["cannot read '15 minutes ago' as a duration", "'15m'"]),
    ("lognormal_p90_below_median", 27, 15, "organisations.province.handlers.0.time",
     ["lognormal needs 0 < median < p90"]),
    ("uniform_high_below_low", 13, 12, "channels.phone.delay", ["uniform needs low <= high"]),
    ("unknown_distribution", 50, 15, "team.members.nearby.travel",
     ["unknown distribution 'lognormel'", "did you mean 'lognormal'?"]),
    ("shares_not_one", 47, 5, "team.members", ["shares must add up to 1", "1.2"]),
    ("probability_above_one", 14, 12, "channels.phone.fails", ["less than or equal to 1", "1.5"]),
    ("timeline_out_of_order", 9, 5, "accident.timeline",
     ["time order", "entry 1 (at 10m)", "entry 0 (at 30m)"]),
    ("naive_start", 3, 8, "start", ["time zone", "+08:00"]),
    ("bad_indentation", 14, 6, "(top level)", ["YAML syntax error"]),
    ("duplicate_key", 34, 9, "organisations.team_office.handlers.0.time", ["duplicate key 'time'"]),
    ("alias_bomb", 2, None, None, ["more than 200000 values", "alias bomb"]),
    ("empty", 1, 1, "(top level)", ["the file is empty"]),
    ("wait_for_too_many", 27, 19, "organisations.province.handlers.0.wait_for",
     ["count 3 is more than the 2 senders listed"]),
    ("missing_team", 2, 1, "team", ["missing required field 'team'"]),
    ("unit_shares_not_one", 45, 52, "team.units.responders.members",
     ["the unit's member shares must add up to 1", "0.9"]),
    ("unit_without_mix", 45, 5, "team.units",
     ["no member group has a share", "responders has none"]),
    ("repage_after_zero", 44, 43, "team.callout.repage.after", ["must be positive"]),
    ("leave_after_without_seats", 53, 13, "team.vehicles",
     ["leave_after is a deadline for vehicles with seats", "give seats too"]),
    ("unknown_unit_member_group", 45, 61, "team.units.responders.members.nearbi",
     ["unknown member group 'nearbi'", "did you mean 'nearby'?"]),
    # the command graph (nukesim.graph), checked once every name resolves
    ("authority_violation", 21, 76, "organisations.plant.handlers.0.send.1.kind",
     ["'plant' has no authority to send 'mobilise'", "authority.mobilise lists only province"]),
    ("unreachable_team", 43, 17, "team.organisation",
     ["the call-out can never start", "'team_office'", "'mobilise'"]),
]


def test_every_broken_file_has_a_case():
    assert {p.stem for p in BROKEN.glob("*.yaml")} == {c[0] for c in CASES}


@pytest.mark.parametrize(("name", "line", "column", "path", "words"), CASES, ids=[c[0] for c in CASES])
def test_broken_file_is_reported_at_its_place(name, line, column, path, words):
    file = BROKEN / f"{name}.yaml"
    result, text = validate(file)
    assert result.exit_code == 2, text
    lines = problem_lines(text, file)
    assert len(lines) == 1, text  # each file is broken in exactly one way
    where = f"{file}:{line}:" + ("" if column is None else f"{column}: ")
    assert lines[0].startswith(where), lines[0]
    if path is not None:
        assert f": {path}: " in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]


def test_oversized_file_is_refused_before_reading(tmp_path):
    file = tmp_path / "huge.yaml"
    with open(file, "w") as fh:
        line = "# " + "x" * 1021 + "\n"
        for _ in range(50 * 1024):  # 50 MB
            fh.write(line)
    result, text = validate(file)
    assert result.exit_code == 2
    [line] = problem_lines(text, file)
    assert line.startswith(f"{file}:1:1: (top level): file is 52.4 MB; the limit is"), line


def test_binary_garbage_is_not_text(tmp_path):
    file = tmp_path / "garbage.yaml"
    file.write_bytes(random.Random(7).randbytes(4096) + b"\x00")
    result, text = validate(file)
    assert result.exit_code == 2
    [line] = problem_lines(text, file)
    assert line.startswith(f"{file}:1:1: (top level): not a text file"), line


def test_non_utf8_text_points_at_the_bad_byte(tmp_path):
    file = tmp_path / "latin1.yaml"
    file.write_bytes("name: ok\ndescription: Gen\u00e8ve\n".encode("latin-1"))
    result, text = validate(file)
    assert result.exit_code == 2
    [line] = problem_lines(text, file)
    assert line.startswith(f"{file}:2:17: (top level): not UTF-8 text"), line


def test_missing_file_is_a_user_mistake(tmp_path):
    file = tmp_path / "nowhere.yaml"
    result, text = validate(file)
    assert result.exit_code == 2
    [line] = problem_lines(text, file)
    assert "cannot read file" in line


def test_every_problem_of_every_file_is_reported_in_one_run():
    files = [BROKEN / "unknown_org_send.yaml", SCENARIOS / "minimal.yaml", BROKEN / "unknown_channel.yaml"]
    result, text = validate(*files)
    assert result.exit_code == 2
    assert problem_lines(text, files[0]) and problem_lines(text, files[2])
    assert f"{files[1]}: ok" in text


@pytest.mark.parametrize("file", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_scenario_validates(file):
    result, text = validate(file)
    assert result.exit_code == 0, text
    assert f"{file}: ok" in text


def test_set_values_follow_the_same_yaml_1_2_rules_as_files():
    """`no` stays a string and `1:30` is not the YAML 1.1 sexagesimal 90, in files and in --set."""
    from nukesim.scenario import ScenarioError, apply_overrides, load_scenario

    scenario, _ = load_scenario(SCENARIOS / "minimal.yaml")
    assert apply_overrides(scenario, ["name=no"]).name == "no"
    with pytest.raises(ScenarioError, match="cannot read '1:30' as a duration"):
        apply_overrides(scenario, ["calendar.handover=1:30"])
    assert apply_overrides(scenario, ["calendar.shift_changes=[20:00]"]).calendar.shift_changes == [1200]
