"""Seats per vehicle: members board in order of assembly; a vehicle leaves when full or at its
deadline; the team has left (is on site) when the vehicle carrying the last member its units
need has left (arrived)."""

from __future__ import annotations

import math

import numpy as np
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


def test_an_order_before_the_call_out_lets_each_vehicle_leave_when_it_closes():
    s = seated({}, deploy={"order": True})
    data = s.model_dump(by_alias=True)
    data["organisations"]["plant"]["handlers"][0]["send"].insert(0, {"to": "office", "kind": "deploy"})
    s = build(**{k: data[k] for k in ("organisations", "team")}, links=data["links"])
    log = simulate(s, seed=1)
    assert records(log, "finished", "office")[0].kind == "deploy"  # the order first, then the call-out
    assert vehicles(log) == [(1, 20.0, "full", "b/1", 20.0), (2, 40.0, "full", "b/3", 40.0)]


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
    assert {type(r[0]) for r in log.records} == {float}  # never numpy's floats in the log
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


def test_with_bases_each_base_boards_its_own_vehicles():
    # north: a/1 assembles at 10, its one seat is loaded at 40 (30 min), 60 min to the site;
    # south: b/1 assembles at 100 and boards at once (no loading), 20 min to the site
    team = {"members": {"near": {"travel": 10}, "far": {"travel": 100}},
            "units": {"a": {"size": 1, "members": {"near": 1.0}, "base": "north"},
                      "b": {"size": 1, "members": {"far": 1.0}, "base": "south"}},
            "bases": {"north": {"vehicles": {"count": 1, "load": 30, "seats": 1}, "transit": 60},
                      "south": {"vehicles": {"count": 1, "seats": 1}, "transit": 20}}}
    s = mobilising(team)
    log = simulate(s, seed=1)
    assert vehicles(log) == [(1, 40.0, "full", "", 40.0), (2, 100.0, "full", "b/1", 100.0)]
    assert [(e.type, e.org, e.t, e.n) for e in log if e.type in ("base_departed", "base_on_site")] == [
        ("base_departed", "north", 40.0, 1), ("base_departed", "south", 100.0, 2),
        ("base_on_site", "north", 100.0, 1), ("base_on_site", "south", 120.0, 2)]
    m = compute_metrics(log, s)
    names = ["team_departed", "team_on_site", "base_on_site:north", "base_on_site:south"]
    assert [m[n] for n in names] == [100.0, 120.0, 100.0, 120.0]
    paths = critical_paths(log, s, names)
    for name, steps in paths.items():
        assert math.fsum(st.minutes for st in steps) == m[name]
    assert {(st.component, st.where): st.minutes for st in paths["base_on_site:north"] if st.minutes} == {
        ("callout", "a"): 10.0, ("loading", "north"): 30.0, ("transit", "north"): 60.0}


def test_members_lost_after_the_call_out_board_no_more():
    # b/3 and b/4 cannot come after 35: vehicle 2, with b/2 aboard since 30, no longer fills at 40
    # and leaves at its deadline, 45; unit b never has 3 members away
    from nukesim.scenario.injects import MembersUnavailable
    from nukesim.sim import World

    s = seated({"leave_after": 15})
    world = World(s, seed=1)
    world.inject(MembersUnavailable(type="members_unavailable", unit="b", count=2), at=35)
    log = world.run()
    assert vehicles(log) == [(1, 20.0, "full", "b/1", 20.0), (2, 45.0, "leave_after", "b/2", 45.0)]
    assert math.isnan(compute_metrics(log, s)["team_departed"])


def test_vehicles_lost_before_they_close_take_nobody():
    from nukesim.scenario.injects import VehiclesLost
    from nukesim.sim import World

    s = seated({})
    world = World(s, seed=1)
    world.inject(VehiclesLost(type="vehicles_lost", count=2), at=17)  # vehicles 3 and 2, not loaded yet
    log = world.run()
    assert [e.n for e in records(log, "vehicle_loaded")] == [1]
    assert vehicles(log) == [(1, 20.0, "full", "b/1", 20.0)]
    assert math.isnan(compute_metrics(log, s)["team_departed"])


def test_each_vehicle_drives_on_its_own_stream():
    # random transits: vehicle j of a run is the j-th draw of `vehicle_transit`, whatever else changes
    s = seated({"leave_after": 5})
    data = s.model_dump(by_alias=True)
    data["team"]["transit"] = {"dist": "uniform", "low": 50, "high": 150}
    random = build(team=data["team"], organisations=data["organisations"], links=data["links"])
    data["team"]["vehicles"]["load"] = 6  # loading moves every closing, not the transits
    slower = build(team=data["team"], organisations=data["organisations"], links=data["links"])
    for r in range(5):
        legs = []
        for scenario in (random, slower):
            log = simulate(scenario, seed=4, replication=r)
            left = {e.n: e.t for e in records(log, "vehicle_departed")}
            legs.append({e.n: e.t - left[e.n] for e in records(log, "vehicle_on_site")})
        assert legs[0] == pytest.approx(legs[1], abs=1e-9) and len(legs[0]) == 3
        assert all(50 <= leg <= 150 for leg in legs[0].values())


def test_one_vehicle_with_a_seat_for_everyone_leaves_as_the_whole_team_would():
    # every member needed (ready_at 1) and one vehicle seating them all: it is full when the last
    # member boards, which is when the team without seats is ready — replication by replication
    members = {"all": {"share": 1.0, "reachable": 0.97, "acknowledge": {"dist": "exponential", "mean": 5},
                       "travel": {"dist": "lognormal", "median": 30, "p90": 90}}}
    team = {"members": members, "units": {"u": {"size": 12}}, "transit": 45}

    def scenario(vehicles: dict) -> Scenario:
        return mobilising({**team, "vehicles": {"count": 1, "load": {"dist": "uniform", "low": 0, "high": 80},
                                                **vehicles}})

    block, seated_all = scenario({}), scenario({"seats": 12})
    missing = 0
    for r in range(60):
        a = compute_metrics(simulate(block, seed=9, replication=r), block)
        b = compute_metrics(simulate(seated_all, seed=9, replication=r), seated_all)
        for name in ("team_departed", "team_on_site"):
            assert a[name] == b[name] or (math.isnan(a[name]) and math.isnan(b[name])), (r, name)
        missing += math.isnan(a["team_departed"])
    assert 0 < missing < 60  # both kinds of runs occur: someone unreachable, or everyone there


# --- how many go, how many stay: vehicle counts and the metrics aboard / left_behind ---------------

SEVEN = {f"t{10 * k}": {"travel": 10 * k} for k in range(1, 8)}


def seven(vehicles: dict, **unit) -> Scenario:
    """Seven members assembling at 10, 20, …, 70; the unit needs 4 of them (ready at 40, when both
    vehicles are loaded at once: load 0); two vehicles of 3 seats; transit 100."""
    unit = {"size": 7, "ready_at": 4 / 7, "members": {g: 1 / 7 for g in SEVEN}, **unit}
    vehicles = {"count": 2, "load": 0, "loaders": 2, "seats": 3, **vehicles}
    return mobilising({"members": SEVEN, "units": {"u": unit}, "transit": 100, "vehicles": vehicles})


def counts(log) -> list[tuple]:
    """(vehicle, aboard when its doors close, aboard when it leaves) from the records' ``handler``."""
    left = {e.n: e.handler for e in records(log, "vehicle_departed")}
    return [(e.n, e.handler, left.get(e.n)) for e in records(log, "vehicle_ready")]


@pytest.mark.parametrize("deadline, aboard, expected", [
    # v1 takes u/1-u/3 at 40 (full); v2 takes u/4 (40), u/5 (50), u/6 (60): full; u/7 (70) has no seat
    ({}, [(1, 3, 3), (2, 3, 3)], {"aboard": 6.0, "left_behind": 1.0, "team_departed": 60.0}),
    # v2 leaves 15 min after u/4 boarded (55) with u/4 and u/5; u/6 and u/7 stay behind
    ({"leave_after": 15}, [(1, 3, 3), (2, 2, 2)], {"aboard": 5.0, "left_behind": 2.0, "team_departed": 55.0}),
])
def test_each_vehicle_says_how_many_it_carries_and_the_rest_are_left_behind(deadline, aboard, expected):
    s = seven(deadline)
    log = simulate(s, seed=1)
    assert counts(log) == aboard
    m = compute_metrics(log, s)
    assert {k: m[k] for k in expected} == expected
    assert m["team_on_site"] == expected["team_departed"] + 100


@pytest.mark.parametrize("deadline, expected", [
    # the cases of the first test: v3 holds b/4 for ever (no deadline): it never leaves, b/4 stays
    ({}, (4.0, 1.0)),
    ({"leave_after": 5}, (4.0, 1.0)),  # three vehicles gone with 2, 1 and 1; b/4 (60) finds none
    ({"leave_by": 35}, (3.0, 2.0)),  # b/3 (40) and b/4 (60) come after the last departure
])
def test_members_in_a_vehicle_that_never_leaves_are_left_behind(deadline, expected):
    s = seated(deadline)
    m = compute_metrics(simulate(s, seed=1), s)
    assert (m["aboard"], m["left_behind"]) == expected


def test_closed_vehicles_waiting_for_the_order_count_as_seated_not_aboard():
    s = seated({}, deploy={"order": True})  # the order never comes: nobody leaves
    log = simulate(s, seed=1)
    assert counts(log) == [(1, 2, None), (2, 2, None)]
    m = compute_metrics(log, s)
    assert (m["aboard"], m["left_behind"]) == (0.0, 1.0)  # b/4, in the vehicle that never closes


def test_the_seat_metrics_exist_only_with_seats_and_count_from_the_whole_log():
    from nukesim.events import EventLog
    from nukesim.scenario import metric_names

    s = seven({})
    log = simulate(s, seed=1)
    whole = EventLog(list(log.records), log.scenario, log.seed, log.replication)
    assert compute_metrics(whole, s) == compute_metrics(log, s)
    data = s.model_dump(by_alias=True)
    data["team"]["vehicles"]["seats"] = None
    plain = build(team=data["team"], organisations=data["organisations"], links=data["links"])
    assert {"aboard", "left_behind"} <= set(metric_names(s))
    assert not {"aboard", "left_behind"} & set(metric_names(plain))


def test_without_a_call_out_nobody_is_counted():
    data = seven({}).model_dump(by_alias=True)
    data["organisations"]["plant"]["handlers"][0]["time"] = 60  # the order would come after the horizon
    s = build(organisations=data["organisations"], links=data["links"], team=data["team"], horizon=30)
    log = simulate(s, seed=1)
    assert not records(log, "callout")
    m = compute_metrics(log, s)
    assert math.isnan(m["aboard"]) and math.isnan(m["left_behind"])


def objective_scenario(objectives: list[dict]) -> dict:
    """A lead (sure, not deploying) starts the loading at 5; a crew of 7, each reached with
    probability 0.9, assembles at 10, …, 70 for two vehicles of 3 seats that leave by 100 (before
    the first can arrive): one is left behind exactly when all seven are reached, with probability
    0.9⁷."""
    members = {**SEVEN, "lead": {"travel": 5}}
    for g in SEVEN:
        members[g] = {**members[g], "reachable": 0.9}
    units = {"lead": {"size": 1, "members": {"lead": 1.0}},
             "crew": {"size": 7, "ready_at": 0.1, "members": {g: 1 / 7 for g in SEVEN}}}
    s = mobilising({"members": members, "units": units, "deploy": {"order": False, "units": ["crew"]},
                    "vehicles": {"count": 2, "load": 0, "loaders": 2, "seats": 3, "leave_by": 100},
                    "transit": 100})
    return {**s.model_dump(by_alias=True), "objectives": objectives}


def test_an_objective_on_the_members_left_behind_is_a_count():
    from nukesim.api import replicate
    from nukesim.stats import share_ci

    data = objective_scenario([
        {"name": "nobody left behind, nine runs in ten", "metric": "left_behind", "statistic": "share",
         "within": 0, "target": "90%"},
        {"name": "at most one left behind", "metric": "left_behind", "statistic": "max", "target": 1},
        {"name": "on average under half a member", "metric": "left_behind", "statistic": "mean",
         "target": 0.5}])
    s, problems = validate(Scenario, data)
    assert s is not None and not list(check_references(s)), problems
    n = 400
    result = replicate(s, n, seed=3, workers=1)
    values = result.column("left_behind")
    assert set(np.unique(values)) <= {0.0, 1.0}
    p = 0.9 ** 7
    low, high = share_ci(int(values.sum()), n, level=0.999)
    assert low <= p <= high  # one left behind exactly when all seven are reached
    share, most, mean = result.summary().objectives
    assert share.value == pytest.approx(1 - values.mean()) and not share.met  # about 52 % < 90 %
    assert (most.value, most.met) == (1.0, True)
    assert mean.value == pytest.approx(values.mean()) and mean.met == (values.mean() <= 0.5)


@pytest.mark.parametrize("objective, message", [
    ({"statistic": "p90", "target": "2h"}, "counts members: the target is a number of members, not '2h'"),
    ({"statistic": "share", "within": "10m", "target": 0.9}, "'within' is a number of members"),
])
def test_a_duration_for_a_count_is_a_located_error(objective, message):
    data = objective_scenario([{"name": "x", "metric": "left_behind", **objective}])
    s, problems = validate(Scenario, data)
    assert s is None
    (problem,) = problems
    assert problem.path[:2] == ("objectives", 0) and message in problem.message
