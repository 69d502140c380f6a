"""The exercise in a terminal: what the trainee and the controller see, and the keys they type.

Line-based, so that it works in any terminal, over ssh and in a test's pseudo-terminal. Every
line starts with the simulated time (since t = 0) and the scenario's wall clock. Commands, one
per line:

* a number, or several (``1 3``) — the trainee's answer to the message shown, by the numbers
  of its options;
* ``p`` pause, ``r`` resume, ``s X`` speed X (simulated minutes per real minute),
  ``n`` release the next inject now, ``d M`` postpone every remaining inject by M minutes,
  ``t`` show the clock, ``q`` stop (resume later from the journal), ``?`` this help.
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime, timedelta
from typing import IO

from ..scenario.durations import format_duration
from ..sim.pacing import PacedEnvironment
from ..sim.responders import PlayerMessage

HELP = (
    "commands: <numbers> answer the message | p pause | r resume | s X speed | n release next inject | "
    "d M postpone injects M min | t clock | q stop | ? help"
)


class Terminal:
    """Prints what happens; reads commands on a thread of its own and hands them to the session."""

    def __init__(self, start: datetime, out: IO[str] | None = None) -> None:
        self.start = start
        self.out = out or sys.stdout
        self.session = None

    def stamp(self, t: float) -> str:
        wall = (self.start + timedelta(minutes=t)).strftime("%a %H:%M")
        return f"[{format_duration(t):>8} {wall}]"

    def say(self, t: float, text: str) -> None:
        print(f"{self.stamp(t)} {text}", file=self.out, flush=True)

    # --- the observer ---------------------------------------------------------------------------

    def inject(self, t: float, entry) -> None:
        self.say(
            t,
            f"INJECT {entry.number} ({entry.inject.type}) {entry.from_} -> {entry.to or 'all'} "
            f"by {entry.method}: {entry.description}",
        )

    def action(self, record: tuple) -> None:
        verb, to, kind = record[3], record[9], record[14]
        text = (
            f"sends {kind} to {to}" if verb == "send" else (f"REFUSED: {kind}" if verb == "refused" else verb)
        )
        self.say(record[0], f"{record[2]} {text}")

    def message(self, pm: PlayerMessage) -> None:
        lines = [
            f"MESSAGE for {pm.org} (task {pm.task}): {pm.kind} about {pm.cls} from {pm.sender}, "
            f"received at {format_duration(pm.received)}"
        ]
        if pm.doctrine:
            lines.append("  doctrine would: " + "; ".join(map(str, pm.doctrine)))
        lines += [f"  {i}) {a}" for i, a in enumerate(pm.allowed, 1)]
        lines.append("  answer with the numbers of your actions (e.g. 1 or 1 3)")
        self.say(pm.started, "\n".join(lines))

    def note(self, t: float, text: str) -> None:
        self.say(t, f"-- {text}")

    # --- the keyboard ---------------------------------------------------------------------------

    def listen(self, session, stream: IO[str] | None = None, clock_every: float = 15.0) -> threading.Thread:
        """Read commands from ``stream`` (stdin) on a daemon thread; show the clock every
        ``clock_every`` real seconds while it runs."""
        self.session = session
        thread = threading.Thread(target=self._read, args=(session, stream or sys.stdin), daemon=True)
        thread.start()
        threading.Thread(target=self._tick, args=(session, clock_every), daemon=True).start()
        return thread

    def _tick(self, session, every: float) -> None:
        env = session.env
        while not session.world.finished and not session.quit:
            time.sleep(every)
            running = isinstance(env, PacedEnvironment) and not env.paused and env.speed
            if running and not session.world.finished:
                self.say(env.clock(), f"-- clock (speed {env.speed:g})")

    def _read(self, session, stream: IO[str]) -> None:
        for line in stream:
            words = line.strip().split(maxsplit=1)
            if not words:
                continue
            key, arg = words[0].lower(), words[1] if len(words) > 1 else ""
            if key[0].isdigit():
                session.command("decide", line.strip())
            elif key == "p":
                session.command("pause")
            elif key == "r":
                session.command("resume")
            elif key == "s" and _number(arg):
                session.command("speed", arg)
            elif key == "n":
                session.command("release")
            elif key == "d" and _number(arg):
                session.command("postpone", arg)
            elif key == "q":
                session.command("quit")
            elif key == "t":
                env = session.env
                clock = env.clock() if isinstance(env, PacedEnvironment) else session.world.now
                state = "paused" if isinstance(env, PacedEnvironment) and env.paused else "running"
                speed = env.speed if isinstance(env, PacedEnvironment) else None
                self.say(clock, f"clock: {state}, speed {speed if speed else 'max'}")
            else:
                print(HELP, file=self.out, flush=True)


def _number(text: str) -> bool:
    try:
        return float(text) > 0
    except ValueError:
        return False
