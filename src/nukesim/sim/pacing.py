"""A paced environment: simulated time that keeps step with the wall clock, under a controller.

An exercise runs at ``speed`` simulated minutes per real minute (1 = real time, 60 = an hour a
minute). SimPy's ``RealtimeEnvironment`` keeps such a pace, but it cannot pause, resume or
change speed, and it cannot be woken while it sleeps towards the next event — and in an exercise
the next event may be an hour of simulated time away while a trainee types an answer now.

:class:`PacedEnvironment` is a ``simpy.Environment`` whose ``step`` first waits until the paced
clock reaches the next event's time. Its clock (``clock()``) is a piecewise-linear function of
the wall clock: frozen while paused, re-based at each change of speed. ``wake()`` (from any
thread: a keyboard reader, a network handler) ends the wait at once with :class:`Woken`, before
anything is processed; the caller then brings the world to ``clock()`` with
``World.advance_to`` (nothing due before it is skipped: its wall time has passed) and applies
the inject or the player's action there. ``speed=None`` runs as fast as possible, as when a
resumed exercise replays its journal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import simpy


class Woken(Exception):
    """The wait for the next event was cut short by ``PacedEnvironment.wake``."""


class PacedEnvironment(simpy.Environment):
    """A SimPy environment paced at ``speed`` simulated minutes per real minute."""

    def __init__(self, speed: float | None = 60.0, *, initial_time: float = 0.0,
                 clock: Callable[[], float] = time.monotonic, max_wait: float = 0.25) -> None:
        super().__init__(initial_time=initial_time)
        self._wall = clock
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self.max_wait = max_wait
        """Longest single sleep (seconds): a bound on how late a missed wake-up is noticed."""
        self._speed = speed
        self._paused = False
        self._base_sim = initial_time
        self._base_wall = clock()

    # --- the paced clock ----------------------------------------------------------------------------

    @property
    def speed(self) -> float | None:
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    def clock(self) -> float:
        """Simulated minutes the paced clock shows now (never behind the last processed event)."""
        with self._lock:
            if self._speed is None:
                return max(self.now, self._base_sim)
            if self._paused:
                return max(self.now, self._base_sim)
            return max(self.now, self._base_sim + (self._wall() - self._base_wall) * self._speed / 60.0)

    def _rebase(self) -> None:
        sim = self.clock()
        with self._lock:
            self._base_sim, self._base_wall = sim, self._wall()

    def set_speed(self, speed: float | None) -> None:
        """From now on, ``speed`` simulated minutes per real minute (None: as fast as possible)."""
        if speed is not None and not speed > 0:
            raise ValueError("speed must be positive")
        self._rebase()
        self._speed = speed
        self.wake()

    def pause(self) -> None:
        """Freeze the simulated clock (nothing happens until ``resume``)."""
        self._rebase()
        self._paused = True
        self.wake()

    def resume(self) -> None:
        """Let the simulated clock run again from where it stood."""
        self._rebase()
        self._paused = False
        self.wake()

    def restart_clock(self) -> None:
        """Let the paced clock start from ``now`` (after a fast replay)."""
        with self._lock:
            self._base_sim, self._base_wall = self.now, self._wall()

    def wake(self) -> None:
        """End a wait now (thread-safe): the waiting ``step`` raises :class:`Woken`."""
        self._wake.set()

    # --- stepping -----------------------------------------------------------------------------------

    def step(self) -> None:
        """Wait until the paced clock reaches the next event, then process it.

        Raises :class:`Woken` if ``wake()`` is called while waiting (nothing processed).
        """
        self.wait_until(self.peek())
        super().step()

    def wait_until(self, due: float) -> None:
        """Wait until the paced clock shows ``due`` (raises :class:`Woken` if woken first)."""
        if due == float("inf"):
            return
        while True:
            now = self.clock()
            if now >= due:
                break
            if self._paused:
                wait = self.max_wait
            elif self._speed is None:
                break
            else:
                wait = min(self.max_wait, (due - now) * 60.0 / self._speed)
            if self._wake.wait(wait):
                self._wake.clear()
                raise Woken()
