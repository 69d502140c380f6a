"""Several bases: units at different bases with their own vehicles and transit, leaving as one
convoy or each base when it is ready; the team is on site when its last base arrives."""

from __future__ import annotations

import math

import pytest
from builders import mobilising, records

from nukesim.attribution import critical_paths
from nukesim.metrics import compute_metrics
from nukesim.scenario import Scenario, check_references, validate
from nukesim.sim import simulate


def two_bases(departure: str) -> Scenario:
    """Unit a (north) assembles at 10 and north loads one vehicle for 30 min: ready at 40; unit b
    (south) assembles at 100, no vehicles. North drives 60 min, south 20."""
    team = {"members": {"near": {"travel": 10}, "far": {"travel": 100}},
            "units": {"a": {"size": 1, "members": {"near": 1.0}, "base": "north"},
                      "b": {"size": 1, "members": {"far": 1.0}, "base": "south"}},
            "bases": {"north": {"vehicles": {"count": 1, "load": 30}, "transit": 60},
                      "south": {"transit": 20}},
            "departure": departure}
    return mobilising(team)


@pytest.mark.parametrize("departure, departed, on_site, legs", [
    ("convoy", 100.0, 160.0, [("north", 100.0, 160.0), ("south", 100.0, 120.0)]),
    ("per_base", 100.0, 120.0, [("north", 40.0, 100.0), ("south", 100.0, 120.0)]),
])
def test_bases_leave_together_or_each_when_ready(departure, departed, on_site, legs):
    s = two_bases(departure)
    log = simulate(s, seed=1)
    m = compute_metrics(log, s)
    assert (m["team_departed"], m["team_on_site"]) == (departed, on_site)
    left = {e.org: e.t for e in records(log, "base_departed")}
    arrived = {e.org: e.t for e in records(log, "base_on_site")}
    assert [(b, left[b], arrived[b]) for b in ("north", "south")] == legs
    assert [m[f"base_on_site:{b}"] for b in ("north", "south")] == [leg[2] for leg in legs]
    assert [(e.t, e.org, e.unit) for e in records(log, "base_ready")] == [(40.0, "north", ""),
                                                                         (100.0, "south", "b")]


@pytest.mark.parametrize("departure", ["convoy", "per_base"])
def test_a_departure_from_bases_is_explained_exactly(departure):
    s = two_bases(departure)
    log = simulate(s, seed=1)
    m = compute_metrics(log, s)
    names = ["team_departed", "team_on_site", "base_on_site:north", "base_on_site:south"]
    for name, steps in critical_paths(log, s, names).items():
        assert steps[0].start == 0.0 and math.fsum(st.minutes for st in steps) == m[name]
    on_site = {(st.component, st.where): st.minutes
               for st in critical_paths(log, s, ["team_on_site"])["team_on_site"] if st.minutes}
    last = "north" if departure == "convoy" else "south"
    assert on_site == {("callout", "b"): 100.0, ("transit", last): m["team_on_site"] - 100.0}


@pytest.mark.parametrize("change, message", [
    ({"units": {"a": {"size": 1, "members": {"near": 1.0}}}}, "every unit needs one"),
    ({"vehicles": {"count": 2}}, "vehicles belong to the bases"),
    ({"units": {"a": {"size": 1, "members": {"near": 1.0}, "base": "east"}}}, "unknown base 'east'"),
])
def test_bases_are_checked(change, message):
    data = two_bases("convoy").model_dump(by_alias=True)
    for key, value in change.items():
        if key == "units":
            data["team"]["units"].update(value)
        else:
            data["team"][key] = value
    s, problems = validate(Scenario, data)
    assert s is not None, problems
    assert any(message in p.message for p in check_references(s)), list(check_references(s))
