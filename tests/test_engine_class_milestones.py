"""Per-class milestones: the first receipt about each declared class, and the time from that
class's declaration (the US rule: State and local notified within 15 minutes of each declaration)."""

from __future__ import annotations

import math

from builders import build

from nukesim.attribution import critical_paths
from nukesim.metrics import compute_metrics
from nukesim.scenario import Scenario, check_references, metric_names, validate
from nukesim.sim import simulate

CLASSES = ["alert", "site", "general"]
TIMELINE = [{"at": 0, "class": "alert"}, {"at": "1h", "class": "site"}, {"at": "3h", "class": "general"}]


def notifying(**extra) -> Scenario:
    """The plant takes 5 min per class change; the state's line takes 2 min; a site emergency
    keeps the plant busy with a 20-minute task first (so that declaration is notified late)."""
    orgs = {"plant": {"handlers": [
        {"on": "class_change", "class_at_least": "site", "time": 20},
        {"on": "class_change", "time": 5, "send": [{"to": "state", "kind": "notice"}]}]},
        "state": {"handlers": [{"on": "notice", "time": 1}]}}
    parts = {"classes": CLASSES, "organisations": orgs, "accident": {"site": "plant", "timeline": TIMELINE},
             "channels": {"line": {"delay": 2}},
             "links": [{"from": "plant", "to": "state", "channel": "line"}]}
    return build(**{**parts, **extra})


def test_each_declaration_has_its_own_clock():
    s = notifying(class_milestones=["state"])
    m = compute_metrics(simulate(s, seed=1), s)
    assert m["notified:state"] == 7.0  # the first message of all: about the alert
    assert [m[f"declared:{c}"] for c in CLASSES] == [0.0, 60.0, 180.0]
    # site: the plant's one person first does the 20-minute task, then the 5-minute notice
    assert [m[f"notified:state@{c}"] for c in CLASSES] == [7.0, 87.0, 207.0]
    assert [m[f"since_declared:state@{c}"] for c in CLASSES] == [7.0, 27.0, 27.0]


def test_without_class_milestones_the_metrics_are_those_of_before():
    s = notifying()
    assert not [n for n in metric_names(s) if "@" in n or n.startswith("declared:")]


def test_a_class_never_declared_leaves_its_clocks_missing():
    s = notifying(class_milestones=["state"], accident={"site": "plant", "timeline": [
        {"at": 0, "class": "alert"}, {"at": "1h", "class": "site", "stop": 1.0},
        {"at": "3h", "class": "general"}]})
    m = compute_metrics(simulate(s, seed=1), s)
    assert m["since_declared:state@site"] == 27.0
    assert math.isnan(m["declared:general"]) and math.isnan(m["since_declared:state@general"])


def test_per_class_milestones_are_explained_exactly():
    s = notifying(class_milestones=["state"])
    log = simulate(s, seed=1)
    m = compute_metrics(log, s)
    names = [f"notified:state@{c}" for c in CLASSES] + [f"declared:{c}" for c in CLASSES]
    paths = critical_paths(log, s, names)
    for name, steps in paths.items():
        assert steps[0].start == 0.0 and steps[-1].end == m[name]
        assert math.fsum(st.minutes for st in steps) == m[name]
    site = {(st.component, st.where): st.minutes for st in paths["notified:state@site"]}
    assert site == {("class_wait", ""): 60.0, ("holding", "plant"): 0.0, ("queueing", "plant"): 20.0,
                    ("handling", "plant"): 5.0, ("sending", "plant"): 0.0,
                    ("transmission", "plant->state"): 2.0}


def test_an_objective_on_a_per_class_clock_needs_the_organisation_listed():
    data = notifying().model_dump(by_alias=True)
    data["objectives"] = [{"name": "x", "metric": "since_declared:state@site", "statistic": "share",
                           "within": "15m", "target": "95%"}]
    s, problems = validate(Scenario, data)
    assert s is not None, problems
    messages = [p.message for p in check_references(s)]
    assert messages == ["per-class metric 'since_declared:state@site' needs 'state' in class_milestones"]
