"""Parameter sweeps: many points of one scenario, crash-safe, with sensitivity analysis.

``nukesim sweep FILE`` (see docs/sweeps.md): ``spec`` reads the sweep file, ``design`` makes its
points, ``execute`` runs them through ``runner.stream`` into the SQLite ``store``, ``analysis``
and ``plots`` write the summaries, effects and figures.
"""

from __future__ import annotations

from .store import load_sweep

__all__ = ["load_sweep"]
