"""The simulation engine: a scenario and a seed in, an event log out.

``simulate(scenario, seed, replication)`` runs one replication and is a pure function of its
arguments. ``World`` is the same replication opened up, for callers that step it, change it while
it runs (injects) or let players decide for an organisation (responders): training exercises.
"""

from __future__ import annotations

from ..events import EventLog
from ..scenario.models import Scenario
from .streams import stream
from .world import MAX_MESSAGES_AT_ONE_INSTANT, World, ZeroTimeLoop


def simulate(scenario: Scenario, seed: int, replication: int = 0) -> EventLog:
    """One replication of ``scenario``: the same (scenario, seed, replication), the same log."""
    return World(scenario, seed, replication).run()


__all__ = ["MAX_MESSAGES_AT_ONE_INSTANT", "EventLog", "World", "ZeroTimeLoop", "simulate", "stream"]
