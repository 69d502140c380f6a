"""Hostile and absurd input (issue 13): exit 2 and a located message, never a traceback, a hang,
runaway memory, silent acceptance or lost results.

Each file in ``tests/broken/hostile/`` is a scenario broken in one such way; the rest are written
into ``tmp_path`` or given through ``--set`` and the command-line options, the way a user (or an
attacker) would meet them. FIFO, SIGTERM and Ctrl-C tests run the real program in a subprocess.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nukesim.cli import app

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = ROOT / "tests" / "broken" / "hostile"
MINIMAL = ROOT / "scenarios" / "minimal.yaml"
CHINA = ROOT / "scenarios" / "china_national_team.yaml"


def cli(*args: str):
    result = CliRunner().invoke(app, list(args))
    text = result.output  # stdout and stderr, interleaved
    assert "Traceback" not in text and "internal error" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result, text


def flat(text: str) -> str:
    """An option error as one line: rich draws it in a box and wraps it."""
    return " ".join(text.replace("│", " ").split())


def problem_lines(text: str, where: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(where)]


# (file, line, column, field path, words of the message)
FILES = [
    ("self_alias", 11, 10, "classes.2", ["alias refers to the list or mapping that contains it"]),
    ("deep_nesting", 79, None, "extra.0.0", ["nested more than 100 deep"]),
    ("python_tag_on_list", 11, 12, "calendar.weekend",
     ["tag '!!python/object/apply:os.system' is not allowed"]),
    ("staff_true", 45, 12, "organisations.team_office.staff",
     ["expected a whole number, got true"]),
    ("slowdown_inf", 30, 15, "organisations.plant.slowdown", ["finite number", "inf"]),
    ("send_to_itself", 34, 58, "organisations.plant.handlers.0.send.1.to",
     ["'plant' sends this 'notification' to itself", "a link cannot go from an organisation to itself"]),
    ("callout_after_horizon", 17, 12, "accident.timeline.1.at",
     ["the call-out can start only after this class change", "after the horizon (1d 0h00m)"]),
    ("zero_time_loop", 43, 16, "organisations.authority.handlers.1.send.0",
     ["loop of messages that takes no time", "authority -> team_office -> authority"]),
    ("vehicles_huge", 71, 21, "team.vehicles.count", ["1,000,000,000", "the limit is 1,000"]),
    ("unit_huge", 64, 24, "team.units.responders.size", ["1,000,000,000", "the limit is 10,000"]),
]


def test_every_hostile_file_has_a_case():
    assert {p.stem for p in HOSTILE.glob("*.yaml")} == {c[0] for c in FILES}


@pytest.mark.parametrize(("name", "line", "column", "path", "words"), FILES, ids=[c[0] for c in FILES])
@pytest.mark.parametrize("command", ["validate", "graph", "timeline", "run"])
def test_hostile_file_is_refused_at_its_place_by_every_command(command, name, line, column, path, words):
    file = HOSTILE / f"{name}.yaml"
    result, text = cli(command, str(file), *(["-n", "2"] if command == "run" else []))
    assert result.exit_code == 2, text
    lines = problem_lines(text, f"{file}:")
    assert len(lines) == 1, text
    assert lines[0].startswith(f"{file}:{line}:" + ("" if column is None else f"{column}: ")), lines[0]
    assert f": {path}: " in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]


# --- the file itself --------------------------------------------------------------------------


def test_utf16_file_is_named_as_utf16(tmp_path):
    file = tmp_path / "utf16.yaml"
    file.write_bytes(MINIMAL.read_text().encode("utf-16"))
    result, text = cli("validate", str(file))
    assert result.exit_code == 2
    [line] = problem_lines(text, f"{file}:")
    assert line.startswith(f"{file}:1:1: (top level): the file is UTF-16 text; save it as UTF-8"), line


def test_utf16_without_byte_order_mark_is_named_too(tmp_path):
    file = tmp_path / "utf16le.yaml"
    file.write_bytes(MINIMAL.read_text().encode("utf-16-le"))
    result, text = cli("validate", str(file))
    assert result.exit_code == 2
    assert "the file is UTF-16 text" in text


def test_control_character_is_located(tmp_path):
    file = tmp_path / "escape.yaml"
    file.write_text(MINIMAL.read_text().replace("name: Minimal", "name: Min\x1b[31mimal"))
    result, text = cli("validate", str(file))
    assert result.exit_code == 2
    [line] = problem_lines(text, f"{file}:")
    assert line.startswith(f"{file}:5:10: (top level): the control character U+001B is not allowed"), line


def test_very_long_name_is_reported_as_too_long_not_as_a_syntax_error(tmp_path):
    file = tmp_path / "long.yaml"
    name = "x" * 100_000
    file.write_text(MINIMAL.read_text().replace("  team_office:\n    staff: 1",
                                                f"  {name}:\n    staff: 1\n  team_office:\n    staff: 1"))
    result, text = cli("validate", str(file))
    assert result.exit_code == 2
    [line] = problem_lines(text, f"{file}:")
    assert "a key of 100,000 characters" in line and "syntax error" not in line, line


def test_long_name_within_yaml_limits_is_refused_by_the_name_limit(tmp_path):
    file = tmp_path / "long.yaml"
    file.write_text(MINIMAL.read_text().replace("plant", "p" * 500))
    result, text = cli("validate", str(file))
    assert result.exit_code == 2
    assert "a name of 500 characters; the limit is 100" in text


def test_too_many_organisations_are_refused(tmp_path):
    file = tmp_path / "many.yaml"
    extra = "".join(f"  o{i}: {{}}\n" for i in range(5001))
    file.write_text(MINIMAL.read_text().replace("organisations:\n", "organisations:\n" + extra))
    result, text = cli("validate", str(file))
    assert result.exit_code == 2
    [line] = problem_lines(text, f"{file}:")
    assert ": organisations: 5,004 entries is more than nukesim allows here; the limit is 5,000" in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_endless_pipe_is_read_only_up_to_the_limit(tmp_path):
    fifo = tmp_path / "endless.yaml"
    os.mkfifo(fifo)
    stop = threading.Event()

    def feed() -> None:  # "name: x\n" for ever, until the reader goes away
        try:
            with open(fifo, "wb") as fh:
                while not stop.is_set():
                    fh.write(b"# padding padding padding padding padding padding\n" * 1000)
        except (BrokenPipeError, OSError):
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    try:
        done = subprocess.run([sys.executable, "-m", "nukesim", "validate", str(fifo)], capture_output=True,
                              text=True, timeout=60)
    finally:
        stop.set()
    assert done.returncode == 2, done.stderr
    assert f"{fifo}:1:1: (top level): more than 5 MB read" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", ["timeline", "run", "graph"])
def test_names_are_printed_as_text_not_as_markup(tmp_path, command):
    file = tmp_path / "markup.yaml"
    file.write_text(MINIMAL.read_text().replace("team_office", '"[/x]"'))
    result, text = cli(command, str(file), *(["-n", "3"] if command == "run" else []))
    assert result.exit_code == 0, text
    assert "[/x]" in text


# --- --set values get the protections file values get -------------------------------------------

BOMB = ("[&a [x,x,x,x,x,x,x,x,x], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b,*b], "
        "&d [*c,*c,*c,*c,*c,*c,*c,*c,*c], &e [*d,*d,*d,*d,*d,*d,*d,*d,*d], "
        "&f [*e,*e,*e,*e,*e,*e,*e,*e,*e], &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]]")
SETS = [
    ("start=2026-02-30T10:00:00+08:00", "start", ["as a date and time", "day is out of range"]),
    ("start=2026-02-03T10:00:00+25:00", "start", ["offset must be within ±24 hours"]),
    ("team.vehicles.count=" + "9" * 5000, "team.vehicles.count", ["integer of 5,000 digits"]),
    ("name=" + BOMB, "name", ["more than 200000 values"]),
    ("classes=&c [alert, emergency, *c]", "classes", ["alias refers to the list or mapping"]),
    ("calendar.weekend=!!python/object/apply:os.system [sat]", "calendar.weekend", ["tag", "not allowed"]),
    ("name=" + "[" * 500 + "]" * 500, "name", ["nested more than 100 deep"]),
    ("organisations.team_office.staff=true", "organisations.team_office.staff", ["got true"]),
    ("organisations.plant.slowdown=.inf", "organisations.plant.slowdown", ["finite number"]),
    ("team.units.responders.size=1000000000", "team.units.responders.size", ["the limit is 10,000"]),
    ("horizon=20m", "accident.timeline.1.at", ["after the horizon"]),
    ("start=9999-12-31T20:00:00+00:00", "start", ["between the years 1900 and 2200"]),
    ("team.deploy.order=0", "team.deploy.order", ["expected true or false, got 0"]),
    ("organisations.authority.handlers.0.once=yes", "organisations.authority.handlers.0.once",
     ["expected true or false, got 'yes'"]),
    ("organisations.authority.staff=2.5", "organisations.authority.staff", ["valid integer"]),
    ("organisations.authority.background={interarrival: 0.00001m, duration: 1m}",
     "organisations.authority.background.interarrival",
     ["144,000,000 routine tasks", "the limit is 1,000,000"]),
    ("calendar.shift_changes=[" + ", ".join(f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 20, 40))
     + "]", "calendar.shift_changes", ["72 entries", "the limit is 48"]),
]


@pytest.mark.parametrize(("assignment", "path", "words"), SETS, ids=[s[1] + ":" + s[0][-12:] for s in SETS])
@pytest.mark.parametrize("command", ["timeline", "run", "compare"])
def test_set_value_is_refused_with_its_place(command, assignment, path, words):
    sizes = ["-n", "2"] if command != "timeline" else []
    result, text = cli(command, str(MINIMAL), "--set", assignment, *sizes)
    assert result.exit_code == 2, text
    lines = problem_lines(text, "--set ")
    assert lines, text
    assert f": {path}: " in lines[0], lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    assert len(lines[0]) < 1000  # a huge value is quoted cut, not whole


# --- command-line options ---------------------------------------------------------------------


@pytest.mark.parametrize("command", ["run", "compare"])
def test_absurd_number_of_replications_is_refused_before_running(command):
    extra = ["--set-b", "team.vehicles.count=3"] if command == "compare" else []
    result, text = cli(command, str(MINIMAL), "-n", "1000000000000", *extra)
    assert result.exit_code == 2
    assert "1000000" in flat(text) and "--replications" in flat(text)


def test_replications_whose_metrics_would_not_fit_in_memory_are_refused(tmp_path):
    file = tmp_path / "wide.yaml"  # 23 organisations: 74 metrics, 74 million values at -n 10⁶
    text = MINIMAL.read_text()
    orgs = "".join(f"  o{i}: {{}}\n" for i in range(20))
    text = text.replace("organisations:\n", "organisations:\n" + orgs)
    text = text.replace("links:\n", "links:\n" + "".join(f"  - {{from: plant, to: o{i}, channel: radio}}\n"
                                                        for i in range(20)))
    file.write_text(text)
    assert cli("validate", str(file))[0].exit_code == 0
    result, text = cli("run", str(file), "-n", "1000000")
    assert result.exit_code == 2, text
    assert "74,000,000 values in memory; the limit is 50,000,000" in flat(text)


def test_events_of_a_replication_that_is_not_run_are_refused(tmp_path):
    out = tmp_path / "out"
    result, text = cli("run", str(MINIMAL), "-n", "5", "--events", "99", "--out", str(out))
    assert result.exit_code == 2
    assert "replication 99 is not run" in flat(text)
    assert not out.exists()


def test_events_all_of_too_many_replications_is_refused():
    result, text = cli("run", str(MINIMAL), "-n", "5000", "--events", "all", "--out", "never")
    assert result.exit_code == 2
    assert "the limit is 1,000" in flat(text)


def test_workers_are_capped_at_the_cores_available(monkeypatch):
    from nukesim.runner import default_workers

    asked = []

    def replicate(*args, **kwargs):
        asked.append(kwargs["workers"])
        raise KeyboardInterrupt  # enough: what matters is what was asked for

    monkeypatch.setattr("nukesim.runner.replicate", replicate)
    result = CliRunner().invoke(app, ["run", str(MINIMAL), "-n", "2", "--workers", "64"])
    cores = default_workers()
    assert asked == [min(64, cores)]
    if cores < 64:
        assert f"--workers 64 is more than the {cores} cores available" in flat(result.output)


# --- the output folder, checked before anything runs -------------------------------------------


def test_out_at_an_existing_file_is_refused_before_running(tmp_path):
    target = tmp_path / "file"
    target.write_text("keep me")
    result, text = cli("run", str(MINIMAL), "-n", "2", "--out", str(target))
    assert result.exit_code == 2
    assert "is a file, not a folder" in flat(text)
    assert target.read_text() == "keep me"


def test_out_under_a_file_is_refused_before_running(tmp_path):
    target = tmp_path / "file"
    target.write_text("")
    result, text = cli("run", str(MINIMAL), "-n", "2", "--out", str(target / "sub"))
    assert result.exit_code == 2
    assert "is a file, not a folder" in flat(text)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_out_in_a_read_only_folder_is_refused_before_running(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result, text = cli("run", str(MINIMAL), "-n", "2", "--out", str(locked / "out"))
    finally:
        locked.chmod(0o755)
    assert result.exit_code == 2
    assert "cannot write into" in flat(text)


def test_out_where_an_output_file_is_a_folder_is_refused(tmp_path):
    (tmp_path / "summary.json").mkdir()
    result, text = cli("run", str(MINIMAL), "-n", "2", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "summary.json is a folder" in flat(text)
    assert not any((tmp_path / "summary.json").iterdir())


# --- signals: real processes ----------------------------------------------------------------


def _start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nukesim", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def test_sigterm_while_writing_outputs_leaves_no_partial_folder(tmp_path):
    out = tmp_path / "out"
    proc = _start("run", str(MINIMAL), "-n", "1000", "--workers", "1", "--out", str(out), "--events", "all",
                  "--export", "xes,ocel")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if out.is_dir() and any(p.name.startswith(".partial-") for p in out.iterdir()):
            break
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before its outputs were being written"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "Traceback" not in err
    assert not out.exists()  # the run made the folder, and removes it with its partial files


def test_ctrl_c_twice_during_a_multi_worker_run_ends_promptly():
    proc = _start("run", str(CHINA), "-n", "100000", "--workers", "2")
    time.sleep(2.5)  # workers started and busy
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("Ctrl-C twice left the program hanging")
    assert proc.returncode != 0


def test_ctrl_c_during_run_out_leaves_the_earlier_outputs_as_they_were(tmp_path):
    out = tmp_path / "out"
    assert cli("run", str(MINIMAL), "-n", "5", "--out", str(out))[0].exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    # the files of this run are being written while it runs: attribution.csv, events.csv
    proc = _start("run", str(MINIMAL), "-n", "200000", "--workers", "2", "--out", str(out), "--events", "0,1")
    deadline = time.monotonic() + 60
    partial = []
    while time.monotonic() < deadline and not partial:
        partial = [p for p in out.iterdir() if p.name.startswith(".partial-")]
        time.sleep(0.01)
    assert partial, "the run never started writing"
    while time.monotonic() < deadline and (partial[0] / "attribution.csv").stat().st_size < 10_000:
        time.sleep(0.05)  # some replications' rows are in the partial file
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("Ctrl-C left the program hanging")
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
