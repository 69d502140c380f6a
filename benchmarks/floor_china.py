"""The floor: the China scenario written by hand in bare SimPy, with no framework around it.

nukesim's engine reads any scenario file, keeps named random streams and a general handler
language. This module is what a careful modeller would write for ``scenarios/china_national_team.yaml``
alone: the same six organisations and their handlers, the same links with failures, retries and
fallbacks, the same duty-staff calendar with handovers and background work, the same 320 members
in six units (re-paged when not reached), 30 vehicles, the deploy order and the transit, the
calendar's late-night period and 2026 holidays — each parameter copied from the file
— and the same records appended as plain tuples to a list (the fields of ``nukesim.events.Event``
with the same causal links, as docs/engine.md lists them). Its cost per replication is the
*floor*: what SimPy itself charges for this model. ``bench_engine.py`` compares the engine with it.

It takes the shortcuts any careful SimPy modeller takes and that keep the semantics: one process
per task and per message, members' responses computed directly when they are paged (nothing in
the model changes them), vehicles loaded by a small heap of loaders. Random numbers come from one
``random.Random`` per replication — the fastest scalar draws Python has — so the floor draws
different numbers from the engine; its metric distributions must agree with the engine's, and
``bench_engine.py --check`` shows that they do.

If the China file changes, change the constants below with it.
"""

from __future__ import annotations

import heapq
import math
import random
from datetime import date, datetime, timedelta, timezone
from operator import itemgetter

import simpy

# --- the scenario, copied from scenarios/china_national_team.yaml --------------------------------

CLASSES = ("emergency_standby", "plant_emergency", "site_area_emergency", "offsite_emergency")
STANDBY, PLANT, SITE_AREA, OFFSITE = range(4)
START = datetime(2026, 3, 18, 15, 0, tzinfo=timezone(timedelta(hours=8)))  # a Wednesday
HORIZON = 3 * 1440.0
DAY = (8 * 60 + 30, 17 * 60 + 30)  # 08:30-17:30; the rest of a weekday is night
LATE_NIGHT = (0, 6 * 60)  # 00:00-06:00: late night on a weekday, weekend night on a weekend day
HOLIDAYS = frozenset(date(2026, m, d) for m, d in (
    (1, 1), (1, 2), (1, 3), *((2, d) for d in range(15, 24)), (4, 4), (4, 5), (4, 6),
    *((5, d) for d in range(1, 6)), (6, 19), (6, 20), (6, 21), (9, 25), (9, 26), (9, 27),
    *((10, d) for d in range(1, 8))))
WORKDAYS = frozenset(date(2026, m, d) for m, d in ((1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)))
SHIFT_CHANGES = (8 * 60, 20 * 60)
HANDOVER = 10.0
TIMELINE = ((0.0, STANDBY), (40.0, PLANT), (120.0, SITE_AREA), (300.0, OFFSITE))
SITE = "plant"
Z90 = 1.2815515655446004


def lognormal(median: float, p90: float) -> tuple[str, float, float]:
    return ("lognormal", math.log(median), math.log(p90 / median) / Z90)


def exponential(mean: float) -> tuple[str, float, float]:
    return ("exponential", 1.0 / mean, 0.0)


def uniform(low: float, high: float) -> tuple[str, float, float]:
    return ("uniform", low, high)


def draw(rnd: random.Random, dist: tuple[str, float, float]) -> float:
    name, a, b = dist
    if name == "lognormal":
        return rnd.lognormvariate(a, b)
    if name == "exponential":
        return rnd.expovariate(a)
    return rnd.uniform(a, b)


def by_period(day, night, weekend) -> tuple:
    """Values for (day, night, weekend, late night, weekend night): the last two as night, weekend."""
    return (day, night, weekend, night, weekend)


# name: staff by period, background (interarrival, duration) or None
ORGANISATIONS = {
    "plant": (by_period(3, 2, 2), (exponential(30), lognormal(5, 15))),
    "province": (by_period(3, 1, 1), (exponential(45), lognormal(10, 30))),
    "national_office": (by_period(4, 2, 2), (exponential(30), lognormal(10, 30))),
    "commission": (by_period(2, 1, 1), None),
    "state_council": (by_period(2, 2, 2), None),
    "team_duty": (by_period(2, 1, 1), (exponential(60), lognormal(10, 30))),
}

# (org, kind): handlers in scenario order as (index, least class, handling time, sends)
HANDLERS = {
    ("plant", "class_change"): (
        (0, STANDBY, lognormal(10, 25), (("province", "notification"), ("national_office", "notification"))),
        (1, OFFSITE, lognormal(15, 40), (("province", "offsite_proposal"),)),
    ),
    ("province", "notification"): (
        (0, STANDBY, lognormal(5, 15), ()),
        (1, PLANT, lognormal(20, 60), (("national_office", "situation_report"),)),
    ),
    ("province", "offsite_proposal"): (
        (2, OFFSITE, lognormal(30, 90),
         (("commission", "offsite_request"), ("national_office", "offsite_request"))),
    ),
    ("province", "offsite_approval"): ((3, STANDBY, lognormal(15, 45), ()),),
    ("national_office", "notification"): (
        (0, STANDBY, lognormal(5, 15), ()),
        (1, PLANT, lognormal(20, 60), (("commission", "report"),)),
    ),
    ("national_office", "situation_report"): ((2, STANDBY, lognormal(5, 15), ()),),
    ("national_office", "offsite_request"): (
        (3, OFFSITE, lognormal(30, 90), (("commission", "assessment"),)),
    ),
    ("national_office", "mobilise"): ((4, STANDBY, lognormal(10, 30), (("team_duty", "mobilise"),)),),
    ("national_office", "deploy"): ((5, STANDBY, lognormal(10, 30), (("team_duty", "deploy"),)),),
    ("commission", "report"): (
        (0, PLANT, lognormal(10, 30), ()),
        (1, SITE_AREA, lognormal(45, 120), (("state_council", "report"), ("national_office", "mobilise"))),
    ),
    # handler 2 waits for the national office's assessment (approval: {from: national_office, ...})
    ("commission", "offsite_request"): (
        (2, OFFSITE, lognormal(30, 90),
         (("province", "offsite_approval"), ("state_council", "report"), ("national_office", "deploy"))),
    ),
    ("state_council", "report"): ((0, STANDBY, lognormal(10, 30), ()),),
    ("team_duty", "mobilise"): ((0, STANDBY, lognormal(5, 15), ()),),
    ("team_duty", "deploy"): ((1, STANDBY, lognormal(5, 15), ()),),
}

ONCE = frozenset({("commission", 1)})  # (org, handler index) with `once: true`

# channel: (delay, fails, detect, attempts = 1 + retries)
CHANNELS = {
    "hotline": (uniform(1, 3), 0.02, 2.0, 2),
    "phone": (lognormal(2, 6), 0.10, 5.0, 3),
    "fax": (lognormal(8, 20), 0.05, 15.0, 2),
    "satellite": (lognormal(5, 12), 0.15, 5.0, 3),
}
LINKS = {
    ("plant", "province"): ("hotline", "phone", "satellite"),
    ("plant", "national_office"): ("hotline", "phone", "fax", "satellite"),
    ("province", "national_office"): ("hotline", "fax", "phone"),
    ("province", "commission"): ("hotline", "fax", "phone"),
    ("national_office", "commission"): ("hotline", "phone"),
    ("national_office", "team_duty"): ("hotline", "phone", "satellite"),
    ("commission", "national_office"): ("hotline", "phone"),
    ("commission", "province"): ("hotline", "fax", "satellite"),
    ("commission", "state_council"): ("hotline", "phone"),
}

TEAM_ORG = "team_duty"
CALLOUT_DELAY = 5.0
UNITS = (("command", 40), ("assault", 60), ("engineering", 95), ("monitoring", 45),
         ("decontamination", 40), ("medical", 40))
READY_AT = 0.7
REPAGE = (15.0, 4)  # a member not reached is paged again every 15 min, 4 times at most
SLOWDOWN = (1.0, 1.0, 1.2, 1.55, 1.55)  # by period — the same for every group
# group: (share, reachable by period, acknowledge, travel, travel slowed by the period?)
GROUPS = (
    ("on_base", 0.4, by_period(1.0, 0.98, 0.98), exponential(2), uniform(5, 20), True),
    ("local", 0.4, by_period(0.9, 0.85, 0.75), lognormal(5, 20), lognormal(40, 90), True),
    ("distant", 0.2, by_period(0.8, 0.7, 0.6), lognormal(10, 45), lognormal(360, 14 * 60), False),
)
VEHICLES, LOADERS, LOAD = 30, 6, lognormal(30, 60)
TRANSIT = lognormal(360, 720)


# --- the clock, computed once ---------------------------------------------------------------------

def _period(when: datetime) -> int:
    """0 day, 1 night, 2 weekend, 3 late night, 4 weekend night."""
    weekend = when.weekday() >= 5 and when.date() not in WORKDAYS or when.date() in HOLIDAYS
    minute = when.hour * 60 + when.minute
    if LATE_NIGHT[0] <= minute < LATE_NIGHT[1]:
        return 4 if weekend else 3
    if weekend:
        return 2
    return 0 if DAY[0] <= minute < DAY[1] else 1


def _period_changes() -> list[tuple[float, int]]:
    out = [(0.0, _period(START))]
    t = 1.0
    while t < HORIZON:  # minute steps are fine: every boundary of this calendar is a whole minute
        p = _period(START + timedelta(minutes=t))
        if p != out[-1][1]:
            out.append((t, p))
        t += 1.0
    return out


PERIOD_CHANGES = _period_changes()


def _staff_schedule(levels: tuple[int, ...]) -> list[tuple[float, int]]:
    handovers = []
    midnight = START.replace(hour=0, minute=0)
    offset = (START - midnight).total_seconds() / 60
    for day in range(5):
        for sc in SHIFT_CHANGES:
            t0 = day * 1440 + sc - offset
            if t0 + HANDOVER > 0 and t0 < HORIZON:
                handovers.append((max(t0, 0.0), t0 + HANDOVER))
    times = sorted({t for t, _ in PERIOD_CHANGES} | {t for h in handovers for t in h})
    out: list[tuple[float, int]] = []
    for t in times:
        period = [p for s, p in PERIOD_CHANGES if s <= t][-1]
        staff = 0 if any(a <= t < b for a, b in handovers) else levels[period]
        if not out or out[-1][1] != staff:
            out.append((t, staff))
    return out


SCHEDULES = {name: _staff_schedule(staff) for name, (staff, _) in ORGANISATIONS.items()}


def period_at(t: float) -> int:
    p = 0
    for start, period in PERIOD_CHANGES:
        if start > t:
            break
        p = period
    return p


def _members() -> list[tuple[str, int, int, str]]:
    """(member id, group index, number in unit, unit) in member order, shares by largest remainder."""
    out = []
    shares = [g[1] for g in GROUPS]
    for unit, size in UNITS:
        quotas = [round(size * s, 9) for s in shares]
        counts = [math.floor(q) for q in quotas]
        by_remainder = sorted(range(len(shares)), key=lambda g: (-(quotas[g] - counts[g]), g))
        for g in by_remainder[: size - sum(counts)]:
            counts[g] += 1
        n = 0
        for g, count in enumerate(counts):
            for _ in range(count):
                n += 1
                out.append((f"{unit}/{n}", g, n, unit))
    return out


MEMBERS = _members()


# --- one replication ------------------------------------------------------------------------------

class _Model:
    """What both floors share: the accident, the handlers, the links and the team."""

    def __init__(self, seed: int, replication: int) -> None:
        self.rnd = random.Random(seed * 1_000_003 + replication)
        self.env = env = simpy.Environment()
        self.records: list[tuple] = []
        self.kept: list[tuple] = []  # member and vehicle records, merged at the end
        self.messages = self.tasks = 0
        self.inflight = 0
        self.pending = len(TIMELINE)
        self.assessed = False  # the commission has received the national office's assessment
        self.fired: set[tuple[str, int]] = set()  # `once` handlers that have fired
        self.held: list[tuple[int, int]] = []
        self.called_out = self.deploy_ordered = self.ready_to_leave = self.departed = False
        self.deploy_task = 0
        self.last_ready = ""
        self.on_site = False
        self.cls = ""
        self.end = env.event()
        self.start_staff()  # before the timeline: a shift change goes before work at the same instant
        for at, cls in TIMELINE:
            env.timeout(at, cls).callbacks.append(self.class_change)
        env.timeout(HORIZON).callbacks.append(lambda _: self.finish("horizon"))

    def start_staff(self) -> None:
        raise NotImplementedError

    def queue_task(self, org: str, priority: int, task: tuple) -> None:
        """``task`` is ``(org, kind, class name, task id, info, duration, sends, class)``."""
        raise NotImplementedError

    def run(self) -> list[tuple]:
        self.env.run(until=self.end)
        end = self.env.now
        kept = [r for r in self.kept if r[0] <= end]
        kept.sort(key=itemgetter(0))
        kept.extend(self.records)
        kept.sort(key=itemgetter(0))
        kept.append((end, "ended", "", "", "", 0, 0, -1, "", "", "", "", "", 0, self.end.value))
        return kept

    def finish(self, why: str) -> None:
        if not self.end.triggered:
            self.end.succeed(why)

    def check_end(self) -> None:
        if self.on_site and not self.inflight and not self.pending:
            self.finish("done")

    # organisations

    def class_change(self, event) -> None:
        self.messages += 1
        self.receive(SITE, "class_change", event.value, self.messages, "accident", "", 0)
        self.pending -= 1
        self.check_end()

    def receive(self, org: str, kind: str, cls: int, ref: int, sender: str, channel: str, task: int) -> None:
        self.records.append((self.env.now, "received", org, kind, CLASSES[cls], ref, task, -1, sender, org,
                             channel, "", "", 0, ""))
        if org == "commission" and kind == "assessment" and sender == "national_office":
            self.assessed = True
            for held_cls, held_ref in self.held:
                self.fire(org, "offsite_request", HANDLERS[("commission", "offsite_request")][0], held_cls,
                          held_ref)
            self.held.clear()
        for handler in HANDLERS.get((org, kind), ()):
            if cls < handler[1]:
                continue
            if (org, handler[0]) in ONCE:  # `once: true`: the first message that gets this far only
                if (org, handler[0]) in self.fired:
                    continue
                self.fired.add((org, handler[0]))
            if org == "commission" and kind == "offsite_request" and not self.assessed:
                self.held.append((cls, ref))
                continue
            self.fire(org, kind, handler, cls, ref)

    def fire(self, org: str, kind: str, handler, cls: int, ref: int) -> None:
        index, _, time, sends = handler
        self.inflight += 1
        self.tasks += 1
        self.queue_task(org, 0, (org, kind, CLASSES[cls], self.tasks, ref, index,
                                 draw(self.rnd, time), sends, cls))

    def background_task(self, org: str, duration) -> tuple:
        self.tasks += 1
        return (org, "background", "", self.tasks, 0, -1, draw(self.rnd, duration), None, 0)

    def task_done(self, org: str, kind: str, sends, cls: int, task: int) -> None:
        """An accident task is finished: send what the handler says, act on team orders."""
        for to, send_kind in sends:
            self.send(org, to, send_kind, cls, task)
        if org == TEAM_ORG:
            if kind == "mobilise":
                self.call_out(cls, task)
            elif kind == "deploy":
                self.deploy_task = task
                self.deploy_ordered = True
                self.maybe_depart()
        self.inflight -= 1
        self.check_end()

    # messages

    def send(self, sender: str, to: str, kind: str, cls: int, task: int) -> None:
        self.messages += 1
        self.records.append((self.env.now, "sent", sender, kind, CLASSES[cls], self.messages, task, -1,
                             sender, to, "", "", "", 0, ""))
        self.inflight += 1
        self.start_transmission(sender, to, kind, cls, self.messages, task)

    def start_transmission(self, sender: str, to: str, kind: str, cls: int, ref: int, task: int) -> None:
        self.env.process(self.transmit(sender, to, kind, cls, ref, task))

    def transmit(self, sender: str, to: str, kind: str, cls: int, ref: int, task: int):
        env, rec, rnd = self.env, self.records.append, self.rnd
        cls_name = CLASSES[cls]
        channels = LINKS[(sender, to)]
        for c, name in enumerate(channels):
            delay, fails, detect, attempts = CHANNELS[name]
            for attempt in range(attempts):
                if rnd.random() < fails:
                    yield env.timeout(detect)
                    rec((env.now, "failed", sender, kind, cls_name, ref, task, -1, sender, to, name, "", "",
                         0, ""))
                    if attempt + 1 < attempts:
                        rec((env.now, "retried", sender, kind, cls_name, ref, task, -1, sender, to, name, "",
                             "", 0, ""))
                    elif c + 1 < len(channels):
                        rec((env.now, "rerouted", sender, kind, cls_name, ref, task, -1, sender, to,
                             channels[c + 1], "", "", 0, ""))
                    continue
                yield env.timeout(draw(rnd, delay))
                self.receive(to, kind, cls, ref, sender, name, task)
                self.inflight -= 1
                self.check_end()
                return
        rec((env.now, "lost", sender, kind, cls_name, ref, task, -1, sender, to, channels[-1], "", "", 0, ""))
        self.inflight -= 1
        self.check_end()

    # the team

    def call_out(self, cls: int, task: int) -> None:
        if self.called_out:
            return
        self.called_out = True
        env, rnd, kept = self.env, self.rnd, self.kept
        now = env.now
        self.cls = cls_name = CLASSES[cls]
        self.records.append((now, "callout", TEAM_ORG, "", cls_name, 0, task, -1, "", "", "", "", "",
                             len(MEMBERS), "page"))
        t = now + CALLOUT_DELAY
        after, attempts = REPAGE
        periods = [period_at(t + k * after) for k in range(attempts + 1)]
        assembled: dict[str, list[float]] = {unit: [] for unit, _ in UNITS}
        for member, g, number, unit in MEMBERS:
            name, _, reachable, acknowledge, travel, slow_travel = GROUPS[g]
            head = (member, name, cls_name, 0, 0, -1, "", "", "", member, unit, number, "")
            for k, period in enumerate(periods):  # the page, then the re-pages until one reaches
                page = t + k * after
                kept.append((page, "paged") + head)
                if rnd.random() < reachable[period]:
                    slow = SLOWDOWN[period]
                    t_ack = page + draw(rnd, acknowledge) * slow
                    t_asm = t_ack + draw(rnd, travel) * (slow if slow_travel else 1.0)
                    kept.append((t_ack, "acknowledged") + head)
                    kept.append((t_asm, "assembled") + head)
                    assembled[unit].append((t_asm, member))
                    break
                kept.append((page, "unreachable") + head)
        ready = []
        for x, (unit, size) in enumerate(UNITS):
            need = max(1, math.ceil(READY_AT * size - 1e-9))
            times = assembled[unit]
            if len(times) >= need:
                times.sort()
                ready.append((times[need - 1][0], x, need, times[need - 1][1]))
        ready.sort()
        for at, x, need, member in ready:
            self.pending += 1
            env.timeout(at - now, (x, need, member)).callbacks.append(self.unit_ready)
        if not ready:
            return
        free = [ready[0][0]] * LOADERS
        loaded = []
        for i in range(1, VEHICLES + 1):
            done = heapq.heappop(free) + draw(rnd, LOAD)
            heapq.heappush(free, done)
            loaded.append(done)
            kept.append((done, "vehicle_loaded", TEAM_ORG, "", cls_name, 0, 0, -1, "", "", "", "", "", i, ""))
        if len(ready) == len(UNITS):
            self.last_ready = UNITS[ready[-1][1]][0] if ready[-1][0] >= max(loaded) else ""
            env.timeout(max(ready[-1][0], *loaded) - now).callbacks.append(self.leave_ready)

    def unit_ready(self, event) -> None:
        x, need, member = event.value
        unit = UNITS[x][0]
        self.records.append((self.env.now, "unit_ready", unit, "", self.cls, 0, 0, -1, "", "", "", member,
                             unit, need, ""))
        self.pending -= 1
        self.check_end()

    def leave_ready(self, _event) -> None:
        self.ready_to_leave = True
        self.records.append((self.env.now, "team_ready", TEAM_ORG, "", self.cls, 0, 0, -1, "", "", "", "",
                             self.last_ready, VEHICLES, ""))
        self.maybe_depart()

    def maybe_depart(self) -> None:
        if self.departed or not self.ready_to_leave or not self.deploy_ordered:
            return
        self.departed = True
        self.records.append((self.env.now, "departed", TEAM_ORG, "", self.cls, 0, self.deploy_task, -1, "",
                             "", "", "", "", 0, ""))
        self.env.timeout(draw(self.rnd, TRANSIT)).callbacks.append(self.arrive)

    def arrive(self, _event) -> None:
        self.records.append((self.env.now, "on_site", TEAM_ORG, "", self.cls, 0, 0, -1, "", "", "", "", "", 0,
                             ""))
        self.on_site = True
        self.check_end()


class Replication(_Model):
    """The floor: tasks and messages as callbacks on SimPy timeouts, duty staff as a counter and a heap.

    Only the end of a task and of each attempt of a message is a simulation event: a free person
    takes work on the spot, and work that finds nobody free waits in a heap by (priority,
    arrival). Blockers for people off duty take slots before any waiting work. Shift changes are
    timeouts made before anything else, so at an instant shared with other events (20:00 is both a
    handover and the off-site class change) the change goes first.
    """

    def start_staff(self) -> None:
        env = self.env
        # per org: [free, blocked, blockers wanted, waiting heap, arrivals, level logged, capacity]
        self.staff = {}
        changes: dict[float, list[tuple[str, int]]] = {}
        for name, (_, background) in ORGANISATIONS.items():
            schedule = SCHEDULES[name]
            capacity = max(level for _, level in schedule)
            self.staff[name] = [capacity, 0, 0, [], 0, -1, capacity]
            self.set_staff(name, schedule[0][1])
            for t, level in schedule[1:]:
                changes.setdefault(t, []).append((name, level))
            if background:
                env.timeout(draw(self.rnd, background[0]), (name, background)).callbacks.append(
                    self.background)
        for t in sorted(changes):
            env.timeout(t, changes[t]).callbacks.append(self.shift_change)

    def shift_change(self, event) -> None:
        for name, level in event.value:
            self.set_staff(name, level)

    def set_staff(self, name: str, level: int) -> None:
        st = self.staff[name]
        st[2] = want = st[6] - level
        if st[1] > want:
            st[0] += st[1] - want
            st[1] = want
        elif st[1] < want:
            take = min(st[0], want - st[1])
            st[0] -= take
            st[1] += take
        while st[0] and st[3]:
            st[0] -= 1
            self.start(heapq.heappop(st[3])[2])
        self.show_staff(name, st)

    def show_staff(self, name: str, st: list) -> None:
        level = st[6] - st[1]
        if level != st[5]:
            st[5] = level
            self.records.append((self.env.now, "staff", name, "", "", 0, 0, -1, "", "", "", "", "", level,
                                 ""))

    def start_transmission(self, sender: str, to: str, kind: str, cls: int, ref: int, task: int) -> None:
        self.attempt((sender, to, kind, cls, ref, LINKS[(sender, to)], task), 0, 0)

    def attempt(self, message: tuple, c: int, attempt: int) -> None:
        delay, fails, detect, _ = CHANNELS[message[5][c]]
        if self.rnd.random() < fails:
            self.env.timeout(detect, (message, c, attempt)).callbacks.append(self.attempt_failed)
        else:
            self.env.timeout(draw(self.rnd, delay), (message, c)).callbacks.append(self.delivered)

    def attempt_failed(self, event) -> None:
        message, c, attempt = event.value
        sender, to, kind, cls, ref, channels, task = message
        name = channels[c]
        now, rec, cls_name = self.env.now, self.records.append, CLASSES[cls]
        rec((now, "failed", sender, kind, cls_name, ref, task, -1, sender, to, name, "", "", 0, ""))
        if attempt + 1 < CHANNELS[name][3]:
            rec((now, "retried", sender, kind, cls_name, ref, task, -1, sender, to, name, "", "", 0, ""))
            self.attempt(message, c, attempt + 1)
        elif c + 1 < len(channels):
            rec((now, "rerouted", sender, kind, cls_name, ref, task, -1, sender, to, channels[c + 1], "", "",
                 0, ""))
            self.attempt(message, c + 1, 0)
        else:
            rec((now, "lost", sender, kind, cls_name, ref, task, -1, sender, to, name, "", "", 0, ""))
            self.inflight -= 1
            self.check_end()

    def delivered(self, event) -> None:
        (sender, to, kind, cls, ref, channels, task), c = event.value
        self.receive(to, kind, cls, ref, sender, channels[c], task)
        self.inflight -= 1
        self.check_end()

    def background(self, event) -> None:
        name, (interarrival, duration) = event.value
        self.queue_task(name, 1, self.background_task(name, duration))
        self.env.timeout(draw(self.rnd, interarrival), event.value).callbacks.append(self.background)

    def queue_task(self, org: str, priority: int, task: tuple) -> None:
        self.records.append((self.env.now, "queued", org, task[1], task[2], task[4], task[3], task[5], "", "",
                             "", "", "", 0, ""))
        st = self.staff[org]
        if st[0]:
            st[0] -= 1
            self.start(task)
        else:
            st[4] += 1
            heapq.heappush(st[3], (priority, st[4], task))

    def start(self, task: tuple) -> None:
        env = self.env
        self.records.append((env.now, "started", task[0], task[1], task[2], task[4], task[3], task[5], "", "",
                             "", "", "", 0, ""))
        env.timeout(task[6], task).callbacks.append(self.finish_task)

    def finish_task(self, event) -> None:
        org, kind, cls_name, ref, message, handler, _, sends, cls = event.value
        self.records.append((self.env.now, "finished", org, kind, cls_name, message, ref, handler, "", "", "",
                             "", "", 0, ""))
        st = self.staff[org]
        if st[2] > st[1]:  # a blocker waits for this slot
            st[1] += 1
            self.show_staff(org, st)
        elif st[3]:
            self.start(heapq.heappop(st[3])[2])
        else:
            st[0] += 1
        if sends is not None:
            self.task_done(org, kind, sends, cls, ref)


class IdiomaticReplication(_Model):
    """The same model as SimPy's tutorials would write it: a process per task and per routine-work
    source, duty staff as a ``simpy.PriorityResource`` and off-duty blockers as requests at
    priority -1, held by a process per organisation that follows the schedule."""

    def start_staff(self) -> None:
        env = self.env
        self.slots = {name: simpy.PriorityResource(env, max(level for _, level in SCHEDULES[name]))
                      for name in ORGANISATIONS}
        for name, (_, background) in ORGANISATIONS.items():
            # the shift changes' timeouts are made now, before the timeline's, so that a change
            # goes before work arriving at the same instant (the process would make them too late)
            changes = [env.timeout(t, staff) for t, staff in SCHEDULES[name][1:]]
            env.process(self.duty(name, changes))
            if background:
                env.process(self.background(name, *background))

    def duty(self, name: str, changes: list):
        env, slots, rec = self.env, self.slots[name], self.records.append
        capacity = slots.capacity
        blockers: list = []
        shown = [-1]

        def show(_=None) -> None:
            level = capacity - sum(1 for b in blockers if b.triggered)
            if level != shown[0]:
                shown[0] = level
                rec((env.now, "staff", name, "", "", 0, 0, -1, "", "", "", "", "", level, ""))

        staff = SCHEDULES[name][0][1]
        for change in [None, *changes]:
            if change is not None:
                staff = yield change
            want = capacity - staff
            while len(blockers) < want:
                req = slots.request(priority=-1)
                blockers.append(req)
                if not req.triggered:
                    req.callbacks.append(show)
            while len(blockers) > want:
                req = blockers.pop()
                if req.triggered:
                    slots.release(req)
                else:
                    req.cancel()
            show()

    def background(self, name: str, interarrival, duration):
        env = self.env
        while True:
            yield env.timeout(draw(self.rnd, interarrival))
            self.queue_task(name, 1, self.background_task(name, duration))

    def queue_task(self, org: str, priority: int, task: tuple) -> None:
        self.env.process(self.task(priority, *task))

    def task(self, priority: int, org: str, kind: str, cls_name: str, ref: int, message: int, handler: int,
             duration: float, sends, cls: int):
        env, rec = self.env, self.records.append
        rec((env.now, "queued", org, kind, cls_name, message, ref, handler, "", "", "", "", "", 0, ""))
        slots = self.slots[org]
        with slots.request(priority=priority) as req:
            yield req
            rec((env.now, "started", org, kind, cls_name, message, ref, handler, "", "", "", "", "", 0, ""))
            yield env.timeout(duration)
        rec((env.now, "finished", org, kind, cls_name, message, ref, handler, "", "", "", "", "", 0, ""))
        if sends is not None:
            self.task_done(org, kind, sends, cls, ref)


def simulate(seed: int, replication: int = 0, model: type[_Model] = Replication) -> list[tuple]:
    """One replication of the China scenario: its records in time order, ending with ``ended``."""
    return model(seed, replication).run()


if __name__ == "__main__":
    import sys
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    for model in (Replication, IdiomaticReplication):
        t0 = time.perf_counter()
        total = sum(len(simulate(7, r, model)) for r in range(n))
        dt = time.perf_counter() - t0
        print(f"{model.__name__}: {n} replications, {dt / n * 1e3:.3f} ms per replication, "
              f"{total / dt:,.0f} records/s")
