"""nukesim: how long until those who must act know, and until the rescue team is on its way.

``nukesim.load``, ``nukesim.simulate``, ``nukesim.replicate``, ``nukesim.explain`` and
``nukesim.load_sweep`` are the Python API (see ``nukesim.api``); ``nukesim`` on the command line
is ``nukesim.cli``.
"""

from __future__ import annotations

__version__ = "0.1.0"

_API = ("load", "simulate", "replicate", "explain", "load_sweep", "Scenario", "ScenarioError",
        "Replications", "Run")


def __getattr__(name: str):
    # Imported lazily so that ``import nukesim.scenario`` does not pull in SimPy.
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'nukesim' has no attribute {name!r}")


__all__ = list(_API)
