"""Training exercises: an MSEL of injects, played organisations, a journal, scoring and the AAR.

``run_exercise`` is what ``nukesim exercise`` does: load the exercise and its scenario, choose
the players (scripted, interactive or doctrine), run the session — paced, journalled, resumable
— then score the players against doctrine and write the after-action report. See
docs/exercises.md.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..events import EventLog
from ..metrics import compute_metrics
from ..provenance import file_sha256
from ..scenario import ScenarioError
from ..sim.pacing import PacedEnvironment
from ..sim.world import start_time
from .aar import build_report, html, markdown
from .journal import INPUTS, OUTPUTS, Journal, JournalError, read_journal
from .load import load_exercise, load_script
from .models import Exercise
from .players import LivePlayer, ScriptedPlayer
from .scoring import Score, doctrine_values, score
from .session import Session

__all__ = ["ExerciseResult", "JournalError", "load_exercise", "run_exercise"]


@dataclass
class ExerciseResult:
    exercise: Exercise
    log: EventLog
    score: Score | None
    out: Path | None
    journal: Path | None
    stopped: bool
    """Stopped by a controller before the end (no score, no report)."""


def _player(spec: str, exercise: Exercise, scenario):
    """``doctrine``, ``interactive`` or ``scripted:FILE`` → (responder or None, script path or None)."""
    if spec == "doctrine" or not exercise.played:
        return None, None
    if spec == "interactive":
        return LivePlayer(), None
    if spec.startswith("scripted:"):
        path = Path(spec.removeprefix("scripted:"))
        if not path.is_file():
            raise ScenarioError([f"{path}: no such player script"])
        return ScriptedPlayer(load_script(path, scenario, exercise.played)), path.resolve()
    raise ScenarioError([f"--player: expected scripted:FILE, interactive or doctrine, got {spec!r}"])


def run_exercise(
    path: str | Path,
    *,
    player: str | None = None,
    speed: float | None | str = "exercise",
    resume: str | Path | None = None,
    out: str | Path | None = None,
    journal: str | Path | None = None,
    replications: int | None = None,
    observer=None,
    listen=None,
) -> ExerciseResult:
    """Run an exercise end to end. ``speed``: a number, None (as fast as possible) or "exercise"
    (the file's pace). ``listen(session)`` starts reading live commands (the terminal)."""
    path = Path(path)
    exercise, scenario, scenario_path = load_exercise(path)
    hashes = {
        "exercise": str(path),
        "exercise_sha256": file_sha256(path),
        "scenario": str(scenario_path),
        "scenario_sha256": file_sha256(scenario_path),
    }
    seed, replay, skip, fast_until = exercise.seed, [], 0, None
    if resume is not None:
        header, entries = read_journal(resume)
        for key in ("exercise_sha256", "scenario_sha256"):
            if header.get(key) != hashes[key]:
                raise JournalError(
                    f"{resume}: the journal is of another version of "
                    f"{hashes[key.removesuffix('_sha256')]} (its SHA-256 differs)"
                )
        player = header["player"]
        if (
            header.get("script_sha256")
            and file_sha256(player.removeprefix("scripted:")) != header["script_sha256"]
        ):
            raise JournalError(f"{resume}: the player script {player.removeprefix('scripted:')} has changed")
        seed = header["seed"]
        replay = [e for e in entries if e["entry"] in INPUTS]
        skip = sum(1 for e in entries if e["entry"] in OUTPUTS)
        if any(e["entry"] == "end" for e in entries):
            raise JournalError(f"{resume}: that exercise ran to its end already")
        fast_until = max((e["t"] for e in entries), default=0.0)
    if player is None:
        player = f"scripted:{(path.parent / exercise.script)}" if exercise.script else "doctrine"
    responder, script = _player(player, exercise, scenario)
    if script is not None:
        player = f"scripted:{script}"  # absolute: a resume may run from another folder
    live_speed = exercise.speed if speed == "exercise" else speed
    out_dir = Path(out) if out is not None else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    if resume is not None:
        journal_path = Path(resume)
        writer = Journal(journal_path, skip_outputs=skip)
    else:
        journal_path = (
            Path(journal) if journal is not None else (out_dir / "journal.jsonl" if out_dir else None)
        )
        header = {
            **hashes,
            "seed": seed,
            "player": player,
            "script_sha256": file_sha256(script) if script else None,
        }
        writer = Journal(journal_path, header) if journal_path is not None else None
    env = PacedEnvironment(None if resume is not None else live_speed,
                           initial_time=start_time(scenario))
    session = Session(
        exercise,
        scenario,
        seed=seed,
        player=responder,
        env=env,
        journal=writer,
        replay=replay,
        fast_until=fast_until,
        live_speed=live_speed,
        observer=observer,
    )
    if listen is not None:
        listen(session)
    try:
        log = session.run()
    finally:
        if writer is not None:
            writer.close()
    if session.quit:
        return ExerciseResult(exercise, log, None, None, journal_path, True)
    n = replications or exercise.replications
    doctrine = doctrine_values(exercise, scenario, n, seed)
    result = score(exercise, scenario, compute_metrics(log, scenario), doctrine)
    if out_dir is not None:
        report = build_report(
            exercise,
            scenario,
            log,
            result,
            player=player,
            journal_name=journal_path.name if journal_path else "none",
            doctrine=doctrine,
        )
        _write(out_dir / "aar.md", markdown(report))
        _write(out_dir / "aar.html", html(report))
        log.to_csv(out_dir / "events.csv")
        _write(out_dir / "score.json", json.dumps(_score_json(exercise, result), indent=2, allow_nan=False))
        if journal_path is not None and journal_path.resolve() != (out_dir / "journal.jsonl").resolve():
            shutil.copyfile(journal_path, out_dir / "journal.jsonl")
    return ExerciseResult(exercise, log, result, out_dir, journal_path, False)


def _write(path: Path, text: str) -> None:
    """Whole or not at all: written beside, then renamed."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


def _num(x: float) -> float | None:
    return None if x != x else x


def _score_json(exercise: Exercise, s: Score) -> dict:
    return {
        "exercise": exercise.name,
        "replications": s.replications,
        "objectives": [
            {
                "name": o.name,
                "metric": o.metric,
                "capability": o.capability,
                "target": o.target,
                "value": _num(o.value),
                "met": o.met,
                "percentile": o.percentile,
                "rating": o.rating,
                "doctrine_p50": _num(o.doctrine_p50) if o.doctrine_p50 != float("inf") else None,
                "doctrine_p90": _num(o.doctrine_p90) if o.doctrine_p90 != float("inf") else None,
                "counterfactual": _num(o.counterfactual),
            }
            for o in s.objectives
        ],
        "milestones": [
            {"metric": m.metric, "players": _num(m.players), "doctrine": _num(m.doctrine)}
            for m in s.milestones
        ],
    }
