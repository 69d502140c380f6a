"""Scenarios for engine tests, built from a small valid base with parts replaced."""

from __future__ import annotations

import copy

from nukesim.events import Event
from nukesim.scenario import Scenario, check_references, validate

BASE = {
    "name": "engine test",
    "start": "2026-03-16T10:00:00+00:00",  # a Monday morning
    "horizon": "1d",
    "classes": ["alert", "emergency"],
    "accident": {"site": "plant", "timeline": [{"at": 0, "class": "alert"}]},
    "channels": {"instant": {"delay": 0}},
    "organisations": {"plant": {"staff": 1}},
    "links": [],
    "authority": {"mobilise": ["plant"], "deploy": ["plant"]},
    "team": {"organisation": "plant", "units": {"u": {"size": 1}}, "members": {"all": {"share": 1.0}}},
}


def build(**parts) -> Scenario:
    """A valid scenario: ``BASE`` with the given top-level fields replaced."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(parts))
    scenario, problems = validate(Scenario, data)
    assert scenario is not None, problems
    problems = list(check_references(scenario))
    assert not problems, problems
    return scenario


def mobilising(team: dict, *, plant_time=0, deploy_order: bool = False, **parts) -> Scenario:
    """A scenario whose plant orders ``team`` out at once over an instant channel."""
    sends = [{"to": "office", "kind": "mobilise"}]
    if deploy_order:
        sends.append({"to": "office", "kind": "deploy"})
    orgs = {
        "plant": {"staff": 1, "handlers": [{"on": "class_change", "time": plant_time, "send": sends}]},
        "office": {"staff": 1, "handlers": [{"on": "mobilise"}, {"on": "deploy"}]},
    }
    team = {"organisation": "office", **team}
    team.setdefault("members", {"all": {"share": 1.0}})
    team.setdefault("deploy", {"order": deploy_order})
    return build(organisations=orgs, links=[{"from": "plant", "to": "office", "channel": "instant"}],
                 team=team, **parts)


def records(log, typ: str, org: str | None = None) -> list[Event]:
    """The records of one type (at one organisation), read by field name."""
    return [e for e in log if e.type == typ and (org is None or e.org == org)]
