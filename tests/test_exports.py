"""Every output file loads back with the same numbers, and process-mining tools read the exports.

pm4py (a test-only dependency) stands in for the process-mining tools: it must read the XES and the
OCEL 2.0 files with one trace per replication, one event per record and the objects the log names.
It is imported inside a fixture, so collecting the rest of the suite does not pay for it.
"""

from __future__ import annotations

import csv
import json
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from datetime import timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS
from typer.testing import CliRunner

import nukesim
from nukesim import exports
from nukesim.cli import app, write_outputs
from nukesim.events import CSV_COLUMNS, EMPTY, EventLog
from nukesim.sim import World

MINIMAL = SCENARIOS / "minimal.yaml"


@pytest.fixture(scope="module")
def scenario():
    return nukesim.load(MINIMAL)


@pytest.fixture(scope="module")
def result(scenario):
    return nukesim.replicate(scenario, 8, seed=5, keep_events=[0, 3, 7])


@pytest.fixture(scope="module")
def logs(scenario, result) -> list[EventLog]:
    """Two kept replications and two with outages: failures, a retry, a reroute, lost messages."""
    rerouted = World(scenario, 5, 100)
    rerouted.make_unavailable("phone", 0, 12)
    rerouted.make_unavailable("team_office", 0, 200)
    lost = World(scenario, 5, 101)
    lost.make_unavailable("phone", 0, 1440)
    return [result.events[0], result.events[3], rerouted.run(), lost.run()]


@pytest.fixture(scope="module")
def pm4py():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pm4py
    return pm4py


def quietly(read, *args, **kwargs):
    with warnings.catch_warnings():  # pm4py suggests an optional faster parser
        warnings.simplefilter("ignore")
        return read(*args, **kwargs)


def typed(values) -> tuple:
    """A record from its fields' text or loosely typed values: each field as its type in ``Event``."""
    return tuple(type(empty)(v) for v, empty in zip(values, EMPTY, strict=True))


def records_from(frame: pd.DataFrame) -> list[tuple]:
    """Records rebuilt from the ``nukesim:*`` columns of a pm4py table."""
    columns = [frame[name] for name in exports.FIELDS]
    return [typed(values) for values in zip(*(c.fillna("").tolist() for c in columns), strict=True)]


def test_the_logs_cover_every_kind_of_record(logs):
    seen = {r[1] for log in logs for r in log.records}
    assert {"sent", "received", "failed", "retried", "rerouted", "lost", "queued", "started", "finished",
            "staff", "outage", "callout", "paged", "unreachable", "acknowledged", "assembled", "unit_ready",
            "vehicle_loaded", "departed", "on_site", "ended"} <= seen


# --- XES ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [None, "iterparse"])
def test_pm4py_reads_the_xes_as_one_trace_per_replication(tmp_path, pm4py, scenario, logs, variant):
    path = tmp_path / "events.xes"
    exports.write_xes(path, logs, scenario)
    frame = quietly(pm4py.read_xes, str(path), **({"variant": variant} if variant else {}))
    assert frame["case:concept:name"].nunique() == len(logs)
    assert len(frame) == sum(len(log) for log in logs)
    for log in logs:
        case = frame[frame["case:concept:name"] == f"replication {log.replication}"]
        assert records_from(case) == [tuple(r) for r in log.records]
        assert (case["case:nukesim:replication"] == log.replication).all()
        start = scenario.start.astimezone(timezone.utc)
        expected = [start + timedelta(minutes=r[0]) for r in log.records]
        gaps = [abs((a.to_pydatetime() - b).total_seconds()) for a, b in zip(case["time:timestamp"], expected,
                                                                             strict=True)]
        assert max(gaps) < 0.001


def test_xes_activities_name_who_and_what_and_tasks_have_a_lifecycle(tmp_path, pm4py, scenario, logs):
    path = tmp_path / "events.xes"
    exports.write_xes(path, logs[:1], scenario)
    frame = quietly(pm4py.read_xes, str(path))
    assert "authority: receive notification" in set(frame["concept:name"])
    task = frame[frame["concept:instance"] == "task 2"]
    assert list(task["lifecycle:transition"]) == ["schedule", "start", "complete"]
    assert set(task["concept:name"]) == {"authority: handle notification"}
    members = frame[frame["nukesim:type"] == "paged"]
    assert set(members["concept:name"]) == {"responders: page member"}
    assert set(members["org:resource"]) == {f"responders/{i}" for i in range(1, 11)}
    assert set(frame["lifecycle:transition"]) == {"schedule", "start", "complete"}


def test_xes_is_well_formed_when_names_need_escaping(tmp_path, scenario, logs):
    odd = scenario.model_copy(update={"name": 'Q&A <drill> "night" ü'})
    path = tmp_path / "events.xes"
    exports.write_xes(path, logs[:1], odd)
    ns = {"x": "http://www.xes-standard.org/"}
    root = ET.parse(path).getroot()
    assert root.find("x:string[@key='concept:name']", ns).get("value") == odd.name
    assert len(root.findall("x:trace", ns)) == 1
    assert len(root.findall("x:trace/x:event", ns)) == len(logs[0])


# --- OCEL 2.0 -----------------------------------------------------------------------------------


def expected_objects(log: EventLog) -> Counter:
    """The objects a log names, counted by type straight from the records."""
    by_type: dict[str, set] = {name: set() for name in exports.OBJECT_TYPES}
    by_type["replication"].add(log.replication)
    for e in log:
        type_, org = e.type, e.org
        if type_ in ("sent", "received", "failed", "retried", "rerouted", "lost"):
            by_type["message"].add(e.message)
            if e.channel:
                by_type["channel"].add(e.channel)
        elif type_ in ("queued", "started", "finished"):
            by_type["task"].add(e.task)
        elif type_ == "staff":
            by_type["organisation"].add(org)
        elif type_ == "outage" and e.kind == "channel":
            by_type["channel"].add(org)
        elif type_ == "paged":
            by_type["member"].add(e.actor)
            by_type["unit"].add(e.unit)
        elif type_ == "callout":
            by_type["team"].add(org)
    return Counter({name: len(ids) for name, ids in by_type.items() if ids})


def test_pm4py_reads_the_ocel_with_its_events_and_objects(tmp_path, pm4py, scenario, logs):
    path = tmp_path / "events.ocel.json"
    exports.write_ocel(path, logs, scenario)
    ocel = quietly(pm4py.read_ocel2_json, str(path))
    assert len(ocel.events) == sum(len(log) for log in logs)
    expected = sum((expected_objects(log) for log in logs), Counter())
    assert Counter(ocel.objects["ocel:type"]) == expected
    # every record comes back, field for field, in log order
    events = ocel.events.assign(index=ocel.events["ocel:eid"].str.extract(r"^r(\d+)/e(\d+)$").astype(int)
                                .apply(tuple, axis=1)).sort_values("index")
    assert records_from(events) == [tuple(r) for log in logs for r in log.records]
    # the relationships pm4py kept are those written, and each names an object of the file
    document = json.loads(path.read_text())
    written = sum(len(e["relationships"]) for e in document["events"])
    assert len(ocel.relations) == written
    ids = {o["id"] for o in document["objects"]}
    assert all(r["objectId"] in ids for item in document["events"] + document["objects"]
               for r in item["relationships"])


def test_ocel_relates_a_message_to_its_sender_receiver_and_channel(tmp_path, scenario, logs):
    path = tmp_path / "events.ocel.json"
    exports.write_ocel(path, logs[2:3], scenario)
    document = json.loads(path.read_text())
    events = {e["id"]: e for e in document["events"]}
    log = logs[2]
    i = next(i for i, r in enumerate(log.records) if r[1] == "received" and r[3] == "notification")
    received = events[f"r100/e{i}"]
    assert received["type"] == "receive notification"
    assert {(r["objectId"], r["qualifier"]) for r in received["relationships"]} == {
        ("r100/message/2", "message"), ("r100/organisation/authority", "receiver"),
        ("r100/organisation/plant", "sender"), ("r100/channel/radio", "channel"),
        ("r100/replication", "replication")}
    objects = {o["id"]: o for o in document["objects"]}
    message = objects["r100/message/2"]
    assert {a["name"]: a["value"] for a in message["attributes"]} == {
        "kind": "notification", "class": "alert", "sender": "plant", "receiver": "authority"}
    member = objects["r100/member/responders/3"]
    assert ("r100/unit/responders", "member of") in {(r["objectId"], r["qualifier"])
                                                     for r in member["relationships"]}


# --- the output folder --------------------------------------------------------------------------


def read_events_csv(path) -> list[tuple]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == CSV_COLUMNS
    return [(int(row[0]), *typed(row[1:])) for row in rows[1:]]


def test_every_output_file_loads_back_with_the_same_numbers(tmp_path, result):
    summary = result.summary()
    names = write_outputs(tmp_path, result, summary, exports=list(exports.FORMATS))
    assert sorted(names) == sorted(p.name for p in tmp_path.iterdir())
    kept = [(log.replication, *r) for _, log in sorted(result.events.items()) for r in log.records]

    assert json.loads((tmp_path / "summary.json").read_text()) == json.loads(json.dumps(summary.to_dict()))
    for name, read in (("replications.csv", pd.read_csv), ("replications.parquet", pd.read_parquet)):
        frame = read(tmp_path / name)
        assert list(frame.columns) == ["replication", *result.names], name
        assert list(frame["replication"]) == list(range(len(result)))
        np.testing.assert_array_equal(frame[result.names].to_numpy(dtype=float), result.values)
    assert read_events_csv(tmp_path / "events.csv") == kept
    events = pd.read_parquet(tmp_path / "events.parquet")
    assert list(events.columns) == list(CSV_COLUMNS)
    assert [tuple(row) for row in events.itertuples(index=False)] == kept


def test_parquet_keeps_types_and_writes_missing_metrics_as_nulls(tmp_path, result):
    import pyarrow.parquet as pq

    exports.write_parquet(tmp_path, result)
    table = pq.read_table(tmp_path / "replications.parquet")
    assert str(table.schema.field("replication").type) == "int64"
    for i, name in enumerate(result.names):
        assert table.column(name).null_count == int(np.isnan(result.values[:, i]).sum())
    events = pq.read_table(tmp_path / "events.parquet").schema
    assert [str(events.field(c).type) for c in ("replication", "t", "task")] == ["int64", "double", "int64"]
    assert str(events.field("type").type) in ("string", "large_string")


def test_no_kept_log_still_gives_readable_files(tmp_path, scenario):
    result = nukesim.replicate(scenario, 2, seed=1)
    write_outputs(tmp_path, result, result.summary(), exports=list(exports.FORMATS))
    assert (tmp_path / "events.csv").read_text() == ",".join(CSV_COLUMNS) + "\n"
    assert ET.parse(tmp_path / "events.xes").getroot().find("{http://www.xes-standard.org/}trace") is None
    assert json.loads((tmp_path / "events.ocel.json").read_text())["events"] == []
    assert len(pd.read_parquet(tmp_path / "events.parquet")) == 0


# --- the command line ---------------------------------------------------------------------------

runner = CliRunner()


def test_run_export_writes_the_chosen_formats_for_the_chosen_replications(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["run", str(MINIMAL), "-n", "6", "--seed", "2", "--workers", "1",
                                 "--out", str(out), "--events", "1,4", "--export", "xes,ocel"])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"summary.json", "replications.csv", "events.csv",
                                                "attribution.csv", "events.xes", "events.ocel.json",
                                                "provenance.json"}
    traces = ET.parse(out / "events.xes").getroot().findall("{http://www.xes-standard.org/}trace")
    assert [t.find("*[@key='concept:name']").get("value") for t in traces] == ["replication 1",
                                                                                 "replication 4"]
    assert "events.xes, events.ocel.json" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "OUT", "--export", "xes,parqet"], "did you mean 'parquet'?"),
    (["--export", "xes"], "give --out DIR too"),
])
def test_run_export_mistakes_exit_2_before_running(tmp_path, args, message):
    args = [str(tmp_path / a) if a == "OUT" else a for a in args]
    result = runner.invoke(app, ["run", str(MINIMAL), "-n", "3", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())
    assert not (tmp_path / "OUT").exists()


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow"
                        else find_spec(name, *a))
    result = runner.invoke(app, ["run", str(MINIMAL), "-n", "3", "--out", str(tmp_path / "out"),
                                 "--export", "parquet"])
    assert result.exit_code == 2
    assert "pip install 'nukesim[parquet]'" in " ".join(result.output.replace("│", " ").split())
    assert not (tmp_path / "out").exists()


def test_parse_formats_accepts_lists_repeats_and_all():
    assert exports.parse_formats(["xes,OCEL", "xes"]) == ["xes", "ocel"]
    assert exports.parse_formats(["all"]) == ["xes", "ocel", "parquet"]
    assert exports.parse_formats([]) == []
    with pytest.raises(ValueError, match="unknown export format 'csv'"):
        exports.parse_formats(["csv"])


def test_clock_is_the_scenario_wall_clock_to_the_millisecond(scenario):
    at = exports.clock(scenario.start)
    assert at(0) == "2026-03-16T10:00:00.000+08:00"
    assert at(90.5) == "2026-03-16T11:30:30.000+08:00"
    assert at(1e-4) == "2026-03-16T10:00:00.006+08:00"
