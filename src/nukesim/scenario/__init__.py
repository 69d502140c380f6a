"""The scenario language: validated, frozen data that says everything about one experiment.

``load_scenario(path)`` reads a YAML file safely, validates it and checks its cross-references,
raising a ``ScenarioError`` with every located problem; ``apply_overrides`` derives variants.
"""

from __future__ import annotations

from pathlib import Path as FsPath

from .distributions import Distribution
from .durations import Duration, format_duration, format_time_value, parse_duration
from .metricdefs import METRICS, MetricDef, metric_def, metric_names, milestone_names
from .models import Scenario
from .overrides import Override, apply_overrides, parse_assignment
from .problems import Located, Problem, ScenarioError, SourceMap
from .references import check_references
from .schema import validate
from .yamlsource import load_yaml


def load_scenario(file: str | FsPath) -> tuple[Scenario, SourceMap]:
    """A valid scenario and where its values stood in the file, or a ``ScenarioError``."""
    data, source = load_yaml(file)
    if not isinstance(data, dict):
        raise ScenarioError(source.located([Problem((), "a scenario file must be a mapping of "
                                                         "fields (name:, start:, …)")]))
    scenario, problems = validate(Scenario, data)
    if scenario is None:
        raise ScenarioError(source.located(problems))
    problems = list(check_references(scenario))
    if problems:
        raise ScenarioError(source.located(problems))
    return scenario, source


__all__ = [
    "METRICS", "Distribution", "Duration", "Located", "MetricDef", "Override", "Problem", "Scenario",
    "ScenarioError", "SourceMap",
    "apply_overrides", "check_references", "format_duration", "format_time_value", "load_scenario",
    "load_yaml",
    "metric_def", "metric_names", "milestone_names", "parse_assignment", "parse_duration", "validate",
]
