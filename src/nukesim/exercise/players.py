"""Players: who decides for a played organisation during an exercise.

* :class:`ScriptedPlayer` — rules from a player script: deterministic, for tests,
  demonstrations and replaying the log of a real exercise;
* :class:`LivePlayer` — a person: each message waits until an answer arrives from outside
  (the terminal), at whatever simulated time that is; their thinking time passes on the clock;
* doctrine — no player at all: the organisation's own handlers (``World.play`` is not called).

Both players are responders of ``nukesim.sim.responders``: the engine applies staff, links and
authority to what they decide.
"""

from __future__ import annotations

from collections import deque

from ..sim.responders import ACKNOWLEDGE, CALLOUT, DEPLOY_TEAM, HOLD, SEND, Action, Decision, PlayerMessage
from .models import OrganisationScript, PlayerScript, ScriptRule, ScriptSend

_VERBS = {"acknowledge": ACKNOWLEDGE, "hold": HOLD, "callout": CALLOUT, "deploy": DEPLOY_TEAM}


def actions_of(rule: ScriptRule, message: PlayerMessage) -> tuple[Action, ...]:
    """The actions a script rule prescribes for ``message``."""
    todo = [rule.do] if isinstance(rule.do, str) else rule.do
    out: list[Action] = []
    for item in todo:
        if isinstance(item, ScriptSend):
            out.append(Action(SEND, item.to, item.send))
        elif item == "doctrine":
            out.extend(message.doctrine)
        else:
            out.append(Action(_VERBS[item]))
    return tuple(out)


class ScriptedPlayer:
    """Plays the organisations of a player script: the first rule that matches a message decides."""

    def __init__(self, script: PlayerScript) -> None:
        self.script = script
        self.used: dict[tuple[str, int], int] = {}

    def decide(self, world, message: PlayerMessage) -> Decision:
        org: OrganisationScript = self.script.organisations.get(message.org, OrganisationScript())
        rule = org.default
        for i, r in enumerate(org.rules):
            if (
                (r.on is None or r.on == message.kind)
                and (r.from_ is None or r.from_ == message.sender)
                and (r.class_ is None or r.class_ == message.cls)
            ):
                key = (message.org, i)
                if r.times is not None and self.used.get(key, 0) >= r.times:
                    continue
                self.used[key] = self.used.get(key, 0) + 1
                rule = r
                break
        return Decision(actions_of(rule, message), rule.after)


class LivePlayer:
    """A person at a terminal: messages queue up for them; answers come through ``World.decide``."""

    def __init__(self) -> None:
        self.waiting: deque[PlayerMessage] = deque()
        self.shown: list[PlayerMessage] = []
        """Messages put before the player since the last look (the terminal prints them)."""

    def decide(self, world, message: PlayerMessage) -> None:
        self.waiting.append(message)
        self.shown.append(message)
        return None

    def current(self) -> PlayerMessage | None:
        """The message the player answers next (the oldest waiting)."""
        return self.waiting[0] if self.waiting else None

    def answered(self, task: int) -> None:
        self.waiting = deque(m for m in self.waiting if m.task != task)
