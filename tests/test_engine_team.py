"""The team: call-out, readiness as an order statistic, the call tree, vehicles and departure."""

from __future__ import annotations

import math

import numpy as np
import pytest
from builders import mobilising, records
from scipy import stats

from nukesim.metrics import compute_metrics
from nukesim.sim import simulate
from nukesim.sim.plan import compile_plan


def k_th_ready(s, k_from_start: float, replications: int, seed: int = 2) -> np.ndarray:
    out = []
    for r in range(replications):
        m = compute_metrics(simulate(s, seed=seed, replication=r), s)
        out.append(m["unit_ready:u"] - m["callout_started"] - k_from_start)
    return np.array(out)


def test_unit_ready_is_the_kth_order_statistic_of_exponential_turnout():
    n, k, theta = 20, 10, 30.0
    s = mobilising({"callout": {"delay": 2}, "units": {"u": {"size": n, "ready_at": k / n}},
                    "members": {"all": {"share": 1.0, "travel": {"dist": "exponential", "mean": theta}}}})
    ready = k_th_ready(s, 2.0, replications=1500)
    # E[X(k)] and Var[X(k)] of n exponentials: sums over the spacings (Rényi)
    mean = theta * sum(1 / (n - i) for i in range(k))
    var = theta**2 * sum(1 / (n - i) ** 2 for i in range(k))
    se = ready.std(ddof=1) / math.sqrt(len(ready))
    assert abs(ready.mean() - mean) < 4 * se
    assert abs(ready.var(ddof=1) / var - 1) < 0.15


def test_unit_ready_matches_a_monte_carlo_of_acknowledge_plus_travel_order_statistics():
    n, k = 15, 12
    member = {"share": 1.0, "acknowledge": {"dist": "uniform", "low": 1, "high": 9},
              "travel": {"dist": "lognormal", "median": 20, "p90": 45}}
    s = mobilising({"units": {"u": {"size": n, "ready_at": k / n}}, "members": {"all": member}})
    ready = k_th_ready(s, 0.0, replications=1500)
    rng = np.random.default_rng(12345)
    sigma = math.log(45 / 20) / 1.2815515655446004
    turnout = rng.uniform(1, 9, (20000, n)) + rng.lognormal(math.log(20), sigma, (20000, n))
    reference = np.sort(turnout, axis=1)[:, k - 1]
    se = math.sqrt(ready.var(ddof=1) / len(ready) + reference.var(ddof=1) / len(reference))
    assert abs(ready.mean() - reference.mean()) < 4 * se
    assert stats.ks_2samp(ready, reference).pvalue > 0.001  # and the whole distribution


def test_unreachable_members_never_assemble_and_can_keep_a_unit_from_readiness():
    s = mobilising({"units": {"u": {"size": 10, "ready_at": 1.0}},
                    "members": {"all": {"share": 1.0, "reachable": 0.7, "travel": 5}}})
    for r in range(20):
        log = simulate(s, seed=4, replication=r)
        unreachable = len(records(log, "unreachable"))
        assert len(records(log, "paged")) == 10
        assert len(records(log, "assembled")) == 10 - unreachable
        m = compute_metrics(log, s)
        assert math.isnan(m["unit_ready:u"]) == (unreachable > 0)
        assert math.isnan(m["team_mobilized"]) == (unreachable > 0)


def test_page_delay_and_fixed_turnout_give_exact_times():
    s = mobilising({"callout": {"delay": 3}, "units": {"u": {"size": 4, "ready_at": 0.5}},
                    "members": {"all": {"share": 1.0, "acknowledge": 2, "travel": 10}},
                    "transit": 60}, plant_time=5)
    m = compute_metrics(simulate(s, seed=1), s)
    assert m["callout_started"] == 5.0
    assert m["unit_ready:u"] == m["team_mobilized"] == 20.0  # 5 + 3 + 2 + 10
    assert m["team_departed"] == 20.0
    assert m["team_on_site"] == 80.0


def tree(n: int, fanout: int, reachable: float = 1.0, per_call=1, acknowledge=0, **team) -> object:
    return mobilising({"callout": {"method": "tree", "fanout": fanout, "per_call": per_call},
                       "units": {"u": {"size": n}},
                       "members": {"all": {"share": 1.0, "reachable": reachable,
                                           "acknowledge": acknowledge, "travel": 30}}, **team})


def test_call_tree_times_with_everybody_reachable():
    # officer calls 1, 2 (t = 0, 1); 1 is reached at 1 and calls 3, 4 (t = 1, 2);
    # 2 is reached at 2 and calls 5 (t = 2); 3 … 5 have nobody left to call
    log = simulate(tree(5, fanout=2), seed=1)
    paged = {r[2]: r[0] for r in records(log, "paged")}
    assert paged == {"u/1": 0.0, "u/2": 1.0, "u/3": 1.0, "u/4": 2.0, "u/5": 2.0}
    assembled = {r[2]: r[0] for r in records(log, "assembled")}
    assert assembled == {m: t + 1 + 30 for m, t in paged.items()}


def test_caller_takes_over_the_list_of_an_unreachable_member():
    # nobody is reachable: the duty officer ends up calling all twelve, one after another
    log = simulate(tree(12, fanout=3, reachable=0.0, per_call=2), seed=1)
    paged = sorted(r[0] for r in records(log, "paged"))
    assert paged == [2.0 * i for i in range(12)]
    assert sorted(r[0] for r in records(log, "unreachable")) == [2.0 * (i + 1) for i in range(12)]


@pytest.mark.parametrize("fanout", [1, 3, 7])
def test_call_tree_reaches_everybody_reachable(fanout):
    s = tree(60, fanout=fanout, reachable=0.6, per_call={"dist": "exponential", "mean": 1.5},
             acknowledge={"dist": "exponential", "mean": 4})
    for r in range(10):
        log = simulate(s, seed=8, replication=r)
        called = [r_[2] for r_ in records(log, "paged")]
        assert sorted(called) == sorted(f"u/{i}" for i in range(1, 61))  # each called exactly once
        unreachable = {r_[2] for r_ in records(log, "unreachable")}
        assembled = {r_[2] for r_ in records(log, "assembled")}
        assert not unreachable & assembled
        assert len(unreachable) + len(assembled) == 60


def test_vehicles_load_after_the_first_unit_with_limited_loaders():
    s = mobilising({"units": {"first": {"size": 1}, "second": {"size": 1}},
                    "members": {"all": {"share": 1.0, "travel": 0}},
                    "vehicles": {"count": 5, "load": 10, "loaders": 2}, "transit": 30})
    log = simulate(s, seed=1)
    loaded = [r[0] for r in records(log, "vehicle_loaded")]
    assert loaded == [10.0, 10.0, 20.0, 20.0, 30.0]
    m = compute_metrics(log, s)
    assert m["team_departed"] == 30.0 and m["team_on_site"] == 60.0


def test_departure_waits_for_the_deploy_order_and_only_the_listed_units():
    team = {"units": {"fast": {"size": 1}, "slow": {"size": 1}},
            "members": {"all": {"share": 1.0, "travel": {"dist": "uniform", "low": 10, "high": 100}}},
            "deploy": {"order": True, "units": ["fast"]}}
    s = mobilising(team, deploy_order=False)
    m = compute_metrics(simulate(s, seed=1), s)
    assert not math.isnan(m["team_mobilized"]) and math.isnan(m["team_departed"])  # no order came

    s = mobilising(team, deploy_order=True)
    for r in range(10):
        m = compute_metrics(simulate(s, seed=1, replication=r), s)
        assert m["team_departed"] == m["unit_ready:fast"]  # the order came at once; "slow" not needed
        assert not math.isnan(m["unit_ready:slow"])  # the run lasts until every unit is ready


# --- a unit's own member mix (team.units.<unit>.members) ------------------------------------------


def test_a_unit_with_its_own_mix_is_split_by_it_and_the_others_by_the_group_shares():
    s = mobilising({"units": {"engineering": {"size": 10, "members": {"town": 0.8, "base": 0.2}},
                              "command": {"size": 4}},
                    "members": {"base": {"share": 0.5}, "town": {"share": 0.5}}})
    team = compile_plan(s).team
    groups = [team.groups[g] for g in team.group_of]
    # within a unit, groups in the order of team.members (base, then town), whatever the mix's order
    assert groups == ["base"] * 2 + ["town"] * 8 + ["base"] * 2 + ["town"] * 2
    assert team.member_ids[:3] == ("engineering/1", "engineering/2", "engineering/3")


def test_a_group_without_a_share_serves_only_the_units_that_list_it():
    s = mobilising({"units": {"engineering": {"size": 5, "members": {"contractors": 0.4, "base": 0.6}},
                              "assault": {"size": 3}},
                    "members": {"base": {"share": 1.0}, "contractors": {}}})
    team = compile_plan(s).team
    assert [team.groups[g] for g in team.group_of] == ["base"] * 3 + ["contractors"] * 2 + ["base"] * 3


def test_unit_readiness_follows_its_own_mix():
    # base members assemble at 10, town members at 100; each unit needs all its members
    members = {"base": {"share": 0.5, "travel": 10}, "town": {"share": 0.5, "travel": 100}}
    s = mobilising({"units": {"assault": {"size": 4, "members": {"base": 1.0}},
                              "engineering": {"size": 4, "members": {"town": 0.75, "base": 0.25}},
                              "command": {"size": 4, "ready_at": 0.5}},
                    "members": members})
    m = compute_metrics(simulate(s, seed=1), s)
    assert m["unit_ready:assault"] == 10.0  # all on base
    assert m["unit_ready:engineering"] == 100.0
    assert m["unit_ready:command"] == 10.0  # 2 of 4 on base, by the groups' shares
    assert m["team_mobilized"] == 100.0


def test_a_unit_mix_equal_to_the_group_shares_changes_nothing():
    """The same members in the same groups and order: the same draws, the same log."""
    members = {"a": {"share": 0.5, "travel": {"dist": "exponential", "mean": 20}},
               "b": {"share": 0.5, "travel": {"dist": "exponential", "mean": 60}}}
    plain = mobilising({"units": {"x": {"size": 4}, "y": {"size": 4}}, "members": members})
    mixed = mobilising({"units": {"x": {"size": 4}, "y": {"size": 4, "members": {"a": 0.5, "b": 0.5}}},
                        "members": members})
    for r in range(5):
        a, b = simulate(plain, seed=3, replication=r), simulate(mixed, seed=3, replication=r)
        assert a.records == b.records
