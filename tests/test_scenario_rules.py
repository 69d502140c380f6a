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
