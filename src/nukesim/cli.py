"""The ``nukesim`` command line (also ``python run_sim.py``).

Exit codes: 0 when all went well, 2 for a mistake in the user's input (with one located
``FILE:LINE:COL: field.path: message`` line per problem, never a traceback), 1 for an internal
error. With no arguments at all it runs the default China scenario.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .scenario import ScenarioError, format_duration

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    help="Simulate how a nuclear emergency alert climbs the command chain and how fast the "
    "rescue team is mobilised.",
)
out = Console()
err = Console(stderr=True)

DEFAULT_SCENARIO = "china_national_team.yaml"
DEFAULT_REPLICATIONS = 200


def default_scenario_path() -> Path:
    """The China scenario in the checkout (or the working directory's scenarios/ folder)."""
    for base in (Path(__file__).resolve().parents[2], Path.cwd()):
        candidate = base / "scenarios" / DEFAULT_SCENARIO
        if candidate.exists():
            return candidate
    return Path("scenarios") / DEFAULT_SCENARIO


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn a user's mistake into located lines and exit 2; anything else is our bug: exit 1."""
    try:
        yield
    except ScenarioError as exc:
        for problem in exc.problems:
            err.print(str(problem), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence for users
        if os.environ.get("NUKESIM_DEBUG"):
            raise
        err.print(f"internal error: {type(exc).__name__}: {exc}", markup=False)
        err.print("This is a bug in nukesim, not in your file; set NUKESIM_DEBUG=1 for details "
                  "and please report it.", markup=False)
        raise typer.Exit(1) from None


@app.callback()
def _default(ctx: typer.Context) -> None:
    """With no command, run the default China scenario."""
    if ctx.invoked_subcommand is None:
        run(default_scenario_path())


# --- validate -----------------------------------------------------------------------------------


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")]) -> None:
    """Check scenario files: exit 0 when all are valid, 2 with one located line per problem."""
    from .api import load

    failed = False
    for file in files:
        try:
            with user_errors():
                scenario = load(file)
        except typer.Exit as exc:
            if exc.exit_code == 1:
                raise
            failed = True
            continue
        out.print(f"{file}: ok — '{scenario.name}': {len(scenario.organisations)} organisations, "
                  f"{len(scenario.links)} links, team of {scenario.team.size}", markup=False)
    if failed:
        raise typer.Exit(2)


# --- graph --------------------------------------------------------------------------------------


class GraphFormat(str, Enum):
    text = "text"
    dot = "dot"
    graphml = "graphml"
    json = "json"


@app.command()
def graph(
    file: Path,
    format: Annotated[GraphFormat, typer.Option("--format", "-f", help="Output format.")] = GraphFormat.text,
) -> None:
    """The command graph: its checks, the fastest expected chain and single points of failure."""
    from . import graph as g
    from .api import load

    with user_errors():
        scenario = load(file)
        text = {
            GraphFormat.text: g.describe,
            GraphFormat.dot: g.to_dot,
            GraphFormat.graphml: g.to_graphml,
            GraphFormat.json: g.to_json,
        }[format](scenario)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


# --- timeline -----------------------------------------------------------------------------------

SetOption = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer needs Optional here
    typer.Option("--set", "-s", help="Override a field: PATH=VALUE (repeatable)."),
]


@app.command()
def timeline(
    file: Path,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    replication: Annotated[int, typer.Option(help="Which replication of that seed.")] = 0,
    set_: SetOption = None,
) -> None:
    """One replication as a who-knew-what-when timeline."""
    from .api import load, simulate
    from .timeline import format_timeline

    with user_errors():
        scenario = load(file, set_ or ())
        result = simulate(scenario, seed, replication)
        table = Table(title=f"{scenario.name} — seed {seed}, replication {replication}")
        for column in ("time", "who", "what", "detail"):
            table.add_column(column)
        for row in format_timeline(result.events, scenario):
            table.add_row(*row)
        out.print(table)


# --- run ----------------------------------------------------------------------------------------


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if math.isinf(value):
        return "missing"
    return format_duration(value)


def _summary_table(summary) -> Table:
    table = Table(title=f"{summary.scenario}: {summary.replications} replications, seed {summary.seed}")
    table.add_column("metric")
    for name in ("n", "missing", "mean", "95% CI", "p50", "p90", "max"):
        table.add_column(name, justify="right")
    for name, m in summary.metrics.items():
        share = name.startswith("utilization:")
        fmt = (lambda v: "—" if v is None else f"{v:.3f}") if share else _fmt
        ci = "—" if m.ci95 is None else f"{fmt(m.ci95[0])} – {fmt(m.ci95[1])}"
        table.add_row(name, str(m.n), str(m.missing), fmt(m.mean), ci, fmt(m.p50), fmt(m.p90), fmt(m.max))
    return table


def _objective_table(summary) -> Table:
    table = Table(title="objectives")
    for name in ("objective", "metric", "statistic", "target", "value", "95% CI", "met"):
        table.add_column(name)
    for o in summary.objectives:
        fmt = (lambda v: f"{100 * v:.1f}%") if o.statistic == "share" else _fmt
        ci = "—" if o.ci95 is None else f"{fmt(o.ci95[0])} – {fmt(o.ci95[1])}"
        verdict = ("[green]met[/]" if o.met else "[red]not met[/]") + ("" if o.decided else " (undecided)")
        table.add_row(o.name, o.metric, o.statistic, fmt(o.target), fmt(o.value), ci, verdict)
    return table


def _parse_events(spec: str, n: int) -> list[int]:
    if spec == "all":
        return list(range(n))
    if spec in ("", "none"):
        return []
    try:
        return sorted({int(p) for p in spec.split(",")})
    except ValueError:
        raise typer.BadParameter(
            f"expected 'all', 'none' or replication numbers like 0,3,7; got {spec!r}") from None


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="Scenario file.")],
    n: Annotated[int, typer.Option("-n", "--replications", min=1)] = DEFAULT_REPLICATIONS,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 1,
    set_: SetOption = None,
    workers: Annotated[int, typer.Option(min=0, help="Worker processes (0 = all cores).")] = 1,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Write summary.json, "  # noqa: UP045
                                                    "replications.csv and events.csv here.")] = None,
    events: Annotated[str, typer.Option(help="Replications whose event log --out writes: "
                                        "'0,3', 'all' or 'none'.")] = "0",
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
) -> None:
    """Replications of a scenario and the summary of every metric and objective."""
    from .api import load
    from .runner import default_workers, replicate

    with user_errors():
        scenario = load(file, set_ or ())
        keep = _parse_events(events, n) if out_dir else []
        workers = workers or default_workers()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeRemainingColumn(), console=err, transient=True,
                      disable=as_json or not err.is_terminal) as bar:
            task = bar.add_task("replications", total=n)
            result = replicate(scenario, n, seed, workers=workers, keep_events=keep,
                               progress=lambda k: bar.advance(task, k))
        summary = result.summary()
        if out_dir is not None:
            write_outputs(out_dir, result, summary)
        if as_json:
            sys.stdout.write(json.dumps(summary.to_json(), indent=2) + "\n")
        else:
            out.print(_summary_table(summary))
            if summary.objectives:
                out.print(_objective_table(summary))
            if out_dir is not None:
                out.print(f"written: {out_dir}/summary.json, replications.csv, events.csv")


def write_outputs(directory: Path, result, summary) -> None:
    """Write every output file, or none: files go to a temporary folder first, then move in."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory, prefix=".partial-") as tmp:
        staging = Path(tmp)
        (staging / "summary.json").write_text(json.dumps(summary.to_json(), indent=2) + "\n")
        _write_rows(staging / "replications.csv", result)
        with open(staging / "events.csv", "w", newline="") as fh:
            first = True
            for _, log in sorted(result.events.items()):
                log.to_csv(fh, header=first)
                first = False
        for name in ("summary.json", "replications.csv", "events.csv"):
            shutil.move(str(staging / name), directory / name)


def _write_rows(path: Path, result) -> None:
    import csv

    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["replication", *result.names])
        for i, row in enumerate(result.values):
            writer.writerow([result.first + i, *("" if math.isnan(v) else repr(float(v)) for v in row)])


def main() -> None:
    app()


if __name__ == "__main__":
    main()
