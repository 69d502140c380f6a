"""Properties every event log keeps, whatever the scenario variant, seed or replication."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nukesim.metrics import compute_metrics
from nukesim.scenario import apply_overrides, load_scenario
from nukesim.sim import World

MINIMAL = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "minimal.yaml")[0]

variants = st.fixed_dictionaries({
    "channels.phone.fails": st.sampled_from([0.0, 0.3, 0.9, 1.0]),
    "channels.phone.retries": st.integers(0, 3),
    "organisations.authority.staff": st.fixed_dictionaries({"day": st.integers(0, 3),
                                                             "night": st.integers(1, 2)}),
    "organisations.authority.background": st.one_of(st.none(), st.fixed_dictionaries({
        "interarrival": st.sampled_from([{"dist": "exponential", "mean": 4}, "15m"]),
        "duration": st.sampled_from([{"dist": "exponential", "mean": 5}, "20m"])})),
    "start": st.sampled_from(["2026-03-16T10:00:00+08:00", "2026-03-16T17:40:00+08:00",
                              "2026-03-21T03:00:00+08:00"]),
    "calendar.shift_changes": st.sampled_from([[], ["08:00", "18:00"]]),
    "calendar.handover": st.sampled_from(["0m", "15m"]),
    "team.callout.method": st.sampled_from(["page", "tree"]),
    "team.callout.fanout": st.integers(1, 4),
    "team.vehicles.count": st.integers(0, 4),
    "team.callout.repage": st.sampled_from([None, {"after": "10m", "attempts": 2}]),
    "organisations.authority.slowdown": st.sampled_from([1, {"night": 1.5, "weekend": 2}]),
    "organisations.authority.handlers.1.once": st.booleans(),
})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(variants, st.integers(0, 2**32 - 1), st.integers(0, 1000),
       st.one_of(st.none(), st.tuples(st.sampled_from(["authority", "phone", "team_office"]),
                                      st.floats(0, 120), st.floats(1, 240))))
def test_event_log_invariants(overrides, seed, replication, outage):
    s = apply_overrides(MINIMAL, overrides)
    world = World(s, seed, replication)
    if outage:
        world.make_unavailable(outage[0], outage[1], outage[1] + outage[2])
    log = world.run()
    recs = log.records

    times = [r[0] for r in recs]
    assert times == sorted(times) and recs[-1][1] == "ended" and recs[-1][0] <= s.horizon
    assert sum(r[1] == "ended" for r in recs) == 1

    # tasks: queued, then started, then finished; busy people never exceed those on duty
    state: dict[int, str] = {}
    busy, level = Counter(), {}
    for i, e in enumerate(log):
        t, typ, org = e.t, e.type, e.org
        ref = e.n if typ == "staff" else e.task
        if typ == "queued":
            assert ref not in state
            state[ref] = typ
        elif typ == "started":
            assert state.pop(ref) == "queued"
            state[ref] = typ
            busy[org] += 1
        elif typ == "finished":
            assert state.pop(ref) == "started"
            busy[org] -= 1
        elif typ == "staff":
            level[org] = ref
        if i + 1 == len(recs) or recs[i + 1][0] != t:  # at the end of each instant
            assert all(busy[o] <= level[o] for o in busy), (t, busy, level)

    # messages: each sent once, then received or lost at most once, never before it was sent
    sent = {r.message: r.t for r in log if r.type == "sent"}
    outcomes = Counter(r.message for r in log if r.type in ("received", "lost") and r.sender != "accident")
    assert all(n == 1 for n in outcomes.values()) and set(outcomes) <= set(sent)
    assert all(r.t >= sent[r.message] for r in log if r.type == "received" and r.sender != "accident")

    # members: paged (perhaps again while unreached), then acknowledged and assembled at most once
    stories: dict[str, list[str]] = {}
    for r in recs:
        if r[1] in ("paged", "unreachable", "acknowledged", "assembled"):
            stories.setdefault(r[2], []).append(r[1])
    attempts = 1 + (s.team.callout.repage.attempts if s.team.callout.repage else 0)
    for story in stories.values():
        assert story[0] == "paged" and 1 <= story.count("paged") <= attempts
        assert story.count("acknowledged") <= 1 and story.count("assembled") <= story.count("acknowledged")
        if "acknowledged" in story:
            assert story.index("acknowledged") > len(story) - 1 - story[::-1].index("paged")

    m = compute_metrics(log, s)
    for name, value in m.items():
        if name.startswith("utilization:") and not math.isnan(value):
            assert 0.0 <= value <= 1.0 + 1e-9, name
    order = ["callout_started", "team_mobilized", "team_departed", "team_on_site"]
    values = [m[k] for k in order if not math.isnan(m[k])]
    assert values == sorted(values)
    assert [k for k in order if not math.isnan(m[k])] == order[: len(values)]

    # the same world again gives the same log
    again = World(s, seed, replication)
    if outage:
        again.make_unavailable(outage[0], outage[1], outage[1] + outage[2])
    assert again.run().records == recs
