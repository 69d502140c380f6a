"""Building a world: the compiled plan, streams and the base scenario."""

from __future__ import annotations

import numpy as np
import pytest
from builders import build, mobilising

from nukesim.scenario.calendar import period_at
from nukesim.scenario.models import PERIODS
from nukesim.sim import World, simulate, stream
from nukesim.sim.plan import compile_plan, plan_for, split_by_share


def test_base_scenario_runs_to_the_horizon():
    log = simulate(build(), seed=1)
    assert log.records[-1][1] == "ended" and log.records[-1][0] == 1440.0
    assert [r[0] for r in log.records] == sorted(r[0] for r in log.records)


def test_plan_is_compiled_once_per_scenario_object():
    s = build()
    assert plan_for(s) is plan_for(s)
    assert plan_for(build()) is not plan_for(s)


def test_largest_remainder_split():
    assert split_by_share(10, [0.5, 0.5]) == [5, 5]
    assert split_by_share(10, [0.25, 0.25, 0.5]) == [3, 2, 5]  # tie of remainders: first group
    assert split_by_share(7, [1 / 3, 1 / 3, 1 / 3]) == [3, 2, 2]
    assert split_by_share(95, [0.29, 0.71]) == [28, 67]
    for size in range(1, 60):
        assert sum(split_by_share(size, [0.1, 0.2, 0.3, 0.4])) == size
    # a group left out of a unit's own mix never gets a member, even by rounding
    assert split_by_share(10, [0.0, 1 / 3, 1 / 3, 1 / 3]) == [0, 4, 3, 3]
    assert split_by_share(3, [0.3333333, 0.6666666, 0.0]) == [1, 2, 0]


def test_members_are_assigned_to_units_in_order_and_split_by_share():
    s = mobilising({"units": {"a": {"size": 3}, "b": {"size": 4, "ready_at": 0.7}},
                    "members": {"near": {"share": 0.5}, "far": {"share": 0.5}}})
    team = compile_plan(s).team
    assert team.member_ids == ("a/1", "a/2", "a/3", "b/1", "b/2", "b/3", "b/4")
    assert [team.groups[g] for g in team.group_of] == ["near", "near", "far", "near", "near", "far", "far"]
    assert team.needed == (3, 3)  # ceil(0.7 × 4) = 3, without floating-point surprises
    assert team.unit_groups == (("a:near", 0, 0, 2), ("a:far", 1, 2, 3),
                                ("b:near", 0, 3, 5), ("b:far", 1, 5, 7))


def test_plan_period_lookup_agrees_with_the_calendar():
    s = build(start="2026-03-20T17:30:00+08:00", horizon="4d",
              calendar={"day": "08:00-18:00", "holidays": ["2026-03-23"]})
    plan = compile_plan(s)
    for t in np.arange(0, 4 * 1440, 7.5):
        assert PERIODS[plan.period_at(float(t))] == period_at(s, float(t)), t


def test_streams_are_named_and_stable():
    assert not np.array_equal(stream(7, 0, "link:a->b").random(3), stream(7, 0, "link:b->a").random(3))
    a = stream(7, 0, "transit").random(3)
    assert np.array_equal(a, stream(7, 0, "transit").random(3))
    assert not np.array_equal(a, stream(7, 1, "transit").random(3))
    assert not np.array_equal(a, stream(7, 0, "vehicles").random(3))


def test_world_runs_once_and_rejects_unknown_outage_targets():
    world = World(build(), seed=1)
    with pytest.raises(ValueError, match="unknown organisation or channel"):
        world.make_unavailable("nowhere", 0, 10)
    with pytest.raises(ValueError, match="end after"):
        world.make_unavailable("plant", 10, 10)
    world.run()
    with pytest.raises(RuntimeError):
        world.run()


def test_negative_seed_is_refused():
    with pytest.raises(ValueError):
        simulate(build(), seed=-1)

