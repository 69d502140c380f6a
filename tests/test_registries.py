"""The registries of event types and of metrics describe what the engine and the metrics do."""

from __future__ import annotations

import re

import pytest
from conftest import ROOT

from nukesim.events import EMPTY, EVENT_TYPES, Event
from nukesim.metrics import compute_metrics
from nukesim.scenario import METRICS, load_scenario, metric_def, metric_names, milestone_names
from nukesim.scenario.metricdefs import LEVEL, SHARE, TIME_TO_EVENT, is_time_to_event
from nukesim.sim import World

EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_record_has_a_registered_type_and_only_the_fields_it_declares(path):
    scenario, _ = load_scenario(path)
    world = World(scenario, seed=5, replication=0)
    if scenario.organisations:  # an outage, so that its records are checked too
        world.make_unavailable(next(iter(scenario.organisations)), 1.0, 2.0)
    for e in world.run():
        assert e.type in EVENT_TYPES, e
        declared = EVENT_TYPES[e.type].fields
        unused = {f: v for f, v in e._asdict().items() if f not in ("t", "type", *declared)}
        assert unused == {f: getattr(EMPTY, f) for f in unused}, e


def test_the_engine_documentation_lists_every_type_and_field():
    text = (ROOT / "docs" / "engine.md").read_text()
    section = text[text.index("## The event log"):text.index("## Metrics")]
    for name in EVENT_TYPES:
        assert re.search(rf"`{name}`", section), name
    for field in Event._fields:
        assert f"| `{field}`" in section or f"`{field}`, " in section or f", `{field}`" in section, field


def test_metric_names_come_from_the_registry_in_its_order():
    scenario, _ = load_scenario(ROOT / "scenarios" / "minimal.yaml")
    names = metric_names(scenario)
    assert names[:4] == ["callout_started", "team_mobilized", "team_departed", "team_on_site"]
    order = [METRICS.index(metric_def(n)) for n in names]
    per_class = {i for i, m in enumerate(METRICS)
                 if m.per in ("base", "class", "organisation@class") or m.seats}
    assert order == sorted(order) and set(order) == set(range(len(METRICS))) - per_class  # none asked for
    assert list(compute_metrics(World(scenario, 1).run(), scenario)) == names
    kinds = {n: metric_def(n).kind for n in names}
    assert {kinds[n] for n in names if n.startswith("wait:")} == {LEVEL}
    assert {kinds[n] for n in names if n.startswith("utilization:")} == {SHARE}
    assert [n for n in names if is_time_to_event(n)] == [n for n in names if kinds[n] == TIME_TO_EVENT]
    assert milestone_names(scenario) == [n for n in names if kinds[n] == TIME_TO_EVENT]
    with pytest.raises(KeyError):
        metric_def("speed:plant")

