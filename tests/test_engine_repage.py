"""Re-paging (team.callout.repage): a member not reached is tried again, with fresh draws."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from builders import mobilising, records
from scipy import stats

from nukesim.metrics import compute_metrics
from nukesim.sim import simulate

BEFORE_EIGHT = "2026-03-16T07:40:00+08:00"  # a Monday, night until 08:00 (t = 20)


def member_story(log, member: str) -> list[tuple[float, str]]:
    return [(r[0], r[1]) for r in log.records if r[2] == member]


def paged_at_dawn(attempts: int, method: str = "page", **callout) -> object:
    """Nobody is reachable at night, everybody by day; night turnout takes twice as long."""
    member = {"share": 1.0, "reachable": {"day": 1.0, "night": 0.0}, "acknowledge": 1, "travel": 10,
              "slowdown": {"night": 2}}
    return mobilising({"callout": {"method": method, "repage": {"after": 15, "attempts": attempts},
                                   **callout},
                       "units": {"u": {"size": 1}}, "members": {"all": member}}, start=BEFORE_EIGHT)


def test_a_page_is_repeated_until_it_reaches_the_member_in_the_period_of_that_page():
    log = simulate(paged_at_dawn(attempts=2), seed=1)
    # pages at 0 and 15 fall at night (unreachable); the one at 30 (08:10) reaches the member, and
    # the day's slowdown (1), not the night's (2), applies from then on
    assert member_story(log, "u/1") == [(0.0, "paged"), (0.0, "unreachable"), (15.0, "paged"),
                                        (15.0, "unreachable"), (30.0, "paged"), (31.0, "acknowledged"),
                                        (41.0, "assembled")]
    assert compute_metrics(log, paged_at_dawn(attempts=2))["unit_ready:u"] == 41.0


def test_repaging_stops_after_the_attempts():
    s = paged_at_dawn(attempts=1)
    log = simulate(s, seed=1)
    assert member_story(log, "u/1") == [(0.0, "paged"), (0.0, "unreachable"), (15.0, "paged"),
                                        (15.0, "unreachable")]
    assert math.isnan(compute_metrics(log, s)["unit_ready:u"])


def outcome_counts(s, replications: int, seed: int) -> Counter:
    """Per member: 0 if reached at the first page, k if at the k-th re-page, 'never' otherwise."""
    out: Counter = Counter()
    for r in range(replications):
        pages: Counter = Counter()
        reached = set()
        for rec in simulate(s, seed=seed, replication=r).records:
            if rec[1] == "paged":
                pages[rec[2]] += 1
            elif rec[1] == "acknowledged":
                reached.add(rec[2])
        for member, n in pages.items():
            out[n - 1 if member in reached else "never"] += 1
    return out


@pytest.mark.parametrize("method", ["page", "tree"])
def test_each_try_reaches_with_the_period_probability_independently(method):
    # reachable 0.6 at every try, 2 re-pages: reached at try k with 0.6·0.4^k; never with 0.4³.
    # (The unit needs everybody, so that the run does not end before the last try.)
    p, attempts = 0.6, 2
    s = mobilising({"callout": {"method": method, "fanout": 3, "repage": {"after": 20, "attempts": attempts}},
                    "units": {"u": {"size": 40}},
                    "members": {"all": {"share": 1.0, "reachable": p, "travel": 5}}})
    counts = outcome_counts(s, replications=150, seed=11)
    observed = [counts[0], counts[1], counts[2], counts["never"]]
    expected_share = [p, (1 - p) * p, (1 - p) ** 2 * p, (1 - p) ** 3]
    expected = np.array(expected_share) * sum(observed)
    assert sum(observed) == 150 * 40  # everybody tried at least once
    assert stats.chisquare(observed, expected).pvalue > 0.001, observed


def test_repage_draws_leave_every_first_page_draw_where_it_was():
    """Re-pages draw from their own part of each member stream (from number 2**64 on): adding
    re-pages moves no existing draw."""
    member = {"share": 1.0, "reachable": 0.7, "acknowledge": {"dist": "exponential", "mean": 3},
              "travel": {"dist": "lognormal", "median": 20, "p90": 45}}
    team = {"callout": {"delay": 2}, "units": {"u": {"size": 30, "ready_at": 0.5}},
            "members": {"all": member},
            "deploy": {"order": True}}  # an order that never comes: both runs go on to the horizon
    plain = mobilising(team, plant_time=4)
    repage = {"delay": 2, "repage": {"after": 10, "attempts": 3}}
    again = mobilising({**team, "callout": repage}, plant_time=4)
    for r in range(10):
        a, b = simulate(plain, seed=5, replication=r), simulate(again, seed=5, replication=r)
        first = {rec[2] for rec in a.records if rec[1] == "acknowledged"}
        assert first  # some were reached at the first page …
        for member_id in first:  # … and their stories are the same, draw for draw
            assert member_story(a, member_id) == member_story(b, member_id)
        assert [rec for rec in a.records if rec[1] == "received"] == \
            [rec for rec in b.records if rec[1] == "received"]
        reached_late = {rec[2] for rec in b.records if rec[1] == "acknowledged"} - first
        for member_id in reached_late:  # acknowledge and travel draws are the member's own
            t_paged = member_story(b, member_id)[-3][0]
            assert member_story(b, member_id)[-3][1] == "paged"
            assert t_paged in (6 + 10 * k for k in (1, 2, 3))


def test_call_tree_calls_an_unreachable_member_again_before_the_next_on_the_list():
    # officer's list 1, 2, 3; 1's list is 4. Calls take 2 minutes; night (nobody reachable) until t = 3.
    # 1: called 0-2, unreachable, due again at 3; its list (4) goes to the officer.
    # 2: called 2-4, unreachable, due again at 5.
    # at 4 the call to 1 is due: 4-6, reached; at 6 the call to 2: 6-8, reached; then 3 (8-10), 4 (10-12).
    member = {"share": 1.0, "reachable": {"day": 1.0, "night": 0.0}, "travel": 10}
    s = mobilising({"callout": {"method": "tree", "fanout": 3, "per_call": 2,
                                "repage": {"after": 1, "attempts": 1}},
                    "units": {"u": {"size": 4}}, "members": {"all": member}},
                   start="2026-03-16T07:57:00+08:00")
    log = simulate(s, seed=1)
    paged: dict[str, list[float]] = {}
    for rec in records(log, "paged"):
        paged.setdefault(rec[2], []).append(rec[0])
    assert paged == {"u/1": [0.0, 4.0], "u/2": [2.0, 6.0], "u/3": [8.0], "u/4": [10.0]}
    assert {r[2]: r[0] for r in records(log, "unreachable")} == {"u/1": 2.0, "u/2": 4.0}
    assert {r[2]: r[0] for r in records(log, "assembled")} == {"u/1": 16.0, "u/2": 18.0, "u/3": 20.0,
                                                               "u/4": 22.0}


def test_call_tree_caller_waits_for_a_call_again_once_its_list_is_done():
    member = {"share": 1.0, "reachable": {"day": 1.0, "night": 0.0}, "travel": 10}
    s = mobilising({"callout": {"method": "tree", "fanout": 1, "per_call": 1,
                                "repage": {"after": 30, "attempts": 2}},
                    "units": {"u": {"size": 1}}, "members": {"all": member}},
                   start="2026-03-16T07:40:00+08:00")
    log = simulate(s, seed=1)
    # called 0-1 (night), again 31-32 (08:11, day): reached, acknowledges at 32, assembles at 42
    assert member_story(log, "u/1") == [(0.0, "paged"), (1.0, "unreachable"), (31.0, "paged"),
                                        (32.0, "acknowledged"), (42.0, "assembled")]


def test_call_tree_with_repage_calls_everybody_at_least_once_and_at_most_attempts_more():
    s = mobilising({"callout": {"method": "tree", "fanout": 4, "per_call": {"dist": "exponential", "mean": 1},
                                "repage": {"after": 10, "attempts": 2}},
                    "units": {"u": {"size": 50}},
                    "members": {"all": {"share": 1.0, "reachable": 0.5, "travel": 30}}})
    for r in range(10):
        log = simulate(s, seed=4, replication=r)
        calls = Counter(rec[2] for rec in records(log, "paged"))
        assert set(calls) == {f"u/{i}" for i in range(1, 51)}
        assert max(calls.values()) <= 3
        assembled = {rec[2] for rec in records(log, "assembled")}
        for member_id, n in calls.items():  # tried again only while unreached
            story = [t for _, t in member_story(log, member_id)]
            assert story.count("unreachable") == n - (member_id in assembled)


def test_the_timeline_counts_members_once_and_says_how_many_were_paged_again():
    from nukesim.timeline import format_timeline

    s = paged_at_dawn(attempts=2)
    rows = format_timeline(simulate(s, seed=1), s)
    [row] = [r for r in rows if "members paged" in r[2]]
    assert row[2] == "1 of 1 members paged" and row[3] == "0 of 1 unreachable (2 paged again)"
