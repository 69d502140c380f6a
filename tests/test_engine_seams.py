"""The engine's seams: any SimPy environment, stepping, injects and responders."""

from __future__ import annotations

import simpy.rt
from builders import build, mobilising, records

from nukesim.api import load
from nukesim.events import INJECT_APPLIED, PLAYER_ACTED, UNIT_READY
from nukesim.scenario.injects import (
    ChannelFails,
    ClassChangeInject,
    LinkCut,
    MembersUnavailable,
    OrganisationUnavailable,
    Report,
    Surge,
    VehiclesLost,
)
from nukesim.sim import World, simulate
from nukesim.sim.responders import Action, Decision

CHINA = load("scenarios/china_national_team.yaml")
OUTAGE = load("scenarios/outage_hotline.yaml")


def test_advancing_in_steps_gives_the_log_of_one_uninterrupted_run():
    for seed in (1, 2, 3):
        whole = simulate(CHINA, seed).records
        world = World(CHINA, seed)
        for t in (0.5, 13.0, 13.0, 60.25, 200.0, 777.7):
            world.advance_to(t)
            assert world.now == t or world.finished
        assert world.run().records == whole


def test_a_world_runs_on_simpys_realtime_environment_with_the_same_log():
    env = simpy.rt.RealtimeEnvironment(factor=1e-7, strict=False)
    assert World(CHINA, 4, env=env).run().records == simulate(CHINA, 4).records


def test_a_file_outage_is_the_same_inject_given_at_its_start():
    without = OUTAGE.model_copy(update={"outages": []})
    for seed in range(5):
        world = World(without, seed)
        world.inject(ChannelFails(type="channel_fails", channel="hotline", **{"for": 120}), at=0)
        assert world.run().records == simulate(OUTAGE, seed).records
        # and the same inject applied live after advancing to its time
        data = OUTAGE.model_dump(by_alias=True)
        data["outages"] = [{"target": "authority", "start": 37.5, "end": 97.5}]
        later = type(OUTAGE).model_validate(data)
        live = World(without, seed)
        live.advance_to(37.5)
        live.inject(OrganisationUnavailable(type="organisation_unavailable", organisation="authority",
                                            **{"for": 60}))
        assert live.run().records == simulate(later, seed).records


def _chain(**parts):
    """plant -(instant link)-> office; office's handler on `notice` takes 10 min and sends `ack`."""
    data = dict(
        organisations={"plant": {"staff": 1, "handlers": [{"on": "class_change", "time": 5,
                                                            "send": [{"to": "office", "kind": "notice"}]}]},
                       "office": {"staff": 1, "handlers": [{"on": "notice", "time": 10}]}},
        links=[{"from": "plant", "to": "office", "channel": "instant"}],
    )
    data.update(parts)
    return build(**data)


def test_an_unavailable_organisation_receives_but_handles_only_after_the_outage():
    world = World(_chain(), 0)
    world.inject(OrganisationUnavailable(type="organisation_unavailable", organisation="office",
                                         **{"for": 30}), at=2)
    log = world.run()
    received = [e.t for e in records(log, "received", "office")]
    started = [e.t for e in records(log, "started", "office")]
    assert received == [5.0] and started == [32.0]


def test_a_cut_link_fails_every_attempt_until_restored():
    scenario = _chain(channels={"instant": {"delay": 0, "detect": 1, "retries": 3}})
    world = World(scenario, 0)
    world.inject(LinkCut(type="link_cut", **{"from": "plant", "to": "office", "for": 3}), at=4)
    log = world.run()
    # the attempts at 5 and 6 fail (noticed a minute later); the cut ends at 7, before the retry at 7
    assert [e.t for e in records(log, "failed")] == [6.0, 7.0]
    assert [e.t for e in records(log, "received", "office")] == [7.0]
    assert [(e.t, e.kind) for e in records(log, INJECT_APPLIED)] == [(4.0, "begins"), (7.0, "ends")]


def test_a_class_change_inject_escalates_and_a_report_sets_handlers_going():
    world = World(_chain(), 0)
    world.inject(ClassChangeInject(type="class_change", **{"class": "emergency"}), at=50)
    world.inject(Report(type="report", to="office", kind="notice", **{"from": "plant"}), at=100)
    log = world.run()
    injects = records(log, INJECT_APPLIED)
    assert [(e.t, e.kind, e.cls) for e in injects] == [(50.0, "escalates", "emergency"),
                                                       (100.0, "notice", "emergency")]
    # the office handles three notices: two from the class changes, one spurious
    assert [e.t for e in records(log, "started", "office")] == [5.0, 55.0, 100.0]


def test_a_surge_of_routine_work_queues_behind_accident_work():
    world = World(_chain(), 0)
    world.inject(Surge(type="surge", organisation="office", tasks=3, duration=4), at=1)
    log = world.run()
    starts = [(e.t, e.kind) for e in records(log, "started", "office")]
    # one person: routine 1-5; at 5 the second piece takes the freed slot just before the notice
    # arrives at that instant; then the notice goes ahead of the last piece of routine work
    assert starts == [(1.0, "background"), (5.0, "background"), (9.0, "notice"), (19.0, "background")]


TEAM = {"units": {"a": {"size": 4}, "b": {"size": 2}},
        "members": {"all": {"share": 1.0, "acknowledge": 1, "travel": 10}}}


def test_members_lost_before_the_call_out_are_never_reached():
    world = World(mobilising(TEAM), 0)
    world.inject(MembersUnavailable(type="members_unavailable", unit="a", count=1))
    log = world.run()
    assert [e.actor for e in records(log, "unreachable")] == ["a/4"]
    assert not [e for e in records(log, UNIT_READY) if e.org == "a"]  # a needs all 4


def test_members_lost_after_the_call_out_are_taken_out_from_that_moment():
    team = {**TEAM, "units": {"a": {"size": 4, "ready_at": 0.5}, "b": {"size": 2}},
            "members": {"all": {"share": 1.0, "acknowledge": {"dist": "uniform", "low": 0, "high": 20},
                                "travel": 10}}}
    scenario = mobilising(team)
    plain = simulate(scenario, 3)
    assembled = {e.actor: e.t for e in records(plain, "assembled")}
    world = World(scenario, 3)
    world.advance_to(12.0)
    world.inject(MembersUnavailable(type="members_unavailable", unit="a", count="all"))
    log = world.run()
    kept = {e.actor: e.t for e in records(log, "assembled")}
    # a's members who had not assembled by 12 never do; b's are untouched
    assert kept == {m: t for m, t in assembled.items() if not (m.startswith("a/") and t > 12.0)}
    ready_a = sorted(t for m, t in kept.items() if m.startswith("a/"))
    ready = {e.org: e.t for e in records(log, UNIT_READY)}
    assert ready.get("a") == (ready_a[1] if len(ready_a) >= 2 else None)
    assert ready["b"] == max(t for m, t in assembled.items() if m.startswith("b/"))


def test_vehicles_lost_leave_with_fewer():
    team = {**TEAM, "vehicles": {"count": 3, "load": 30}}
    world = World(mobilising(team), 0)
    world.inject(VehiclesLost(type="vehicles_lost", count=2))
    log = world.run()
    assert [e.n for e in records(log, "vehicle_loaded")] == [1]
    assert records(log, "team_ready")[0].n == 1


class _Script:
    def __init__(self, actions, minutes):
        self.actions, self.minutes, self.seen = actions, minutes, []

    def decide(self, world, message):
        self.seen.append(message)
        return Decision(self.actions, self.minutes)


def test_a_player_decides_with_the_organisations_staff_and_links():
    scenario = mobilising(TEAM, plant_time=5)
    world = World(scenario, 0)
    player = _Script((Action("send", "office", "mobilise"),), 7)
    world.play("plant", player)
    log = world.run()
    assert [m.kind for m in player.seen] == ["class_change"]
    assert player.seen[0].doctrine == (Action("send", "office", "mobilise"),)
    assert [(e.t, e.kind) for e in records(log, PLAYER_ACTED)] == [(7.0, "send")]
    assert records(log, "callout")[0].t == 7.0


def test_a_player_cannot_order_without_authority():
    scenario = mobilising(TEAM, authority={"mobilise": ["office"], "deploy": ["office"]})
    world = World(scenario, 0)
    world.play("plant", _Script((Action("send", "office", "mobilise"),), 1))
    log = world.run()
    refused = records(log, PLAYER_ACTED)
    assert [(e.kind, e.detail) for e in refused] == [("refused", "plant has no authority to order mobilise")]
    assert not records(log, "sent") and not records(log, "callout")


def test_the_team_organisation_played_starts_the_call_out_only_on_an_order():
    scenario = mobilising(TEAM)
    world = World(scenario, 0)
    player = _Script((Action("callout"),), 3)
    world.play("office", player)
    log = world.run()
    assert [m.kind for m in player.seen] == ["mobilise"]
    assert Action("callout") in player.seen[0].allowed
    assert records(log, "callout")[0].t == 3.0


def test_inject_and_player_records_use_only_their_declared_fields():
    from nukesim.events import EMPTY, EVENT_TYPES

    world = World(mobilising(TEAM, plant_time=5, authority={"mobilise": ["office"], "deploy": ["office"]}), 0)
    world.play("plant", _Script((Action("send", "office", "mobilise"), Action("acknowledge")), 2))
    spurious = Report(type="report", to="office", kind="mobilise", **{"from": "plant", "class": "alert"})
    world.inject(spurious, at=1)
    world.inject(LinkCut(type="link_cut", **{"from": "plant", "to": "office", "for": 1}), at=3)
    world.inject(MembersUnavailable(type="members_unavailable", unit="b", count=1), at=4)
    world.inject(VehiclesLost(type="vehicles_lost", count=1), at=4)
    world.inject(Surge(type="surge", organisation="office", tasks=1, duration=1), at=4)
    world.inject(ClassChangeInject(type="class_change", **{"class": "emergency"}), at=6)
    log = world.run()
    types = {e.type for e in log}
    assert {INJECT_APPLIED, PLAYER_ACTED} <= types
    for e in log:
        declared = EVENT_TYPES[e.type].fields
        unused = {f: v for f, v in e._asdict().items() if f not in ("t", "type", *declared)}
        assert unused == {f: getattr(EMPTY, f) for f in unused}, e


def test_without_a_warm_up_the_clock_starts_at_plus_zero():
    """-0.0 would print as '-0.0m' in every timeline and table."""
    import math

    from nukesim.api import load
    from nukesim.sim import simulate as run_world

    log = run_world(load("scenarios/minimal.yaml"), seed=1)
    assert log.records[0][0] == 0.0 and math.copysign(1.0, log.records[0][0]) == 1.0
