"""Shared fixtures: the scenarios folder and a way to build scenarios from YAML text."""

from pathlib import Path

import pytest

from nukesim.scenario import Scenario, validate
from nukesim.scenario.yamlsource import parse_yaml

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def minimal() -> Scenario:
    from nukesim.scenario import load_scenario

    return load_scenario(SCENARIOS / "minimal.yaml")[0]


def scenario_from_yaml(text: str) -> Scenario:
    data, _ = parse_yaml(text)
    scenario, problems = validate(Scenario, data)
    assert scenario is not None, problems
    return scenario
