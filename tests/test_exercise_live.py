"""Exercises in real time: the paced clock, kill-and-resume, and a trainee at a terminal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pexpect
import pytest

from nukesim.api import load
from nukesim.exercise import run_exercise
from nukesim.sim import World, simulate
from nukesim.sim.pacing import PacedEnvironment, Woken

FILES = Path(__file__).parent / "exercise_files"
CHAIN = FILES / "chain_exercise.yaml"
NUKESIM = [sys.executable, "-m", "nukesim"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_paced_clock_pauses_resumes_and_changes_speed():
    wall = FakeClock()
    env = PacedEnvironment(60.0, clock=wall)  # a simulated minute per real second
    wall.now += 30
    assert env.clock() == pytest.approx(30.0)
    env.pause()
    wall.now += 1000
    assert env.clock() == pytest.approx(30.0)
    env.resume()
    env.set_speed(120.0)
    wall.now += 10
    assert env.clock() == pytest.approx(50.0)
    env.set_speed(None)  # as fast as possible: the clock stands where the events are
    assert env.clock() == pytest.approx(50.0)


def test_a_waiting_step_is_woken_before_anything_is_processed():
    env = PacedEnvironment(60.0, max_wait=0.05)
    fired = []
    env.timeout(600).callbacks.append(fired.append)  # ten real minutes away
    threading.Timer(0.2, env.wake).start()
    started = time.monotonic()
    with pytest.raises(Woken):
        env.step()
    assert time.monotonic() - started < 5 and not fired and env.now == 0


def test_a_paced_world_keeps_to_the_wall_clock_and_logs_as_an_unpaced_one():
    scenario = load(FILES / "chain.yaml")
    env = PacedEnvironment(60.0 * 60)  # an hour a second
    started = time.monotonic()
    log = World(scenario, 2, env=env).run()
    took = time.monotonic() - started
    assert log.records == simulate(scenario, 2).records
    assert took == pytest.approx(log.end / 60, abs=0.3)  # log.end minutes at 60 min/s


def _journal_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.mark.slow
def test_a_killed_exercise_resumes_to_the_log_of_an_uninterrupted_one(tmp_path):
    whole = tmp_path / "whole"
    run_exercise(CHAIN, speed=None, replications=10, out=whole)
    cut = tmp_path / "cut"
    # 600 simulated minutes a real minute: the run of some 50 simulated minutes takes about 5 s
    proc = subprocess.Popen(
        [*NUKESIM, "exercise", str(CHAIN), "--speed", "600", "-n", "10", "--out", str(cut)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    journal = cut / "journal.jsonl"
    deadline = time.monotonic() + 60
    while len(_journal_lines(journal)) < 3 and time.monotonic() < deadline:  # header and two injects
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    written = _journal_lines(journal)
    assert 3 <= len(written) < len(_journal_lines(whole / "journal.jsonl")), (
        "killed too late to test a resume"
    )
    assert not (cut / "events.csv").exists()
    subprocess.run(
        [
            *NUKESIM,
            "exercise",
            str(CHAIN),
            "--resume",
            str(journal),
            "--speed",
            "max",
            "-n",
            "10",
            "--out",
            str(cut),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert (cut / "events.csv").read_text() == (whole / "events.csv").read_text()
    # the resumed journal is the uninterrupted one: nothing lost, nothing written twice
    assert _journal_lines(journal)[1:] == _journal_lines(whole / "journal.jsonl")[1:]


def test_a_trainee_plays_at_the_terminal_pauses_resumes_and_gets_the_report(tmp_path):
    out = tmp_path / "aar"
    env = {**os.environ, "COLUMNS": "200"}
    child = pexpect.spawn(
        NUKESIM[0],
        [
            *NUKESIM[1:],
            "exercise",
            str(CHAIN),
            "--interactive",
            "--speed",
            "300",
            "-n",
            "10",
            "--out",
            str(out),
        ],
        env=env,
        encoding="utf-8",
        timeout=60,
    )
    child.expect("you play office")
    child.expect(r"MESSAGE for office \(task \d+\): notice about alert from plant")
    child.expect(r"1\) send mobilise to team_office")
    child.sendline("p")
    child.expect("-- paused")
    child.sendline("t")
    child.expect("clock: paused")
    child.sendline("r")
    child.expect("-- resumed")
    child.sendline("d 10")  # inject 1 (due 5 min after the notice) comes 10 min later…
    child.expect("-- remaining injects postponed by 10.0m")
    child.sendline("n")  # …unless released now
    child.expect("-- inject 1 released")
    child.expect(r"INJECT 1 \(surge\)")
    child.sendline("9")
    child.expect("choose among 1–3")
    child.sendline("1")
    child.expect("office sends mobilise to team_office")
    child.expect("after-action report")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    md = (out / "aar.md").read_text()
    assert "| office | sends mobilise to team_office |" in md
    entries = (out / "journal.jsonl").read_text()
    for kind in ("decision", "pause", "resume", "postpone", "release"):
        assert f'"entry": "{kind}"' in entries, kind


@pytest.mark.slow
def test_a_stopped_interactive_exercise_resumes_with_the_trainees_decision_replayed(tmp_path):
    out = tmp_path / "aar"
    args = [
        *NUKESIM[1:],
        "exercise",
        str(CHAIN),
        "--interactive",
        "--speed",
        "300",
        "-n",
        "10",
        "--out",
        str(out),
    ]
    child = pexpect.spawn(NUKESIM[0], args, encoding="utf-8", timeout=60)
    child.expect("MESSAGE for office")
    child.sendline("1")
    child.expect("office sends mobilise to team_office")
    child.sendline("q")
    child.expect("continue with: nukesim exercise")
    child.expect(pexpect.EOF)
    journal = out / "journal.jsonl"
    decision = next(json.loads(line) for line in journal.read_text().splitlines() if '"decision"' in line)
    resumed = pexpect.spawn(
        NUKESIM[0],
        [
            *NUKESIM[1:],
            "exercise",
            str(CHAIN),
            "--resume",
            str(journal),
            "--speed",
            "max",
            "-n",
            "10",
            "--out",
            str(out),
        ],
        encoding="utf-8",
        timeout=60,
    )
    resumed.expect("after-action report")
    resumed.expect(pexpect.EOF)
    rows = [line.split(",") for line in (out / "events.csv").read_text().splitlines()[1:]]
    acted = [float(r[1]) for r in rows if r[2] == "player"]
    assert acted == [decision["t"]]
