"""Loading exercise files and player scripts with located errors, as scenarios are loaded."""

from __future__ import annotations

from pathlib import Path

from ..api import load as load_checked_scenario
from ..scenario import Problem, Scenario, ScenarioError, load_yaml, validate
from ..scenario.injects import inject_problems
from ..scenario.metricdefs import metric_names
from ..scenario.problems import did_you_mean
from .models import Exercise, InjectDelivered, MessageReaches, PlayerScript


def is_exercise_file(path: str | Path) -> bool:
    """Whether a YAML file is an exercise (it has ``msel`` or ``played`` and names a scenario)."""
    try:
        data, _ = load_yaml(path)
    except ScenarioError:
        return False
    return isinstance(data, dict) and "scenario" in data and ("msel" in data or "played" in data)


def is_player_script(path: str | Path) -> bool:
    """Whether a YAML file is a player script (a mapping with ``organisations`` and nothing else)."""
    try:
        data, _ = load_yaml(path)
    except ScenarioError:
        return False
    return isinstance(data, dict) and set(data) == {"organisations"}


def check_script(path: str | Path) -> PlayerScript:
    """A player script checked on its own (its names are checked against an exercise when it runs)."""
    data, source = load_yaml(path)
    script, problems = validate(PlayerScript, data)
    if script is None:
        raise ScenarioError(source.located(problems))
    return script


def load_exercise(path: str | Path) -> tuple[Exercise, Scenario, Path]:
    """The exercise, its (checked) scenario and the scenario's path; or a ``ScenarioError``."""
    path = Path(path)
    data, source = load_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError(
            source.located(
                [Problem((), "an exercise file must be a mapping of fields (name:, scenario:, msel:, …)")]
            )
        )
    if "scenario" not in data and "organisations" in data and "accident" in data:
        raise ScenarioError(
            source.located(
                [
                    Problem(
                        (),
                        "this is a scenario file, not an exercise: an exercise "
                        "names its scenario (scenario: FILE), the played "
                        "organisations and its MSEL (docs/exercises.md)",
                    )
                ]
            )
        )
    exercise, problems = validate(Exercise, data)
    if exercise is None:
        raise ScenarioError(source.located(problems))
    scenario_path = (path.parent / exercise.scenario).resolve()
    if not scenario_path.is_file():
        raise ScenarioError(source.located([Problem(("scenario",), f"no scenario file at {scenario_path}")]))
    scenario = (
        load_checked_scenario(scenario_path, exercise.set)
        if exercise.set
        else load_checked_scenario(scenario_path)
    )
    problems = list(_references(exercise, scenario))
    if problems:
        raise ScenarioError(source.located(problems))
    return exercise, scenario, scenario_path


def _references(exercise: Exercise, scenario: Scenario):
    orgs = list(scenario.organisations)
    for i, name in enumerate(exercise.played):
        if name not in scenario.organisations:
            yield Problem(("played", i), f"unknown organisation '{name}'{did_you_mean(name, orgs)}")
    metrics = metric_names(scenario)
    for i, o in enumerate(exercise.objectives):
        if o.metric not in metrics:
            yield Problem(
                ("objectives", i, "metric"), f"unknown metric '{o.metric}'{did_you_mean(o.metric, metrics)}"
            )
    numbers = {e.number for e in exercise.msel}
    objectives = [o.name for o in exercise.objectives]
    for i, entry in enumerate(exercise.msel):
        for field, message in inject_problems(scenario, entry.inject):
            yield Problem(("msel", i, "inject", *field), message)
        when = entry.when
        if isinstance(when, InjectDelivered) and when.inject_delivered not in numbers:
            yield Problem(
                ("msel", i, "when", "inject_delivered"), f"no inject numbered {when.inject_delivered}"
            )
        if isinstance(when, InjectDelivered) and when.inject_delivered == entry.number:
            yield Problem(("msel", i, "when", "inject_delivered"), "an inject cannot wait for itself")
        if isinstance(when, MessageReaches) and when.message.to not in scenario.organisations:
            yield Problem(
                ("msel", i, "when", "message", "to"),
                f"unknown organisation '{when.message.to}'{did_you_mean(when.message.to, orgs)}",
            )
        if entry.objective is not None and entry.objective not in objectives:
            yield Problem(
                ("msel", i, "objective"),
                f"unknown objective '{entry.objective}'{did_you_mean(entry.objective, objectives)}",
            )


def load_script(path: str | Path, scenario: Scenario, played: list[str]) -> PlayerScript:
    """A player script for ``played`` organisations of ``scenario``; or a ``ScenarioError``."""
    data, source = load_yaml(path)
    script, problems = validate(PlayerScript, data)
    if script is None:
        raise ScenarioError(source.located(problems))
    problems = []
    for name, org in script.organisations.items():
        if name not in played:
            problems.append(
                Problem(
                    ("organisations", name),
                    f"'{name}' is not played in this exercise (played: {', '.join(played)})",
                )
            )
            continue
        for i, rule in enumerate(org.rules):
            for field, value in (("from", rule.from_),):
                if value is not None and value not in scenario.organisations and value != "accident":
                    problems.append(
                        Problem(("organisations", name, "rules", i, field), f"unknown organisation '{value}'")
                    )
            if rule.class_ is not None and rule.class_ not in scenario.classes:
                problems.append(
                    Problem(("organisations", name, "rules", i, "class"), f"unknown class '{rule.class_}'")
                )
    if problems:
        raise ScenarioError(source.located(problems))
    return script
