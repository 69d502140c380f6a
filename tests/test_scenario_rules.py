"""Rules of the scenario language that are not about a single field's type."""

import pytest

from nukesim.scenario import ScenarioError, apply_overrides


def test_factors_and_probabilities_default_day_to_one(minimal):
    s = apply_overrides(minimal, {"team.members.nearby.slowdown": {"night": 1.55},
                                  "team.members.nearby.reachable": {"weekend": 0.5}})
    group = s.team.members["nearby"]
    assert (group.slowdown.day, group.slowdown.night, group.slowdown.weekend) == (1.0, 1.55, 1.55)
    assert (group.reachable.day, group.reachable.night, group.reachable.weekend) == (1.0, 1.0, 0.5)


def test_staff_still_needs_a_day_figure(minimal):
    with pytest.raises(ScenarioError, match="day"):
        apply_overrides(minimal, {"organisations.plant.staff": {"night": 2}})


def test_background_work_cannot_arrive_infinitely_often(minimal):
    with pytest.raises(ScenarioError, match="positive mean"):
        apply_overrides(minimal, {"organisations.plant.background": {"interarrival": 0, "duration": "5m"}})


@pytest.mark.parametrize(("assignment", "words"), [
    ("organisations.plant.handlers.0.send.0.kind=background", "reserved"),
    ("organisations.plant.handlers.0.on=background", "reserved"),
])
def test_names_the_event_log_reserves(minimal, assignment, words):
    with pytest.raises(ScenarioError, match=words):
        apply_overrides(minimal, [assignment])


def test_new_fields_default_to_the_old_behaviour(minimal):
    handler = minimal.organisations["authority"].handlers[0]
    assert handler.once is False
    assert minimal.organisations["authority"].slowdown.night == 1.0
    assert minimal.team.units["responders"].members is None
    assert minimal.team.callout.repage is None


def test_repage_attempts_default_to_one(minimal):
    s = apply_overrides(minimal, {"team.callout.repage": {"after": "30m"}})
    assert (s.team.callout.repage.after, s.team.callout.repage.attempts) == (30.0, 1)


@pytest.mark.parametrize("value", [{"night": 0}, {"day": 1, "night": -2}])
def test_a_bad_night_factor_is_reported_once_at_its_place(minimal, value):
    """``weekend`` copies ``night``; the copy is not in the file and is not reported again."""
    with pytest.raises(ScenarioError) as info:
        apply_overrides(minimal, {"organisations.plant.slowdown": value})
    [problem] = info.value.problems
    assert problem.path == ("organisations", "plant", "slowdown", "night")


def test_a_unit_mix_may_name_a_group_with_no_share_of_its_own(minimal):
    s = apply_overrides(minimal, {"team.members": {"nearby": {"share": 1.0}, "contractors": {"travel": "1h"}},
                                  "team.units.responders.members": {"nearby": 0.8, "contractors": 0.2}})
    assert s.team.members["contractors"].share is None


def test_a_name_cannot_be_both_channel_and_organisation(minimal):
    with pytest.raises(ScenarioError, match="both a channel and an organisation"):
        apply_overrides(minimal, {"channels": {"phone": {}, "radio": {}, "authority": {}}})
