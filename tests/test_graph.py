"""The command graph: checks point at the right field, expected times match hand calculations."""

from __future__ import annotations

import json
import math
from pathlib import Path

import networkx as nx
import pydot
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nukesim.graph import (
    Analysis,
    Step,
    analyse,
    build_graph,
    check_graph,
    describe,
    to_dot,
    to_graphml,
    to_json,
)
from nukesim.scenario import load_scenario
from nukesim.scenario.models import Scenario
from nukesim.scenario.problems import Problem
from nukesim.scenario.references import check_references
from nukesim.scenario.schema import validate
from nukesim.scenario.yamlsource import parse_yaml

MINIMAL = Path(__file__).resolve().parents[1] / "scenarios" / "minimal.yaml"


def make(orgs: dict[str, list[dict]], links: list[tuple[str, ...]], *, site: str = "A", team: str = "T",
         timeline: tuple[tuple[object, str], ...] = ((0, "alert"),), mobilise: tuple[str, ...] = ("B",),
         deploy: tuple[str, ...] | None = None, order: bool = False) -> Scenario:
    """A scenario of organisations given as handler lists and links as (from, to, channel, *fallbacks).

    Channels: ``phone`` takes 2 minutes, ``fax`` 10, ``radio`` 1, ``hand`` 0 (all fixed).
    """
    data = {
        "name": "test", "start": "2026-03-16T10:00:00+08:00", "horizon": "1d",
        "classes": ["alert", "emergency"],
        "accident": {"site": site, "timeline": [{"at": at, "class": c} for at, c in timeline]},
        "channels": {"phone": {"delay": "2m"}, "fax": {"delay": "10m"}, "radio": {"delay": "1m"},
                     "hand": {"delay": 0}},
        "organisations": {name: {"handlers": handlers} for name, handlers in orgs.items()},
        "links": [{"from": f, "to": t, "channel": c, "fallbacks": list(fb)} for f, t, c, *fb in links],
        "authority": {"mobilise": list(mobilise), "deploy": list(deploy or mobilise)},
        "team": {"organisation": team, "units": {"u": {"size": 1}}, "members": {"m": {"share": 1.0}},
                 "deploy": {"order": order}},
    }
    scenario, problems = validate(Scenario, data)
    assert scenario is not None, problems
    assert list(check_references(scenario)) == []
    return scenario


def send(to: str, kind: str) -> dict:
    return {"to": to, "kind": kind}


def chain_scenario(**kw) -> Scenario:
    """A -5m-> (phone 2m) B -10m-> (fax 10m) T -3m-> call-out: 30 minutes after the alert."""
    return make({
        "A": [{"on": "class_change", "time": "5m", "send": [send("B", "notification")]}],
        "B": [{"on": "notification", "time": "10m", "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise", "time": "3m"}],
    }, [("A", "B", "phone"), ("B", "T", "fax")], **kw)


# --- the graph ------------------------------------------------------------------------------------


def test_graph_has_organisations_as_nodes_and_links_as_edges_with_primary_mean_delay():
    graph = build_graph(chain_scenario())
    assert sorted(graph.nodes) == ["A", "B", "T"]
    assert graph.nodes["A"] == {"label": "A", "staff": {"day": 1, "night": 1, "weekend": 1}}
    assert graph.edges["B", "T"] == {"channel": "fax", "fallbacks": [], "delay": 10.0, "kinds": ["mobilise"]}
    assert graph.graph["site"] == "A" and graph.graph["team"] == "T"


# --- expected times -------------------------------------------------------------------------------


def test_chain_expected_time_is_the_sum_of_delays_and_handling_times():
    analysis = analyse(chain_scenario())
    assert analysis.callout == 30.0
    assert analysis.chain == [
        Step("A", "class_change", "alert", None, None, 0.0, 0, 5.0),
        Step("B", "notification", "alert", "A", "phone", 7.0, 0, 17.0),
        Step("T", "mobilise", "alert", "B", "fax", 27.0, 0, 30.0),
    ]
    assert analysis.notified == {"A": 0.0, "B": 7.0, "T": 27.0}
    assert analysis.deploy_order is None  # no deploy order required


def test_timeline_offset_and_class_threshold_start_the_chain_at_the_right_class_change():
    scenario = make({
        "A": [{"on": "class_change", "time": "5m", "send": [send("B", "notification")]}],
        "B": [{"on": "notification", "class_at_least": "emergency", "time": "10m",
               "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise", "time": "3m"}],
    }, [("A", "B", "phone"), ("B", "T", "fax")], timeline=((4, "alert"), (40, "emergency")))
    analysis = analyse(scenario)
    assert analysis.callout == 40 + 5 + 2 + 10 + 10 + 3
    assert [(s.organisation, s.class_, s.received) for s in analysis.chain] == [
        ("A", "emergency", 40.0), ("B", "emergency", 47.0), ("T", "emergency", 67.0)]
    assert analysis.notified["B"] == 4 + 5 + 2  # told about the alert, though it does not act on it


def diamond(b_time: str, c_time: str, c_channel: str = "phone") -> Scenario:
    """A tells B and C; either may order T out. The branch through C uses ``c_channel``."""
    return make({
        "A": [{"on": "class_change", "time": "1m", "send": [send("B", "n"), send("C", "n")]}],
        "B": [{"on": "n", "time": b_time, "send": [send("T", "mobilise")]}],
        "C": [{"on": "n", "time": c_time, "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise", "time": "1m"}],
    }, [("A", "B", "phone"), ("A", "C", c_channel), ("B", "T", "phone"), ("C", "T", c_channel)],
        mobilise=("B", "C"))


def test_parallel_paths_take_the_faster():
    assert analyse(diamond("20m", "8m")).callout == 1 + 2 + 8 + 2 + 1
    assert [s.organisation for s in analyse(diamond("20m", "8m")).chain] == ["A", "C", "T"]
    assert analyse(diamond("3m", "8m")).callout == 1 + 2 + 3 + 2 + 1
    assert [s.organisation for s in analyse(diamond("3m", "8m")).chain] == ["A", "B", "T"]


def k_of_n(count: int) -> Scenario:
    """A tells B, C, D (done at 1+2+{5,9,30}); each tells E, which waits for ``count`` of them."""
    return make({
        "A": [{"on": "class_change", "time": "1m",
               "send": [send("B", "n"), send("C", "n"), send("D", "n")]}],
        "B": [{"on": "n", "time": "5m", "send": [send("E", "agree")]}],
        "C": [{"on": "n", "time": "9m", "send": [send("E", "agree")]}],
        "D": [{"on": "n", "time": "30m", "send": [send("E", "agree")]}],
        "E": [{"on": "agree", "time": "4m", "wait_for": {"count": count, "from": ["B", "C", "D"]},
               "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise", "time": "1m"}],
    }, [("A", x, "phone") for x in "BCD"] + [(x, "E", "phone") for x in "BCD"] + [("E", "T", "phone")],
        mobilise=("E",))


@pytest.mark.parametrize(("count", "decisive", "arrival"), [(1, "B", 10.0), (2, "C", 14.0), (3, "D", 35.0)])
def test_wait_for_takes_the_kth_smallest_arrival(count, decisive, arrival):
    analysis = analyse(k_of_n(count))
    assert analysis.callout == arrival + 4 + 2 + 1
    assert analysis.chain[-2] == Step("E", "agree", "alert", decisive, "phone", arrival, 0, arrival + 4)


def test_wait_for_fires_once_with_the_class_of_the_message_that_completes_it():
    scenario = make({  # B and C report every class; E fires on the alert and never again
        "A": [{"on": "class_change", "time": "1m", "send": [send("B", "n"), send("C", "n")]}],
        "B": [{"on": "n", "send": [send("E", "agree")]}],
        "C": [{"on": "n", "send": [send("E", "agree")]}],
        "E": [{"on": "agree", "wait_for": {"count": 2, "from": ["B", "C"]}, "send": [send("F", "n")]}],
        "F": [{"on": "n", "class_at_least": "emergency", "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise"}],
    }, [("A", "B", "phone"), ("A", "C", "fax"), ("B", "E", "phone"), ("C", "E", "phone"),
        ("E", "F", "phone"), ("F", "T", "phone")], mobilise=("F",),
        timeline=((0, "alert"), (30, "emergency")))
    analysis = analyse(scenario)
    assert analysis.callout is None
    assert analysis.notified["F"] == 1 + 10 + 2 + 2  # about the alert, on which F does not act
    assert check_graph(scenario) == [Problem(
        ("team", "organisation"),
        "the call-out can never start: no chain of handlers from the accident at 'A' leads to 'T' acting "
        "on a 'mobilise' order; the accident's messages reach only: A, B, C, E, F; note that a wait_for "
        "handler runs once, on the first class to complete its count: organisations.E.handlers.0 ran on "
        "'alert' (class_at_least makes it wait for a higher class)")]


def once_relay(once: bool) -> Scenario:
    """A reports every class to E; E relays to F, which acts only on an emergency."""
    return make({
        "A": [{"on": "class_change", "time": "1m", "send": [send("E", "n")]}],
        "E": [{"on": "n", "once": once, "time": "4m", "send": [send("F", "n")]}],
        "F": [{"on": "n", "class_at_least": "emergency", "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise"}],
    }, [("A", "E", "phone"), ("E", "F", "phone"), ("F", "T", "phone")], mobilise=("F",),
        timeline=((0, "alert"), (30, "emergency")))


def test_a_once_handler_runs_on_the_first_class_only_as_in_the_engine():
    from nukesim.metrics import compute_metrics
    from nukesim.sim import simulate

    again = once_relay(False)
    assert analyse(again).callout == 30 + 1 + 2 + 4 + 2 + 0 + 2
    assert check_graph(again) == []
    assert compute_metrics(simulate(again, seed=1), again)["callout_started"] == analyse(again).callout

    once = once_relay(True)  # E relays the alert and never the emergency: F never acts
    assert analyse(once).callout is None
    assert math.isnan(compute_metrics(simulate(once, seed=1), once)["callout_started"])
    [problem] = check_graph(once)
    assert problem.path == ("team", "organisation")
    assert problem.message.endswith(
        "note that a handler with once: true runs on the first class that sets it going: "
        "organisations.E.handlers.0 ran on 'alert' (class_at_least makes it wait for a higher class)")


def test_expected_handling_times_follow_the_organisations_slowdown_by_period():
    def at_night(start: str) -> Scenario:
        scenario = chain_scenario()
        data = scenario.model_dump(by_alias=True)
        data["start"] = start
        data["organisations"]["B"]["slowdown"] = {"night": 1.5}
        new, problems = validate(Scenario, data)
        assert new is not None, problems
        return new

    assert analyse(at_night("2026-03-16T10:00:00+08:00")).callout == 30.0  # by day: as before
    # at 02:00 B's 10 minutes take 15
    night = analyse(at_night("2026-03-16T02:00:00+08:00"))
    assert night.callout == 35.0
    assert night.chain[1] == Step("B", "notification", "alert", "A", "phone", 7.0, 0, 22.0)


def approval(approver_time: str) -> Scenario:
    """B gets a notification at 3m but may act only once C's approval (C is told at 3m) arrives."""
    return make({
        "A": [{"on": "class_change", "time": "1m", "send": [send("B", "n"), send("C", "n")]}],
        "B": [{"on": "n", "time": "5m", "approval": {"from": "C", "kind": "ok"},
               "send": [send("T", "mobilise")]}],
        "C": [{"on": "n", "time": approver_time, "send": [send("B", "ok")]}],
        "T": [{"on": "mobilise", "time": "1m"}],
    }, [("A", "B", "phone"), ("A", "C", "phone"), ("C", "B", "radio"), ("B", "T", "phone")])


def test_approval_holds_the_handler_until_the_later_of_message_and_approval():
    late = analyse(approval("20m"))  # approval arrives 1+2+20+1 = 24 > 3
    assert late.callout == 24 + 5 + 2 + 1
    assert [(s.organisation, s.kind, s.sender, s.received) for s in late.chain] == [
        ("A", "class_change", None, 0.0), ("C", "n", "A", 3.0), ("B", "ok", "C", 24.0),
        ("T", "mobilise", "B", 31.0)]
    early = analyse(approval("0m"))  # approval at 4 > message at 3: still the approval decides
    assert early.callout == 4 + 5 + 2 + 1
    assert check_graph(approval("0m")) == []  # 'ok' needs no handler of its own at B


def test_approval_earlier_than_the_message_leaves_the_message_decisive():
    scenario = make({
        "A": [{"on": "class_change", "time": "1m", "send": [send("B", "n"), send("C", "n")]}],
        "B": [{"on": "n", "time": "5m", "approval": {"from": "C", "kind": "ok"},
               "send": [send("T", "mobilise")]}],
        "C": [{"on": "n", "time": "0m", "send": [send("B", "ok")]}],
        "T": [{"on": "mobilise", "time": "1m"}],
    }, [("A", "B", "fax"), ("A", "C", "radio"), ("C", "B", "radio"), ("B", "T", "phone")])
    analysis = analyse(scenario)  # approval at 1+1+0+1 = 3, notification at 1+10 = 11
    assert analysis.callout == 11 + 5 + 2 + 1
    assert analysis.chain[1] == Step("B", "n", "alert", "A", "fax", 11.0, 0, 16.0)


def test_cycles_between_organisations_terminate_with_the_acyclic_value():
    scenario = make({
        "A": [{"on": "class_change", "time": "1m", "send": [send("B", "n")]},
              {"on": "n", "time": "1m", "send": [send("B", "n")]}],
        "B": [{"on": "n", "time": "2m", "send": [send("A", "n"), send("T", "mobilise")]}],
        "T": [{"on": "mobilise", "time": "1m"}],
    }, [("A", "B", "phone"), ("B", "A", "radio"), ("B", "T", "phone")])
    assert analyse(scenario).callout == 1 + 2 + 2 + 2 + 1


def test_a_zero_cost_cycle_neither_hangs_nor_loops_the_chain():
    scenario = make({
        "A": [{"on": "class_change", "time": "1m", "send": [send("B", "n")]},
              {"on": "n", "send": [send("B", "n")]}],
        "B": [{"on": "n", "send": [send("A", "n"), send("C", "n")]}],
        "C": [{"on": "n", "time": "1m", "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise"}],
    }, [("A", "B", "hand"), ("B", "A", "hand"), ("B", "C", "hand"), ("C", "T", "hand")], mobilise=("C",))
    analysis = analyse(scenario)
    assert analysis.callout == 2.0
    assert [(x.organisation, x.sender, x.received, x.handled) for x in analysis.chain] == [
        ("A", None, 0.0, 1.0), ("B", "A", 1.0, 1.0), ("C", "B", 1.0, 2.0), ("T", "C", 2.0, 2.0)]


def test_an_order_without_authority_is_not_acted_on():
    scenario = chain_scenario(mobilise=("A",))
    assert analyse(scenario).callout is None
    assert analyse(scenario).chain == []


def test_deploy_order_time_when_the_team_must_wait_for_it():
    scenario = make({
        "A": [{"on": "class_change", "time": "5m", "send": [send("B", "notification")]}],
        "B": [{"on": "notification", "time": "10m", "send": [send("T", "mobilise"), send("T", "deploy")]}],
        "T": [{"on": "mobilise", "time": "3m"}, {"on": "deploy", "time": "7m"}],
    }, [("A", "B", "phone"), ("B", "T", "fax")], order=True)
    analysis = analyse(scenario)
    assert (analysis.callout, analysis.deploy_order) == (30.0, 34.0)


def test_minimal_scenario_by_hand():
    scenario, _ = load_scenario(MINIMAL)
    sigma = math.log(3) / 1.2815515655446004  # lognormal median 10m, p90 30m
    decide = 10 * math.exp(sigma**2 / 2)
    analysis = analyse(scenario)
    assert analysis.callout == pytest.approx(30 + 5 + 2 + decide + 2 + 2)
    assert analysis.deploy_order == pytest.approx(30 + 5 + 2 + decide + 2 + 1)
    assert [(s.organisation, s.kind, s.class_) for s in analysis.chain] == [
        ("plant", "class_change", "emergency"), ("authority", "notification", "emergency"),
        ("team_office", "mobilise", "emergency")]
    assert analysis.notified["authority"] == 7.0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(0, 120), min_size=4, max_size=4), st.integers(0, 120))
def test_diamond_callout_is_the_faster_branch_and_the_chain_adds_up(times, b_time):
    a, c, t, extra = times
    scenario = make({
        "A": [{"on": "class_change", "time": a, "send": [send("B", "n"), send("C", "n")]}],
        "B": [{"on": "n", "time": b_time, "send": [send("T", "mobilise")]}],
        "C": [{"on": "n", "time": c, "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise", "time": t}],
    }, [("A", "B", "phone"), ("A", "C", "fax"), ("B", "T", "phone"), ("C", "T", "radio")],
        timeline=((extra, "alert"),), mobilise=("B", "C"))
    analysis = analyse(scenario)
    assert analysis.callout == extra + a + t + min(2 + b_time + 2, 10 + c + 1)
    assert analysis.chain[-1].handled == analysis.callout
    for x in analysis.chain:
        assert x.handled - x.received == scenario.organisations[x.organisation].handlers[x.handler].time.mean
    for x, y in zip(analysis.chain, analysis.chain[1:], strict=False):
        assert y.received - x.handled == scenario.channels[y.channel].delay.mean


# --- single points of failure ---------------------------------------------------------------------


def test_the_only_intermediary_is_a_single_point_of_failure():
    sp = analyse(chain_scenario()).single_points
    assert sp.organisations == ["B"]
    assert sp.links == [("A", "B"), ("B", "T")]
    assert sp.channels == ["phone", "fax"]
    assert sp.inherent == ["A", "T"]
    assert sp.dominators == ["B"]


def test_a_diamond_has_no_single_organisation_link_or_channel_to_lose():
    sp = analyse(diamond("3m", "8m", c_channel="fax")).single_points
    assert (sp.organisations, sp.links, sp.channels, sp.dominators) == ([], [], [], [])


def test_a_channel_shared_by_both_branches_is_a_single_point_of_failure():
    assert analyse(diamond("3m", "8m")).single_points.channels == ["phone"]


def test_a_fallback_channel_keeps_its_primary_from_being_a_single_point_of_failure():
    scenario = make({
        "A": [{"on": "class_change", "time": "5m", "send": [send("B", "notification")]}],
        "B": [{"on": "notification", "time": "10m", "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise", "time": "3m"}],
    }, [("A", "B", "phone", "radio"), ("B", "T", "fax", "radio")])
    sp = analyse(scenario).single_points
    assert sp.channels == []
    assert sp.links == [("A", "B"), ("B", "T")]
    assert analyse(scenario).callout == 30.0  # the primary's delay, not the fallback's


def test_every_member_of_an_all_of_n_join_is_a_single_point_though_none_dominates():
    sp = analyse(k_of_n(3)).single_points
    assert sp.organisations == ["B", "C", "D", "E"]
    assert sp.dominators == ["E"]  # the pure OR view sees only E
    assert analyse(k_of_n(2)).single_points.organisations == ["E"]


def test_an_approver_is_a_single_point_of_failure():
    assert analyse(approval("20m")).single_points.organisations == ["B", "C"]


def test_single_points_of_the_deploy_order_are_assessed_apart_from_the_call_out():
    scenario = make({  # B orders the call-out; only after C's assessment does B order deployment
        "A": [{"on": "class_change", "send": [send("B", "n"), send("C", "n")]}],
        "B": [{"on": "n", "send": [send("T", "mobilise")]},
              {"on": "n", "approval": {"from": "C", "kind": "ok"}, "send": [send("T", "deploy")]}],
        "C": [{"on": "n", "time": "30m", "send": [send("B", "ok")]}],
        "T": [{"on": "mobilise"}, {"on": "deploy"}],
    }, [("A", "B", "phone"), ("A", "C", "phone"), ("C", "B", "fax", "radio"), ("B", "T", "phone")],
        order=True)
    analysis = analyse(scenario)
    assert (analysis.callout, analysis.deploy_order) == (4.0, 2 + 30 + 10 + 2)
    assert analysis.single_points.organisations == ["B"]
    assert analysis.single_points.links == [("A", "B"), ("B", "T")]
    assert analysis.deploy_single_points.organisations == ["B", "C"]
    assert analysis.deploy_single_points.links == [("A", "B"), ("A", "C"), ("C", "B"), ("B", "T")]
    assert analysis.deploy_single_points.channels == ["phone"]
    assert analyse(chain_scenario()).deploy_single_points is None  # no deploy order required


def test_no_single_points_are_assessed_when_the_call_out_is_already_unreachable():
    sp = analyse(chain_scenario(mobilise=("A",))).single_points
    assert (sp.organisations, sp.links, sp.channels) == ([], [], [])


# --- checks ---------------------------------------------------------------------------------------


def test_minimal_scenario_has_no_problems():
    scenario, _ = load_scenario(MINIMAL)
    assert check_graph(scenario) == []


def test_an_organisation_no_link_reaches():
    scenario = make({
        **{k: v for k, v in {
            "A": [{"on": "class_change", "time": "5m", "send": [send("B", "notification")]}],
            "B": [{"on": "notification", "time": "10m", "send": [send("T", "mobilise")]}],
            "T": [{"on": "mobilise", "time": "3m"}],
        }.items()},
        "Z": [{"on": "notification"}],
    }, [("A", "B", "phone"), ("B", "T", "fax"), ("Z", "T", "fax")])
    assert check_graph(scenario) == [Problem(
        ("organisations", "Z"),
        "'Z' cannot be reached from the accident site 'A' over any link; add a link to it, or remove it")]


def test_a_send_without_a_link_suggests_adding_one():
    scenario = make({
        "A": [{"on": "class_change", "time": "5m", "send": [send("B", "notification"), send("T", "n")]}],
        "B": [{"on": "notification", "time": "10m", "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise", "time": "3m"}, {"on": "n"}],
    }, [("A", "B", "phone"), ("B", "T", "fax")])
    assert check_graph(scenario) == [Problem(
        ("organisations", "A", "handlers", 0, "send", 1, "to"),
        "no link from 'A' to 'T' carries this 'n'; add one to links, e.g. {from: A, to: T, channel: phone}")]


def test_a_kind_the_receiver_does_not_handle_suggests_a_close_one():
    scenario = make({
        "A": [{"on": "class_change", "time": "5m", "send": [send("B", "notifcation")]}],
        "B": [{"on": "notification", "time": "10m", "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise", "time": "3m"}],
    }, [("A", "B", "phone"), ("B", "T", "fax")])
    problems = check_graph(scenario)
    assert problems[0] == Problem(("organisations", "A", "handlers", 0, "send", 0, "kind"),
                                  "'B' has no handler for 'notifcation'; did you mean 'notification'?")
    assert problems[1].path == ("team", "organisation")  # and so the call-out is unreachable
    assert len(problems) == 2


def test_a_kind_with_no_close_handler_lists_what_the_receiver_handles():
    scenario = make({
        "A": [{"on": "class_change", "send": [send("B", "notification"), send("B", "xyz")]}],
        "B": [{"on": "notification", "send": [send("T", "mobilise")]}, {"on": "query"}],
        "T": [{"on": "mobilise"}],
    }, [("A", "B", "phone"), ("B", "T", "fax")])
    assert check_graph(scenario) == [Problem(("organisations", "A", "handlers", 0, "send", 1, "kind"),
                                             "'B' has no handler for 'xyz'; it handles: notification, query")]


def test_an_order_from_an_organisation_without_authority():
    problems = check_graph(chain_scenario(mobilise=("A",)))
    assert problems[0] == Problem(("organisations", "B", "handlers", 0, "send", 0, "kind"),
                                  "'B' has no authority to send 'mobilise'; authority.mobilise lists only A")
    assert problems[1] == Problem(
        ("team", "organisation"),
        "the call-out can never start: no chain of handlers from the accident at 'A' leads to 'T' "
        "acting on a 'mobilise' order; the accident's messages reach only: A, B")
    assert len(problems) == 2


def test_a_call_out_no_chain_of_handlers_reaches():
    scenario = make({  # B acts only on an emergency, and the accident never becomes one
        "A": [{"on": "class_change", "time": "5m", "send": [send("B", "notification")]}],
        "B": [{"on": "notification", "class_at_least": "emergency", "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise", "time": "3m"}],
    }, [("A", "B", "phone"), ("B", "T", "fax")])
    assert check_graph(scenario) == [Problem(
        ("team", "organisation"),
        "the call-out can never start: no chain of handlers from the accident at 'A' leads to 'T' "
        "acting on a 'mobilise' order; the accident's messages reach only: A, B")]
    assert analyse(scenario).callout is None


def test_a_team_organisation_without_a_mobilise_handler():
    scenario = make({
        "A": [{"on": "class_change", "time": "5m", "send": [send("B", "notification")]}],
        "B": [{"on": "notification", "time": "10m", "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilize", "time": "3m"}],
    }, [("A", "B", "phone"), ("B", "T", "fax")])
    assert check_graph(scenario) == [
        Problem(("organisations", "B", "handlers", 0, "send", 0, "kind"),
                "'T' has no handler for 'mobilise'; did you mean 'mobilize'?"),
        Problem(("organisations", "T", "handlers"),
                "the team organisation 'T' has no handler for 'mobilise', so the call-out can never "
                "start; add one: - on: mobilise"),
    ]


def test_a_deploy_order_that_never_comes():
    scenario = chain_scenario(order=True)
    assert check_graph(scenario) == [Problem(
        ("organisations", "T", "handlers"),
        "the team organisation 'T' has no handler for 'deploy', so the team never departs "
        "(team.deploy.order is true); add one: - on: deploy")]
    scenario = make({
        "A": [{"on": "class_change", "time": "5m", "send": [send("B", "notification")]}],
        "B": [{"on": "notification", "time": "10m", "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise", "time": "3m"}, {"on": "deploy"}],
    }, [("A", "B", "phone"), ("B", "T", "fax")], order=True)
    assert check_graph(scenario) == [Problem(
        ("team", "deploy", "order"),
        "the team can never depart: no chain of handlers from the accident at 'A' leads to 'T' "
        "acting on a 'deploy' order; the accident's messages reach only: A, B, T")]
    assert analyse(scenario).deploy_order is None
    assert analyse(scenario).single_points.organisations == ["B"]
    assert analyse(scenario).deploy_single_points.organisations == []  # not assessed


def test_an_approval_nobody_sends():
    scenario = make({
        "A": [{"on": "class_change", "time": "1m", "send": [send("B", "n"), send("C", "n")]},
              {"on": "ok"}],
        "B": [{"on": "n", "approval": {"from": "C", "kind": "ok"}, "send": [send("T", "mobilise")]}],
        "C": [{"on": "n", "send": [send("A", "ok")]}],  # approves to the wrong organisation
        "T": [{"on": "mobilise"}],
    }, [("A", "B", "phone"), ("A", "C", "phone"), ("C", "A", "radio"), ("B", "T", "phone")])
    problems = check_graph(scenario)
    assert problems[0] == Problem(
        ("organisations", "B", "handlers", 0, "approval", "from"),
        "'C' never sends 'ok' to 'B', so this handler waits for its approval forever; give a handler "
        "of 'C' send: {to: B, kind: ok}")
    assert [p.path for p in problems[1:]] == [("team", "organisation")]


def test_a_wait_for_too_few_listed_senders_ever_satisfy():
    scenario = make({
        "A": [{"on": "class_change", "send": [send("B", "n"), send("C", "n")]}],
        "B": [{"on": "n", "send": [send("E", "agree")]}],
        "C": [{"on": "n"}],
        "E": [{"on": "agree", "wait_for": {"count": 2, "from": ["B", "C"]}, "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise"}],
    }, [("A", "B", "phone"), ("A", "C", "phone"), ("B", "E", "phone"), ("C", "E", "phone"),
        ("E", "T", "phone")], mobilise=("E",))
    problems = check_graph(scenario)
    assert problems[0] == Problem(
        ("organisations", "E", "handlers", 0, "wait_for", "from", 1),
        "'C' never sends 'agree' to 'E'; only 1 of the listed senders ever do, fewer than count 2, "
        "so this handler never runs")
    assert [p.path for p in problems[1:]] == [("team", "organisation")]
    assert check_graph(k_of_n(3)) == []


def test_problem_paths_point_at_lines_of_the_file():
    text = MINIMAL.read_text().replace("kind: notification}", "kind: notifcation}")
    data, source = parse_yaml(text, "m.yaml")
    scenario, problems = validate(Scenario, data)
    assert scenario is not None and problems == []
    first = source.located(check_graph(scenario))[0]
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "notifcation" in row)
    assert (first.line, str(first).split(": ", 1)[1]) == (
        line, "organisations.plant.handlers.0.send.0.kind: 'authority' has no handler for 'notifcation'; "
              "did you mean 'notification'?")


# --- exports --------------------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # pydot's parser on a newer pyparsing
def test_dot_export_is_valid_graphviz_even_with_awkward_names():
    scenario = make({
        "a:b": [{"on": "class_change", "send": [send('say "hi"', "n")]}],
        'say "hi"': [{"on": "n", "send": [send("T", "mobilise")]}],
        "T": [{"on": "mobilise"}],
    }, [("a:b", 'say "hi"', "phone"), ('say "hi"', "T", "fax", "radio")], site="a:b", mobilise=('say "hi"',))
    dot = pydot.graph_from_dot_data(to_dot(scenario))[0]
    assert sorted(n.get_name() for n in dot.get_nodes() if n.get_name() not in ("node", "graph")) == [
        '"T"', '"a:b"', '"say \\"hi\\""']
    edge = next(e for e in dot.get_edges() if e.get_destination() == '"T"')
    assert edge.get("label") == '"fax, radio\\n~10.0m\\nmobilise"'


def test_graphml_export_round_trips_through_networkx():
    graph = nx.parse_graphml(to_graphml(chain_scenario()))
    assert graph.nodes["B"] == {"label": "B", "staff_day": 1, "staff_night": 1, "staff_weekend": 1}
    assert graph.edges["A", "B"] == {"channel": "phone", "fallbacks": "", "delay": 2.0,
                                     "kinds": "notification"}


def test_json_export_holds_graph_problems_and_analysis():
    document = json.loads(to_json(chain_scenario()))
    assert nx.node_link_graph(document["graph"], edges="edges").has_edge("B", "T")
    assert document["problems"] == []
    assert document["analysis"]["callout"] == 30.0
    assert document["analysis"]["chain"][1] == {
        "organisation": "B", "kind": "notification", "class": "alert", "sender": "A", "channel": "phone",
        "received": 7.0, "handler": 0, "handled": 17.0}
    links = document["analysis"]["single_points"]["links"]
    assert links == [{"from": "A", "to": "B"}, {"from": "B", "to": "T"}]
    assert document["analysis"]["deploy_single_points"] is None
    unreachable = json.loads(to_json(chain_scenario(mobilise=("A",))))
    assert unreachable["analysis"]["callout"] is None
    assert unreachable["analysis"]["notified"]["T"] is None


def test_describe_minimal_scenario():
    scenario, _ = load_scenario(MINIMAL)
    text = describe(scenario)
    assert "  authority    3/1/1" in text.splitlines()
    assert "  plant -> authority        phone, radio  2.0m" in text.splitlines()
    assert "Checks: no problems found" in text
    assert "      30.0m  plant receives class_change [emergency] from the accident; handled by 35.0m" in text
    assert "  call-out starts at 55.4m" in text
    assert ("Single points of failure: losing any one of these alone stops the call-out or the deploy\n"
            "order (as losing the accident site plant or the team organisation team_office always would):\n"
            "  call-out:\n"
            "    organisations: authority\n"
            "    links:         plant -> authority, authority -> team_office\n"
            "    channels:      phone\n"
            "  deploy order:\n") in text


def test_describe_lists_problems_and_says_when_the_call_out_cannot_start():
    text = describe(chain_scenario(mobilise=("A",)))
    assert "Checks: 2 problem(s)" in text
    assert "  organisations.B.handlers.0.send.0.kind: 'B' has no authority to send 'mobilise'" in text
    assert "  the call-out can never start" in text
    assert "  call-out: not assessed, it is unreachable already" in text


def test_analysis_is_a_plain_dataclass():
    assert isinstance(analyse(chain_scenario()), Analysis)


ORGS = ["A", "B", "C", "D", "T"]


@st.composite
def random_scenarios(draw) -> Scenario:
    """Any small command graph whose names resolve: handlers, joins, approvals, links at random."""
    links = draw(st.lists(st.tuples(st.sampled_from(ORGS), st.sampled_from(ORGS),
                                    st.sampled_from(["phone", "fax", "radio", "hand"])),
                          max_size=12, unique_by=lambda link: link[:2]))
    links = [link for link in links if link[0] != link[1]]
    kinds = ["n", "ok", "mobilise", "deploy"]
    orgs: dict[str, list[dict]] = {}
    for name in ORGS:
        handlers = []
        for _ in range(draw(st.integers(0, 3))):
            on = "class_change" if name == "A" and draw(st.booleans()) else draw(st.sampled_from(kinds))
            handler: dict = {"on": on, "time": draw(st.integers(0, 30)),
                             "send": [send(draw(st.sampled_from(ORGS)), draw(st.sampled_from(kinds)))
                                      for _ in range(draw(st.integers(0, 3)))]}
            if draw(st.booleans()):
                handler["class_at_least"] = draw(st.sampled_from(["alert", "emergency"]))
            if draw(st.integers(0, 4)) == 0:
                senders = draw(st.lists(st.sampled_from(ORGS), min_size=1, max_size=3, unique=True))
                handler["wait_for"] = {"count": draw(st.integers(1, len(senders))), "from": senders}
            if draw(st.integers(0, 4)) == 0:
                handler["approval"] = {"from": draw(st.sampled_from(ORGS)), "kind": "ok"}
            if draw(st.integers(0, 3)) == 0:
                handler["once"] = True
            handlers.append(handler)
        orgs[name] = handlers
    orgs["A"].append({"on": "ok", "send": [send("B", "ok")]})  # so that 'ok' is a known kind
    return make(orgs, links, timeline=((0, "alert"), (draw(st.integers(0, 60)), "emergency")),
                mobilise=tuple(draw(st.lists(st.sampled_from(ORGS), min_size=1, unique=True))),
                order=draw(st.booleans()))


@settings(max_examples=150, deadline=None)
@given(random_scenarios())
def test_any_command_graph_gives_a_consistent_analysis(scenario):
    analysis = analyse(scenario)
    problems = check_graph(scenario)
    sp = analysis.single_points
    assert set(sp.dominators) <= set(sp.organisations)
    if analysis.deploy_single_points is not None and analysis.deploy_order is not None:
        dsp = analysis.deploy_single_points
        assert set(dsp.dominators) <= set(dsp.organisations)
    if analysis.callout is None:
        assert analysis.chain == []
        paths = [p.path for p in problems]  # the checks say why there is no call-out
        assert ("team", "organisation") in paths or ("organisations", "T", "handlers") in paths
    else:
        assert analysis.chain[0].sender is None and analysis.chain[0].organisation == "A"
        assert analysis.chain[-1].organisation == "T" and analysis.chain[-1].handled == analysis.callout
        for x, y in zip(analysis.chain, analysis.chain[1:], strict=False):
            assert x.handled <= y.received and y.sender == x.organisation
    for text in (describe(scenario), to_dot(scenario), to_graphml(scenario), to_json(scenario)):
        assert text.endswith("\n")


def test_the_sample_output_in_the_docs_is_what_describe_prints():
    doc = (MINIMAL.parents[1] / "docs" / "graph.md").read_text()
    sample = doc[doc.index("Command graph of 'Minimal"):]
    sample = sample[:sample.index("```")]
    scenario, _ = load_scenario(MINIMAL)
    assert describe(scenario) == sample
