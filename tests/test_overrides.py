"""``--set PATH=VALUE`` derives a new, re-validated scenario, or says precisely what is wrong."""

from datetime import datetime, timedelta, timezone

import pytest

from nukesim.scenario import ScenarioError, apply_overrides


def test_overrides_change_only_what_they_name(minimal):
    new = apply_overrides(minimal, ["team.vehicles.count=20", "channels.phone.fails=0.25",
                                    "start=2026-03-15T03:00+08:00"])
    assert new.team.vehicles.count == 20
    assert new.channels["phone"].fails == 0.25
    assert new.start == datetime(2026, 3, 15, 3, 0, tzinfo=timezone(timedelta(hours=8)))
    assert new.organisations == minimal.organisations
    assert minimal.team.vehicles.count == 2, "the original scenario is never changed"


def test_a_mapping_of_overrides_is_the_same_as_assignments(minimal):
    a = apply_overrides(minimal, {"team.vehicles.count": 7, "horizon": "2d"})
    b = apply_overrides(minimal, ["team.vehicles.count=7", "horizon=2d"])
    assert a == b
    assert a.horizon == 2880


def test_values_are_read_as_yaml(minimal):
    new = apply_overrides(minimal, ["channels.radio.delay={dist: exponential, mean: 4m}",
                                    "links.0.fallbacks=[]", "organisations.plant.staff.night=1"])
    assert new.channels["radio"].delay.mean == 4
    assert new.links[0].fallbacks == []
    assert new.organisations["plant"].staff.night == 1


def test_roundtrip_without_overrides_is_identity(minimal):
    assert apply_overrides(minimal, {"name": minimal.name}) == minimal


@pytest.mark.parametrize(
    ("assignment", "words"),
    [("team.vehicles.cont=20", "did you mean 'count'"),
     ("team.vehicles.count=-1", "greater than or equal to 0"),
     ("team.vehicles.count=many", "valid integer"),
     ("channels.phne.fails=0.1", "did you mean 'phone'"),
     ("channels.phone.fails=1.5", "less than or equal to 1"),
     ("links.9.channel=phone", "not an index"),
     ("links.0.channel=fax", "unknown channel 'fax'"),
     ("start=2026-03-15T03:00", "time zone"),
     ("horizon=-3h", "negative"),
     ("team.vehicles.count", "PATH=VALUE")],
)
def test_a_bad_override_names_the_assignment_path_and_problem(minimal, assignment, words):
    with pytest.raises(ScenarioError) as info:
        apply_overrides(minimal, [assignment])
    text = str(info.value)
    assert text.startswith("--set " + assignment.split("=")[0])
    assert words in text


def test_a_star_sets_every_key_at_its_level():
    from pathlib import Path

    from nukesim.scenario import load_scenario

    china = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "china_national_team.yaml")[0]
    new = apply_overrides(china, ["team.members.*.reachable.night=0.5"])
    assert len(new.team.members) == 3
    assert {g.reachable["night"] for g in new.team.members.values()} == {0.5}
    assert [g.reachable["day"] for g in new.team.members.values()] == \
        [g.reachable["day"] for g in china.team.members.values()]
    # a later, more precise override still changes one group only (no shared value)
    one = apply_overrides(china, ["team.members.*.reachable={day: 1.0, night: 0.9}",
                                  "team.members.local.reachable.night=0.2"])
    assert [g.reachable["night"] for g in one.team.members.values()] == [0.9, 0.2, 0.9]


def test_a_star_that_leads_nowhere_is_located_at_its_set(minimal):
    with pytest.raises(ScenarioError) as exc:
        apply_overrides(minimal, ["team.members.*.reachabel.night=0.5"])
    assert str(exc.value).startswith("--set team.members.*.reachabel.night=0.5:1:7: team.members.")
    assert "did you mean 'reachable'" in str(exc.value)
    with pytest.raises(ScenarioError, match=r"\*\.reachable\.night=2:1:7: team\.members\.\w+\.reachable"):
        apply_overrides(minimal, ["team.members.*.reachable.night=2"])


def test_plus_equals_appends_one_item_to_a_list_and_keeps_the_others(minimal):
    new = apply_overrides(minimal, ["objectives+={name: Call-out within an hour, metric: callout_started, "
                                    "statistic: p90, target: 1h}"])
    names = [o.name for o in minimal.objectives]
    assert [o.name for o in new.objectives] == [*names, "Call-out within an hour"]
    assert new.objectives[-1].target == 60


def test_plus_equals_in_a_sweep_style_mapping_and_under_a_wildcard(minimal):
    new = apply_overrides(minimal, {"links.0.fallbacks": [], "links.*.fallbacks+": "radio"})
    assert [link.fallbacks for link in new.links] == [["radio"], ["radio"]]


def test_plus_equals_on_a_value_that_is_not_a_list_is_located_and_says_to_use_equals(minimal):
    with pytest.raises(ScenarioError) as caught:
        apply_overrides(minimal, ["horizon+=1h"])
    (problem,) = caught.value.problems
    assert problem.file == "--set horizon+=1h" and problem.path == ("horizon",)
    assert "'+=' appends to a list" in problem.message and "use '='" in problem.message


def test_a_channel_listed_twice_on_one_link_is_refused_not_an_internal_error(minimal):
    with pytest.raises(ScenarioError) as caught:
        apply_overrides(minimal, [f"links.0.fallbacks+={minimal.links[0].channel}"])
    (problem,) = caught.value.problems
    assert problem.path[:3] == ("links", 0, "fallbacks")
    assert "already tried on this link" in problem.message
