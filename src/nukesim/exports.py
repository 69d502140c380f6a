"""Exports: the event log and the replications in the formats that analysts' tools read.

``summary.json``, ``replications.csv`` and ``events.csv`` answer the planner's questions; the
exports hand the same results to other tools without a conversion step of the user's own:

- **XES** (IEEE 1849), the case-centric format of process-mining tools (ProM, Disco, Celonis,
  pm4py). A case must be the unit whose path through the process we want to see, and in nukesim
  that is one simulated accident: the notification chain is a *chain* — the plant's notice sets
  off the authority's decision, whose order sets off the team's call-out — so cutting it into one
  trace per message would lose exactly the causality and the end-to-end time that the chain is
  about. So there is **one trace per replication**, and the variation between traces is the
  variation between replications. Activities are named ``"<who>: <what>"`` (``"authority:
  receive notification"``) because the same step at two organisations is two steps of the chain;
  a task's three records share one activity and differ by ``lifecycle:transition`` (schedule,
  start, complete), so tools can tell waiting from working.
- **OCEL 2.0** (JSON), the object-centric format, for the views a single case notion cannot give:
  a message's own life (sent, failed, rerouted, received, handled), a member's, an organisation's
  workload. Objects belong to one replication (``r0/organisation/plant``): replications share a
  wall clock, so one object across replications would interleave different worlds.
- **Parquet** for data tools (pandas, polars, DuckDB, Spark): the same rows and columns as
  ``replications.csv`` and ``events.csv``, with their types, and missing metrics as nulls.

Every export is a function of the event log or of the metric rows — nothing new is computed here.
Both process-mining formats carry every record's fields (:class:`nukesim.events.Event`) as
``nukesim:*`` attributes, so each record can be rebuilt exactly from either file; the causal
links (a task's message, a message's task, a member's unit) are read from those fields, never
parsed from text. The XML and JSON are written one trace or one event at a time, so memory stays
flat however many replications' logs are kept. XES is written with the standard library alone;
Parquet needs pyarrow (the ``parquet`` extra). docs/outputs.md describes every file and field.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from . import events as ev
from .events import CSV_COLUMNS, Event, EventLog
from .provenance import nukesim_version
from .scenario import Scenario
from .scenario.problems import unknown

FORMATS: dict[str, tuple[str, ...]] = {
    "xes": ("events.xes",),
    "ocel": ("events.ocel.json",),
    "parquet": ("replications.parquet", "events.parquet"),
}
"""Each export format and the files it writes into the output folder."""

FIELDS = tuple(f"nukesim:{name}" for name in Event._fields)
"""The attribute names under which both process-mining formats carry a record's fields."""

_VALUE_TYPES = tuple("float" if name == "t" else "int" if isinstance(value, int) else "string"
                     for name, value in zip(Event._fields, ev.EMPTY, strict=True))
"""Each field's type: ``t`` a float, ids and counts integers, the rest strings."""

_XES_NS = "http://www.xes-standard.org/"
_EXTENSIONS = (("Concept", "concept"), ("Time", "time"), ("Organizational", "org"),
               ("Lifecycle", "lifecycle"))
_EPOCH = "1970-01-01T00:00:00.000+00:00"


def parse_formats(specs: Iterable[str]) -> list[str]:
    """Format names from ``--export`` values (``"xes,ocel"``, repeatable; ``all`` = every one).

    Raises ``ValueError`` naming an unknown format and the closest known one.
    """
    chosen: list[str] = []
    for spec in specs:
        for name in (part.strip().lower() for part in spec.split(",")):
            if not name or name == "none":
                continue
            if name == "all":
                chosen.extend(FORMATS)
            elif name in FORMATS:
                chosen.append(name)
            else:
                raise ValueError(unknown("export format", name, [*FORMATS, "all"]))
    return list(dict.fromkeys(chosen))


def missing_requirements(formats: Iterable[str]) -> list[str]:
    """What must be installed for these formats and is not (checked before a long run starts)."""
    if "parquet" in formats and importlib.util.find_spec("pyarrow") is None:
        return ["parquet needs pyarrow: pip install 'nukesim[parquet]' (or pip install pyarrow)"]
    return []


def write_exports(directory: Path, result, formats: Iterable[str],
                  logs: Sequence[EventLog] | None = None) -> list[str]:
    """Write the chosen formats of ``result`` (a ``Replications``) into ``directory``.

    The event-log formats hold the replications whose logs were kept (``--events``), in order:
    ``logs``, or those ``result`` kept. Returns the names of the files written.
    """
    formats = list(formats)
    exports = EventLogExports(directory, formats, result.scenario)
    try:
        for log in [log for _, log in sorted(result.events.items())] if logs is None else logs:
            exports.add(log)
    finally:
        exports.close()
    return finish_exports(directory, result, formats)


def finish_exports(directory: Path, result, formats: Sequence[str]) -> list[str]:
    """What the formats write from the metric rows (``replications.parquet``), once the event-log
    files are complete; returns the names of every file of ``formats``."""
    if "parquet" in formats:
        result.to_pandas().reset_index().to_parquet(directory / "replications.parquet", index=False)
    return [name for f in formats for name in FORMATS[f]]


class EventLogExports:
    """The event-log files of ``formats`` (events.xes, events.ocel.json, events.parquet), written
    one replication's log at a time, in the order given: ``run --out`` hands each kept log over as
    its replication finishes, so that no log is held until the end. ``close`` completes the files
    (``finished=False``: only lets go of them, for a run that was interrupted)."""

    def __init__(self, directory: Path, formats: Iterable[str], scenario: Scenario) -> None:
        self._parts: list[Any] = []
        try:
            for name in formats:
                if name == "xes":
                    self._parts.append(_XesStream(_open(directory / "events.xes"), scenario))
                elif name == "ocel":
                    self._parts.append(_OcelStream(_open(directory / "events.ocel.json"), scenario))
                elif name == "parquet":
                    self._parts.append(_ParquetEvents(directory / "events.parquet"))
        except BaseException:
            self.close(finished=False)
            raise

    def add(self, log: EventLog) -> None:
        for part in self._parts:
            part.add(log)

    def close(self, finished: bool = True) -> None:
        parts, self._parts = self._parts, []
        for part in parts:
            part.close(finished)


def _open(path: Path) -> IO[str]:
    return open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115 - closed by the stream


# --- what a record means -----------------------------------------------------------------------

_TASKS = {ev.TASK_QUEUED: ("queue", "schedule"), ev.TASK_STARTED: ("start handling", "start"),
          ev.TASK_FINISHED: ("finish handling", "complete")}
"""A task record's OCEL verb and its XES lifecycle transition."""

_ACTIVITIES: dict[str, str] = {
    ev.MESSAGE_SENT: "send {kind}",
    ev.MESSAGE_RECEIVED: "receive {kind}",
    ev.MESSAGE_FAILED: "{kind} attempt failed",
    ev.MESSAGE_RETRIED: "retry {kind}",
    ev.MESSAGE_REROUTED: "reroute {kind}",
    ev.MESSAGE_LOST: "{kind} lost",
    ev.MESSAGE_RESENT: "resend {kind}",
    ev.CALLS_BEGIN: "start calls",
    ev.CALLS_END: "finish calls",
    ev.STAFF_CHANGED: "staff change",
    ev.OUTAGE_APPLIED: "outage {info}",
    ev.INJECT_APPLIED: "inject",
    ev.PLAYER_ACTED: "player: {kind}",
    ev.CALLOUT_STARTED: "start call-out",
    ev.MEMBER_PAGED: "page member",
    ev.MEMBER_UNREACHABLE: "member unreachable",
    ev.MEMBER_ACKNOWLEDGED: "member acknowledges",
    ev.MEMBER_ASSEMBLED: "member assembles",
    ev.UNIT_READY: "unit ready",
    ev.VEHICLE_LOADED: "load vehicle",
    ev.VEHICLE_READY: "vehicle ready to leave",
    ev.VEHICLE_DEPARTED: "vehicle departs",
    ev.VEHICLE_ON_SITE: "vehicle arrives on site",
    ev.TEAM_READY: "team ready to leave",
    ev.TEAM_DEPARTED: "team departs",
    ev.TEAM_ON_SITE: "team arrives on site",
    ev.ENDED: "run ends",
}


def _work(kind: str) -> str:
    return "background work" if kind == ev.BACKGROUND else kind


def _event(record: Sequence) -> Event:
    """A record read by field name (the records are plain tuples in ``Event`` field order)."""
    return record if isinstance(record, Event) else Event._make(record)


def activity(record: Sequence) -> str:
    """What happened, without who: the OCEL event type (``"receive notification"``)."""
    e = _event(record)
    if e.type in _TASKS:
        return f"{_TASKS[e.type][0]} {_work(e.kind)}"
    return _ACTIVITIES.get(e.type, e.type).format(kind=e.kind, info=e.detail)


def xes_activity(record: Sequence) -> tuple[str, str]:
    """The XES ``concept:name`` (``"<who>: <what>"``) and ``lifecycle:transition`` of a record.

    A task's queued, started and finished records are one activity instance (``handle <kind>``:
    schedule, start, complete), and so is an outage (start, complete); every other record is an
    atomic, completed activity.
    """
    e = _event(record)
    if e.type in _TASKS:
        what, transition = f"handle {_work(e.kind)}", _TASKS[e.type][1]
    elif e.type == ev.OUTAGE_APPLIED:
        what, transition = "outage", "start" if e.detail == "begins" else "complete"
    else:
        what, transition = activity(e), "complete"
    who = e.unit if e.type in ev.MEMBER_TYPES else e.org
    return (f"{who}: {what}" if who else what), transition


def clock(start: datetime) -> Callable[[float], str]:
    """``t`` minutes → the ISO 8601 wall-clock time in the scenario's time zone, to the millisecond.

    Milliseconds are what process-mining tools read; the exact ``t`` travels as ``nukesim:t``.
    """
    def at(t: float) -> str:
        return (start + timedelta(minutes=t)).isoformat(timespec="milliseconds")
    return at


# --- XES ----------------------------------------------------------------------------------------


def write_xes(target: str | os.PathLike | IO[str], logs: Iterable[EventLog], scenario: Scenario) -> None:
    """The logs as one XES document: one trace per replication, one event per record."""
    _write_stream(_XesStream, target, logs, scenario)


def _write_stream(kind, target: str | os.PathLike | IO[str], logs: Iterable[EventLog],
                  scenario: Scenario) -> None:
    """Every log through one streaming writer (``_XesStream``, ``_OcelStream``) into ``target``
    (a path, opened and closed here, or an open file, left open)."""
    fh = _open(Path(target)) if isinstance(target, (str, os.PathLike)) else target
    out = kind(fh, scenario, own=fh is not target)
    try:
        for log in logs:
            out.add(log)
    finally:
        out.close()


def _attribute(parent: ET.Element, tag: str, key: str, value: object) -> None:
    # key before value: some readers (pm4py's default XES parser) rely on that order
    ET.SubElement(parent, tag, {"key": key, "value": str(value)})


class _XesStream:
    """An XES document written trace by trace, so that memory holds one trace at a time."""

    def __init__(self, fh: IO[str], scenario: Scenario, own: bool = True) -> None:
        self.fh, self.own = fh, own
        self.at = clock(scenario.start)
        fh.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        fh.write(f'<log xes.version="1849-2016" xes.features="" xmlns="{_XES_NS}">\n')
        for element in _xes_head(scenario, self.at):
            self._element(element)

    def _element(self, element: ET.Element) -> None:
        ET.indent(element, level=1)
        self.fh.write("  " + ET.tostring(element, encoding="unicode") + "\n")

    def add(self, log: EventLog) -> None:
        self._element(_trace(log, self.at))

    def close(self, finished: bool = True) -> None:
        if finished:
            self.fh.write("</log>\n")
        if self.own:
            self.fh.close()


def _xes_head(scenario: Scenario, at: Callable[[float], str]) -> list[ET.Element]:
    """Extensions, global attributes (what every trace and event has), classifiers, log attributes."""
    head = [ET.Element("extension", {"name": name, "prefix": prefix, "uri": f"{_XES_NS}{prefix}.xesext"})
            for name, prefix in _EXTENSIONS]
    trace_globals = ET.Element("global", {"scope": "trace"})
    _attribute(trace_globals, "string", "concept:name", "")
    _attribute(trace_globals, "int", "nukesim:replication", 0)
    event_globals = ET.Element("global", {"scope": "event"})
    for tag, key, value in (("string", "concept:name", ""), ("string", "lifecycle:transition", "complete"),
                            ("date", "time:timestamp", _EPOCH), *_fields(ev.EMPTY)):
        _attribute(event_globals, tag, key, value)
    head += [trace_globals, event_globals,
             ET.Element("classifier", {"name": "Activity", "keys": "concept:name"}),
             ET.Element("classifier", {"name": "Activity and transition",
                                       "keys": "concept:name lifecycle:transition"})]
    head += [ET.Element(tag, {"key": key, "value": value}) for tag, key, value in (
        ("string", "concept:name", scenario.name), ("date", "nukesim:start", at(0.0)),
        ("string", "nukesim:version", nukesim_version()))]
    return head


_XES_TYPES = _VALUE_TYPES


def _fields(record: Sequence) -> list[tuple[str, str, object]]:
    """A record's fields as XES (type, key, value); times in ``repr``, exact when read back."""
    return [(tag, key, repr(float(value)) if tag == "float" else value)
            for tag, key, value in zip(_XES_TYPES, FIELDS, record, strict=True)]


def _trace(log: EventLog, at: Callable[[float], str]) -> ET.Element:
    trace = ET.Element("trace")
    _attribute(trace, "string", "concept:name", f"replication {log.replication}")
    _attribute(trace, "int", "nukesim:replication", log.replication)
    _attribute(trace, "int", "nukesim:seed", log.seed)
    for e in log:
        t, type_, org = e.t, e.type, e.org
        name, transition = xes_activity(e)
        event = ET.SubElement(trace, "event")
        _attribute(event, "string", "concept:name", name)
        _attribute(event, "string", "lifecycle:transition", transition)
        _attribute(event, "date", "time:timestamp", at(t))
        if org:
            _attribute(event, "string", "org:resource", org)
        if type_ in _TASKS:
            _attribute(event, "string", "concept:instance", f"task {e.task}")
        for tag, key, value in _fields(e):
            _attribute(event, tag, key, value)
    return trace


# --- OCEL 2.0 -----------------------------------------------------------------------------------

_STATIC = "1970-01-01T00:00:00Z"
"""OCEL 2.0 time of an object attribute that holds from the start (what pm4py writes too)."""

OBJECT_TYPES: dict[str, dict[str, str]] = {
    "replication": {"scenario": "string", "seed": "integer", "replication": "integer"},
    "organisation": {"name": "string"},
    "channel": {"name": "string"},
    "message": {"kind": "string", "class": "string", "sender": "string", "receiver": "string"},
    "task": {"kind": "string", "class": "string", "organisation": "string", "handler": "integer"},
    "team": {"organisation": "string", "size": "integer"},
    "unit": {"name": "string", "size": "integer", "ready_at": "float"},
    "member": {"name": "string", "group": "string", "unit": "string", "number": "integer"},
}
"""The object types of the OCEL export and their attributes (with OCEL 2.0 attribute types)."""

_FIELD_TYPES = {key: "integer" if kind == "int" else kind
                for key, kind in zip(FIELDS, _VALUE_TYPES, strict=True)}
_MESSAGE_TYPES = ev.MESSAGE_TYPES
_TEAM_TYPES = frozenset({ev.CALLOUT_STARTED, ev.VEHICLE_LOADED, ev.TEAM_READY, ev.TEAM_DEPARTED,
                         ev.TEAM_ON_SITE, ev.VEHICLE_READY, ev.VEHICLE_DEPARTED, ev.VEHICLE_ON_SITE})


class _Ids:
    """Object ids of one replication: ``r<replication>/<type>/<name>``."""

    def __init__(self, replication: int) -> None:
        self.prefix = f"r{replication}"

    def __call__(self, type_: str, name: object = None) -> str:
        return f"{self.prefix}/{type_}" if name is None else f"{self.prefix}/{type_}/{name}"


def _relationships(record: Sequence, ids: _Ids, scenario: Scenario) -> list[tuple[str, str]]:
    """(object id, qualifier) pairs of one record's OCEL event, the replication last."""
    e = _event(record)
    type_, org = e.type, e.org
    rel: list[tuple[str, str]] = []
    if type_ in _MESSAGE_TYPES:
        rel.append((ids("message", e.message), "message"))
        if type_ == ev.MESSAGE_RECEIVED:
            rel.append((ids("organisation", org), "receiver"))
            if e.sender != ev.ACCIDENT:
                rel.append((ids("organisation", e.sender), "sender"))
            if e.channel:
                rel.append((ids("channel", e.channel), "channel"))
        else:
            rel.append((ids("organisation", org), "sender"))
            if type_ in (ev.MESSAGE_SENT, ev.MESSAGE_LOST):
                rel.append((ids("organisation", e.receiver), "receiver"))
            else:
                qualifier = "next channel" if type_ == ev.MESSAGE_REROUTED else "channel"
                rel.append((ids("channel", e.channel), qualifier))
    elif type_ in _TASKS:
        rel.append((ids("task", e.task), "task"))
        rel.append((ids("organisation", org), "organisation"))
        if e.message:
            rel.append((ids("message", e.message), "message"))
    elif type_ == ev.STAFF_CHANGED:
        rel.append((ids("organisation", org), "organisation"))
    elif type_ == ev.OUTAGE_APPLIED:
        rel.append((ids(e.kind, org), e.kind))
    elif type_ in ev.MEMBER_TYPES:
        rel += [(ids("member", e.actor), "member"), (ids("unit", e.unit), "unit"), (ids("team"), "team")]
    elif type_ == ev.UNIT_READY:
        rel += [(ids("unit", e.unit), "unit"), (ids("team"), "team")]
    elif type_ in _TEAM_TYPES:
        rel += [(ids("team"), "team"), (ids("organisation", org), "organisation")]
    elif org and org in scenario.organisations:
        rel.append((ids("organisation", org), "organisation"))
    rel.append((ids("replication"), "replication"))
    return rel


def _objects(log: EventLog, scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Every object that one replication's events name, with its attributes and its links."""
    ids = _Ids(log.replication)
    objects: dict[str, dict[str, Any]] = {}

    def obj(type_: str, key: object = None, /, **attributes: Any) -> dict[str, Any]:
        id_ = ids(type_, key)
        entry = objects.setdefault(id_, {"id": id_, "type": type_, "attributes": {}, "links": {}})
        entry["attributes"].update({k: v for k, v in attributes.items() if v is not None})
        return entry

    def link(entry: dict[str, Any], target: dict[str, Any], qualifier: str) -> None:
        entry["links"][target["id"]] = qualifier

    def organisation(name: str) -> dict[str, Any]:
        return obj("organisation", name, name=name)

    def channel(name: str) -> dict[str, Any]:
        return obj("channel", name, name=name)

    def team() -> dict[str, Any]:
        entry = obj("team", organisation=scenario.team.organisation, size=scenario.team.size)
        link(entry, organisation(scenario.team.organisation), "run by")
        return entry

    def unit(name: str) -> dict[str, Any]:
        spec = scenario.team.units.get(name)
        entry = obj("unit", name, name=name, size=spec.size if spec else None,
                    ready_at=float(spec.ready_at) if spec else None)
        link(entry, team(), "unit of")
        return entry

    replication = obj("replication", scenario=log.scenario, seed=log.seed, replication=log.replication)
    for e in log:
        type_, org = e.type, e.org
        if type_ in _MESSAGE_TYPES:
            message = obj("message", e.message, kind=e.kind, **{"class": e.cls})
            if e.channel:
                channel(e.channel)
            obj("message", e.message, sender=e.sender, receiver=e.receiver)
            if e.sender != ev.ACCIDENT:
                link(message, organisation(e.sender), "sender")
            if e.receiver:
                link(message, organisation(e.receiver), "receiver")
            if e.task:
                link(message, obj("task", e.task), "sent by")
        elif type_ in _TASKS:
            handler = e.handler if e.handler >= 0 else None
            task = obj("task", e.task, kind=e.kind, organisation=org, handler=handler, **{"class": e.cls})
            link(task, organisation(org), "handled at")
            if e.message:
                link(task, obj("message", e.message), "handles")
        elif type_ == ev.STAFF_CHANGED:
            organisation(org)
        elif type_ == ev.OUTAGE_APPLIED:
            (channel if e.kind == "channel" else organisation)(org)
        elif type_ in ev.MEMBER_TYPES:
            link(obj("member", e.actor, name=e.actor, group=e.kind, unit=e.unit, number=e.n), unit(e.unit),
                 "member of")
        elif type_ == ev.UNIT_READY:
            unit(e.unit)
        elif type_ in _TEAM_TYPES:
            team()
        elif org and org in scenario.organisations:
            organisation(org)
    for entry in objects.values():
        if entry is not replication:
            link(entry, replication, "replication")
    return objects


def _ocel_object(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": entry["id"], "type": entry["type"]}
    out["attributes"] = [{"name": k, "time": _STATIC, "value": v} for k, v in entry["attributes"].items()]
    out["relationships"] = [{"objectId": target, "qualifier": q} for target, q in entry["links"].items()]
    return out


def _ocel_events(log: EventLog, scenario: Scenario, at: Callable[[float], str]) -> Iterator[dict[str, Any]]:
    ids = _Ids(log.replication)
    for i, record in enumerate(log.records):
        t = record[0]
        yield {
            "id": f"{ids.prefix}/e{i}",
            "type": activity(record),
            "time": at(t),
            "attributes": [{"name": name, "value": value}
                           for name, value in zip(FIELDS, (float(t), *record[1:]), strict=True)],
            "relationships": [{"objectId": id_, "qualifier": q}
                              for id_, q in dict(_relationships(record, ids, scenario)).items()],
        }


def write_ocel(target: str | os.PathLike | IO[str], logs: Iterable[EventLog], scenario: Scenario) -> None:
    """The logs as one OCEL 2.0 JSON document (the standard's JSON format, as pm4py reads it)."""
    _write_stream(_OcelStream, target, logs, scenario)


_SPOOL = 16 * 2**20
"""Characters of objects or events an OCEL export holds in memory before it spools them to a file."""


class _OcelStream:
    """An OCEL 2.0 document written log by log. Its head lists the event types, known only at the
    end, so the objects and the events wait in two spool files (in memory while small) and are
    copied in after it: one object or event a line, readable with grep."""

    def __init__(self, fh: IO[str], scenario: Scenario, own: bool = True) -> None:
        self.fh, self.own, self.scenario = fh, own, scenario
        self.at = clock(scenario.start)
        self.types: set[str] = set()
        spool = tempfile.SpooledTemporaryFile  # closed by ``close``
        self.objects = spool(_SPOOL, "w+", encoding="utf-8", newline="\n")  # noqa: SIM115
        self.events = spool(_SPOOL, "w+", encoding="utf-8", newline="\n")  # noqa: SIM115
        self.counts = {"objects": 0, "events": 0}
        self.dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode

    def add(self, log: EventLog) -> None:
        self.types.update(activity(r) for r in log.records)
        self._lines("objects", self.objects,
                    (_ocel_object(entry) for entry in _objects(log, self.scenario).values()))
        self._lines("events", self.events, _ocel_events(log, self.scenario, self.at))

    def _lines(self, part: str, spool: IO[str], items: Iterable[Any]) -> None:
        for item in items:
            spool.write(("" if not self.counts[part] else ",\n") + self.dumps(item))
            self.counts[part] += 1

    def close(self, finished: bool = True) -> None:
        try:
            if finished:
                self._finish()
        finally:
            self.objects.close()
            self.events.close()
            if self.own:
                self.fh.close()

    def _finish(self) -> None:
        fh, dumps = self.fh, self.dumps
        header = {
            "objectTypes": [{"name": name, "attributes": [{"name": k, "type": v} for k, v in attrs.items()]}
                            for name, attrs in OBJECT_TYPES.items()],
            "eventTypes": [{"name": name, "attributes": [{"name": k, "type": v}
                                                         for k, v in _FIELD_TYPES.items()]}
                           for name in sorted(self.types)],
        }
        fh.write("{\n" + ",\n".join(f'"{k}": {dumps(v)}' for k, v in header.items()))
        for part, spool, opening in (("objects", self.objects, ',\n"objects": [\n'),
                                     ("events", self.events, '],\n"events": [\n')):
            fh.write(opening)
            spool.seek(0)
            shutil.copyfileobj(spool, fh)
            if self.counts[part]:
                fh.write("\n")
        fh.write("]\n}\n")


# --- Parquet ------------------------------------------------------------------------------------


def events_frame(logs: Iterable[EventLog]):
    """The records of ``logs`` as a pandas DataFrame with the columns of events.csv, typed."""
    import pandas as pd

    rows = [(log.replication, *r) for log in logs for r in log.records]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(CSV_COLUMNS)
    dtypes = ("int64", *("float64" if kind == "float" else "int64" if kind == "int" else "str"
                         for kind in _VALUE_TYPES))
    return pd.DataFrame({name: pd.Series(list(values), dtype=dtype)
                         for name, values, dtype in zip(CSV_COLUMNS, columns, dtypes, strict=True)})


def write_parquet(directory: Path, result, logs: Sequence[EventLog] | None = None) -> None:
    """``replications.parquet`` (as replications.csv; missing metrics are nulls) and
    ``events.parquet`` (as events.csv: ``logs``, or those ``result`` kept)."""
    write_exports(directory, result, ["parquet"], logs)


class _ParquetEvents:
    """events.parquet written a few hundred thousand records (a row group) at a time."""

    GROUP = 200_000

    def __init__(self, path: Path) -> None:
        self.path = path
        self.held: list[EventLog] = []
        self.records = 0
        self.writer = None

    def add(self, log: EventLog) -> None:
        self.held.append(log)
        self.records += len(log.records)
        if self.records >= self.GROUP:
            self._write()

    def _write(self) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(events_frame(self.held), preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        self.writer.write_table(table)
        self.held, self.records = [], 0

    def close(self, finished: bool = True) -> None:
        try:
            if finished and (self.held or self.writer is None):
                self._write()  # the last row group, or the columns of an empty file
        finally:
            if self.writer is not None:
                self.writer.close()
