"""Common random numbers across sweep points: every draw belongs to a stream of its own part.

Changing one part of a scenario (one unit's size, a new organisation and the link to it) must
leave every other part's numbers exactly as they were, replication by replication, so that a
sweep's points differ only where the factor acts.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from nukesim.metrics import compute_metrics
from nukesim.scenario import apply_overrides, load_scenario
from nukesim.sim import simulate

CHINA = Path(__file__).resolve().parents[1] / "scenarios" / "china_national_team.yaml"
REPLICATIONS = 12


@pytest.fixture(scope="module")
def china():
    return load_scenario(CHINA)[0]


def metrics(scenario, r: int) -> dict[str, float]:
    return compute_metrics(simulate(scenario, seed=3, replication=r), scenario)


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def test_resizing_two_units_leaves_the_other_units_ready_times_unchanged(china):
    resized = apply_overrides(china, ["team.units.command.size=45", "team.units.medical.size=35"])
    untouched = ["assault", "engineering", "monitoring", "decontamination"]
    moved = 0
    for r in range(REPLICATIONS):
        a, b = metrics(china, r), metrics(resized, r)
        assert not math.isnan(a["callout_started"])
        assert a["callout_started"] == b["callout_started"]
        for unit in untouched:
            assert same(a[f"unit_ready:{unit}"], b[f"unit_ready:{unit}"]), (r, unit)
        moved += not same(a["unit_ready:command"], b["unit_ready:command"])
    assert moved > 0, "the resized unit itself must change"


def test_a_unit_of_its_own_member_mix_moves_no_other_unit(china):
    mixed = apply_overrides(china, ["team.units.assault.members={on_base: 0.8, local: 0.2}"])
    for r in range(REPLICATIONS):
        a, b = metrics(china, r), metrics(mixed, r)
        for unit in ("command", "engineering", "monitoring", "decontamination", "medical"):
            assert same(a[f"unit_ready:{unit}"], b[f"unit_ready:{unit}"]), (r, unit)


def test_adding_an_organisation_and_a_link_moves_nobody_elses_numbers(china):
    data = china.model_dump(by_alias=True, mode="python")
    org = data["organisations"]["province"]
    data["organisations"]["observer"] = {"staff": 1, "handlers": [{"on": "copy", "time": "5m"}]}
    handler = dict(org["handlers"][0])
    handler["send"] = [*handler.get("send", []), {"to": "observer", "kind": "copy"}]
    org["handlers"][0] = handler
    data["links"].append({"from": "province", "to": "observer", "channel": "hotline",
                          "fallbacks": ["phone"]})
    from nukesim.scenario import Scenario, validate

    extended, problems = validate(Scenario, data)
    assert extended is not None, problems
    seen = 0
    for r in range(REPLICATIONS):
        a, b = metrics(china, r), metrics(extended, r)
        seen += not math.isnan(b["notified:observer"])
        for name, value in a.items():
            assert same(value, b[name]), (r, name)
    assert seen > 0, "the new organisation must actually be notified"
