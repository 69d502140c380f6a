"""The ``nukesim`` command line (also ``python run_sim.py``).

Exit codes: 0 when all went well, 2 for a mistake in the user's input (with one located
``FILE:LINE:COL: field.path: message`` line per problem, never a traceback), 1 for an internal
error. With no arguments at all it runs the default China scenario.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .scenario import ScenarioError, format_duration, format_time_value
from .scenario.durations import (
    format_count,
    format_count_difference,
    format_difference,
    format_share_difference,
    objective_format,
)
from .scenario.metricdefs import is_count, is_share

app = typer.Typer(
    add_completion=False,
    no_args_is_help=False,
    invoke_without_command=True,
    pretty_exceptions_enable=False,
    help="Simulate how a nuclear emergency alert climbs the command chain and how fast the "
    "rescue team is mobilised.",
)
# Piped output keeps whole table rows (rich would wrap at 80 columns without a terminal).
out = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)

DEFAULT_SCENARIO = "china_national_team.yaml"
DEFAULT_REPLICATIONS = 200
MAX_PRECISION_REPLICATIONS = 100_000
MAX_REPLICATIONS = 1_000_000
"""The most replications one command may ask for (docs/cli.md, "Limits")."""
MAX_VALUES = 50_000_000
"""Metric values kept in memory (replications × metrics, 8 bytes each): 400 MB."""
MAX_EVENT_LOGS = 1_000
"""Event logs ``--events`` may keep (each is kept whole in memory until written)."""


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
    except (typer.Exit, typer.Abort, typer.BadParameter, KeyboardInterrupt):
        raise  # Typer reports a bad option or argument itself, with exit code 2
    except BrokenPipeError:
        _reader_gone()
    except Exception as exc:  # noqa: BLE001 - the last line of defence for users
        if _is_zero_time_loop(exc):  # a fault of the scenario, found while it ran
            err.print(f"error: the run stopped: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        if os.environ.get("NUKESIM_DEBUG"):
            raise
        err.print(f"internal error: {type(exc).__name__}: {exc}", markup=False)
        err.print("This is a bug in nukesim, not in your file; set NUKESIM_DEBUG=1 for details "
                  "and please report it.", markup=False)
        raise typer.Exit(1) from None


def _reader_gone() -> NoReturn:
    """The reader of our output went away (``nukesim graph … | head``): stop quietly, as command-line
    tools do, with the exit status of a process ended by SIGPIPE. Output still buffered for the
    closed pipe is dropped, so that flushing it at exit does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    raise SystemExit(128 + signal.SIGPIPE)


out.on_broken_pipe = _reader_gone  # rich's own handling would exit 1, which reads as our failure


def _is_zero_time_loop(exc: Exception) -> bool:
    """The engine's guard against messages looping without simulated time (nukesim.sim.ZeroTimeLoop);
    looked up only if the engine was loaded, so that commands that do not run it do not import it."""
    loop = getattr(sys.modules.get("nukesim.sim.world"), "ZeroTimeLoop", None)
    return loop is not None and isinstance(exc, loop)


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM ends the program as Ctrl-C does: workers stopped, half-written outputs removed."""
    raise SystemExit(128 + signum)


def _flags_without_type(display_type_rich):
    """Typer's help shows ``<bool>`` beside a flag such as ``--json``, which takes no value."""
    def display(self, ctx):
        return None if getattr(self, "is_flag", False) else display_type_rich(self, ctx)
    return display


typer.core.TyperOption.display_type_rich = _flags_without_type(typer.core.TyperOption.display_type_rich)


def _print_version(asked: bool) -> None:
    if asked:
        from . import __version__

        out.print(f"nukesim {__version__}", markup=False, highlight=False)
        raise typer.Exit()


@app.callback()
def _default(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print nukesim's version and exit.")] = False,
) -> None:
    """With no command, run the default China scenario."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminated)
    if ctx.invoked_subcommand is None:
        run(default_scenario_path())


# --- validate -----------------------------------------------------------------------------------


@app.command()
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario files to check.")]) -> None:
    """Check scenario and sweep files: exit 0 when all are valid, 2 with one located line per problem."""
    from .api import load

    failed = False
    for file in files:
        try:
            with user_errors():
                if _validate_exercise(file):
                    continue
                if _is_sweep_file(file):
                    from .sweep.execute import prepare

                    prepared = prepare(file)
                    out.print(f"{file}: ok — sweep of '{prepared.base.name}': {len(prepared.scenarios)} "
                              f"points ({prepared.design.type}) over {len(prepared.sweep.factors)} factor"
                              f"{'s' if len(prepared.sweep.factors) > 1 else ''}",
                              markup=False, soft_wrap=True)
                    continue
                scenario = load(file)
        except typer.Exit as exc:
            if exc.exit_code == 1:
                raise
            failed = True
            continue
        out.print(f"{file}: ok — '{scenario.name}': {len(scenario.organisations)} organisations, "
                  f"{len(scenario.links)} links, team of {scenario.team.size}", markup=False,
                  soft_wrap=True)
    if failed:
        raise typer.Exit(2)


# --- graph --------------------------------------------------------------------------------------


class GraphFormat(str, Enum):
    text = "text"
    dot = "dot"
    graphml = "graphml"
    json = "json"
    svg = "svg"


@app.command()
def graph(
    file: Annotated[Path, typer.Argument(help="Scenario file.")],
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
            GraphFormat.svg: _graph_svg,
        }[format](scenario)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")


def _graph_svg(scenario) -> str:
    from .report.graphplot import command_graph_svg

    return command_graph_svg(scenario)


# --- timeline -----------------------------------------------------------------------------------

SetOption = Annotated[
    Optional[list[str]],  # noqa: UP045 - typer needs Optional here
    typer.Option("--set", "-s", metavar="PATH=VALUE", help="Override a field (repeatable); "
                 "PATH+=VALUE appends to a list (docs/scenario-format.md, \"Overrides\")."),
]


@app.command()
def timeline(
    file: Annotated[Path, typer.Argument(help="Scenario file.")],
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 1,
    replication: Annotated[int, typer.Option(min=0, help="Which replication of that seed.")] = 0,
    set_: SetOption = None,
) -> None:
    """One replication as a who-knew-what-when timeline."""
    from .api import load, simulate
    from .timeline import format_timeline

    with user_errors():
        scenario = load(file, set_ or ())
        result = simulate(scenario, seed, replication)
        table = Table(title=f"{escape(scenario.name)} — seed {seed}, replication {replication}")
        for column in ("time", "who", "what", "detail"):
            table.add_column(column)
        for row in format_timeline(result.events, scenario):
            table.add_row(*map(escape, row))  # names are the user's text, not rich markup
        out.print(table)


# --- run ----------------------------------------------------------------------------------------


_fmt = format_time_value


def _objective_format(*objectives) -> Callable[[float | None], str]:
    """How to show the values of an objective in one or more variants (durations.objective_format)."""
    return objective_format(objectives[0].statistic, objectives[0].target, [o.value for o in objectives],
                            count=_counts(objectives[0].metric))


def _counts(metric: str) -> bool:
    """Whether a metric counts people (shown as a number, not a duration)."""
    try:
        return is_count(metric)
    except KeyError:
        return False


def _summary_table(summary) -> Table:
    title = f"{summary.scenario}: {summary.replications} replications, seed {summary.seed}"
    table = Table(title=escape(title))
    table.add_column("metric")
    for name in ("n", "missing", "mean", "95% CI", "p50", "p90", "max"):
        table.add_column(name, justify="right")
    for name, m in summary.metrics.items():
        share = is_share(name)
        fmt = ((lambda v: "—" if v is None else f"{v:.3f}") if share
               else format_count if is_count(name) else _fmt)
        ci = "—" if m.ci95 is None else f"{fmt(m.ci95[0])} – {fmt(m.ci95[1])}"
        table.add_row(escape(name), str(m.n), str(m.missing), fmt(m.mean), ci, fmt(m.p50), fmt(m.p90),
                      fmt(m.max))
    return table


def _objective_table(summary) -> Table:
    table = Table(title="objectives")
    for name in ("objective", "metric", "statistic", "target", "value", "95% CI", "met"):
        table.add_column(name)
    for o in summary.objectives:
        fmt = _objective_format(o)
        ci = "—" if o.ci95 is None else f"{fmt(o.ci95[0])} – {fmt(o.ci95[1])}"
        verdict = ("[green]met[/]" if o.met else "[red]not met[/]") + ("" if o.decided else " (undecided)")
        table.add_row(escape(o.name), escape(o.metric), o.statistic, fmt(o.target), fmt(o.value), ci, verdict)
    return table


def _parse_events(spec: str, n: int) -> list[int]:
    """The replications whose event logs are kept: each one run, and not too many to hold."""
    if spec == "all":
        if n > MAX_EVENT_LOGS:
            raise typer.BadParameter(f"'all' would keep {n:,} event logs in memory; the limit is "
                                     f"{MAX_EVENT_LOGS:,}: name replications (e.g. 0,3,7) or give a "
                                     f"smaller -n", param_hint="--events")
        return list(range(n))
    if spec in ("", "none"):
        return []
    try:
        wanted = sorted({int(p) for p in spec.split(",")})
    except ValueError:
        raise typer.BadParameter(
            f"expected 'all', 'none' or replication numbers like 0,3,7; got {spec!r}",
            param_hint="--events") from None
    outside = [r for r in wanted if not 0 <= r < n]
    if outside:
        raise typer.BadParameter(
            f"replication {outside[0]} is not run: -n {n} runs replications 0 to {n - 1}",
            param_hint="--events")
    if len(wanted) > MAX_EVENT_LOGS:
        raise typer.BadParameter(f"{len(wanted):,} event logs asked for; the limit is {MAX_EVENT_LOGS:,}",
                                 param_hint="--events")
    return wanted


def _check_size(scenario, n: int) -> None:
    """Refuse, before running, a number of replications whose metrics would not fit in memory."""
    from .scenario import metric_names

    metrics = len(metric_names(scenario))
    if n * metrics > MAX_VALUES:
        most = MAX_VALUES // metrics
        raise typer.BadParameter(f"{n:,} replications of {metrics:,} metrics each would keep "
                                 f"{n * metrics:,} values in memory; the limit is {MAX_VALUES:,} "
                                 f"(at most {most:,} replications of this scenario)",
                                 param_hint="-n")


def _workers(asked: int) -> int:
    """At most one worker process per core available: more only compete for the same cores."""
    from .runner import default_workers

    cores = default_workers()
    if asked > cores:
        err.print(f"note: --workers {asked} is more than the {cores} cores available; using {cores}",
                  markup=False)
        return cores
    return asked


@app.command()
def run(
    file: Annotated[Path, typer.Argument(help="Scenario file.")],
    n: Annotated[Optional[int], typer.Option(  # noqa: UP045
        "-n", "--replications", min=1, max=MAX_REPLICATIONS,
        help=f"Replications \\[default: {DEFAULT_REPLICATIONS}; with --precision, the most, "
        f"default {MAX_PRECISION_REPLICATIONS:,}].", show_default=False)] = None,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 1,
    set_: SetOption = None,
    workers: Annotated[int, typer.Option(min=0, help="Worker processes (0 = all cores).")] = 0,
    out_dir: Annotated[Optional[Path], typer.Option("--out", metavar="DIR", help="Write summary.json, "  # noqa: UP045
                                                    "replications.csv, events.csv and attribution.csv "
                                                    "here.")] = None,
    events: Annotated[str, typer.Option(help="Replications whose event log --out writes (events.csv "
                                        "and the event-log exports): '0,3', 'all' or 'none'.")] = "0",
    export: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--export", metavar="FORMATS",
        help="Also write into --out: 'xes' (events.xes, IEEE 1849, one trace per replication), "
        "'ocel' (events.ocel.json, OCEL 2.0), 'parquet' (replications.parquet, events.parquet; "
        "needs pyarrow); comma-separated or repeated, or 'all'. See docs/outputs.md.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print summary.json to stdout.")] = False,
    precision: Annotated[Optional[str], typer.Option(  # noqa: UP045
        help="Add replications until the 95% CI half-width of each objective metric (or "
        "team_mobilized) is within this share of its mean, e.g. '1%' or 0.01; -n is then "
        "the maximum.")] = None,
    report: Annotated[bool, typer.Option("--report", help="Also write DIR/report.html, the "
                                         "self-contained HTML report (needs --out).")] = False,
) -> None:
    """Replications of a scenario and the summary of every metric and objective."""
    from .api import load
    from .outputs import RunOutput
    from .runner import default_workers, replicate, replicate_to_precision

    formats = _parse_exports(export or [], out_dir)
    _check_report_option(report, out_dir)
    if out_dir is not None:
        check_out_dir(out_dir, formats)
    with user_errors():
        scenario = load(file, set_ or ())
        target = _parse_precision(precision) if precision is not None else None
        if n is None:
            n = DEFAULT_REPLICATIONS if target is None else MAX_PRECISION_REPLICATIONS
        _check_size(scenario, n)
        keep = _parse_events(events, n) if out_dir else []
        workers = _workers(workers or default_workers())
        # with --out, the files are written as the replications finish (nukesim.outputs)
        writing = RunOutput(out_dir, formats, scenario=scenario) if out_dir is not None else nullcontext()
        with writing as output:
            with _progress(n, as_json) as advance:
                if target is None:
                    result = replicate(scenario, n, seed, workers=workers, keep_events=keep,
                                       progress=advance, attribution=output is not None, to=output)
                    reached = None
                else:
                    result, reached = replicate_to_precision(
                        scenario, target, seed, workers=workers, max_replications=n,
                        keep_events=keep, progress=advance, attribution=output is not None, to=output)
            summary = result.summary()
            precision_doc = _precision_json(target, reached) if reached is not None else None
            written = []
            if output is not None:
                from .provenance import provenance

                origin = provenance(file, scenario.name, set_ or (), seed, len(result))
                written = output.finish(result, summary_document(summary, precision_doc, origin), origin)
        if out_dir is not None and report:
            written.append(_write_report(out_dir))
        if as_json:
            sys.stdout.write(json.dumps(summary_document(summary, precision_doc), indent=2) + "\n")
            return
        out.print(_summary_table(summary))
        if summary.objectives:
            out.print(_objective_table(summary))
        if reached is not None:
            ok = all(v <= target for v in reached.values())
            out.print(("precision reached" if ok else "[yellow]precision NOT reached[/]")
                      + f" after {len(result)} replications: "
                      + ", ".join(f"{m} ±{100 * v:.2f}%" for m, v in reached.items())
                      + f" (target ±{100 * target:g}%)")
        if out_dir is not None:
            out.print(f"written: {out_dir}/" + ", ".join(written), markup=False, soft_wrap=True)


def _parse_exports(specs: list[str], out_dir: Path | None) -> list[str]:
    """The --export formats, checked before any replication runs (exit 2 on a mistake)."""
    from .exports import missing_requirements, parse_formats

    try:
        formats = parse_formats(specs)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--export") from None
    if formats and out_dir is None:
        raise typer.BadParameter("the exports are written into the --out folder: give --out DIR too",
                                 param_hint="--export")
    problems = missing_requirements(formats)
    if problems:
        raise typer.BadParameter("; ".join(problems), param_hint="--export")
    return formats


def _parse_precision(text: str) -> float:
    from .scenario.durations import share_value

    try:
        value = float(share_value(text))
    except ValueError:
        raise typer.BadParameter(f"expected a share such as '1%' or 0.01, got {text!r}",
                                 param_hint="--precision") from None
    if not 0 < value < 1:
        raise typer.BadParameter("the precision must be between 0 and 100 %", param_hint="--precision")
    return value


def _precision_json(target: float, reached: dict[str, float]) -> dict:
    return {"target": target, "reached": {m: (v if math.isfinite(v) else None) for m, v in reached.items()},
            "met": all(v <= target for v in reached.values())}


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator:
    """A progress bar on the terminal (stderr) for long runs; silent when piped or --json."""
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=err, transient=True,
                  disable=quiet or not err.is_terminal) as bar:
        task = bar.add_task("replications", total=total)
        yield lambda k: bar.advance(task, k)


# --- explain ------------------------------------------------------------------------------------


@app.command()
def explain(
    file: Annotated[Path, typer.Argument(help="Scenario file.")],
    metric: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--metric", "-m", help="Milestone to explain (repeatable), or 'all' \\[default: team_on_site].",
        show_default=False)] = None,
    set_: SetOption = None,
    n: Annotated[int, typer.Option("-n", "--replications", min=1,
                                   help="Replications.")] = DEFAULT_REPLICATIONS,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 1,
    workers: Annotated[int, typer.Option(min=0, help="Worker processes (0 = all cores).")] = 0,
) -> None:
    """What made it slow: each milestone's time split along its critical path (docs/attribution.md)."""
    from .api import load
    from .attribution import explain as attribute
    from .runner import default_workers, replicate
    from .scenario import milestone_names
    from .scenario.problems import unknown

    with user_errors():
        scenario = load(file, set_ or ())
        chosen = metric or ["team_on_site"]
        if "all" in chosen:
            chosen = milestone_names(scenario)
        names = milestone_names(scenario)
        for m in chosen:
            if m not in names:
                raise typer.BadParameter(unknown("milestone metric", m, names), param_hint="--metric")
        with _progress(n, False) as advance:
            result = replicate(scenario, n, seed, workers=workers or default_workers(), progress=advance,
                               attribution=True)
        frame = attribute(result, chosen)
        for m in chosen:
            out.print(_explain_table(scenario.name, m, frame[frame["metric"] == m], result.column(m), seed))


def _explain_table(scenario: str, metric: str, rows, values, seed: int) -> Table:
    """One milestone's components, largest first, with their CIs and how often they were on the path."""
    import numpy as np

    done = values[~np.isnan(values)]
    missing = len(values) - len(done)
    mean = _fmt(float(done.mean())) if len(done) else "—"
    table = Table(title=f"{scenario}: what makes {metric} slow — {len(values)} replications, seed {seed}",
                  caption=f"mean {metric} {mean} over the {len(done)} replications where it happened"
                  + (f"; missing in {missing}" if missing else "") + "; on path = share of those "
                  "replications in which the component took time there")
    for name in ("component", "where", "mean", "95% CI", "share", "95% CI", "on path"):
        table.add_column(name, justify="left" if name in ("component", "where") else "right")
    for r in rows.itertuples(index=False):
        table.add_row(r.component, r.where or "—", format_duration(r.mean),
                      f"{format_duration(r.mean_low)} – {format_duration(r.mean_high)}",
                      _percent(r.share), f"{_percent(r.share_low)} – "
                      f"{_percent(r.share_high)}", _percent(r.on_path))
    return table


def _percent(value: float) -> str:
    return "—" if not math.isfinite(value) else f"{100 * value:.1f}%"


# --- compare ------------------------------------------------------------------------------------


@app.command()
def compare(
    file: Annotated[Path, typer.Argument(help="Scenario A (the baseline).")],
    other: Annotated[Optional[Path], typer.Argument(help="Scenario B; default: A with --set-b.")] = None,  # noqa: UP045
    set_: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--set", "-s", metavar="PATH=VALUE", help="Override a field in both A and B (repeatable).")] = None,
    set_b: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--set-b", "-b", metavar="PATH=VALUE", help="Override a field in B only (repeatable): "
        "the change whose effect is measured.")] = None,
    n: Annotated[int, typer.Option("-n", "--replications", min=2, max=MAX_REPLICATIONS,
                                   help="Replications of each variant.")] = DEFAULT_REPLICATIONS,
    seed: Annotated[int, typer.Option(min=0, help="Random seed (shared by both variants).")] = 1,
    workers: Annotated[int, typer.Option(min=0, help="Worker processes (0 = all cores).")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the differences as JSON.")] = False,
    out_dir: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--out", metavar="DIR", help="Write comparison.json and provenance.json here, and each "
        "variant's run outputs into DIR/a and DIR/b.")] = None,
    report: Annotated[bool, typer.Option("--report", help="Also write DIR/report.html, the "
                                         "self-contained HTML report (needs --out).")] = False,
) -> None:
    """B − A for every metric, replication by replication on common random numbers."""
    from .api import load
    from .comparison import objective_differences, paired_differences
    from .runner import default_workers, replicate_variants

    _check_report_option(report, out_dir)
    with user_errors():
        both, only_b = list(set_ or ()), list(set_b or ())
        a = load(file, both)  # a mistake in --set first: it would be one in any case
        if other is None and not only_b:
            raise typer.BadParameter("give a second scenario file or at least one --set-b PATH=VALUE "
                                     "(the change to B; --set changes both A and B)")
        b = load(other or file, both + only_b)
        _check_size(a, 2 * n)
        _check_size(b, 2 * n)
        workers = _workers(workers or default_workers())
        with _progress(2 * n, as_json) as advance:  # both variants in one stream, on one pool
            variants = replicate_variants({"a": a, "b": b}, n, seed, workers=workers,
                                          keep_events=[0] if out_dir else (), progress=advance)
        ra, rb = variants["a"], variants["b"]
        diffs = paired_differences(ra, rb, seed=seed)
        label = " ".join([str(other)] * (other is not None) + [f"--set-b {o}" for o in only_b])
        if both:
            label += " (both: " + " ".join(f"--set {o}" for o in both) + ")"
        objectives = objective_differences(ra, rb, seed=seed)
        document = {"a": str(file), "b": label, "seed": seed, "replications": n,
                    "differences": [d.to_dict() for d in diffs],
                    "objectives": [o.to_dict() for o in objectives]}
        if out_dir is not None:
            _write_comparison(out_dir, document, (file, a, ra, both),
                              (other or file, b, rb, both + only_b), report)
        if as_json:
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
            return
        title = f"B − A on common random numbers: B = {label}; {n} replications, seed {seed}"
        table = Table(title=escape(title))
        # means over the replications where the metric happened in both variants (the pairs)
        for name in ("metric", "mean A*", "mean B*", "mean B−A (95% CI)", "p90 A", "p90 B",
                     "p90 B−A (95% CI)", "missing A/B", "done B−A (95% CI)"):
            table.add_column(name, justify="left" if name == "metric" else "right")
        for d in diffs:
            if is_share(d.metric):
                continue
            fmt, diff = (format_count, format_count_difference) if is_count(d.metric) else (_fmt,
                                                                                           format_difference)
            table.add_row(escape(d.metric), fmt(d.mean_a), fmt(d.mean_b),
                          diff(d.mean_diff, d.mean_diff_ci95),
                          fmt(d.p90_a), fmt(d.p90_b), diff(d.p90_diff, d.p90_diff_ci95),
                          f"{d.missing_a}/{d.missing_b}",
                          format_share_difference(d.done_diff, d.done_diff_ci95))
        out.print(table)
        out.print("* over the replications in which the metric happened in both variants; done = share "
                  "of replications in which it happened")
        if objectives:
            out.print(_compared_objectives_table(objectives))
        if out_dir is not None:
            out.print(f"written: {out_dir}/comparison.json, provenance.json, a/, b/"
                      + (", report.html" if report else ""), markup=False, soft_wrap=True)


def _compared_objectives_table(pairs: list) -> Table:
    """Each objective in A and in B (value, 95 % CI and verdict side by side) and B − A of its
    statistic with its paired 95 % CI (comparison.objective_differences)."""
    table = Table(title="objectives in A and B")
    for name in ("objective", "target", "A (95% CI)", "A met", "B (95% CI)", "B met", "B−A (95% CI)"):
        table.add_column(name)
    for pair in pairs:
        a, b = pair.a, pair.b
        fmt = _objective_format(a, b)
        cells = []
        for o in (a, b):
            # an interval with no finite bound says nothing: "missing", not "missing (missing – missing)"
            bounds = [v for v in (o.ci95 or ()) if v is not None and math.isfinite(v)]
            ci = f" ({fmt(o.ci95[0])} – {fmt(o.ci95[1])})" if bounds else ""
            verdict = ("met" if o.met else "not met") + ("" if o.decided else " (undecided)")
            cells += [fmt(o.value) + ci, verdict]
        diff = (format_share_difference(pair.diff, pair.diff_ci95) if a.statistic == "share"
                else format_count_difference(pair.diff, pair.diff_ci95) if _counts(a.metric)
                else format_difference(pair.diff, pair.diff_ci95))
        table.add_row(escape(a.name), fmt(a.target), *cells, diff)
    return table


def _write_comparison(directory: Path, document: dict, a: tuple, b: tuple, report: bool) -> None:
    """``compare --out``: each variant's run outputs in ``a/`` and ``b/``, the differences and the
    provenance (A's, with B's under ``"b"``) at the top, then the report if asked for."""
    from .provenance import FILE_NAME, provenance

    directory.mkdir(parents=True, exist_ok=True)
    origins = {}
    for name, (path, scenario, result, overrides) in (("a", a), ("b", b)):
        origins[name] = provenance(path, scenario.name, overrides, result.seed, len(result))
        write_outputs(directory / name, result, result.summary(), provenance=origins[name])
    top = {**origins["a"], "b": {k: origins["b"][k] for k in ("scenario", "overrides")}}
    (directory / FILE_NAME).write_text(json.dumps(top, indent=2) + "\n")
    (directory / "comparison.json").write_text(json.dumps({**document, "provenance": top}, indent=2) + "\n")
    (directory / "report.html").unlink(missing_ok=True)
    if report:
        _write_report(directory)


def _check_report_option(report: bool, out_dir: Path | None) -> None:
    if report and out_dir is None:
        raise typer.BadParameter("the report is written into the --out folder: give --out DIR too",
                                 param_hint="--report")


def _write_report(directory: Path) -> str:
    from .report import write_report

    return write_report(directory).name


# --- report -------------------------------------------------------------------------------------


@app.command("report")
def report_command(
    directory: Annotated[Path, typer.Argument(help="Output folder of `run --out`, `compare --out` or "
                                              "`sweep --out`.")],
) -> None:
    """Write DIR/report.html: a self-contained HTML report of a run, comparison or sweep folder."""
    from .report import ReportError, write_report

    with user_errors():
        try:
            path = write_report(directory)
        except ReportError as exc:
            err.print(f"{directory}: {exc}", markup=False, soft_wrap=True)
            raise typer.Exit(2) from None
        out.print(f"written: {path}", markup=False, soft_wrap=True)


OUTPUT_FILES = ("summary.json", "replications.csv", "events.csv", "attribution.csv", "provenance.json",
                "report.html", "comparison.json")
"""The files every ``run --out`` writes (the exports add theirs, ``nukesim.exports.FORMATS``)."""


def check_out_dir(directory: Path, exports: Sequence[str] = ()) -> None:
    """Refuse, before any replication runs, an ``--out`` the outputs could not be written into:
    a file, a folder under a file, a folder without write permission, or a folder where one of
    the output files is a folder. Nothing is created here (a failed run leaves no empty folder)."""
    from .exports import FORMATS

    def refuse(message: str) -> typer.BadParameter:
        return typer.BadParameter(message, param_hint="--out")

    existing = directory
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "" if existing == directory else f" (on the way to {directory})"
        raise refuse(f"{existing}{where} is a file, not a folder")
    names = {*OUTPUT_FILES, *(name for files in FORMATS.values() for name in files)}
    for name in sorted(names):
        if (directory / name).is_dir():
            raise refuse(f"{directory / name} is a folder, where the output file {name} goes; "
                         f"move or remove it, or choose another --out")
    try:  # what the writing will do: a hidden folder in it (or in the folder that will hold it)
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".nukesim-check-"))
    except OSError as exc:
        raise refuse(f"cannot write into {existing}: {exc.strerror or exc}") from None


def summary_document(summary, precision: dict | None = None, provenance: dict | None = None) -> dict:
    """``summary.json``, the one document ``run --json`` prints and ``run --out`` writes: the
    summary, then ``precision`` (with ``--precision``) and ``provenance`` (with ``--out``)."""
    document = summary.to_dict()
    if precision is not None:
        document["precision"] = precision
    if provenance is not None:
        document["provenance"] = provenance
    return document


def write_outputs(directory: Path, result, summary, precision: dict | None = None,
                  exports: Sequence[str] = (), provenance: dict | None = None) -> list[str]:
    """Write every output file of replications held in memory, or none (``nukesim.outputs``).

    ``exports`` are format names of ``nukesim.exports.FORMATS``; ``provenance``
    (``nukesim.provenance.provenance``) goes into ``provenance.json`` and ``summary.json``.
    Returns the file names written. ``check_out_dir`` has checked the folder before the run.
    """
    from .outputs import RunOutput

    with RunOutput(directory, exports, result.attribution is not None, result.scenario) as output:
        output.add(result)
        return output.finish(result, summary_document(summary, precision, provenance), provenance)


# --- exercise -------------------------------------------------------------------------------------


def _validate_exercise(file: Path) -> bool:
    """``validate`` of an exercise file: True if it was one (and valid; errors raise)."""
    from .exercise.load import check_script, is_exercise_file, is_player_script, load_exercise

    if not file.is_file():  # a pipe or a device can be read only once: by the scenario loader
        return False
    if is_player_script(file):
        script = check_script(file)
        out.print(f"{file}: ok — player script for {', '.join(script.organisations)}", markup=False,
                  soft_wrap=True)
        return True
    if not is_exercise_file(file):
        return False
    exercise, scenario, _ = load_exercise(file)
    out.print(f"{file}: ok — exercise '{exercise.name}' on '{scenario.name}': "
              f"{len(exercise.played)} played, {len(exercise.objectives)} objectives, "
              f"{len(exercise.msel)} injects", markup=False, soft_wrap=True)
    return True


def _parse_speed(text: str | None) -> float | None | str:
    if text is None:
        return "exercise"
    if text.strip().lower() in ("max", "fast"):
        return None
    try:
        speed = float(text)
    except ValueError:
        speed = -1.0
    if not speed > 0 or not math.isfinite(speed):
        raise typer.BadParameter(f"expected a positive number of simulated minutes per real minute, or "
                                 f"'max', got {text!r}", param_hint="--speed")
    return speed


@app.command()
def exercise(
    file: Annotated[Path, typer.Argument(help="Exercise file (scenarios/exercises/).")],
    player: Annotated[str | None, typer.Option(
        help="scripted:FILE (a player script), or doctrine; default: the exercise's script")] = None,
    interactive: Annotated[bool, typer.Option("--interactive", help="Play in this terminal.")] = False,
    speed: Annotated[str | None, typer.Option(
        help="Simulated minutes per real minute (default: the exercise's), or 'max'.")] = None,
    resume: Annotated[Path | None, typer.Option(help="Continue an exercise from its journal.")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Write the after-action report, "
                                                    "events.csv, score.json and the journal here.")] = None,
    journal: Annotated[Path | None, typer.Option(
        help="Where to write the journal (default: OUT/journal.jsonl, or FILE's name + .journal.jsonl).")
    ] = None,
    replications: Annotated[int | None, typer.Option(
        "-n", "--replications", min=10,
        help="Doctrine runs to rank the players in (default: the exercise's).")
    ] = None,
) -> None:
    """Run a training exercise: players, injects, a journal, scores and the after-action report."""
    from .exercise import JournalError, run_exercise
    from .exercise.terminal import HELP, Terminal

    if interactive and player is not None:
        raise typer.BadParameter("give either --interactive or --player", param_hint="--player")
    pace = _parse_speed(speed)
    spec = "interactive" if interactive else player
    if out_dir is not None:
        check_out_dir(out_dir)  # before the exercise starts: a trainee's session is not to be lost
    with user_errors():
        try:
            from .exercise.load import load_exercise

            ex, scenario, _ = load_exercise(file)
            terminal = Terminal(scenario.start)
            listen = None
            if interactive or (resume is not None and _journal_player(resume) == "interactive"):
                terminal.say(0.0, f"exercise '{ex.name}': you play {', '.join(ex.played)}. {HELP}")
                listen = terminal.listen
            if journal is None and out_dir is None and resume is None:  # the CLI always keeps a journal
                journal = Path(f"{file.stem}.journal.jsonl")
            result = run_exercise(file, player=spec, speed=pace, resume=resume, out=out_dir, journal=journal,
                                  replications=replications, observer=terminal, listen=listen)
        except JournalError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
    if result.stopped:
        out.print(f"stopped; continue with: nukesim exercise {file} --resume {result.journal}", markup=False,
                  soft_wrap=True)
        return
    table = Table("objective", "players", "target", "met", "percentile", "rating",
                  title="Exercise objectives")
    for o in result.score.objectives:
        table.add_row(o.name, format_duration(o.value), format_duration(o.target), "yes" if o.met else "no",
                      "—" if math.isnan(o.value) else f"{o.percentile:.0f}", f"{o.rating}: {o.rating_words}")
    out.print(table)
    if result.out is not None:
        out.print(f"after-action report: {result.out / 'aar.md'} and {result.out / 'aar.html'}", markup=False,
                  soft_wrap=True)


def _journal_player(path: Path) -> str | None:
    from .exercise.journal import JournalError, read_journal

    try:
        return read_journal(path)[0].get("player")
    except JournalError:
        return None


# --- sweep --------------------------------------------------------------------------------------


def _is_sweep_file(file: Path) -> bool:
    """A sweep file has ``factors:``; an unreadable file is left to the scenario loader's errors.

    Only a regular file is looked into: a pipe or a device can be read only once, by the loader.
    """
    from .scenario import load_yaml
    from .sweep.spec import is_sweep_data

    if not file.is_file():
        return False
    try:
        data, _ = load_yaml(file)
    except ScenarioError:
        return False
    return is_sweep_data(data)


@app.command()
def sweep(
    file: Annotated[Path, typer.Argument(help="Sweep file (see docs/sweeps.md).")],
    workers: Annotated[int, typer.Option(min=0, help="Local worker processes (0 = all cores).")] = 0,
    scheduler: Annotated[Optional[str], typer.Option(  # noqa: UP045
        metavar="ADDRESS", help="Run on an existing Dask cluster, e.g. tcp://10.0.0.5:8786.")] = None,
    store: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        metavar="DB", help="SQLite result store \\[default: DIR/sweep.sqlite with --out, else "
        "FILE's name with .sqlite in the working directory].", show_default=False)] = None,
    resume: Annotated[bool, typer.Option(help="Continue (or extend) the sweep in --store: run "
                                         "only what it lacks.")] = False,
    out_dir: Annotated[Optional[Path], typer.Option("--out", metavar="DIR", help="Write the "  # noqa: UP045
                                                    "analysis, tables and SVG plots here.")] = None,
    n: Annotated[Optional[int], typer.Option(  # noqa: UP045
        "-n", "--replications", min=2, help="Replications per point instead of the file's.")] = None,
    parquet: Annotated[bool, typer.Option(help="Also write results.parquet into --out (needs "
                                          "pyarrow).")] = False,
    report: Annotated[bool, typer.Option("--report", help="Also write DIR/report.html, the "
                                         "self-contained HTML report (needs --out).")] = False,
) -> None:
    """A parameter sweep: every point's replications, stored as they finish, and their analysis."""
    from .runner import DaskExecutor, LocalExecutor, default_workers
    from .sweep.execute import planned_replications, prepare, run_sweep
    from .sweep.store import Store

    if parquet and out_dir is None:
        raise typer.BadParameter("results.parquet goes into the --out folder: give --out DIR too",
                                 param_hint="--parquet")
    _check_report_option(report, out_dir)
    with user_errors():
        prepared = prepare(file, replications=n)
        db = store or (out_dir / "sweep.sqlite" if out_dir else Path(file.stem + ".sqlite"))
        db.parent.mkdir(parents=True, exist_ok=True)
        results = Store(db)
        try:
            executor = DaskExecutor(scheduler) if scheduler else LocalExecutor(workers or default_workers())
        except (OSError, TimeoutError, ValueError) as exc:
            results.close()
            raise typer.BadParameter(f"cannot reach a Dask scheduler at {scheduler}: {exc}",
                                     param_hint="--scheduler") from None
        interrupted, previous = False, None
        from .provenance import command_line
        try:
            with _sweep_progress(planned_replications(prepared)) as advance:
                result = run_sweep(prepared, results, executor, resume=resume, command=command_line(),
                                   progress=advance)
        except KeyboardInterrupt:
            # an impatient second Ctrl-C must not cut the stopping of the workers or the hint short
            interrupted, previous = True, signal.signal(signal.SIGINT, signal.SIG_IGN)
        finally:
            executor.close()
            results.close()
        if interrupted:
            err.print(f"interrupted: finished replications are in {db}; continue with --resume",
                      markup=False)
            signal.signal(signal.SIGINT, previous)
            raise typer.Exit(130)
        from .sweep.analysis import analyse, print_analysis

        analysis = analyse(result)
        print_analysis(out, analysis)
        out.print(f"store: {db} ({result.ran} replications run now)", markup=False, soft_wrap=True)
        if out_dir is not None:
            from .provenance import sweep_provenance
            from .sweep.analysis import write_analysis

            origin = sweep_provenance(file, prepared.file.sha256, prepared.file.scenario_path,
                                      prepared.base.name, prepared.sweep.set, prepared.sweep.seed,
                                      sum(len(rows) for rows in result.values.values()),
                                      len(result.values), store=db)
            written = write_analysis(out_dir, analysis, db, parquet=parquet, provenance=origin)
            (out_dir / "report.html").unlink(missing_ok=True)  # an older report of other numbers
            if report:
                from .report import ReportError

                try:
                    written.append(_write_report(out_dir))
                except ReportError as exc:
                    err.print(f"{out_dir}: {exc}", markup=False, soft_wrap=True)
                    raise typer.Exit(2) from None
            out.print(f"written: {out_dir}/" + ", ".join(written), markup=False, soft_wrap=True)


@contextmanager
def _sweep_progress(total: int) -> Iterator:
    """Points done, replications per second and time left, on the terminal (stderr)."""
    from rich.progress import TaskProgressColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                  TextColumn("{task.fields[rate]} replications/s"), TimeRemainingColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("points 0/?", total=total, rate="—")

        def advance(done: int, points: int, reps: int) -> None:
            bar.update(task, advance=reps, description=f"points {done}/{points}")
            speed = bar.tasks[0].speed
            bar.update(task, rate=f"{speed:,.0f}" if speed else "—")

        yield advance


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        _reader_gone()


if __name__ == "__main__":
    main()
