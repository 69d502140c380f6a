"""One exercise session: a world, its players, the MSEL and the controllers, paced or not.

The loop is the same whether the session runs live, replays a journal or runs as fast as it can
(the doctrine replications of the scoring): at each turn the next thing to happen is either the
world's next event, an inject coming due, or an input replayed from a journal. An inject or an
input is applied at its own simulated time after ``World.advance_to`` has brought the world
there (nothing else can be due before it); a world event is processed by ``World.step``, which on
a :class:`~nukesim.sim.pacing.PacedEnvironment` first waits for its time on the paced clock —
and is woken (``Woken``) when a person at the terminal types something. A live input is
then applied at the paced clock's time, exactly as a replayed one will be: a resumed session
ends with the same event log as one never interrupted.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from typing import Protocol

from ..events import PLAYER_ACTED, EventLog
from ..scenario.durations import format_duration
from ..scenario.models import Scenario
from ..sim import World
from ..sim.pacing import PacedEnvironment, Woken
from ..sim.responders import Action, Decision, PlayerMessage
from .director import Director
from .journal import Journal, JournalError
from .models import Exercise, MselEntry
from .players import LivePlayer


class Observer(Protocol):
    """What a front end is told (the terminal prints it); every method is optional."""

    def inject(self, t: float, entry: MselEntry) -> None: ...
    def action(self, record: tuple) -> None: ...
    def message(self, pm: PlayerMessage) -> None: ...
    def note(self, t: float, text: str) -> None: ...


class Session:
    def __init__(
        self,
        exercise: Exercise,
        scenario: Scenario,
        *,
        seed: int | None = None,
        replication: int = 0,
        player=None,
        env=None,
        journal: Journal | None = None,
        replay: Iterable[dict] = (),
        fast_until: float | None = None,
        live_speed: float | None | str = "exercise",
        observer: Observer | None = None,
    ) -> None:
        self.exercise = exercise
        self.live_speed = exercise.speed if live_speed == "exercise" else live_speed
        """The pace after a replay: simulated minutes per real minute, None for as fast as possible."""
        self.env = env
        self.world = World(scenario, exercise.seed if seed is None else seed, replication, env=env)
        self.director = Director(exercise)
        self.player = player
        if player is not None:
            for org in exercise.played:
                self.world.play(org, player)
        self.journal = journal
        self.replay = deque(replay)
        self.fast_until = fast_until
        """Replay as fast as possible up to this simulated time, then keep the exercise's pace."""
        self.observer = observer
        self.commands: deque[tuple[str, str]] = deque()
        """Live inputs waiting to be applied (from the terminal's reader thread)."""
        self.quit = False
        self._records_seen = 0

    # --- the loop -------------------------------------------------------------------------------

    def run(self) -> EventLog:
        """Run the session to its end and return the event log of the played run."""
        world, director = self.world, self.director
        env = world.env
        while not world.finished and not self.quit:
            self._scan()
            t_in = self.replay[0]["t"] if self.replay else math.inf
            t_due, number = director.next_due()
            t_world = env.peek()
            if self.fast_until is not None and not self.replay and min(t_due, t_world) > self.fast_until:
                self._go_live()
            try:
                if t_in <= t_due and t_in <= t_world:
                    self._wait_until(t_in)
                    world.advance_to(t_in)
                    self._apply(self.replay.popleft(), live=False)
                elif t_due <= t_world:
                    self._wait_until(t_due)
                    world.advance_to(t_due)
                    self._deliver(number)
                else:
                    world.step()
            except Woken:
                self._live_inputs()
        self._scan()
        if self.quit:
            return EventLog(list(world.records), world.scenario.name, world.seed, world.replication)
        log = world.run()
        self._journal({"t": log.end, "entry": "end"})
        return log

    def _wait_until(self, t: float) -> None:
        if isinstance(self.env, PacedEnvironment):
            self.env.wait_until(t)

    def _go_live(self) -> None:
        self.fast_until = None
        if isinstance(self.env, PacedEnvironment):
            self.env.set_speed(self.live_speed)
            self.env.restart_clock()
            self._note(self.world.now, "resumed from the journal; the exercise goes on in real time")
        if isinstance(self.player, LivePlayer) and self.observer is not None:
            self.player.shown = []
            for pm in self.player.waiting:  # still waiting for the trainee: show them again
                self.observer.message(pm)

    # --- what happens ---------------------------------------------------------------------------

    def _deliver(self, number: int) -> None:
        world = self.world
        entry = self.director.entries[number]
        world.inject(entry.inject)
        self.director.delivered_now(number, world.now)
        self._journal(
            {
                "t": world.now,
                "entry": "inject",
                "number": number,
                "type": entry.inject.type,
                "to": entry.to,
                "description": entry.description,
            }
        )
        if self.observer is not None:
            self.observer.inject(world.now, entry)

    def _scan(self) -> None:
        """Arm conditional injects; journal and show the players' actions and new messages."""
        records = self.world.records
        self.director.scan(records)
        for r in records[self._records_seen :]:
            if r[1] == PLAYER_ACTED:
                self._journal(
                    {
                        "t": r[0],
                        "entry": "action",
                        "org": r[2],
                        "verb": r[3],
                        "task": r[6],
                        "message": r[5],
                        "to": r[9],
                        "kind": r[14],
                    }
                )
                if self.observer is not None:
                    self.observer.action(r)
        self._records_seen = len(records)
        if isinstance(self.player, LivePlayer) and self.player.shown:
            shown, self.player.shown = self.player.shown, []
            if self.observer is not None and self.fast_until is None:
                for pm in shown:
                    self.observer.message(pm)

    def _journal(self, entry: dict) -> None:
        if self.journal is not None:
            self.journal.write(entry)

    def _note(self, t: float, text: str) -> None:
        if self.observer is not None:
            self.observer.note(t, text)

    # --- inputs ---------------------------------------------------------------------------------

    def command(self, verb: str, arg: str = "") -> None:
        """A live input (thread-safe): queued, and the paced environment woken to apply it."""
        self.commands.append((verb, arg))
        if isinstance(self.env, PacedEnvironment):
            self.env.wake()

    def _live_inputs(self) -> None:
        env, world = self.env, self.world
        while self.commands:
            verb, arg = self.commands.popleft()
            now = env.clock() if isinstance(env, PacedEnvironment) else world.now
            if verb in ("pause", "resume", "speed"):
                if verb == "pause":
                    env.pause()
                elif verb == "resume":
                    env.resume()
                else:
                    env.set_speed(float(arg))
                self._journal(
                    {
                        "t": world.now if verb == "pause" else env.clock(),
                        "entry": verb,
                        **({"speed": float(arg)} if verb == "speed" else {}),
                    }
                )
                self._note(
                    env.clock(), {"pause": "paused", "resume": "resumed", "speed": f"speed {arg}×"}[verb]
                )
                continue
            if verb == "quit":
                self.quit = True
                self._note(now, "stopped; resume with --resume and the journal")
                return
            world.advance_to(now)
            entry = self._input_entry(verb, arg, world.now)
            if entry is not None:
                self._apply(entry, live=True)

    def _input_entry(self, verb: str, arg: str, t: float) -> dict | None:
        if verb == "release":
            n = self.director.next_to_release()
            if n is None:
                self._note(t, "no inject left to release")
                return None
            return {"t": t, "entry": "release", "number": n}
        if verb == "postpone":
            return {"t": t, "entry": "postpone", "minutes": float(arg)}
        if verb == "decide":
            pm = self.player.current() if isinstance(self.player, LivePlayer) else None
            if pm is None:
                self._note(t, "no message is waiting for a decision")
                return None
            try:
                picks = [int(x) for x in arg.replace(",", " ").split()]
                actions = [pm.allowed[i - 1] for i in picks]
                if not picks or min(picks) < 1:
                    raise ValueError
            except (ValueError, IndexError):
                self._note(t, f"choose among 1–{len(pm.allowed)}, e.g. '1' or '1 3'")
                return None
            return {
                "t": t,
                "entry": "decision",
                "task": pm.task,
                "actions": [[a.verb, a.to, a.kind] for a in actions],
            }
        return None

    def _apply(self, entry: dict, live: bool) -> None:
        """Apply an input (live or replayed) at the current simulated time."""
        kind, t = entry["entry"], self.world.now
        if kind == "release":
            self.director.release(entry["number"], t)
            self._note(t, f"inject {entry['number']} released")
        elif kind == "postpone":
            self.director.postpone(entry["minutes"])
            self._note(t, f"remaining injects postponed by {format_duration(entry['minutes'])}")
        elif kind == "decision":
            actions = tuple(Action(*a) for a in entry["actions"])
            try:
                self.world.decide(entry["task"], Decision(actions))
            except ValueError:  # only a replayed entry can miss: the live one names the task shown
                raise JournalError(
                    f"the journal's decision at t = {t:g} is for task {entry['task']}, which "
                    "is not waiting for one in this run: the journal does not belong to it"
                ) from None
            if isinstance(self.player, LivePlayer):
                self.player.answered(entry["task"])
        if live:
            self._journal(entry)
