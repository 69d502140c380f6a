"""The world: one replication of a scenario as a SimPy model.

Organisations receive messages, run the handlers that react to them as tasks for their duty staff,
and send what the handlers say over links whose channels delay, fail and fall back. The accident
delivers each class change to the site; the team's organisation starts the call-out when it has
acted on a mobilise order. Everything that happens is a record appended to the world's list (the
team's member and vehicle records join them when the log is first read), which ``run`` returns as
an :class:`~nukesim.events.EventLog`.

The run stops at the horizon, or as soon as the team is on site and nothing about the accident is
still under way: no message in transit, no accident task queued or running, no class change or
unit readiness still to come.

SimPy's event queue drives the run, but only what has to wait is an event of its own: the end of
a task, each attempt of a message, a shift change, the next piece of routine work, a class change,
a unit ready. Work starts the moment a person is free, and the rest is callbacks on those
events rather than SimPy processes — a process costs an event to start and another for every
wait, and a replication of the China scenario runs some 150 tasks (docs/performance.md).
"""

from __future__ import annotations

from functools import partial

import simpy

from ..events import (
    ACCIDENT,
    BACKGROUND,
    CALLS_BEGIN,
    CALLS_END,
    ENDED,
    MESSAGE_FAILED,
    MESSAGE_LOST,
    MESSAGE_RECEIVED,
    MESSAGE_REROUTED,
    MESSAGE_RESENT,
    MESSAGE_RETRIED,
    MESSAGE_SENT,
    OUTAGE_APPLIED,
    TASK_FINISHED,
    TASK_QUEUED,
    TASK_STARTED,
    EventLog,
)
from ..scenario.calendar import run_start
from ..scenario.dispatch import HandlerState, dispatch
from ..scenario.injects import outage_inject
from ..scenario.models import CLASS_CHANGE, DEPLOY, MOBILISE, Scenario
from .clock import ShiftChange, delay_until
from .escalation import realised_timeline
from .plan import HandlerPlan, LinkPlan, OrganisationPlan, plan_for
from .staff import ACCIDENT_WORK, BACKGROUND_WORK, DutyStaff
from .streams import Streams
from .team import TeamMobilisation

ENDED_AT_HORIZON = "horizon"
ENDED_DONE = "done"

MAX_MESSAGES_AT_ONE_INSTANT = 10_000
"""More messages arriving at one simulated instant than this means a loop of messages that takes
no time (handlers and channels of zero duration sending to each other): the run stops with
:class:`ZeroTimeLoop` instead of filling memory. The China scenario has 28 messages in all."""


class ZeroTimeLoop(RuntimeError):
    """A replication ended because messages kept arriving without simulated time passing.

    A fault of the scenario (the command line reports it with exit code 2), not of the engine.
    """


class _Organisation:
    """The state of one organisation during a replication."""

    __slots__ = ("plan", "name", "staff", "handling", "state", "responder", "next_change", "interarrival",
                 "duration")

    def __init__(self, world: World, plan: OrganisationPlan) -> None:
        self.plan = plan
        self.name = plan.name
        start = world._start_task if plan.slowdown is None else world._start_slowed_task
        if plan.name in world.plan.recallers:  # its resend rounds are calls for its staff too
            start = partial(world._start_work, start)
        self.staff = DutyStaff(world.env, plan.name, plan.capacity, plan.schedule[0][1], world.records, start)
        handlers = [h for hs in plan.handlers.values() for h in hs]
        self.handling = {h.index: world.streams.sampler(f"handling:{plan.name}:h{h.index}", h.time)
                         for h in handlers}
        self.state = HandlerState()
        """What its handlers remember between messages (``wait_for``, ``once``, approvals)."""
        self.responder = None
        """Who decides what it does with a message: None for doctrine (its handlers), or a player
        (``nukesim.sim.responders``)."""
        self.next_change = 1
        """Index of the next change in ``plan.schedule``."""
        background = plan.background
        if background is not None:
            stream = f"background:{plan.name}"
            self.interarrival = world.streams.sampler(f"{stream}:interarrival", background.interarrival)
            self.duration = world.streams.sampler(f"{stream}:duration", background.duration)


class _Recall:
    """A resend round over a link that ``occupies`` the sender: a call one of the sender's staff
    must make, waiting for a free person like any work."""

    __slots__ = ("org", "message", "why", "task")

    def __init__(self, org: _Organisation, message: tuple, why: str, task: int) -> None:
        self.org = org
        self.message = message
        self.why = why
        """``after`` or ``restored``: why the round is due (the ``resent`` record's detail)."""
        self.task = task
        """The call's own task id (its ``queued``, ``calling`` and ``calls_done`` records)."""


class _Link:
    """A link's draws during a replication: one uniform per attempt, delays per channel, and the
    link's own delay per delivery (its own stream, so giving a link a delay moves no other draw)."""

    __slots__ = ("plan", "uniform", "delays", "own", "cut")

    def __init__(self, world: World, plan: LinkPlan) -> None:
        self.plan = plan
        self.cut = 0
        """Cuts in force (injects): while any is, every attempt on the link fails."""
        self.uniform = world.streams.sampler(f"{plan.stream}:attempts", None)
        self.delays = [world.streams.sampler(f"{plan.stream}:delay:{ch.name}", ch.delay)
                       for ch in plan.channels]
        self.own = None if plan.delay is None else world.streams.sampler(f"{plan.stream}:link_delay",
                                                                         plan.delay)



def start_time(scenario: Scenario) -> float:
    """When a World's clock starts: minus the warm-up, which runs before the initiating event
    (t = 0); ``nukesim.scenario.calendar.run_start``, where the staff calendar starts too."""
    return run_start(scenario)

class World:
    """One replication of ``scenario``: build it, add injects and players if you like, then run it.

    ``env`` is the SimPy environment it runs on: a fresh ``simpy.Environment`` by default, or any
    other at time 0 — ``simpy.rt.RealtimeEnvironment``, or the exercise's
    :class:`~nukesim.sim.pacing.PacedEnvironment`. ``advance_to(t)`` runs up to a time and stops, to
    change the world (``inject``, a player's ``decide``) and go on; the log is the one an
    uninterrupted ``run()`` writes.
    """

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0,
                 env: simpy.Environment | None = None) -> None:
        self.scenario = scenario
        self.seed = seed
        self.replication = replication
        self.plan = plan = plan_for(scenario)
        start = start_time(scenario)
        if env is None:
            env = simpy.Environment(initial_time=start)
        elif env.now != start:
            raise ValueError(f"a World starts at time {start:g} (minus its warm-up); the environment "
                             f"given is at {env.now:g}")
        self.env = env
        self.streams = Streams(seed, replication)
        self.records: list[tuple] = []
        self.record = self.records.append
        self.inflight = 0
        """Accident messages in transit plus accident tasks queued or running."""
        self.pending = 0
        """Class changes and unit readiness still to come."""
        self.on_site = False
        self._messages = 0
        self._tasks = 0
        self._instant = -1.0
        self._at_instant = 0
        """Messages received at ``_instant`` (the guard against loops that take no time)."""
        self._down = dict.fromkeys(scenario.channels, 0)
        self._resending: dict[int, tuple] = {}
        """Messages waiting to be sent again (link ``resend``), by id."""
        self._rounds: dict[int, int] = {}
        """Per message sent again: the rounds started after the first."""
        self._held: dict[str, list[int]] = {}
        """Per channel under an outage: the messages waiting for it to come back."""
        self._calls: dict[int, tuple[tuple, int] | _Recall] = {}
        """Per message a caller is making: the caller's task and the index of its next send, or the
        resend round's call."""
        self._links: dict[tuple[str, str], _Link] = {}
        self._end = env.event()
        self._over = False
        self._end.callbacks.append(self._ended)
        self._ran = False
        self.current_class = ""
        """The plant's class: the last class change delivered to the site ("" before the first)."""
        self.decisions: dict[int, tuple] = {}
        """Players' tasks waiting for a decision, by task id (``nukesim.sim.responders``)."""

        self.orgs = {name: _Organisation(self, p) for name, p in plan.organisations.items()}
        self.team = TeamMobilisation(self)
        for outage in scenario.outages:  # a file's outage is the same inject, given at its start
            self.inject(outage_inject(scenario, outage), at=outage.start)
        for org in self.orgs.values():
            if len(org.plan.schedule) > 1:
                ShiftChange(env, delay_until(env.now, org.plan.schedule[1][0]), org).callbacks.append(
                    self._staff_change)
            if org.plan.background is not None:  # from the start of the warm-up, if there is one
                env.timeout(org.interarrival(), org).callbacks.append(self._background_arrival)
        self._schedule_escalation()
        self._schedule_window_end()
        env.timeout(delay_until(env.now, scenario.horizon)).callbacks.append(self._at_horizon)

    # --- the public API ---------------------------------------------------------------------------

    @property
    def now(self) -> float:
        return self.env.now

    def make_unavailable(self, target: str, start: float, end: float) -> None:
        """Make an organisation or a channel unavailable from ``start`` to ``end`` (minutes).

        The inject ``organisation_unavailable`` or ``channel_fails`` given at ``start`` (see
        ``nukesim.scenario.injects`` for what an outage stops). A start in the past means now.
        """
        from ..scenario.injects import ChannelFails, OrganisationUnavailable

        if target in self.orgs:
            inject = OrganisationUnavailable(type="organisation_unavailable", organisation=target,
                                             **{"for": end - start} if end > start else {})
        elif target in self._down:
            inject = ChannelFails(type="channel_fails", channel=target,
                                  **{"for": end - start} if end > start else {})
        else:
            known = ", ".join([*self.orgs, *self._down])
            raise ValueError(f"unknown organisation or channel {target!r}; known: {known}")
        if not end > start:
            raise ValueError(f"an outage must end after it starts ({start} .. {end})")
        now = self.env.now
        if end <= now:
            raise ValueError(f"the outage is over already (it ends at {end}, now is {now})")
        if start < now:  # the part still to come
            inject = inject.model_copy(update={"for_": end - now})
        self.inject(inject, at=start)

    def inject(self, inject, at: float | None = None) -> None:
        """Apply an inject (``nukesim.scenario.injects``) now, or at simulated time ``at``.

        A scheduled inject takes effect before anything else that happens at the same instant,
        so the same inject given at a time, or applied live once the world has been advanced to
        that time, changes the run alike. Each inject is a record in the log.
        """
        from .injects import schedule

        if self._over:
            raise RuntimeError("the run has ended")
        schedule(self, inject, at)

    def play(self, organisation: str, responder) -> None:
        """Let ``responder`` (``nukesim.sim.responders.Responder``) decide for ``organisation``."""
        from .responders import take_over

        take_over(self, organisation, responder)

    def decide(self, task: int, decision) -> None:
        """A player's decision on a task that was waiting for one: it is done now."""
        from .responders import decided

        decided(self, task, decision)

    @property
    def finished(self) -> bool:
        """Whether the run has ended (the team on site with nothing under way, or the horizon)."""
        return self._over

    def _ended(self, _event: simpy.Event) -> None:
        self._over = True

    def advance_to(self, t: float) -> None:
        """Run every event before ``t`` and stop at ``t`` (or at the end of the run, if earlier).

        Events at ``t`` itself are left for later: a change made now (an inject, a decision)
        comes before them, as a scheduled inject at ``t`` would.
        """
        env = self.env
        if self._over or t <= env.now:
            return
        stop = simpy.core.StopSimulation.callback
        self._end.callbacks.append(stop)  # the end, if it comes first, stops the run too
        try:
            env.run(until=t)
        finally:
            if self._end.callbacks is not None and stop in self._end.callbacks:
                self._end.callbacks.remove(stop)

    def step(self) -> None:
        """Process the next event (a paced environment first waits for its time to come)."""
        if not self._over:
            self.env.step()

    def run(self) -> EventLog:
        """Run on to the end (the horizon, or earlier once all is done) and return the event log."""
        if self._ran:
            raise RuntimeError("a World runs once; build a new one for another replication")
        self._ran = True
        if not self._over:
            self.env.run(until=self._end)
        end = self.env.now
        self.records.append((end, ENDED, "", "", "", 0, 0, -1, "", "", "", "", "", 0, self._end.value))
        return EventLog(self.records, self.scenario.name, self.seed, self.replication,
                        self.team.records_until(end))

    # --- the end --------------------------------------------------------------------------------

    def check_end(self) -> None:
        """End now if the team is on site and nothing about the accident is under way."""
        if self.on_site and not self.inflight and not self.pending and not self._end.triggered:
            self._end.succeed(ENDED_DONE)

    def _at_horizon(self, _event: simpy.Event) -> None:
        if not self._end.triggered:
            self._end.succeed(ENDED_AT_HORIZON)

    # --- organisations ----------------------------------------------------------------------------

    def _staff_change(self, event: simpy.Event) -> None:
        """The next change of an organisation's staff schedule; it schedules the one after."""
        org = event.value
        schedule = org.plan.schedule
        t, staff = schedule[org.next_change]
        org.staff.set_scheduled(staff)
        org.next_change += 1
        if org.next_change < len(schedule):
            ShiftChange(self.env, delay_until(t, schedule[org.next_change][0]), org).callbacks.append(
                self._staff_change)

    def outage(self, target: str, what: str, begins: bool) -> None:
        """An organisation's or a channel's outage (``what``) begins or ends, now (injects)."""
        self.record((self.env.now, OUTAGE_APPLIED, target, what, "", 0, 0, -1, "", "", "", "", "", 0,
                     "begins" if begins else "ends"))
        if what == "organisation":
            self.orgs[target].staff.outage(begins)
        else:
            self._down[target] += 1 if begins else -1
            if not begins and not self._down[target]:
                self._channel_restored(target)

    def _schedule_escalation(self) -> None:
        """The accident's class changes of this replication (drawn times, a stop; sim/escalation.py)."""
        now = self.env.now  # -warmup
        for t, cls in realised_timeline(self.scenario.accident, self.streams):
            self.pending += 1
            self.env.timeout(delay_until(now, t), cls).callbacks.append(self._class_change)

    def _schedule_window_end(self) -> None:
        """With ``measurement.until``, the run goes on at least until the window's end."""
        window = self.scenario.window
        if window is not None:
            self.pending += 1
            self.env.timeout(delay_until(self.env.now, window[1])).callbacks.append(self._window_over)

    def _window_over(self, _event: simpy.Event) -> None:
        self.pending -= 1
        self.check_end()

    def _class_change(self, event: simpy.Event) -> None:
        self.deliver_class_change(event.value)
        self.pending -= 1
        self.check_end()

    def deliver_class_change(self, cls: str) -> None:
        """The plant's class is now ``cls``: the accident tells the site."""
        self.current_class = cls
        self.deliver(self.scenario.accident.site, CLASS_CHANGE, cls, ACCIDENT, "")

    def channel_down(self, channel: str) -> bool:
        """Whether ``channel`` is out of service now."""
        return bool(self._down[channel])

    def next_message_id(self) -> int:
        self._messages += 1
        return self._messages

    def next_task_id(self) -> int:
        self._tasks += 1
        return self._tasks

    def deliver(self, to: str, kind: str, cls: str, sender: str, channel: str, ref: int = 0) -> int:
        """A message that comes from outside the links (the accident, an inject's report) arrives
        at ``to`` now; its id (``ref``, or a new one)."""
        ref = ref or self.next_message_id()
        self._receive(to, kind, cls, ref, sender, channel, 0)
        return ref

    def _receive(self, name: str, kind: str, cls: str, ref: int, sender: str, channel: str,
                 task: int) -> None:
        """A message arrives: log it, release held handlers, fire the handlers it triggers.

        ``task`` is the task that sent it (0 for a class change).
        """
        now = self.env.now
        if now == self._instant:
            self._at_instant += 1
            if self._at_instant > MAX_MESSAGES_AT_ONE_INSTANT:
                raise ZeroTimeLoop(
                    f"more than {MAX_MESSAGES_AT_ONE_INSTANT:,} messages arrived at t = {now:g} min "
                    f"(the last: {kind!r} from {sender} to {name}): handlers and channels that take no "
                    "time are sending to each other in a loop; give a handler or a channel a duration, "
                    "or make a handler `once`")
        else:
            self._instant, self._at_instant = now, 1
        self.record((now, MESSAGE_RECEIVED, name, kind, cls, ref, task, -1, sender, name, channel, "", "",
                     0, ""))
        org = self.orgs[name]
        if org.responder is not None:
            org.responder.arrives(self, org, kind, cls, ref, sender)
            return
        for h, h_cls, m in dispatch(org.state, org.plan.handlers.get(kind), sender, kind, cls,
                                    self.plan.rank[cls], ref, org.plan.needs_approvals):
            self._fire(org, h, h_cls, m)

    def _fire(self, org: _Organisation, h: HandlerPlan, cls: str, ref: int) -> None:
        self.inflight += 1
        self._tasks += 1
        self.queue_task((org, h.on, cls, self._tasks, ref, h.index, org.handling[h.index](), h),
                         ACCIDENT_WORK)

    # A task is a tuple (organisation, kind, class, task id, message id, handler index, duration,
    # handler or None) — message 0 and handler -1 for background work: one
    # is made for every piece of work, so it is kept as light as can be. It is queued for the
    # organisation's duty staff, started when a person takes it on, and finished ``duration``
    # later (times the organisation's slowdown, if it has one); only the finish is a simulation
    # event. ``duration`` is drawn when the task is queued, so the order of draws does not depend
    # on who is free.

    def queue_task(self, task: tuple, priority: int) -> None:
        """Queue ``task`` (the tuple above) for its organisation's duty staff at ``priority``."""
        org, kind, cls, ref, message, handler, _, _ = task
        self.record((self.env.now, TASK_QUEUED, org.name, kind, cls, message, ref, handler, "", "", "", "",
                     "", 0, ""))
        org.staff.take(priority, task)

    def _start_task(self, task: tuple) -> None:
        org, kind, cls, ref, message, handler, duration, _ = task
        env = self.env
        self.record((env.now, TASK_STARTED, org.name, kind, cls, message, ref, handler, "", "", "", "", "",
                     0, ""))
        env.timeout(duration, task).callbacks.append(self._finish_task)

    def _start_slowed_task(self, task: tuple) -> None:
        """``_start_task`` at an organisation with a ``slowdown``: handling takes the factor of the
        period in which the task starts (routine background work does not)."""
        org, kind, cls, ref, message, index, duration, handler = task
        env = self.env
        now = env.now
        self.record((now, TASK_STARTED, org.name, kind, cls, message, ref, index, "", "", "", "", "", 0, ""))
        if handler is not None:
            duration *= org.plan.slowdown[self.plan.period_at(now)]
        env.timeout(duration, task).callbacks.append(self._finish_task)

    def _finish_task(self, event: simpy.Event) -> None:
        org, kind, cls, ref, message, index, _, handler = event.value
        name = org.name
        self.record((self.env.now, TASK_FINISHED, name, kind, cls, message, ref, index, "", "", "", "", "",
                     0, ""))
        if handler is not None and handler.calls:
            self._start_calls(org, kind, cls, ref, message, handler)
            return
        org.staff.release()
        if handler is None:
            return
        for to, send_kind in handler.sends:
            self.send(name, to, send_kind, cls, ref)
        if name == self.team.plan.organisation:
            if kind == MOBILISE:
                self.team.mobilise(cls, ref)
            elif kind == DEPLOY:
                self.team.deploy(ref)
        self.inflight -= 1
        self.check_end()

    def _background_arrival(self, event: simpy.Event) -> None:
        """A piece of routine work arrives, below accident work; the next one is on its way."""
        org = event.value
        self._tasks += 1
        self.queue_task((org, BACKGROUND, "", self._tasks, 0, -1, org.duration(), None), BACKGROUND_WORK)
        self.env.timeout(org.interarrival(), org).callbacks.append(self._background_arrival)

    # --- calls that keep the caller busy (``occupies``) ----------------------------------------------

    def _start_calls(self, org: _Organisation, kind: str, cls: str, task: int, message: int,
                     handler: HandlerPlan) -> None:
        """A handled task whose sends include calls: the person who handled it keeps the slot and
        makes them in the listed order, each until delivered or given up (a send over a link that
        does not occupy the sender goes at once, when its turn comes); then the person is free.

        The order's effect on the team (call-out, deploy) comes at the end of the handling, as for
        any task; the task stays under way (``inflight``) until its last call is over.
        """
        name = org.name
        self.record((self.env.now, CALLS_BEGIN, name, kind, cls, message, task, handler.index, "", "", "", "",
                     "", sum(handler.calls), ""))
        if name == self.team.plan.organisation:
            if kind == MOBILISE:
                self.team.mobilise(cls, task)
            elif kind == DEPLOY:
                self.team.deploy(task)
        self._next_call((org, kind, cls, task, message, handler), 0)

    def _next_call(self, calling: tuple, i: int) -> None:
        org, kind, cls, task, message, handler = calling
        sends, calls = handler.sends, handler.calls
        while i < len(sends):
            to, send_kind = sends[i]
            i += 1
            if calls[i - 1]:
                ref = self.send(org.name, to, send_kind, cls, task)
                if (org.name, to) in self.plan.links:  # on its way (not lost at once): the caller waits
                    self._calls[ref] = (calling, i)
                    return
            else:
                self.send(org.name, to, send_kind, cls, task)
        self.record((self.env.now, CALLS_END, org.name, kind, cls, message, task, handler.index, "", "", "",
                     "", "", 0, ""))
        org.staff.release()
        self.inflight -= 1
        self.check_end()

    def _call_over(self, ref: int) -> None:
        """The transmission of message ``ref`` is over (delivered, lost or left for a resend)."""
        waiting = self._calls.pop(ref, None)
        if waiting is not None:
            if waiting.__class__ is _Recall:
                self._recall_over(waiting)
            else:
                self._next_call(*waiting)

    def _start_work(self, start, work) -> None:
        """A person takes on ``work`` at an organisation that makes resend calls: a resend round's
        call, or else a task (``start``)."""
        if work.__class__ is _Recall:
            self._start_recall(work)
        else:
            start(work)

    def _queue_recall(self, message: tuple, why: str) -> None:
        """A resend round is due on a link that ``occupies`` the sender: like the first round, it
        needs one of the sender's staff, and waits for a free person (accident work, in turn)."""
        sender, _, kind, cls, ref, _, _ = message
        org = self.orgs[sender]
        call = _Recall(org, message, why, self.next_task_id())
        self.record((self.env.now, TASK_QUEUED, sender, kind, cls, ref, call.task, -1, "", "", "", "", "",
                     0, ""))
        org.staff.take(ACCIDENT_WORK, call)

    def _start_recall(self, call: _Recall) -> None:
        message = call.message
        sender, kind, cls, ref = message[0], message[2], message[3], message[4]
        self.record((self.env.now, CALLS_BEGIN, sender, kind, cls, ref, call.task, -1, "", "", "", "", "",
                     1, ""))
        self._calls[ref] = call
        self._resend_now(message, call.why)

    def _recall_over(self, call: _Recall) -> None:
        """The round's call is over (delivered, or every channel failed again): the person is free."""
        message = call.message
        self.record((self.env.now, CALLS_END, message[0], message[2], message[3], message[4], call.task, -1,
                     "", "", "", "", "", 0, ""))
        call.org.staff.release()

    # --- messages ---------------------------------------------------------------------------------

    def link(self, sender: str, to: str) -> _Link | None:
        """The link from ``sender`` to ``to`` in this run (None if the scenario has none)."""
        link = self._links.get((sender, to))
        if link is None:
            plan = self.plan.links.get((sender, to))
            if plan is None:
                return None
            link = self._links[(sender, to)] = _Link(self, plan)
        return link

    def send(self, sender: str, to: str, kind: str, cls: str, task: int = 0) -> int:
        """Start a message on its way from ``sender`` to ``to`` (sent by task ``task``); its id."""
        self._messages += 1
        ref = self._messages
        now = self.env.now
        self.record((now, MESSAGE_SENT, sender, kind, cls, ref, task, -1, sender, to, "", "", "", 0, ""))
        link = self._links.get((sender, to))
        if link is None:
            plan = self.plan.links.get((sender, to))
            if plan is None:  # no link: the graph checks report this; here the message is lost
                self.record((now, MESSAGE_LOST, sender, kind, cls, ref, task, -1, sender, to, "", "", "", 0,
                             ""))
                return ref
            link = self._links[(sender, to)] = _Link(self, plan)
        self.inflight += 1
        self._attempt((sender, to, kind, cls, ref, link, task), 0, 0)
        return ref

    # A message on its way is a tuple (sender, receiver, kind, class, message id, link, task). Its
    # attempts are callbacks on timeouts rather than a SimPy process: a replication sends dozens
    # of messages, and a process costs an event to start it and a resumption for every wait.

    def _attempt(self, message: tuple, c: int, attempt: int) -> None:
        """Try channel ``c`` of the link (its ``attempt``-th try): it fails, or the message gets through.

        Every attempt draws its uniform and its delay, whether it fails or not, so that the n-th
        attempt on a link always gets the n-th numbers.
        """
        link = message[5]
        ch = link.plan.channels[c]
        u = link.uniform()
        delay = link.delays[c]()
        if u < ch.fails or self._down[ch.name] or link.cut:
            self.env.timeout(ch.detect, (message, c, attempt)).callbacks.append(self._attempt_failed)
        else:
            if link.own is not None:
                delay += link.own()
            self.env.timeout(delay, (message, ch.name)).callbacks.append(self._delivered)

    def _attempt_failed(self, event: simpy.Event) -> None:
        """The sender notices a failed attempt: the same channel again, the next one, or lost."""
        message, c, attempt = event.value
        sender, to, kind, cls, ref, link, task = message
        channels = link.plan.channels
        ch = channels[c]
        now, record = self.env.now, self.record
        record((now, MESSAGE_FAILED, sender, kind, cls, ref, task, -1, sender, to, ch.name, "", "", 0, ""))
        if attempt + 1 < ch.attempts:
            record((now, MESSAGE_RETRIED, sender, kind, cls, ref, task, -1, sender, to, ch.name, "", "", 0,
                    ""))
            self._attempt(message, c, attempt + 1)
        elif c + 1 < len(channels):
            record((now, MESSAGE_REROUTED, sender, kind, cls, ref, task, -1, sender, to, channels[c + 1].name,
                    "", "", 0, ""))
            self._attempt(message, c + 1, 0)
        elif link.plan.resend_after:
            self._round_failed(message)
        else:
            record((now, MESSAGE_LOST, sender, kind, cls, ref, task, -1, sender, to, ch.name, "", "", 0, ""))
            if self._calls:
                self._call_over(ref)
            self.inflight -= 1
            self.check_end()

    # --- sending again (link ``resend``) ------------------------------------------------------------

    def _round_failed(self, message: tuple) -> None:
        """Every channel of the link failed: wait ``resend.after`` and try the list again — sooner,
        the moment a channel of the link comes back from an outage — or give up after the last round."""
        ref, link = message[4], message[5]
        rounds = self._rounds.get(ref, 0)
        if self._calls:  # the caller hangs up; a later round needs a caller again (``occupies``)
            self._call_over(ref)
        if rounds >= link.plan.resend_rounds:
            sender, to, kind, cls, _, _, task = message
            self.record((self.env.now, MESSAGE_LOST, sender, kind, cls, ref, task, -1, sender, to,
                         link.plan.channels[-1].name, "", "", 0, ""))
            self._rounds.pop(ref, None)
            self.inflight -= 1
            self.check_end()
            return
        self._rounds[ref] = rounds + 1
        self._resending[ref] = message
        for ch in link.plan.channels:
            if self._down[ch.name]:
                self._held.setdefault(ch.name, []).append(ref)
        self.env.timeout(link.plan.resend_after, (ref, rounds + 1)).callbacks.append(self._resend_due)

    def _resend_due(self, event: simpy.Event) -> None:
        ref, rounds = event.value
        if ref in self._resending and self._rounds[ref] == rounds:  # not sent already on a restore
            self._resend(ref, "after")

    def _channel_restored(self, channel: str) -> None:
        """A channel's outage is over: the messages held for it go out now, in the order they failed."""
        for ref in self._held.pop(channel, ()):
            if ref in self._resending:
                self._resend(ref, "restored")

    def _resend(self, ref: int, why: str) -> None:
        message = self._resending.pop(ref)
        if message[5].plan.occupies:
            self._queue_recall(message, why)
        else:
            self._resend_now(message, why)

    def _resend_now(self, message: tuple, why: str) -> None:
        sender, to, kind, cls, ref, link, task = message
        self.record((self.env.now, MESSAGE_RESENT, sender, kind, cls, ref, task, -1, sender, to,
                     link.plan.channels[0].name, "", "", self._rounds[ref], why))
        self._attempt(message, 0, 0)

    def _delivered(self, event: simpy.Event) -> None:
        (sender, to, kind, cls, ref, _, task), channel = event.value
        self._receive(to, kind, cls, ref, sender, channel, task)
        if self._calls:
            self._call_over(ref)
        self.inflight -= 1
        self.check_end()
