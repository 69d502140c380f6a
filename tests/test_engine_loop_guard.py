"""A loop of messages that takes no simulated time ends the replication with a clear error."""

from __future__ import annotations

import pytest
from builders import build
from typer.testing import CliRunner

from nukesim.cli import app
from nukesim.sim import MAX_MESSAGES_AT_ONE_INSTANT, ZeroTimeLoop, simulate


def ping_pong(pong_time: float, relay: float = 0):
    """a and b answer each other's messages at once over an instant channel; c is the team's."""
    return build(
        accident={"site": "a", "timeline": [{"at": 5, "class": "alert"}]},
        organisations={
            "a": {"handlers": [
                {"on": "class_change", "time": 0, "send": [{"to": "b", "kind": "ping"},
                                                           {"to": "c", "kind": "mobilise"},
                                                           {"to": "c", "kind": "deploy"}]},
                {"on": "pong", "time": pong_time, "send": [{"to": "b", "kind": "ping"}]}]},
            "b": {"handlers": [{"on": "ping", "time": 0, "send": [{"to": "a", "kind": "pong"}]}]},
            "c": {"handlers": [{"on": "mobilise"}, {"on": "deploy"}]},
        },
        links=[{"from": "a", "to": "b", "channel": "instant"},
               {"from": "b", "to": "a", "channel": "instant", "delay": relay},
               {"from": "a", "to": "c", "channel": "instant"}],
        authority={"mobilise": ["a"], "deploy": ["a"]},
        team={"organisation": "c", "units": {"u": {"size": 1}}, "members": {"all": {"share": 1.0}}},
        horizon="2h",
    )


def test_a_zero_time_message_loop_stops_the_run_at_the_limit():
    with pytest.raises(ZeroTimeLoop, match="at t = 5 min") as caught:
        simulate(ping_pong(0), seed=1)
    assert f"{MAX_MESSAGES_AT_ONE_INSTANT:,}" in str(caught.value)


def test_the_same_loop_with_time_passing_runs_to_the_horizon():
    # a minute per pong: pongs arrive at 5, 6, …, 119 (the horizon at 120 was scheduled first)
    log = simulate(ping_pong(1), seed=1)
    received = [e.t for e in log if e.type == "received" and e.org == "a" and e.kind == "pong"]
    assert log.end == 120.0 and received == [float(t) for t in range(5, 120)]


def test_a_link_with_a_delay_of_its_own_breaks_the_loop_for_the_checks_and_the_engine():
    from nukesim.graph import check_graph

    assert any("takes no time" in p.message for p in check_graph(ping_pong(0)))
    slow = ping_pong(0, relay=1)  # a minute's relay on the way back
    assert not any("takes no time" in p.message for p in check_graph(slow))
    log = simulate(slow, seed=1)
    received = [e.t for e in log if e.type == "received" and e.org == "a" and e.kind == "pong"]
    assert received[:3] == [6.0, 7.0, 8.0]


def test_the_cli_refuses_the_loop_before_running_and_reports_one_the_checks_missed(tmp_path, monkeypatch):
    import yaml

    import nukesim.api

    path = tmp_path / "loop.yaml"
    path.write_text(yaml.safe_dump(ping_pong(0).model_dump(mode="json", by_alias=True, exclude_none=True)))
    result = CliRunner().invoke(app, ["run", str(path), "-n", "2", "--workers", "1"])
    assert result.exit_code == 2, result.output  # the graph checks refuse it, located
    assert "loop.yaml:" in result.output and "positive time" in result.output
    # whatever the checks miss, the engine's guard stops the run with exit code 2
    monkeypatch.setattr(nukesim.api, "check_graph", lambda scenario: [])
    result = CliRunner().invoke(app, ["run", str(path), "-n", "2", "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert "messages arrived at t = 5 min" in result.output and "Traceback" not in result.output
