"""Seats per vehicle: members board in order of assembly; a vehicle leaves when full or at its
deadline; the team has left (is on site) when the vehicle carrying the last member its units
need has left (arrived)."""

from __future__ import annotations

import math

import pytest
from builders import build, mobilising, records

from nukesim.attribution import critical_paths
from nukesim.metrics import compute_metrics
from nukesim.scenario import Scenario, check_references, validate
from nukesim.sim import simulate

TRAVEL = {"t10": 10, "t20": 20, "t30": 30, "t40": 40, "t60": 60}


def seated(vehicles: dict, **team) -> Scenario:
    """Unit a (1 member) assembles at 10; unit b (needs 3 of 4) at 20, 30, 40 and 60. Loading
    starts when a is ready (10): three vehicles loaded one after another, at 15, 20 and 25;
    transit 100."""
    members = {g: {"travel": t} for g, t in TRAVEL.items()}
    quarter = {"t20": 0.25, "t30": 0.25, "t40": 0.25, "t60": 0.25}
    units = {"a": {"size": 1, "members": {"t10": 1.0}},
             "b": {"size": 4, "ready_at": 0.75, "members": quarter}}
    return mobilising({"members": members, "units": units, "transit": 100,
                       "vehicles": {"count": 3, "load": 5, "seats": 2, **vehicles}, **team})


def vehicles(log) -> list[tuple]:
    ready = {e.n: (e.t, e.kind, e.actor) for e in records(log, "vehicle_ready")}
    left = {e.n: e.t for e in records(log, "vehicle_departed")}
    return [(n, *ready[n], left.get(n)) for n in sorted(ready)]


@pytest.mark.parametrize("deadline, closings, departed", [
    # v1 takes a/1 (boards at 15, when loaded) and b/1 (20): full. v2 takes b/2 and b/3: full at 40.
    # v3 takes b/4 at 60 and, with no deadline, waits for a second member for ever.
    ({}, [(1, 20.0, "full", "b/1", 20.0), (2, 40.0, "full", "b/3", 40.0)], (40.0, 2, "b/3")),
    # 5 minutes after its first member: v2 leaves at 35 with b/2 alone, v3 at 45 with b/3
    ({"leave_after": 5}, [(1, 20.0, "full", "b/1", 20.0), (2, 35.0, "leave_after", "b/2", 35.0),
                          (3, 45.0, "leave_after", "b/3", 45.0)], (45.0, 3, "b/3")),
    # everyone aboard leaves by 35 after the call-out: b/3 and b/4 come too late, b is one short
    ({"leave_by": 35}, [(1, 20.0, "full", "b/1", 20.0), (2, 35.0, "leave_by", "", 35.0)], None),
])
def test_a_vehicle_leaves_when_full_or_at_its_deadline(deadline, closings, departed):
    s = seated(deadline)
    log = simulate(s, seed=1)
    assert vehicles(log) == closings
    m = compute_metrics(log, s)
    if departed is None:
        assert math.isnan(m["team_departed"]) and math.isnan(m["team_on_site"])
        return
    (team,) = records(log, "departed")
    assert (team.t, team.n, team.actor) == departed
    assert m["team_departed"] == departed[0] and m["team_on_site"] == departed[0] + 100
    assert [(e.n, e.t) for e in records(log, "vehicle_on_site")] == [(n, t + 100) for n, *_, t in closings]


def test_closed_vehicles_wait_for_the_deploy_order():
    s = seated({}, deploy={"order": True})
    data = s.model_dump(by_alias=True)
    data["organisations"]["plant"]["handlers"][0]["send"].append({"to": "office", "kind": "deploy"})
    data["organisations"]["office"]["handlers"][1]["time"] = 50  # the order is in at 50
    s = build(**{k: data[k] for k in ("organisations", "team")}, links=data["links"])
    log = simulate(s, seed=1)
    assert vehicles(log) == [(1, 20.0, "full", "b/1", 50.0), (2, 40.0, "full", "b/3", 50.0)]
    m = compute_metrics(log, s)
    assert (m["team_departed"], m["team_on_site"]) == (50.0, 150.0)
    steps = critical_paths(log, s, ["team_on_site"])["team_on_site"]
    assert {(st.component, st.where): st.minutes for st in steps if st.minutes} == {
        ("callout", "b"): 40.0, ("deploy_wait", ""): 10.0, ("transit", ""): 100.0}


@pytest.mark.parametrize("deadline", [{}, {"leave_after": 5}, {"leave_by": 35}, {"leave_by": 50}])
def test_a_departure_by_seats_is_explained_exactly(deadline):
    s = seated(deadline)
    log = simulate(s, seed=1)
    m = compute_metrics(log, s)
    for name, steps in critical_paths(log, s, ["team_departed", "team_on_site"]).items():
        if steps is None:
            assert math.isnan(m[name])
            continue
        assert steps[0].start == 0.0 and math.fsum(st.minutes for st in steps) == m[name]
    if deadline == {"leave_after": 5}:
        steps = critical_paths(log, s, ["team_departed"])["team_departed"]
        assert {(st.component, st.where): st.minutes for st in steps if st.minutes} == {
            ("callout", "b"): 40.0, ("seat_wait", ""): 5.0}


def test_without_seats_the_numbers_are_as_before():
    plain = seated({})
    data = plain.model_dump(by_alias=True)
    data["team"]["vehicles"]["seats"] = None
    s = build(team=data["team"], organisations=data["organisations"], links=data["links"])
    m = compute_metrics(simulate(s, seed=1), s)
    # units ready at 10 and 40, vehicles loaded by 25: the team leaves at 40, as one
    assert (m["team_departed"], m["team_on_site"]) == (40.0, 140.0)
    assert not records(simulate(s, seed=1), "vehicle_ready")


@pytest.mark.parametrize("vehicles, message", [
    ({"count": 2, "leave_after": 10}, "leave_after is a deadline for vehicles with seats"),
    ({"count": 0, "seats": 4}, "seats needs vehicles"),
    ({"count": 2, "seats": 0}, "greater than or equal to 1"),
])
def test_seats_are_checked(vehicles, message):
    data = seated({}).model_dump(by_alias=True)
    data["team"]["vehicles"] = vehicles
    s, problems = validate(Scenario, data)
    assert s is None and any(message in p.message for p in problems), problems
    assert any(p.path[:2] == ("team", "vehicles") for p in problems)


def test_every_base_the_team_leaves_from_needs_seats_if_one_has_them():
    data = seated({}).model_dump(by_alias=True)
    team = data["team"]
    team["vehicles"] = {}
    team["bases"] = {"north": {"vehicles": {"count": 2, "seats": 2}}, "south": {"vehicles": {"count": 1}}}
    team["units"]["a"]["base"], team["units"]["b"]["base"] = "north", "south"
    s, problems = validate(Scenario, data)
    assert s is not None, problems
    (problem,) = check_references(s)
    assert problem.path == ("team", "bases", "south", "vehicles") and "needs them" in problem.message
